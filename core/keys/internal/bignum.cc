#include "core/keys/internal/bignum.h"

#include <cstdint>
#include <vector>

#include "absl/status/status.h"

namespace parley::keys::internal {
namespace {

// Little-endian 32-bit limbs in wiping storage.
using Limbs = std::vector<uint32_t, WipingAllocator<uint32_t>>;

Limbs ToLimbs(ByteView be, size_t min_limbs = 0) {
  const size_t n = (be.size() + 3) / 4;
  Limbs out(n > min_limbs ? n : min_limbs, 0);
  for (size_t i = 0; i < be.size(); ++i) {
    const size_t bit_pos = 8 * (be.size() - 1 - i);  // from the low end
    out[bit_pos / 32] |= uint32_t{be[i]} << (bit_pos % 32);
  }
  return out;
}

SecureBuffer FromLimbs(const Limbs& limbs) {
  SecureBuffer be(4 * limbs.size());
  for (size_t i = 0; i < limbs.size(); ++i) {
    const uint32_t w = limbs[limbs.size() - 1 - i];
    be[4 * i] = static_cast<uint8_t>(w >> 24);
    be[4 * i + 1] = static_cast<uint8_t>(w >> 16);
    be[4 * i + 2] = static_cast<uint8_t>(w >> 8);
    be[4 * i + 3] = static_cast<uint8_t>(w);
  }
  const size_t zeros = be.size() - StripLeadingZeros(View(be)).size();
  be.erase(be.begin(), be.begin() + static_cast<ptrdiff_t>(zeros));
  return be;
}

}  // namespace

ByteView StripLeadingZeros(ByteView a) {
  size_t skip = 0;
  while (skip < a.size() && a[skip] == 0) ++skip;
  return a.subspan(skip);
}

absl::StatusOr<SecureBuffer> Mod(ByteView a, ByteView m) {
  m = StripLeadingZeros(m);
  if (m.empty()) return absl::InvalidArgumentError("modulus is zero");
  // One limb more than m: before each step r < m, so 2r + 1 < 2m fits.
  const Limbs mod = ToLimbs(m, (m.size() + 3) / 4 + 1);
  const size_t k = mod.size();
  Limbs r(k, 0);
  Limbs t(k, 0);
  for (size_t byte = 0; byte < a.size(); ++byte) {
    for (int bit = 7; bit >= 0; --bit) {
      // r = 2r + next bit of a.
      uint32_t carry = (a[byte] >> bit) & 1;
      for (size_t i = 0; i < k; ++i) {
        const uint32_t next = r[i] >> 31;
        r[i] = (r[i] << 1) | carry;
        carry = next;
      }
      // t = r - m; keep t if there was no borrow (r >= m).
      uint64_t borrow = 0;
      for (size_t i = 0; i < k; ++i) {
        const uint64_t diff = uint64_t{r[i]} - mod[i] - borrow;
        t[i] = static_cast<uint32_t>(diff);
        borrow = (diff >> 32) & 1;
      }
      const uint32_t keep_t = static_cast<uint32_t>(borrow) - 1;  // all ones
      for (size_t i = 0; i < k; ++i) {
        r[i] = (t[i] & keep_t) | (r[i] & ~keep_t);
      }
    }
  }
  return FromLimbs(r);
}

SecureBuffer Multiply(ByteView a, ByteView b) {
  const Limbs x = ToLimbs(a);
  const Limbs y = ToLimbs(b);
  Limbs z(x.size() + y.size(), 0);
  for (size_t i = 0; i < x.size(); ++i) {
    uint64_t carry = 0;
    for (size_t j = 0; j < y.size(); ++j) {
      const uint64_t cur = uint64_t{x[i]} * y[j] + z[i + j] + carry;
      z[i + j] = static_cast<uint32_t>(cur);
      carry = cur >> 32;
    }
    z[i + y.size()] = static_cast<uint32_t>(carry);
  }
  return FromLimbs(z);
}

absl::StatusOr<SecureBuffer> SubtractOne(ByteView a) {
  a = StripLeadingZeros(a);
  if (a.empty()) return absl::InvalidArgumentError("cannot subtract 1 from 0");
  SecureBuffer out(a.begin(), a.end());
  unsigned borrow = 1;
  for (size_t i = out.size(); i-- > 0;) {
    const unsigned diff = unsigned{out[i]} - borrow;
    out[i] = static_cast<uint8_t>(diff);
    borrow = (diff >> 8) & 1;
  }
  if (out[0] == 0) out.erase(out.begin());
  return out;
}

bool MagnitudesEqual(ByteView a, ByteView b) {
  const size_t n = a.size() > b.size() ? a.size() : b.size();
  uint8_t diff = 0;
  for (size_t i = 0; i < n; ++i) {
    // Right-align: byte i counted from the high end of the longer one.
    const size_t from_end = n - 1 - i;
    const uint8_t x = from_end < a.size() ? a[a.size() - 1 - from_end] : 0;
    const uint8_t y = from_end < b.size() ? b[b.size() - 1 - from_end] : 0;
    diff |= static_cast<uint8_t>(x ^ y);
  }
  return diff == 0;
}

}  // namespace parley::keys::internal
