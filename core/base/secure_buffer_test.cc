#include "core/base/secure_buffer.h"

#include "gtest/gtest.h"

namespace parley {
namespace {

TEST(SecureBufferTest, WipeZeroes) {
  uint8_t data[16];
  for (auto& b : data) b = 0xa5;
  SecureWipe(data, sizeof(data));
  for (auto b : data) EXPECT_EQ(b, 0);
}

TEST(SecureBufferTest, ConstantTimeEquals) {
  Bytes a = {1, 2, 3};
  Bytes b = {1, 2, 3};
  Bytes c = {1, 2, 4};
  Bytes d = {1, 2};
  EXPECT_TRUE(ConstantTimeEquals(a, b));
  EXPECT_FALSE(ConstantTimeEquals(a, c));
  EXPECT_FALSE(ConstantTimeEquals(a, d));
  EXPECT_TRUE(ConstantTimeEquals(ByteView(), ByteView()));
}

TEST(SecureBufferTest, BehavesAsVector) {
  SecureBuffer s = ToSecureBuffer(Bytes{9, 8, 7});
  for (int i = 0; i < 1000; ++i) s.push_back(static_cast<uint8_t>(i));
  ASSERT_EQ(s.size(), 1003u);
  EXPECT_EQ(s[0], 9);
  EXPECT_EQ(View(s).size(), 1003u);
}

}  // namespace
}  // namespace parley
