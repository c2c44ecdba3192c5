#include "core/agent/protocol.h"

#include "absl/strings/str_cat.h"
#include "core/wire/reader.h"
#include "core/wire/writer.h"

namespace parley::agent {
namespace {

absl::Status Malformed(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("malformed agent answer: ", what));
}

// The type byte of `message`, or an error for an empty message or a
// refusal.
absl::StatusOr<wire::Reader> Expect(ByteView message, uint8_t want) {
  wire::Reader r(message);
  uint8_t type = 0;
  if (!r.ReadU8(&type).ok()) return Malformed("empty message");
  if (type == kFailure) {
    return absl::FailedPreconditionError("the agent refused the request");
  }
  if (type != want) {
    return Malformed(
        absl::StrCat("message type ", type, " where ", want, " was expected"));
  }
  return r;
}

}  // namespace

Bytes Frame(uint8_t type, ByteView contents) {
  Bytes out;
  wire::Writer w(&out);
  w.WriteU32(static_cast<uint32_t>(contents.size() + 1));
  w.WriteU8(type);
  w.WriteRaw(contents);
  return out;
}

Bytes RequestIdentities() { return Frame(kRequestIdentities, ByteView()); }

Bytes SignRequest(ByteView key_blob, ByteView data, uint32_t flags) {
  Bytes contents;
  wire::Writer w(&contents);
  w.WriteString(key_blob);
  w.WriteString(data);
  w.WriteU32(flags);
  return Frame(kSignRequest, contents);
}

uint32_t SignFlags(crypto::SignatureAlgorithm alg) {
  switch (alg) {
    case crypto::SignatureAlgorithm::kRsaSha256:
      return kRsaSha2_256;
    case crypto::SignatureAlgorithm::kRsaSha512:
      return kRsaSha2_512;
    default:
      return 0;
  }
}

absl::StatusOr<std::vector<Identity>> ParseIdentitiesAnswer(ByteView message) {
  absl::StatusOr<wire::Reader> r = Expect(message, kIdentitiesAnswer);
  if (!r.ok()) return r.status();
  uint32_t n = 0;
  if (!r->ReadU32(&n).ok()) return Malformed("no identity count");
  if (n > kMaxIdentities) {
    return Malformed(
        absl::StrCat(n, " identities (at most ", kMaxIdentities, " are read)"));
  }
  std::vector<Identity> out;
  for (uint32_t i = 0; i < n; ++i) {
    ByteView blob;
    absl::string_view comment;
    if (!r->ReadString(&blob).ok() || !r->ReadString(&comment).ok()) {
      return Malformed(
          absl::StrCat("identity ", i + 1, " of ", n, " is cut short"));
    }
    if (blob.empty()) return Malformed("an identity without a key");
    out.push_back({Bytes(blob.begin(), blob.end()), std::string(comment)});
  }
  if (!r->ExpectEnd().ok()) return Malformed("bytes after the identities");
  return out;
}

absl::StatusOr<Bytes> ParseSignResponse(ByteView message) {
  absl::StatusOr<wire::Reader> r = Expect(message, kSignResponse);
  if (!r.ok()) return r.status();
  ByteView signature;
  if (!r->ReadString(&signature).ok() || signature.empty()) {
    return Malformed("no signature");
  }
  if (!r->ExpectEnd().ok()) return Malformed("bytes after the signature");
  return Bytes(signature.begin(), signature.end());
}

}  // namespace parley::agent
