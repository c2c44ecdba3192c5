// Any private key file Parley reads, told apart by its armor: OpenSSH's
// format (openssh_key.h) or PEM (pem_key.h: PKCS#1, SEC1, PKCS#8, plain or
// encrypted). Errors as the two parsers give them: kUnauthenticated for a
// missing or wrong passphrase, kUnimplemented for what Parley lacks,
// kInvalidArgument for a malformed file.
#ifndef PARLEY_CORE_KEYS_PRIVATE_KEY_H_
#define PARLEY_CORE_KEYS_PRIVATE_KEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/crypto/provider.h"
#include "core/crypto/signature.h"
#include "core/keys/openssh_key.h"
#include "core/keys/pem_key.h"

namespace parley::keys {

struct PrivateKeyOptions {
  OpenSshKeyOptions openssh;
  PemKeyOptions pem;
};

// `comment` (nullable) receives an OpenSSH key's comment; PEM files have
// none (it is cleared).
absl::StatusOr<crypto::PrivateKey> ParsePrivateKey(
    absl::string_view file_text, ByteView passphrase,
    const crypto::CryptoProvider& provider,
    const PrivateKeyOptions& options = PrivateKeyOptions(),
    std::string* comment = nullptr);

}  // namespace parley::keys

#endif  // PARLEY_CORE_KEYS_PRIVATE_KEY_H_
