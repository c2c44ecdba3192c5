// Blowfish (B. Schneier, FSE 1993) with the key schedules that bcrypt's
// "expensive key setup" is built from (N. Provos and D. Mazieres, "A
// Future-Adaptable Password Scheme", USENIX 1999). Only what bcrypt_pbkdf
// needs: block encryption and the two state-expansion steps. Not a
// general-purpose cipher: Parley never offers Blowfish for SSH traffic.
//
// The S-box lookups are indexed by secret data, so like every table-based
// Blowfish (OpenSSH's included) this leaks through the cache to a local
// attacker who can time it; bcrypt's cost is what protects the passphrase.
#ifndef PARLEY_CORE_KEYS_INTERNAL_BLOWFISH_H_
#define PARLEY_CORE_KEYS_INTERNAL_BLOWFISH_H_

#include <cstdint>

#include "core/base/bytes.h"

namespace parley::keys::internal {

class Blowfish {
 public:
  static constexpr size_t kBlockSize = 8;

  // The initial state: P-array and S-boxes from the digits of pi.
  Blowfish();
  // Wipes the key-dependent state.
  ~Blowfish();
  Blowfish(const Blowfish&) = delete;
  Blowfish& operator=(const Blowfish&) = delete;

  // Blowfish's key schedule ("expand0state" in eksblowfish terms): XORs the
  // key, cycled, into the P-array, then replaces the P-array and S-boxes by
  // successive encryptions of an all-zero block. On a fresh object this is
  // exactly standard Blowfish keying. `key` must not be empty (an empty key
  // leaves the state unchanged).
  void ExpandKey(ByteView key);

  // eksblowfish's salted expansion ("expandstate"): as ExpandKey, except that
  // before each encryption the block is XORed with the next 8 bytes of
  // `salt`, cycled. `key` and `salt` must not be empty (else no-op).
  void ExpandKeyWithSalt(ByteView key, ByteView salt);

  // Encrypts one block given as its two big-endian 32-bit halves.
  void EncryptBlock(uint32_t* left, uint32_t* right) const;
  // Encrypts one 8-byte block (halves big-endian, as in the published test
  // vectors). `in` and `out` may be the same.
  void EncryptBlock(const uint8_t in[kBlockSize],
                    uint8_t out[kBlockSize]) const;

 private:
  static constexpr int kRounds = 16;

  uint32_t F(uint32_t x) const;
  // XORs the cycled `key` into the P-array.
  void MixKeyIntoP(ByteView key);

  uint32_t p_[kRounds + 2];
  uint32_t s_[4][256];
};

}  // namespace parley::keys::internal

#endif  // PARLEY_CORE_KEYS_INTERNAL_BLOWFISH_H_
