// Private key files (core/keys/private_key.h): OpenSSH's format and PEM
// (PKCS#1, SEC1, PKCS#8, PBES2 and DEK-Info encryption), unencrypted and
// encrypted, with the work bounds low (bcrypt rounds, PBKDF2 iterations),
// as the options are meant for.
#include <memory>
#include <string>

#include "backends/openssl/openssl_provider.h"
#include "core/keys/private_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<const parley::crypto::CryptoProvider> p(
      parley::crypto::openssl_backend::NewOpenSslProvider());
  const std::string text(reinterpret_cast<const char*>(data), size);
  parley::keys::PrivateKeyOptions options;
  options.openssh.max_bcrypt_rounds = 4;
  options.pem.max_pbkdf2_iterations = 16;
  std::string comment;
  const std::string passphrase = "fuzz";
  (void)parley::keys::ParsePrivateKey(text, parley::AsBytes(passphrase), *p,
                                      options, &comment);
  return 0;
}
