// PEM private key files, the formats `ssh-keygen -m PEM`, `openssl genpkey`
// and `openssl pkcs8` write and that libssh2 users have on disk:
//
//   -----BEGIN RSA PRIVATE KEY-----        PKCS#1 (RFC 8017 appendix A.1.2)
//   -----BEGIN EC PRIVATE KEY-----         SEC1 (RFC 5915)
//   -----BEGIN PRIVATE KEY-----            PKCS#8 (RFC 5208 / RFC 5958):
//                                          RSA, EC (P-256/384/521), Ed25519
//                                          (RFC 8410)
//   -----BEGIN ENCRYPTED PRIVATE KEY-----  PKCS#8 with PBES2 (RFC 8018):
//                                          PBKDF2-HMAC-SHA1/224/256/384/512,
//                                          AES-128/192/256-CBC or 3DES-CBC
//
// The first two may carry OpenSSL's legacy encryption headers
// ("Proc-Type: 4,ENCRYPTED" and "DEK-Info: AES-128-CBC,<IV>", also AES-192,
// AES-256 and DES-EDE3; the key is EVP_BytesToKey with MD5 and one round).
//
// The DER is read by a bounds-checked reader; decryption uses the
// provider's CBC, HMAC and legacy MD5; the key's halves are checked
// against each other (self-test signature) before it is returned. Errors:
// kUnauthenticated for a missing or wrong passphrase (a wrong one shows as
// bad padding or undecodable DER after decryption), kUnimplemented for a
// key type or encryption Parley lacks (DSA, PBES1, ...), kInvalidArgument
// for a malformed file. Decrypted bytes are wiped.
#ifndef PARLEY_CORE_KEYS_PEM_KEY_H_
#define PARLEY_CORE_KEYS_PEM_KEY_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/crypto/provider.h"
#include "core/crypto/signature.h"

namespace parley::keys {

// PBKDF2 iteration counts above this are refused before any work (OpenSSL
// writes 2048 by default; a hostile file must not buy minutes of CPU).
inline constexpr uint32_t kDefaultMaxPbkdf2Iterations = 1u << 22;

struct PemKeyOptions {
  uint32_t max_pbkdf2_iterations = kDefaultMaxPbkdf2Iterations;
};

// Whether `text` starts (after blank lines) with a PEM private key armor
// this parser reads.
bool LooksLikePemPrivateKey(absl::string_view text);

absl::StatusOr<crypto::PrivateKey> ParsePemPrivateKey(
    absl::string_view text, ByteView passphrase,
    const crypto::CryptoProvider& provider,
    const PemKeyOptions& options = PemKeyOptions());

}  // namespace parley::keys

#endif  // PARLEY_CORE_KEYS_PEM_KEY_H_
