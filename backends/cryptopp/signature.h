// Ed25519, ECDSA (NIST curves) and RSA PKCS#1 v1.5 signatures and key
// generation on Crypto++. Internal to backends/cryptopp.
#ifndef PARLEY_BACKENDS_CRYPTOPP_SIGNATURE_H_
#define PARLEY_BACKENDS_CRYPTOPP_SIGNATURE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "backends/cryptopp/util.h"
#include "core/crypto/algorithms.h"
#include "core/crypto/signature.h"

namespace parley::crypto::cryptopp_backend {

absl::StatusOr<std::unique_ptr<PublicKeyVerify>> NewCryptoppVerifier(
    const PublicKey& key, SignatureAlgorithm alg);

// `rng` feeds RSA blinding; the signer keeps it (the provider's random source
// outlives every object the provider makes).
absl::StatusOr<std::unique_ptr<PublicKeySign>> NewCryptoppSigner(
    const PrivateKey& key, SignatureAlgorithm alg,
    std::shared_ptr<RandomSource> rng);

absl::Status CryptoppDerivePublicKey(PrivateKey* key);
absl::StatusOr<PrivateKey> GenerateCryptoppKey(KeyType type, size_t rsa_bits,
                                               RandomSource& rng);

}  // namespace parley::crypto::cryptopp_backend

#endif  // PARLEY_BACKENDS_CRYPTOPP_SIGNATURE_H_
