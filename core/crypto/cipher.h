// Unauthenticated stream ciphers: AES in counter mode (NIST SP 800-38A, the
// aes*-ctr SSH ciphers of RFC 4344) and the original ChaCha20 with a 64-bit
// nonce and 64-bit block counter that chacha20-poly1305@openssh.com uses.
#ifndef PARLEY_CORE_CRYPTO_CIPHER_H_
#define PARLEY_CORE_CRYPTO_CIPHER_H_

#include <cstdint>

#include "absl/status/status.h"
#include "core/base/bytes.h"

namespace parley::crypto {

// AES-CTR keyed with a 128-bit initial counter block; the counter carries
// across calls, so a packet stream is processed by successive Crypt() calls.
// `in` and `out` may be the same buffer. Not thread-safe.
class StreamCipher {
 public:
  virtual ~StreamCipher() = default;
  virtual absl::Status Crypt(ByteView in, uint8_t* out) = 0;
};

// ChaCha20 keyed with 32 bytes; every call names its own nonce and starting
// block counter (the state words 12-13 are the counter, 14-15 the nonce, as
// in D. J. Bernstein's original ChaCha and OpenSSH's
// PROTOCOL.chacha20poly1305).
class ChaCha20 {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kNonceSize = 8;
  virtual ~ChaCha20() = default;
  virtual absl::Status Crypt(ByteView nonce, uint64_t counter, ByteView in,
                             uint8_t* out) = 0;
};

// Block ciphers in CBC mode (NIST SP 800-38A section 6.2) for legacy uses
// only: the aes*-cbc and 3des-cbc SSH ciphers (RFC 4253 section 6.3), which
// are never offered unless named, and the encryption of PEM private key
// files (PKCS#8 PBES2, OpenSSL's DEK-Info).
enum class CbcAlgorithm { kAes128, kAes192, kAes256, kTripleDes };

// Key size in bytes (16, 24, 32; 24 for three-key 3DES) and block size (16;
// 8 for 3DES).
size_t CbcKeySize(CbcAlgorithm alg);
size_t CbcBlockSize(CbcAlgorithm alg);

// One direction of a CBC cipher, without padding: every call takes whole
// blocks, and the chaining value carries across calls. `in` and `out` may
// be the same buffer. Not thread-safe.
class CbcCipher {
 public:
  virtual ~CbcCipher() = default;
  virtual absl::Status Crypt(ByteView in, uint8_t* out) = 0;
};

}  // namespace parley::crypto

#endif  // PARLEY_CORE_CRYPTO_CIPHER_H_
