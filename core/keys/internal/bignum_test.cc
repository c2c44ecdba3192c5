#include "core/keys/internal/bignum.h"

#include <cstdint>
#include <random>

#include "core/base/bytes.h"
#include "gtest/gtest.h"

namespace parley::keys::internal {
namespace {

Bytes BigEndian(uint64_t v) {
  Bytes out;
  for (int i = 7; i >= 0; --i)
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return Bytes(StripLeadingZeros(out).begin(), StripLeadingZeros(out).end());
}

Bytes Hex(const char* hex) {
  Bytes out;
  EXPECT_TRUE(FromHex(hex, &out)) << hex;
  return out;
}

std::string HexOf(const SecureBuffer& b) { return ToHex(View(b)); }

TEST(BignumTest, ModMatchesNativeArithmetic) {
  std::mt19937_64 rng(20240601);
  for (int i = 0; i < 2000; ++i) {
    const uint64_t a = rng() >> (rng() % 64);
    uint64_t m = rng() >> (rng() % 64);
    if (m == 0) m = 1;
    absl::StatusOr<SecureBuffer> r = Mod(BigEndian(a), BigEndian(m));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(HexOf(*r), ToHex(BigEndian(a % m))) << a << " mod " << m;
  }
}

TEST(BignumTest, MultiplyMatchesNativeArithmetic) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const uint64_t a = rng() >> 32 >> (rng() % 32);
    const uint64_t b = rng() >> 32 >> (rng() % 32);
    EXPECT_EQ(HexOf(Multiply(BigEndian(a), BigEndian(b))),
              ToHex(BigEndian(a * b)))
        << a << " * " << b;
  }
}

// (m * q + r) mod m == r for large values built from random bytes.
TEST(BignumTest, ModOfLargeValues) {
  std::mt19937 rng(99);
  auto random_bytes = [&](size_t n) {
    Bytes out(n);
    for (auto& b : out) b = static_cast<uint8_t>(rng());
    out[0] |= 0x80;  // exactly n bytes
    return out;
  };
  for (size_t m_size : {1u, 3u, 4u, 5u, 64u, 128u, 129u, 256u}) {
    const Bytes m = random_bytes(m_size);
    const Bytes q = random_bytes(m_size + 7);
    Bytes r = random_bytes(m_size);
    r[0] &= 0x7f;  // r < m, since m's top bit is set
    const SecureBuffer mq = Multiply(m, q);
    // mq + r, by a byte-wise addition here.
    Bytes sum(mq.begin(), mq.end());
    unsigned carry = 0;
    for (size_t i = 0; i < sum.size(); ++i) {
      const size_t si = sum.size() - 1 - i;
      const unsigned add = i < r.size() ? r[r.size() - 1 - i] : 0;
      const unsigned v = sum[si] + add + carry;
      sum[si] = static_cast<uint8_t>(v);
      carry = v >> 8;
    }
    if (carry != 0) sum.insert(sum.begin(), 1);
    absl::StatusOr<SecureBuffer> got = Mod(sum, m);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(HexOf(*got), ToHex(StripLeadingZeros(r))) << "m size " << m_size;
  }
}

TEST(BignumTest, ModEdgeCases) {
  EXPECT_FALSE(Mod(Hex("05"), Hex("")).ok());
  EXPECT_FALSE(Mod(Hex("05"), Hex("0000")).ok());
  EXPECT_EQ(HexOf(*Mod(Hex(""), Hex("07"))), "");
  EXPECT_EQ(HexOf(*Mod(Hex("07"), Hex("07"))), "");
  EXPECT_EQ(HexOf(*Mod(Hex("06"), Hex("07"))), "06");
  EXPECT_EQ(HexOf(*Mod(Hex("0000000106"), Hex("0007"))),
            "03");  // 262 = 37 * 7 + 3
  EXPECT_EQ(HexOf(*Mod(Hex("ffffffffffffffffffff"), Hex("01"))), "");
  // 2^80 mod (2^64 - 1) = 2^16.
  EXPECT_EQ(HexOf(*Mod(Hex("0100000000000000000000"), Hex("ffffffffffffffff"))),
            "010000");
}

TEST(BignumTest, SubtractOne) {
  EXPECT_FALSE(SubtractOne(Hex("")).ok());
  EXPECT_FALSE(SubtractOne(Hex("0000")).ok());
  EXPECT_EQ(HexOf(*SubtractOne(Hex("01"))), "");
  EXPECT_EQ(HexOf(*SubtractOne(Hex("0100"))), "ff");
  EXPECT_EQ(HexOf(*SubtractOne(Hex("00010000"))), "ffff");
  EXPECT_EQ(HexOf(*SubtractOne(Hex("c5"))), "c4");
  EXPECT_EQ(HexOf(*SubtractOne(Hex("123400"))), "1233ff");
}

TEST(BignumTest, MagnitudesEqual) {
  EXPECT_TRUE(MagnitudesEqual(Hex(""), Hex("0000")));
  EXPECT_TRUE(MagnitudesEqual(Hex("00abcd"), Hex("abcd")));
  EXPECT_FALSE(MagnitudesEqual(Hex("01abcd"), Hex("abcd")));
  EXPECT_FALSE(MagnitudesEqual(Hex("abce"), Hex("abcd")));
}

}  // namespace
}  // namespace parley::keys::internal
