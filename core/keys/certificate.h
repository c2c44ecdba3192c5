// OpenSSH certificates (PROTOCOL.certkeys): a public key signed by a
// certificate authority with a validity window, principals, critical
// options and extensions. Types *-cert-v01@openssh.com for ed25519, ECDSA
// P-256/384/521 and RSA.
//
// Parley uses them two ways:
// - a user certificate is presented instead of its plain key in a
//   publickey login (the server checks it; the request names the
//   -cert-v01 algorithm, the signature is the plain key's);
// - a host certificate is accepted for a host when a known_hosts
//   `@cert-authority` line for the host names its CA and
//   CheckHostCertificate() passes.
#ifndef PARLEY_CORE_KEYS_CERTIFICATE_H_
#define PARLEY_CORE_KEYS_CERTIFICATE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/crypto/provider.h"
#include "core/crypto/signature.h"

namespace parley::keys {

inline constexpr uint32_t kUserCertificate = 1;
inline constexpr uint32_t kHostCertificate = 2;

struct Certificate {
  Bytes blob;             // the whole certificate blob
  std::string type_name;  // "ssh-ed25519-cert-v01@openssh.com"
  crypto::PublicKey key;  // the certified key
  uint64_t serial = 0;
  uint32_t type = 0;  // kUserCertificate or kHostCertificate
  std::string key_id;
  std::vector<std::string> principals;
  uint64_t valid_after = 0;  // seconds since the epoch
  uint64_t valid_before = 0;
  std::vector<std::pair<std::string, Bytes>> critical_options;
  std::vector<std::pair<std::string, Bytes>> extensions;
  Bytes signature_key;       // the CA's public key blob
  Bytes signature;           // the CA's signature blob
  size_t signed_length = 0;  // bytes of `blob` the signature covers
};

// Whether `name` is one of the certificate key types or signature
// algorithms (*-cert-v01@openssh.com).
bool IsCertificateName(absl::string_view name);
// (The certificate form of a signature algorithm's name is
// crypto::CertificateAlgorithmName.)
// The plain signature algorithm of a certificate algorithm name (false if
// `name` is none).
bool PlainAlgorithmOfCertificate(absl::string_view name,
                                 crypto::SignatureAlgorithm* alg);

// Parses a certificate blob: every field bounds-checked, names and lists
// well-formed, the CA key a plain key (a certificate cannot sign
// certificates). The CA signature is not checked here.
absl::StatusOr<Certificate> ParseCertificate(ByteView blob);
// "<type> <base64> [comment]" as in an id_*-cert.pub file.
absl::StatusOr<Certificate> ParseCertificateLine(absl::string_view line);

// The checks a client makes of a server's host certificate
// (PROTOCOL.certkeys; OpenSSH's sshkey_cert_check_host): a host
// certificate, signed by `ca_blob` with a valid signature (never ssh-rsa
// SHA-1), `now` inside its validity window, `host` among its principals
// (an empty list is refused), and no critical option (none is defined for
// hosts). kPermissionDenied saying which check failed.
absl::Status CheckHostCertificate(const crypto::CryptoProvider& provider,
                                  const Certificate& cert, ByteView ca_blob,
                                  absl::string_view host, uint64_t now);

}  // namespace parley::keys

#endif  // PARLEY_CORE_KEYS_CERTIFICATE_H_
