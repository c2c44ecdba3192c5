// HOTP and TOTP against the published test vectors of RFC 4226 (appendix D)
// and RFC 6238 (appendix B); secrets; state files.
#include "plugins/otp/otp.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace parley::otp {
namespace {

namespace fs = std::filesystem;

SecureBuffer Ascii(const std::string& s) {
  return SecureBuffer(s.begin(), s.end());
}

// RFC 4226 appendix D: secret "12345678901234567890", counters 0..9.
TEST(OtpTest, Rfc4226Vectors) {
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  const SecureBuffer key = Ascii("12345678901234567890");
  for (uint64_t c = 0; c < 10; ++c) {
    auto code = Hotp(key, c, OtpHash::kSha1, 6);
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, expected[c]) << c;
  }
}

// RFC 6238 appendix B: 8 digits, 30 s steps, the seed repeated to the hash
// size.
TEST(OtpTest, Rfc6238Vectors) {
  struct Row {
    int64_t time;
    const char* sha1;
    const char* sha256;
    const char* sha512;
  } rows[] = {
      {59, "94287082", "46119246", "90693936"},
      {1111111109, "07081804", "68084774", "25091201"},
      {1111111111, "14050471", "67062674", "99943326"},
      {1234567890, "89005924", "91819424", "93441116"},
      {2000000000, "69279037", "90698825", "38618901"},
      {20000000000, "65353130", "77737706", "47863826"},
  };
  const SecureBuffer k1 = Ascii("12345678901234567890");
  const SecureBuffer k256 = Ascii("12345678901234567890123456789012");
  const SecureBuffer k512 =
      Ascii("1234567890123456789012345678901234567890123456789012345678901234");
  for (const Row& r : rows) {
    const uint64_t step = TotpStep(r.time, 30);
    EXPECT_EQ(*Hotp(k1, step, OtpHash::kSha1, 8), r.sha1) << r.time;
    EXPECT_EQ(*Hotp(k256, step, OtpHash::kSha256, 8), r.sha256) << r.time;
    EXPECT_EQ(*Hotp(k512, step, OtpHash::kSha512, 8), r.sha512) << r.time;
  }
  EXPECT_FALSE(Hotp(k1, 0, OtpHash::kSha1, 5).ok());
  EXPECT_FALSE(Hotp(k1, 0, OtpHash::kSha1, 9).ok());
}

TEST(OtpTest, Base32) {
  // RFC 4648 section 10.
  auto d = DecodeBase32("MZXW6YTBOI======");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(std::string(d->begin(), d->end()), "foobar");
  auto lower = DecodeBase32("mzxw 6ytb oi");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(std::string(lower->begin(), lower->end()), "foobar");
  EXPECT_FALSE(DecodeBase32("MZXW1").ok());  // '1' is not base32
  EXPECT_FALSE(DecodeBase32("").ok());
  EXPECT_FALSE(DecodeBase32("MZ=XW").ok());
}

TEST(OtpTest, OtpauthUris) {
  auto p = ParseSecret(
      "otpauth://totp/ACME:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
      "&issuer=ACME&algorithm=SHA256&digits=8&period=60\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->type, OtpType::kTotp);
  EXPECT_EQ(p->hash, OtpHash::kSha256);
  EXPECT_EQ(p->digits, 8);
  EXPECT_EQ(p->period, 60);
  EXPECT_EQ(std::string(p->secret.begin(), p->secret.end()),
            "12345678901234567890");
  auto h = ParseSecret("otpauth://hotp/x?secret=GEZDGNBV&counter=42");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->type, OtpType::kHotp);
  EXPECT_EQ(h->initial_counter, 42u);
  auto bare = ParseSecret("  GEZDGNBVGY3TQOJQ \n");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->type, OtpType::kTotp);
  for (const char* bad :
       {"otpauth://totp/x", "otpauth://sotp/x?secret=GEZD",
        "otpauth://totp/x?issuer=a", "otpauth://hotp/x?secret=GEZD",
        "otpauth://totp/x?secret=GEZD&digits=9",
        "otpauth://totp/x?secret=GEZD&algorithm=MD5",
        "otpauth://totp/x?secret=GEZD&period=0", "otpauth://totp/x?secret=%G1",
        "otpauth://totp/x?secret=%4", "not base32!"}) {
    EXPECT_FALSE(ParseSecret(bad).ok()) << bad;
  }
}

class OtpFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / "otp_test";
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  std::string Write(const std::string& name, const std::string& text,
                    mode_t mode) {
    const std::string p = (dir_ / name).string();
    std::ofstream(p) << text;
    chmod(p.c_str(), mode);
    return p;
  }
  fs::path dir_;
};

TEST_F(OtpFileTest, SecretFileMustBePrivate) {
  const std::string ok = Write("ok", "GEZDGNBVGY3TQOJQ\n", 0600);
  EXPECT_TRUE(LoadSecretFile(ok).ok());
  const std::string shared = Write("shared", "GEZDGNBVGY3TQOJQ\n", 0640);
  absl::StatusOr<OtpParams> refused = LoadSecretFile(shared);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("0640"), std::string::npos);
  EXPECT_FALSE(LoadSecretFile((dir_ / "missing").string()).ok());
  EXPECT_FALSE(LoadSecretFile(dir_.string()).ok());
  const std::string bad = Write("bad", "otpauth://totp/x?nosecret\n", 0600);
  EXPECT_NE(LoadSecretFile(bad).status().message().find(bad),
            std::string::npos);
}

TEST_F(OtpFileTest, CounterFilesAreLockedAndReplacedAtomically) {
  const std::string path = (dir_ / "counter").string();
  auto first = UpdateCounterFile(path, [](absl::optional<uint64_t> c) {
    EXPECT_FALSE(c.has_value());
    return absl::StatusOr<uint64_t>(7);
  });
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 7u);
  // Many threads at once (each call opens its own lock): no update lost.
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        ASSERT_TRUE(UpdateCounterFile(path, [](absl::optional<uint64_t> c) {
                      return absl::StatusOr<uint64_t>(c.value() + 1);
                    }).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  auto last = UpdateCounterFile(path, [](absl::optional<uint64_t> c) {
    return absl::StatusOr<uint64_t>(*c);
  });
  EXPECT_EQ(*last, 207u);
  // A leftover temporary file (a crash mid-write) changes nothing.
  Write("counter.tmp.12345", "999\n", 0600);
  EXPECT_EQ(*UpdateCounterFile(path,
                               [](absl::optional<uint64_t> c) {
                                 return absl::StatusOr<uint64_t>(*c);
                               }),
            207u);
  // A damaged file is an error, not a reset.
  Write("counter", "garbage", 0600);
  EXPECT_EQ(UpdateCounterFile(path,
                              [](absl::optional<uint64_t> c) {
                                return absl::StatusOr<uint64_t>(c.value_or(0));
                              })
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace parley::otp
