// AES-GCM (NIST SP 800-38D) with a 96-bit nonce and a 128-bit tag, the
// primitive under aes128-gcm@openssh.com and aes256-gcm@openssh.com.
#ifndef PARLEY_CORE_CRYPTO_AEAD_H_
#define PARLEY_CORE_CRYPTO_AEAD_H_

#include "absl/status/status.h"
#include "core/base/bytes.h"

namespace parley::crypto {

class Aead {
 public:
  static constexpr size_t kNonceSize = 12;
  static constexpr size_t kTagSize = 16;
  virtual ~Aead() = default;
  // Writes plaintext.size() + kTagSize bytes to `out` (ciphertext || tag).
  // `out` may equal plaintext.data().
  virtual absl::Status Seal(ByteView nonce, ByteView aad, ByteView plaintext,
                            uint8_t* out) = 0;
  // `sealed` is ciphertext || tag. On success writes sealed.size() - kTagSize
  // bytes to `out`; on a bad tag returns kDataLoss and the content of `out` is
  // unspecified (callers must discard it).
  virtual absl::Status Open(ByteView nonce, ByteView aad, ByteView sealed,
                            uint8_t* out) = 0;
};

}  // namespace parley::crypto

#endif  // PARLEY_CORE_CRYPTO_AEAD_H_
