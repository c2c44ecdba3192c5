#include "core/keys/private_key.h"

namespace parley::keys {

absl::StatusOr<crypto::PrivateKey> ParsePrivateKey(
    absl::string_view file_text, ByteView passphrase,
    const crypto::CryptoProvider& provider, const PrivateKeyOptions& options,
    std::string* comment) {
  if (LooksLikePemPrivateKey(file_text)) {
    if (comment != nullptr) comment->clear();
    return ParsePemPrivateKey(file_text, passphrase, provider, options.pem);
  }
  return ParseOpenSshPrivateKey(file_text, passphrase, provider,
                                options.openssh, comment);
}

}  // namespace parley::keys
