#include "core/base/bytes.h"

#include "gtest/gtest.h"

namespace parley {
namespace {

TEST(BytesTest, HexRoundTrip) {
  Bytes b;
  ASSERT_TRUE(FromHex("00ff10Ab", &b));
  EXPECT_EQ(b, (Bytes{0x00, 0xff, 0x10, 0xab}));
  EXPECT_EQ(ToHex(b), "00ff10ab");
  ASSERT_TRUE(FromHex("", &b));
  EXPECT_TRUE(b.empty());
}

TEST(BytesTest, HexRejectsBadInput) {
  Bytes b = {1, 2};
  EXPECT_FALSE(FromHex("abc", &b));
  EXPECT_FALSE(FromHex("zz", &b));
  EXPECT_FALSE(FromHex("0g", &b));
  EXPECT_EQ(b, (Bytes{1, 2}));  // untouched on failure
}

}  // namespace
}  // namespace parley
