// OpenSSH private key files (core/keys/openssh_key.h), unencrypted and
// encrypted (bcrypt rounds bounded low, as the option is meant for).
#include <memory>
#include <string>

#include "backends/openssl/openssl_provider.h"
#include "core/keys/openssh_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<const parley::crypto::CryptoProvider> p(
      parley::crypto::openssl_backend::NewOpenSslProvider());
  const std::string text(reinterpret_cast<const char*>(data), size);
  parley::keys::OpenSshKeyOptions options;
  options.max_bcrypt_rounds = 4;
  std::string comment;
  const std::string passphrase = "fuzz";
  (void)parley::keys::ParseOpenSshPrivateKey(text, parley::AsBytes(passphrase),
                                             *p, options, &comment);
  return 0;
}
