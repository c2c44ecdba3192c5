#include "core/keys/bcrypt_pbkdf.h"

#include <string>

#include "core/base/bytes.h"
#include "core/keys/test_util.h"
#include "gtest/gtest.h"

namespace parley::keys {
namespace {

struct Vector {
  std::string password;
  std::string salt;
  uint32_t rounds;
  const char* key_hex;
};

// OpenBSD's bcrypt_pbkdf test vectors, as published in RustCrypto's
// password-hashes repository, bcrypt-pbkdf/tests/test_vectors.rs
// (test_openbsd_vectors). They cover embedded NULs, 1-byte inputs, several
// round counts and an 88-byte output that interleaves three blocks.
const Vector kVectors[] = {
    {"password", "salt", 4,
     "5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9"},
    {"password", std::string(1, '\0'), 4, "c12b566235eee04c212598970a579a67"},
    {std::string(1, '\0'), "salt", 4, "6051be18c2f4f82cbf0efee5471b4bb9"},
    {std::string("password\0", 9), std::string("salt\0", 5), 4,
     "7410e44cf4fa07bfaac8a928b1727fac001375e7bf7384370f48efd121743050"},
    {std::string("pass\0wor", 8), std::string("sa\0l", 4), 4,
     "c2bffd9db38f6569efef4372f4de83c0"},
    {std::string("pass\0word", 9), std::string("sa\0lt", 5), 4,
     "4ba4ac3925c0e8d7f0cdb6bb1684a56f"},
    {"password", "salt", 8,
     "e1367ec5151a33faac4cc1c144cd23fa15d5548493ecc99b9b5d9c0d3b27bec76227ea66"
     "088b849b20ab7aa478010246e74bba51723fefa9f9474d6508845e8d"},
    {"password", "salt", 42, "833cf0dcf56db65608e8f0dc0ce882bd"},
    {"Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod "
     "tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim "
     "veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea "
     "commodo consequat. Duis aute irure dolor in reprehenderit in voluptate "
     "velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint "
     "occaecat cupidatat non proident, sunt in culpa qui officia deserunt "
     "mollit anim id est laborum.",
     std::string("salis\0", 6), 8, "10978b07253df57f71a162eb0e8ad30a"},
};

TEST(BcryptPbkdfTest, OpenBsdVectors) {
  for (const crypto::CryptoProvider* provider : testing::AllProviders()) {
    for (const Vector& v : kVectors) {
      Bytes expected;
      ASSERT_TRUE(FromHex(v.key_hex, &expected));
      Bytes out(expected.size());
      ASSERT_TRUE(BcryptPbkdf(*provider, AsBytes(v.password), AsBytes(v.salt),
                              v.rounds, MutableByteView(out))
                      .ok());
      EXPECT_EQ(ToHex(out), v.key_hex)
          << provider->name() << " rounds " << v.rounds << " length "
          << expected.size();
    }
  }
}

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
