#include "core/keys/certificate.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base/base64.h"
#include "core/base/secure_buffer.h"
#include "core/base/status_macros.h"
#include "core/crypto/ssh_keys.h"
#include "core/wire/reader.h"

namespace parley::keys {
namespace {

using crypto::KeyType;
using crypto::SignatureAlgorithm;

constexpr absl::string_view kCertSuffix = "-cert-v01@openssh.com";

// Lists this long are refused: no real certificate comes near.
constexpr size_t kMaxListEntries = 256;

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed OpenSSH certificate: ", what));
}

absl::Status Refused(absl::string_view what) {
  return absl::PermissionDeniedError(
      absl::StrCat("host certificate refused: ", what));
}

std::string Quoted(absl::string_view s) {
  return absl::StrCat("\"", absl::CHexEscape(s.substr(0, 64)),
                      s.size() > 64 ? "...\"" : "\"");
}

// PROTOCOL.certkeys: principals are a string of strings.
absl::Status ReadNames(ByteView packed, std::vector<std::string>* out) {
  wire::Reader r(packed);
  while (!r.empty()) {
    absl::string_view name;
    PARLEY_RETURN_IF_ERROR(r.ReadString(&name));
    if (out->size() >= kMaxListEntries) return Malformed("too many principals");
    out->emplace_back(name);
  }
  return absl::OkStatus();
}

// Critical options and extensions: (string name, string data) pairs in
// lexical order, each name once.
absl::Status ReadOptions(ByteView packed,
                         std::vector<std::pair<std::string, Bytes>>* out) {
  wire::Reader r(packed);
  while (!r.empty()) {
    absl::string_view name;
    ByteView data;
    PARLEY_RETURN_IF_ERROR(r.ReadString(&name));
    PARLEY_RETURN_IF_ERROR(r.ReadString(&data));
    if (out->size() >= kMaxListEntries) return Malformed("too many options");
    if (!out->empty() && out->back().first >= name) {
      return Malformed("options are not in order or repeat");
    }
    out->emplace_back(std::string(name), Bytes(data.begin(), data.end()));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsCertificateName(absl::string_view name) {
  return absl::EndsWith(name, kCertSuffix);
}

bool PlainAlgorithmOfCertificate(absl::string_view name,
                                 SignatureAlgorithm* alg) {
  if (!IsCertificateName(name)) return false;
  return crypto::SignatureAlgorithmFromName(
      name.substr(0, name.size() - kCertSuffix.size()), alg);
}

absl::StatusOr<Certificate> ParseCertificate(ByteView blob) {
  wire::Reader r(blob);
  Certificate cert;
  absl::string_view type_name;
  PARLEY_RETURN_IF_ERROR(r.ReadString(&type_name));
  if (!IsCertificateName(type_name)) {
    return Malformed(absl::StrCat(Quoted(type_name), " is not a certificate"));
  }
  KeyType key_type;
  const absl::string_view plain =
      type_name.substr(0, type_name.size() - kCertSuffix.size());
  if (!crypto::KeyTypeFromName(plain, &key_type)) {
    return absl::UnimplementedError(absl::StrCat(
        "certificate type ", Quoted(type_name), " is not supported"));
  }
  cert.type_name = std::string(type_name);
  ByteView nonce, principals, critical, extensions, reserved, ca, sig;
  absl::string_view key_id;
  PARLEY_RETURN_IF_ERROR(r.ReadString(&nonce));
  PARLEY_RETURN_IF_ERROR(crypto::ReadPublicKeyFields(r, key_type, &cert.key));
  PARLEY_RETURN_IF_ERROR(r.ReadU64(&cert.serial));
  PARLEY_RETURN_IF_ERROR(r.ReadU32(&cert.type));
  PARLEY_RETURN_IF_ERROR(r.ReadString(&key_id));
  PARLEY_RETURN_IF_ERROR(r.ReadString(&principals));
  PARLEY_RETURN_IF_ERROR(r.ReadU64(&cert.valid_after));
  PARLEY_RETURN_IF_ERROR(r.ReadU64(&cert.valid_before));
  PARLEY_RETURN_IF_ERROR(r.ReadString(&critical));
  PARLEY_RETURN_IF_ERROR(r.ReadString(&extensions));
  PARLEY_RETURN_IF_ERROR(r.ReadString(&reserved));
  PARLEY_RETURN_IF_ERROR(r.ReadString(&ca));
  cert.signed_length = blob.size() - r.remaining();
  PARLEY_RETURN_IF_ERROR(r.ReadString(&sig));
  PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
  if (cert.type != kUserCertificate && cert.type != kHostCertificate) {
    return Malformed(absl::StrCat("certificate type ", cert.type));
  }
  if (nonce.size() < 16) return Malformed("nonce shorter than 16 bytes");
  cert.key_id = std::string(key_id);
  PARLEY_RETURN_IF_ERROR(ReadNames(principals, &cert.principals));
  PARLEY_RETURN_IF_ERROR(ReadOptions(critical, &cert.critical_options));
  PARLEY_RETURN_IF_ERROR(ReadOptions(extensions, &cert.extensions));
  // The CA key must be a plain key: parsing fails for a certificate.
  absl::StatusOr<crypto::PublicKey> ca_key = crypto::ParsePublicKeyBlob(ca);
  if (!ca_key.ok()) {
    return Malformed(
        absl::StrCat("signature key: ", ca_key.status().message()));
  }
  cert.signature_key.assign(ca.begin(), ca.end());
  cert.signature.assign(sig.begin(), sig.end());
  cert.blob.assign(blob.begin(), blob.end());
  return cert;
}

absl::StatusOr<Certificate> ParseCertificateLine(absl::string_view line) {
  line = absl::StripAsciiWhitespace(line);
  const size_t type_end = line.find_first_of(" \t");
  if (type_end == absl::string_view::npos) {
    return Malformed("no base64 after the certificate type");
  }
  const absl::string_view type = line.substr(0, type_end);
  absl::string_view rest =
      absl::StripLeadingAsciiWhitespace(line.substr(type_end));
  const absl::string_view b64 = rest.substr(0, rest.find_first_of(" \t"));
  SecureBuffer blob;
  if (!DecodeBase64(b64, &blob)) return Malformed("bad base64");
  PARLEY_ASSIGN_OR_RETURN(Certificate cert, ParseCertificate(View(blob)));
  if (cert.type_name != type) {
    return Malformed(absl::StrCat("line says ", Quoted(type), ", blob says ",
                                  Quoted(cert.type_name)));
  }
  return cert;
}

absl::Status CheckHostCertificate(const crypto::CryptoProvider& provider,
                                  const Certificate& cert, ByteView ca_blob,
                                  absl::string_view host, uint64_t now) {
  if (cert.type != kHostCertificate) return Refused("not a host certificate");
  if (!std::equal(cert.signature_key.begin(), cert.signature_key.end(),
                  ca_blob.begin(), ca_blob.end())) {
    return Refused("signed by another authority");
  }
  PARLEY_ASSIGN_OR_RETURN(crypto::PublicKey ca,
                          crypto::ParsePublicKeyBlob(ca_blob));
  crypto::VerifyOptions vo;
  vo.allow_rsa_sha1 = false;  // OpenSSH's CASignatureAlgorithms default
  absl::Status signed_ok = crypto::VerifySshSignature(
      provider, ca, cert.signature,
      ByteView(cert.blob).first(cert.signed_length), vo);
  if (!signed_ok.ok()) {
    return Refused(absl::StrCat("bad signature: ", signed_ok.message()));
  }
  if (now < cert.valid_after) return Refused("not yet valid");
  if (now >= cert.valid_before) return Refused("expired");
  if (cert.principals.empty()) return Refused("it names no host");
  const std::string lower = absl::AsciiStrToLower(host);
  bool named = false;
  for (const std::string& p : cert.principals) {
    if (absl::AsciiStrToLower(p) == lower) named = true;
  }
  if (!named) {
    return Refused(absl::StrCat("not valid for ", Quoted(host)));
  }
  if (!cert.critical_options.empty()) {
    return Refused(absl::StrCat("unknown critical option ",
                                Quoted(cert.critical_options[0].first)));
  }
  return absl::OkStatus();
}

}  // namespace parley::keys
