// Hashes, MACs and ciphers on Crypto++. Internal to backends/cryptopp; the
// public entry point is cryptopp_provider.h.
#ifndef PARLEY_BACKENDS_CRYPTOPP_SYMMETRIC_H_
#define PARLEY_BACKENDS_CRYPTOPP_SYMMETRIC_H_

#include <memory>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/aead.h"
#include "core/crypto/algorithms.h"
#include "core/crypto/cipher.h"
#include "core/crypto/hash.h"
#include "core/crypto/mac.h"

namespace parley::crypto::cryptopp_backend {

absl::StatusOr<std::unique_ptr<Hash>> NewCryptoppHash(HashAlgorithm alg);
absl::StatusOr<std::unique_ptr<Mac>> NewCryptoppHmac(HashAlgorithm alg,
                                                     ByteView key);
absl::StatusOr<std::unique_ptr<Poly1305>> NewCryptoppPoly1305();
absl::StatusOr<std::unique_ptr<StreamCipher>> NewCryptoppAesCtr(ByteView key,
                                                                ByteView iv);
absl::StatusOr<std::unique_ptr<Aead>> NewCryptoppAesGcm(ByteView key);
absl::StatusOr<std::unique_ptr<ChaCha20>> NewCryptoppChaCha20(ByteView key);
absl::StatusOr<std::unique_ptr<CbcCipher>> NewCryptoppCbc(CbcAlgorithm alg,
                                                          ByteView key,
                                                          ByteView iv,
                                                          bool encrypt);

}  // namespace parley::crypto::cryptopp_backend

#endif  // PARLEY_BACKENDS_CRYPTOPP_SYMMETRIC_H_
