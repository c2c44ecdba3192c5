#include "core/base/base64.h"

#include <random>
#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace parley {
namespace {

std::string Decode(absl::string_view in) {
  SecureBuffer out;
  if (!DecodeBase64(in, &out)) return "<error>";
  return std::string(out.begin(), out.end());
}

// RFC 4648 section 10.
TEST(Base64Test, Rfc4648Vectors) {
  EXPECT_EQ(Decode("Zg=="), "f");
  EXPECT_EQ(Decode("Zm8="), "fo");
  EXPECT_EQ(Decode("Zm9v"), "foo");
  EXPECT_EQ(Decode("Zm9vYg=="), "foob");
  EXPECT_EQ(Decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(Decode("Zm9vYmFy"), "foobar");
}

TEST(Base64Test, RoundTripsEveryByteValue) {
  std::mt19937 rng(1);
  for (size_t len = 1; len < 300; ++len) {
    std::string data(len, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    EXPECT_EQ(Decode(absl::Base64Escape(data)), data) << len;
  }
}

TEST(Base64Test, RejectsNonCanonicalInput) {
  for (const char* bad : {
           "",          // empty
           "Zg",        // unpadded
           "Zg=",       // short padding
           "Zh==",      // non-zero bits after the last byte
           "Zm9=",      // likewise, one pad character
           "Z===",      // too much padding
           "====",      //
           "Zg==Zg==",  // padding in the middle
           "Zm=v",      // '=' inside a group
           "Zm9\n",     // whitespace
           "Zm 9",      //
           "Zm9v-_==",  // URL-safe alphabet
           "Zm9\x80",   // non-ASCII
       }) {
    SecureBuffer out;
    EXPECT_FALSE(DecodeBase64(bad, &out)) << absl::CEscape(bad);
    EXPECT_TRUE(out.empty());
  }
  SecureBuffer out;
  EXPECT_FALSE(DecodeBase64(absl::string_view("Zm9\0", 4), &out));
}

}  // namespace
}  // namespace parley
