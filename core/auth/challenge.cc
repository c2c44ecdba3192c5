#include "core/auth/challenge.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/base/base64.h"
#include "core/crypto/ssh_keys.h"
#include "core/wire/reader.h"
#include "core/wire/writer.h"

namespace parley::auth::challenge {
namespace {

// PROTOCOL.sshsig (OpenSSH): the magic preamble and version.
constexpr char kMagic[] = "SSHSIG";
constexpr size_t kMagicSize = 6;
constexpr uint32_t kVersion = 1;
constexpr char kHash[] = "sha512";

bool IsNonceChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

absl::optional<std::string> FindNonce(absl::string_view prompt) {
  size_t at = prompt.find(kPrefix);
  while (at != absl::string_view::npos) {
    const size_t start = at + sizeof(kPrefix) - 1;
    size_t end = start;
    while (end < prompt.size() && end - start <= kMaxNonce &&
           IsNonceChar(prompt[end])) {
      ++end;
    }
    const size_t n = end - start;
    if (n >= kMinNonce && n <= kMaxNonce) {
      return std::string(prompt.substr(start, n));
    }
    at = prompt.find(kPrefix, start);
  }
  return absl::nullopt;
}

std::string Message(absl::string_view nonce, absl::string_view user) {
  return absl::StrCat(kPrefix, nonce, ":", user);
}

Bytes SignedData(ByteView message_sha512) {
  Bytes out;
  wire::Writer w(&out);
  w.WriteRaw(AsBytes(absl::string_view(kMagic, kMagicSize)));
  w.WriteString(absl::string_view(kNamespace));
  w.WriteString(absl::string_view());  // reserved
  w.WriteString(absl::string_view(kHash));
  w.WriteString(message_sha512);
  return out;
}

std::string EncodeAnswer(ByteView public_key_blob, ByteView signature_blob) {
  Bytes blob;
  wire::Writer w(&blob);
  w.WriteRaw(AsBytes(absl::string_view(kMagic, kMagicSize)));
  w.WriteU32(kVersion);
  w.WriteString(public_key_blob);
  w.WriteString(absl::string_view(kNamespace));
  w.WriteString(absl::string_view());
  w.WriteString(absl::string_view(kHash));
  w.WriteString(signature_blob);
  return absl::Base64Escape(AsString(blob));
}

absl::StatusOr<Answer> ParseAnswer(absl::string_view text) {
  if (text.empty() || text.size() > kMaxAnswer) {
    return absl::InvalidArgumentError("the answer is empty or too long");
  }
  SecureBuffer blob;
  if (!DecodeBase64(text, &blob)) {
    return absl::InvalidArgumentError("the answer is not base64");
  }
  wire::Reader r(ByteView(blob.data(), blob.size()));
  ByteView magic, key, ns, reserved, hash, sig;
  uint32_t version = 0;
  const bool ok = r.ReadBytes(kMagicSize, &magic).ok() &&
                  r.ReadU32(&version).ok() && r.ReadString(&key).ok() &&
                  r.ReadString(&ns).ok() && r.ReadString(&reserved).ok() &&
                  r.ReadString(&hash).ok() && r.ReadString(&sig).ok() &&
                  r.ExpectEnd().ok();
  if (!ok || AsString(magic) != absl::string_view(kMagic, kMagicSize)) {
    return absl::InvalidArgumentError("the answer is not an SSHSIG signature");
  }
  if (version != kVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("SSHSIG version ", version, " (only 1 is known)"));
  }
  if (AsString(ns) != kNamespace) {
    return absl::InvalidArgumentError(
        "the signature is for another namespace than parley-challenge");
  }
  if (!reserved.empty() || AsString(hash) != kHash) {
    return absl::InvalidArgumentError(
        "the signature's reserved field or hash is not what v1 uses");
  }
  Answer a;
  a.public_key_blob.assign(key.begin(), key.end());
  a.signature_blob.assign(sig.begin(), sig.end());
  return a;
}

absl::Status Verify(const crypto::CryptoProvider& provider,
                    absl::string_view text, absl::string_view nonce,
                    absl::string_view user,
                    const std::vector<crypto::PublicKey>& allowed) {
  absl::StatusOr<Answer> answer = ParseAnswer(text);
  if (!answer.ok()) return answer.status();
  absl::StatusOr<crypto::PublicKey> key =
      crypto::ParsePublicKeyBlob(answer->public_key_blob);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the answer's key: ", key.status().message()));
  }
  bool known = false;
  for (const crypto::PublicKey& k : allowed) known = known || k == *key;
  if (!known) {
    return absl::PermissionDeniedError(
        "the answer is signed by a key not "
        "allowed for this user");
  }
  absl::StatusOr<Bytes> digest = crypto::Digest(
      provider, crypto::HashAlgorithm::kSha512, AsBytes(Message(nonce, user)));
  if (!digest.ok()) return digest.status();
  absl::Status s = crypto::VerifySshSignature(
      provider, *key, answer->signature_blob, SignedData(*digest), {});
  if (!s.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("the signature does not verify: ", s.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NewNonce(const crypto::CryptoProvider& provider) {
  uint8_t random[32];
  absl::Status s =
      provider.RandomBytes(MutableByteView(random, sizeof(random)));
  if (!s.ok()) return s;
  return absl::WebSafeBase64Escape(AsString(ByteView(random, sizeof(random))));
}

}  // namespace parley::auth::challenge
