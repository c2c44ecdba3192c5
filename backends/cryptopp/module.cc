// The loadable Crypto++ backend module (see core/crypto/backend_abi.h).
#include "backends/cryptopp/cryptopp_provider.h"
#include "core/crypto/backend_abi.h"

PARLEY_DEFINE_CRYPTO_BACKEND(
    "cryptopp",
    parley::crypto::cryptopp_backend::NewCryptoppProvider().release())
