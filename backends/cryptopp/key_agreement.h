// Ephemeral key agreement (X25519, ECDH on the NIST curves, RFC 3526 MODP
// Diffie-Hellman) on Crypto++. Internal to backends/cryptopp.
#ifndef PARLEY_BACKENDS_CRYPTOPP_KEY_AGREEMENT_H_
#define PARLEY_BACKENDS_CRYPTOPP_KEY_AGREEMENT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "backends/cryptopp/util.h"
#include "core/base/bytes.h"
#include "core/crypto/algorithms.h"
#include "core/crypto/key_agreement.h"

namespace parley::crypto::cryptopp_backend {

// A fresh key pair drawn from `rng`.
absl::StatusOr<std::unique_ptr<KeyAgreement>> NewCryptoppKeyAgreement(
    KexGroup group, RandomSource& rng);

// A key pair from a given private value: the raw 32-byte X25519 scalar (as in
// RFC 7748's test vectors; clamped here), a big-endian NIST-curve scalar in
// [1, n-1] of at most the field size, or a big-endian MODP exponent in
// [2, p-2].
absl::StatusOr<std::unique_ptr<KeyAgreement>>
NewCryptoppKeyAgreementFromPrivate(KexGroup group, ByteView private_key);
// A pair in a server-chosen group (CryptoProvider::NewDhKeyAgreement).
absl::StatusOr<std::unique_ptr<KeyAgreement>> NewCryptoppDhKeyAgreement(
    ByteView p, ByteView g, RandomSource& rng);

}  // namespace parley::crypto::cryptopp_backend

#endif  // PARLEY_BACKENDS_CRYPTOPP_KEY_AGREEMENT_H_
