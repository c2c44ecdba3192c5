// Reading private key files from disk, with OpenSSH's refusal of key files
// that other users could read. The parsing itself is private_key.h
// (OpenSSH's format or PEM).
#ifndef PARLEY_CORE_KEYS_KEY_FILE_H_
#define PARLEY_CORE_KEYS_KEY_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/provider.h"
#include "core/crypto/signature.h"
#include "core/keys/openssh_key.h"

namespace parley::keys {

// Key files larger than this are refused (OpenSSH's limit too).
inline constexpr size_t kMaxKeyFileSize = 1 << 20;

// Reads `path` and parses it with ParsePrivateKey. Before parsing:
// - the file must be a regular file (symbolic links are followed, as
//   OpenSSH does for ~/.ssh/id_*) of at most kMaxKeyFileSize bytes;
// - it must not be accessible by group or others (any of mode 077):
//   kPermissionDenied saying so. OpenSSH applies this only to files the
//   user owns; Parley applies it to every key file.
// Open errors map errno: ENOENT/ENOTDIR -> kNotFound, EACCES/EPERM ->
// kPermissionDenied, others -> kUnavailable. The file's bytes are held in a
// wiping buffer.
absl::StatusOr<crypto::PrivateKey> LoadPrivateKeyFile(
    const std::string& path, ByteView passphrase,
    const crypto::CryptoProvider& provider);

// As above, with parse limits and the key's comment (nullable).
absl::StatusOr<crypto::PrivateKey> LoadPrivateKeyFile(
    const std::string& path, ByteView passphrase,
    const crypto::CryptoProvider& provider, const OpenSshKeyOptions& options,
    std::string* comment);

}  // namespace parley::keys

#endif  // PARLEY_CORE_KEYS_KEY_FILE_H_
