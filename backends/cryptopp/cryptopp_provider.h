// The Crypto++ crypto backend (module libparley_crypto_cryptopp.so).
#ifndef PARLEY_BACKENDS_CRYPTOPP_CRYPTOPP_PROVIDER_H_
#define PARLEY_BACKENDS_CRYPTOPP_CRYPTOPP_PROVIDER_H_

#include <memory>

#include "core/crypto/provider.h"

namespace parley::crypto::cryptopp_backend {

// A CryptoProvider on Crypto++ (8.x). Thread-safe: every method is const and
// the provider's CSPRNG is a mutex-guarded AutoSeededRandomPool, reseeded
// after fork(). Objects it returns are, as the interfaces say, for one thread
// at a time. Never returns null.
std::unique_ptr<CryptoProvider> NewCryptoppProvider();

}  // namespace parley::crypto::cryptopp_backend

#endif  // PARLEY_BACKENDS_CRYPTOPP_CRYPTOPP_PROVIDER_H_
