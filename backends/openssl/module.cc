// Entry points of libparley_crypto_openssl.so (see core/crypto/backend_abi.h).
#include "backends/openssl/openssl_provider.h"
#include "core/crypto/backend_abi.h"

PARLEY_DEFINE_CRYPTO_BACKEND(
    "openssl", parley::crypto::openssl_backend::NewOpenSslProvider().release())
