#include "core/keys/bcrypt_pbkdf.h"

#include <string>

#include "core/base/bytes.h"
#include "core/keys/test_util.h"
#include "gtest/gtest.h"

namespace parley::keys {
namespace {

// Known answers for bcrypt_pbkdf come from a real peer instead of copied
// data: ssh_keygen_keys_test decrypts keys that OpenSSH's ssh-keygen
// encrypted with it (several round counts, 32- to 80-byte outputs).

// A shorter output is not a prefix of a longer one (the blocks'
// bytes are interleaved), but the same length is deterministic.
TEST(BcryptPbkdfTest, OutputLengthChangesInterleaving) {
  const auto& p = testing::OpenSsl();
  Bytes a(48), b(48), c(32);
  ASSERT_TRUE(
      BcryptPbkdf(p, AsBytes("pw"), AsBytes("salt"), 2, MutableByteView(a))
          .ok());
  ASSERT_TRUE(
      BcryptPbkdf(p, AsBytes("pw"), AsBytes("salt"), 2, MutableByteView(b))
          .ok());
  ASSERT_TRUE(
      BcryptPbkdf(p, AsBytes("pw"), AsBytes("salt"), 2, MutableByteView(c))
          .ok());
  EXPECT_EQ(a, b);
  EXPECT_NE(Bytes(a.begin(), a.begin() + 32), c);
}

TEST(BcryptPbkdfTest, RejectsWhatOpenBsdRejects) {
  const auto& p = testing::OpenSsl();
  Bytes out(32);
  Bytes too_long(kBcryptPbkdfMaxOutput + 1);
  const Bytes huge_salt(kBcryptPbkdfMaxSalt + 1, 'x');
  struct Case {
    const char* name;
    ByteView password;
    ByteView salt;
    uint32_t rounds;
    MutableByteView out;
  } cases[] = {
      {"zero rounds", AsBytes("pw"), AsBytes("salt"), 0, MutableByteView(out)},
      {"empty password", ByteView(), AsBytes("salt"), 1, MutableByteView(out)},
      {"empty salt", AsBytes("pw"), ByteView(), 1, MutableByteView(out)},
      {"huge salt", AsBytes("pw"), ByteView(huge_salt), 1,
       MutableByteView(out)},
      {"empty output", AsBytes("pw"), AsBytes("salt"), 1, MutableByteView()},
      {"output over 1024 bytes", AsBytes("pw"), AsBytes("salt"), 1,
       MutableByteView(too_long)},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(BcryptPbkdf(p, c.password, c.salt, c.rounds, c.out).code(),
              absl::StatusCode::kInvalidArgument)
        << c.name;
  }
}

}  // namespace
}  // namespace parley::keys
