// The OpenSSL 3 crypto backend. Uses only non-deprecated EVP, EVP_MAC,
// OSSL_PARAM and BIGNUM APIs; every failure drains OpenSSL's error queue into
// the returned status.
#ifndef PARLEY_BACKENDS_OPENSSL_OPENSSL_PROVIDER_H_
#define PARLEY_BACKENDS_OPENSSL_OPENSSL_PROVIDER_H_

#include <memory>

#include "core/crypto/provider.h"

namespace parley::crypto::openssl_backend {

std::unique_ptr<CryptoProvider> NewOpenSslProvider();

}  // namespace parley::crypto::openssl_backend

#endif  // PARLEY_BACKENDS_OPENSSL_OPENSSL_PROVIDER_H_
