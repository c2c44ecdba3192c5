// Checks shared by the private key formats (OpenSSH's, PEM): completing an
// RSA key from the values every format stores and proving that a key's
// halves belong together. Errors are kInvalidArgument with a plain
// description; each format adds its own prefix.
#ifndef PARLEY_CORE_KEYS_INTERNAL_KEY_CHECKS_H_
#define PARLEY_CORE_KEYS_INTERNAL_KEY_CHECKS_H_

#include "absl/status/status.h"
#include "core/base/bytes.h"
#include "core/crypto/provider.h"
#include "core/crypto/signature.h"

namespace parley::keys::internal {

// Fills `key` (type, n, e, d, p, q, qinv and the CRT exponents d mod p-1,
// d mod q-1) from big-endian magnitudes, after checking that p * q = n and
// that iqmp is the inverse of q modulo p. The backends' signers may recover
// from a wrong CRT result on their own, so a self-test signature alone
// would not catch inconsistent primes.
absl::Status CompleteRsaKey(ByteView n, ByteView e, ByteView d, ByteView iqmp,
                            ByteView p, ByteView q, crypto::PrivateKey* key);

// Signs with the provider's signer and verifies under the public key, so a
// key whose halves disagree is never returned.
absl::Status SelfTest(const crypto::CryptoProvider& provider,
                      const crypto::PrivateKey& key);

}  // namespace parley::keys::internal

#endif  // PARLEY_CORE_KEYS_INTERNAL_KEY_CHECKS_H_
