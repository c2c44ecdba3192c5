#include "core/keys/internal/blowfish.h"

#include <cstring>

#include "core/base/secure_buffer.h"

namespace parley::keys::internal {
namespace {

#include "core/keys/internal/blowfish_pi_tables.inc"

static_assert(sizeof(kPiPArray) == 18 * sizeof(uint32_t),
              "P-array has 18 words");
static_assert(sizeof(kPiSBoxes) == 4 * 256 * sizeof(uint32_t),
              "four 256-word S-boxes");

// The next 32-bit big-endian word of `data` read cyclically from `*pos`
// (Blowfish's key and eksblowfish's salt are both consumed this way).
uint32_t NextWordCyclic(ByteView data, size_t* pos) {
  uint32_t word = 0;
  for (int i = 0; i < 4; ++i) {
    if (*pos >= data.size()) *pos = 0;
    word = (word << 8) | data[*pos];
    ++*pos;
  }
  return word;
}

uint32_t LoadBigEndian(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 |
         uint32_t{p[3]};
}

void StoreBigEndian(uint32_t v, uint8_t* p) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

}  // namespace

Blowfish::Blowfish() {
  static_assert(sizeof(p_) == sizeof(kPiPArray), "P-array size");
  static_assert(sizeof(s_) == sizeof(kPiSBoxes), "S-box size");
  std::memcpy(p_, kPiPArray, sizeof(p_));
  std::memcpy(s_, kPiSBoxes, sizeof(s_));
}

Blowfish::~Blowfish() {
  SecureWipe(p_, sizeof(p_));
  SecureWipe(s_, sizeof(s_));
}

uint32_t Blowfish::F(uint32_t x) const {
  return ((s_[0][x >> 24] + s_[1][(x >> 16) & 0xff]) ^ s_[2][(x >> 8) & 0xff]) +
         s_[3][x & 0xff];
}

void Blowfish::EncryptBlock(uint32_t* left, uint32_t* right) const {
  uint32_t l = *left;
  uint32_t r = *right;
  for (int i = 0; i < kRounds; i += 2) {
    l ^= p_[i];
    r ^= F(l);
    r ^= p_[i + 1];
    l ^= F(r);
  }
  l ^= p_[kRounds];
  r ^= p_[kRounds + 1];
  // The halves leave swapped (the last round's swap is undone).
  *left = r;
  *right = l;
}

void Blowfish::EncryptBlock(const uint8_t in[kBlockSize],
                            uint8_t out[kBlockSize]) const {
  uint32_t l = LoadBigEndian(in);
  uint32_t r = LoadBigEndian(in + 4);
  EncryptBlock(&l, &r);
  StoreBigEndian(l, out);
  StoreBigEndian(r, out + 4);
}

void Blowfish::MixKeyIntoP(ByteView key) {
  size_t pos = 0;
  for (uint32_t& word : p_) word ^= NextWordCyclic(key, &pos);
}

void Blowfish::ExpandKey(ByteView key) {
  if (key.empty()) return;
  MixKeyIntoP(key);
  uint32_t l = 0;
  uint32_t r = 0;
  for (size_t i = 0; i < kRounds + 2; i += 2) {
    EncryptBlock(&l, &r);
    p_[i] = l;
    p_[i + 1] = r;
  }
  for (auto& box : s_) {
    for (size_t i = 0; i < 256; i += 2) {
      EncryptBlock(&l, &r);
      box[i] = l;
      box[i + 1] = r;
    }
  }
}

void Blowfish::ExpandKeyWithSalt(ByteView key, ByteView salt) {
  if (key.empty() || salt.empty()) return;
  MixKeyIntoP(key);
  size_t pos = 0;
  uint32_t l = 0;
  uint32_t r = 0;
  for (size_t i = 0; i < kRounds + 2; i += 2) {
    l ^= NextWordCyclic(salt, &pos);
    r ^= NextWordCyclic(salt, &pos);
    EncryptBlock(&l, &r);
    p_[i] = l;
    p_[i + 1] = r;
  }
  for (auto& box : s_) {
    for (size_t i = 0; i < 256; i += 2) {
      l ^= NextWordCyclic(salt, &pos);
      r ^= NextWordCyclic(salt, &pos);
      EncryptBlock(&l, &r);
      box[i] = l;
      box[i + 1] = r;
    }
  }
}

}  // namespace parley::keys::internal
