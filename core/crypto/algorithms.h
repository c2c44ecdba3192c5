// Backend-neutral names for the primitives the crypto core offers, and the
// SSH algorithm names built from them.
#ifndef PARLEY_CORE_CRYPTO_ALGORITHMS_H_
#define PARLEY_CORE_CRYPTO_ALGORITHMS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace parley::crypto {

enum class HashAlgorithm { kSha1, kSha256, kSha384, kSha512 };

// Digest length in bytes.
size_t DigestSize(HashAlgorithm alg);
absl::string_view HashName(HashAlgorithm alg);  // "sha256"

// Key-agreement groups: X25519 (RFC 7748), NIST curves (RFC 5656) and the
// RFC 3526 MODP groups 14, 16 and 18 (RFC 8268).
enum class KexGroup {
  kX25519,
  kNistP256,
  kNistP384,
  kNistP521,
  kModp2048,
  kModp4096,
  kModp8192,
  // A group the server chose (RFC 4419 group exchange); see
  // CryptoProvider::NewDhKeyAgreement.
  kModpServerChosen,
};
absl::string_view KexGroupName(KexGroup group);

// Host and user key types.
enum class KeyType { kEd25519, kEcdsaP256, kEcdsaP384, kEcdsaP521, kRsa };

// Signature algorithms as SSH names them. kRsaSha1 ("ssh-rsa") is only ever
// used when a caller opts in explicitly.
enum class SignatureAlgorithm {
  kEd25519,
  kEcdsaP256Sha256,
  kEcdsaP384Sha384,
  kEcdsaP521Sha512,
  kRsaSha256,
  kRsaSha512,
  kRsaSha1,
};

absl::string_view SignatureAlgorithmName(SignatureAlgorithm alg);
// The OpenSSH certificate form of a signature algorithm
// (PROTOCOL.certkeys): rsa-sha2-256 -> rsa-sha2-256-cert-v01@openssh.com,
// ssh-ed25519 -> ssh-ed25519-cert-v01@openssh.com, ...
std::string CertificateAlgorithmName(SignatureAlgorithm alg);
bool SignatureAlgorithmFromName(absl::string_view name,
                                SignatureAlgorithm* out);
KeyType KeyTypeFor(SignatureAlgorithm alg);
// The signature algorithms a key of `type` signs with by default, in
// preference order: its one algorithm, or rsa-sha2-512 then rsa-sha2-256
// for RSA (ssh-rsa only when named).
std::vector<SignatureAlgorithm> SignatureAlgorithmsFor(KeyType type);
// The SSH key-type name of a public-key blob ("ssh-rsa" for all RSA).
absl::string_view KeyTypeName(KeyType type);
bool KeyTypeFromName(absl::string_view name, KeyType* out);
// The curve name of an ECDSA key type ("nistp256"), "" for other types.
absl::string_view EcCurveName(KeyType type);
// Field size in bytes of the ECDSA curve of `type` (32, 48, 66); 0 otherwise.
size_t EcFieldSize(KeyType type);

// The SSH algorithm names a backend offers, in its default preference order.
struct AlgorithmLists {
  std::vector<std::string> kex;
  std::vector<std::string> host_key;
  std::vector<std::string> cipher;
  std::vector<std::string> mac;
};

// Every SSH algorithm Parley implements, in OpenSSH 9's default order (the
// names OpenSSH offers that Parley lacks, such as sntrup761 and umac, left
// out). The OpenSSL backend uses this order; a backend may reorder it.
AlgorithmLists OpenSshDefaultAlgorithms();

// Legacy algorithms for old servers, never offered unless an application
// names them (libssh2_session_method_pref, the CLI's -o lists): CBC ciphers
// (RFC 4253 section 6.3), truncated and MD5 MACs (section 6.4, RFC 2104),
// diffie-hellman-group14-sha1 (RFC 8268), group exchange with SHA-256 and
// SHA-1 (RFC 4419), ssh-rsa with SHA-1 (RFC 4253
// section 6.6). Every backend implements them (they are built on NewCbc,
// HMAC-SHA1 and LegacyMd5).
AlgorithmLists LegacyAlgorithms();

// The host-key algorithms of OpenSSH host certificates
// (PROTOCOL.certkeys), in OpenSSH's order. Offered only when named: the
// CLI and the C++ API put them first for a host that a known_hosts
// `@cert-authority` line covers, as OpenSSH does; libssh2 programs, which
// check plain keys themselves, never see them unless they ask.
std::vector<std::string> CertificateHostKeyAlgorithms();

}  // namespace parley::crypto

#endif  // PARLEY_CORE_CRYPTO_ALGORITHMS_H_
