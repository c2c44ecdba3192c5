// PBKDF2 (RFC 8018 section 5.2) with HMAC from a provider: the key
// derivation of encrypted PKCS#8 private key files (PBES2).
#ifndef PARLEY_CORE_CRYPTO_PBKDF2_H_
#define PARLEY_CORE_CRYPTO_PBKDF2_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/base/secure_buffer.h"
#include "core/crypto/algorithms.h"
#include "core/crypto/provider.h"

namespace parley::crypto {

// `length` bytes derived from `password` and `salt` with `iterations`
// rounds of HMAC-`prf`. kInvalidArgument for zero iterations or length.
absl::StatusOr<SecureBuffer> Pbkdf2Hmac(const CryptoProvider& provider,
                                        HashAlgorithm prf, ByteView password,
                                        ByteView salt, uint32_t iterations,
                                        size_t length);

}  // namespace parley::crypto

#endif  // PARLEY_CORE_CRYPTO_PBKDF2_H_
