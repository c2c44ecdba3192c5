// OpenSSH's key files, parsed backend-neutrally for publickey
// authentication:
//
// - Private keys in the "openssh-key-v1" format (OpenSSH PROTOCOL.key),
//   the armored "-----BEGIN OPENSSH PRIVATE KEY-----" files ssh-keygen
//   writes: ssh-ed25519, ecdsa-sha2-nistp256/384/521 and ssh-rsa, either
//   unencrypted (cipher and KDF "none") or protected with a passphrase (KDF
//   "bcrypt", see bcrypt_pbkdf.h) and one of aes128-ctr, aes192-ctr,
//   aes256-ctr (ssh-keygen's default), aes128-gcm@openssh.com,
//   aes256-gcm@openssh.com or chacha20-poly1305@openssh.com.
// - Public-key lines as in .pub and authorized_keys files.
//
// The parsers are pure functions of their inputs (and the provider's
// primitives), so they can be fuzzed. Error codes:
//   kInvalidArgument  malformed file; the message says what is wrong
//   kUnauthenticated  passphrase missing ("passphrase required") or wrong
//                     ("incorrect passphrase")
//   kUnimplemented    a key type, cipher or KDF Parley does not support,
//                     and PEM/PKCS#8 private keys (not parsed yet)
//   others            from the provider (e.g. a backend lacking Ed25519)
//
// A loaded key is checked thoroughly before it is returned: both check
// integers, the deterministic padding, the private section's public key
// against the file's public key, RSA's p * q == n and iqmp * q == 1 mod p,
// and finally a signature made with the provider's signer that must verify
// under the public key. A wrong passphrase can therefore never yield a key.
#ifndef PARLEY_CORE_KEYS_OPENSSH_KEY_H_
#define PARLEY_CORE_KEYS_OPENSSH_KEY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/crypto/provider.h"
#include "core/crypto/signature.h"

namespace parley::keys {

// The largest bcrypt rounds value accepted by default. ssh-keygen writes 16
// unless told otherwise (-a); each round costs a few milliseconds, so this
// bounds the work a hostile file can demand to a few minutes.
inline constexpr uint32_t kDefaultMaxBcryptRounds = 1u << 16;

struct OpenSshKeyOptions {
  // Files asking for more bcrypt rounds are refused (kInvalidArgument)
  // before any work is done. Fuzzers should lower it.
  uint32_t max_bcrypt_rounds = kDefaultMaxBcryptRounds;
};

// Parses and decrypts an OpenSSH private key file's text. `passphrase` is
// ignored for unencrypted keys; for encrypted ones it must be non-empty.
absl::StatusOr<crypto::PrivateKey> ParseOpenSshPrivateKey(
    absl::string_view file_text, ByteView passphrase,
    const crypto::CryptoProvider& provider);

// As above, with limits; when `comment` is not null it receives the key's
// comment (typically "user@host").
absl::StatusOr<crypto::PrivateKey> ParseOpenSshPrivateKey(
    absl::string_view file_text, ByteView passphrase,
    const crypto::CryptoProvider& provider, const OpenSshKeyOptions& options,
    std::string* comment);

// Parses one public-key line: "<type> <base64 blob> [comment]" as in a .pub
// file, optionally preceded by authorized_keys options ("from=\"...\",
// no-pty ssh-ed25519 AAAA..."). The type name must match the blob's.
// Surrounding whitespace and a trailing CR are ignored; an empty line or a
// '#' comment is kInvalidArgument.
absl::StatusOr<crypto::PublicKey> ParsePublicKeyLine(absl::string_view line);

}  // namespace parley::keys

#endif  // PARLEY_CORE_KEYS_OPENSSH_KEY_H_
