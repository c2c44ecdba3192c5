// OpenSSL implementations of key agreement and signatures (internal).
#ifndef PARLEY_BACKENDS_OPENSSL_ASYMMETRIC_H_
#define PARLEY_BACKENDS_OPENSSL_ASYMMETRIC_H_

#include <memory>

#include "absl/status/statusor.h"
#include "core/crypto/key_agreement.h"
#include "core/crypto/signature.h"

namespace parley::crypto::openssl_backend {

// `private_key` empty: generate a fresh key pair.
absl::StatusOr<std::unique_ptr<KeyAgreement>> NewOsslKeyAgreement(
    KexGroup group, ByteView private_key);

absl::StatusOr<std::unique_ptr<PublicKeyVerify>> NewOsslVerifier(
    const PublicKey& key, SignatureAlgorithm alg);
absl::StatusOr<std::unique_ptr<PublicKeySign>> NewOsslSigner(
    const PrivateKey& key, SignatureAlgorithm alg);
absl::StatusOr<PrivateKey> OsslGenerateKey(KeyType type, size_t rsa_bits);
absl::Status OsslDerivePublicKey(PrivateKey* key);
absl::StatusOr<std::unique_ptr<KeyAgreement>> NewOsslDhKeyAgreement(ByteView p,
                                                                    ByteView g);

}  // namespace parley::crypto::openssl_backend

#endif  // PARLEY_BACKENDS_OPENSSL_ASYMMETRIC_H_
