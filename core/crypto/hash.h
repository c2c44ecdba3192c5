// Incremental message digests (SHA-1 and SHA-2, FIPS 180-4).
#ifndef PARLEY_CORE_CRYPTO_HASH_H_
#define PARLEY_CORE_CRYPTO_HASH_H_

#include "absl/status/status.h"
#include "core/base/bytes.h"
#include "core/crypto/algorithms.h"

namespace parley::crypto {

class Hash {
 public:
  virtual ~Hash() = default;
  virtual HashAlgorithm algorithm() const = 0;
  size_t digest_size() const { return DigestSize(algorithm()); }

  virtual absl::Status Update(ByteView data) = 0;
  // Writes digest_size() bytes to `out` (which must be that large) and
  // resets the object for a new message.
  virtual absl::Status Finish(MutableByteView out) = 0;
};

}  // namespace parley::crypto

#endif  // PARLEY_CORE_CRYPTO_HASH_H_
