// Message authentication: keyed HMAC (RFC 2104) for the hmac-sha* and
// -etm@openssh.com SSH MACs, and the one-time Poly1305 authenticator
// (RFC 8439 section 2.5) used by chacha20-poly1305@openssh.com.
#ifndef PARLEY_CORE_CRYPTO_MAC_H_
#define PARLEY_CORE_CRYPTO_MAC_H_

#include <initializer_list>

#include "absl/status/status.h"
#include "core/base/bytes.h"
#include "core/crypto/algorithms.h"

namespace parley::crypto {

// A keyed HMAC. One object serves many messages (one per SSH packet); the
// key schedule is computed once. Not thread-safe: one object per direction.
class Mac {
 public:
  virtual ~Mac() = default;
  virtual size_t tag_size() const = 0;
  // MAC over the concatenation of `parts` (SSH: uint32 seq || packet).
  // Writes tag_size() bytes to `tag`.
  virtual absl::Status Compute(std::initializer_list<ByteView> parts,
                               MutableByteView tag) = 0;
  // Recomputes and compares in constant time; kDataLoss on mismatch.
  absl::Status Verify(std::initializer_list<ByteView> parts, ByteView tag);
};

// Poly1305 with a fresh 32-byte one-time key per message.
class Poly1305 {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kTagSize = 16;
  virtual ~Poly1305() = default;
  virtual absl::Status Compute(ByteView key, ByteView message,
                               MutableByteView tag) = 0;
};

}  // namespace parley::crypto

#endif  // PARLEY_CORE_CRYPTO_MAC_H_
