#include "core/base/base64.h"

#include <cstdint>

namespace parley {
namespace {

// All ones if lo <= c <= hi, else zero (c, lo, hi < 256).
uint32_t InRange(uint32_t c, uint32_t lo, uint32_t hi) {
  return 0u - ((~((c - lo) | (hi - c))) >> 31);
}

// The 6-bit value of `c`; `*valid` is cleared (never set) when `c` is not
// in the alphabet.
uint32_t SextetOf(uint8_t ch, uint32_t* valid) {
  const uint32_t c = ch;
  const uint32_t upper = InRange(c, 'A', 'Z');
  const uint32_t lower = InRange(c, 'a', 'z');
  const uint32_t digit = InRange(c, '0', '9');
  const uint32_t plus = InRange(c, '+', '+');
  const uint32_t slash = InRange(c, '/', '/');
  *valid &= upper | lower | digit | plus | slash;
  return (upper & (c - 'A')) | (lower & (c - 'a' + 26)) |
         (digit & (c - '0' + 52)) | (plus & 62u) | (slash & 63u);
}

}  // namespace

bool DecodeBase64(absl::string_view in, SecureBuffer* out) {
  out->clear();
  if (in.empty() || in.size() % 4 != 0) return false;
  size_t pad = 0;
  if (in.back() == '=') ++pad;
  if (in[in.size() - 2] == '=') ++pad;
  if (pad == 1 && in[in.size() - 2] == '=') return false;
  out->reserve(in.size() / 4 * 3);
  uint32_t valid = ~0u;
  const size_t data_chars = in.size() - pad;
  for (size_t i = 0; i < in.size(); i += 4) {
    uint32_t n = 0;
    for (size_t j = 0; j < 4; ++j) {
      const size_t pos = i + j;
      const uint32_t v = pos < data_chars
                             ? SextetOf(static_cast<uint8_t>(in[pos]), &valid)
                             : 0;
      n = (n << 6) | v;
    }
    const bool last_group = i + 4 == in.size();
    const size_t bytes = last_group ? 3 - pad : 3;
    out->push_back(static_cast<uint8_t>(n >> 16));
    if (bytes > 1) out->push_back(static_cast<uint8_t>(n >> 8));
    if (bytes > 2) out->push_back(static_cast<uint8_t>(n));
    if (last_group) {
      // The bits after the last byte must be zero.
      const uint32_t spare = pad == 2   ? (n & 0xffff)
                             : pad == 1 ? (n & 0xff)
                                        : 0;
      valid &= 0u - static_cast<uint32_t>(spare == 0);
    }
  }
  if (valid != ~0u) {
    out->clear();
    return false;
  }
  return true;
}

}  // namespace parley
