#include "core/keys/key_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base/bytes.h"
#include "core/crypto/ssh_keys.h"
#include "core/keys/test_util.h"
#include "core/wire/writer.h"
#include "gtest/gtest.h"

namespace parley::keys {
namespace {

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::NewTempDir();
    // An Ed25519 key from the backend, written in ssh-keygen's format here
    // (ssh_keygen_keys_test.cc covers files from the real ssh-keygen).
    auto key = testing::OpenSsl().GenerateKey(crypto::KeyType::kEd25519, 0);
    ASSERT_TRUE(key.ok());
    key_ = *std::move(key);
    Bytes blob = {'o', 'p', 'e', 'n', 's', 's', 'h', '-',
                  'k', 'e', 'y', '-', 'v', '1', 0};
    wire::Writer w(&blob);
    w.WriteString(absl::string_view("none"));  // cipher
    w.WriteString(absl::string_view("none"));  // KDF
    w.WriteString(absl::string_view());        // KDF options
    w.WriteU32(1);
    w.WriteString(ByteView(crypto::EncodePublicKeyBlob(key_.public_key)));
    Bytes priv;
    wire::Writer pw(&priv);
    pw.WriteU32(0x01020304);
    pw.WriteU32(0x01020304);
    pw.WriteRaw(testing::EncodePrivateKeyFields(key_));
    pw.WriteString(absl::string_view("name"));
    for (uint8_t i = 1; priv.size() % 8 != 0; ++i) priv.push_back(i);
    w.WriteString(ByteView(priv));
    text_ = testing::Armor(blob);
  }

  std::string Write(absl::string_view name, int mode) {
    const std::string path = absl::StrCat(dir_, "/", name);
    testing::WriteFileOrDie(path, text_, mode);
    return path;
  }

  std::string dir_;
  crypto::PrivateKey key_;
  std::string text_;
};

TEST_F(KeyFileTest, LoadsOwnerOnlyFiles) {
  for (int mode : {0600, 0400, 0700}) {
    const std::string path = Write(absl::StrCat("key", mode), mode);
    std::string comment;
    absl::StatusOr<crypto::PrivateKey> key = LoadPrivateKeyFile(
        path, ByteView(), testing::OpenSsl(), OpenSshKeyOptions(), &comment);
    ASSERT_TRUE(key.ok()) << std::oct << mode << ": " << key.status();
    EXPECT_TRUE(key->public_key == key_.public_key);
    EXPECT_EQ(comment, "name");
  }
}

TEST_F(KeyFileTest, RefusesFilesOthersCanAccess) {
  for (int mode : {0644, 0640, 0604, 0660, 0610, 0601, 0666}) {
    const std::string path = Write(absl::StrCat("open", mode), mode);
    absl::Status s =
        LoadPrivateKeyFile(path, ByteView(), testing::OpenSsl()).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied)
        << std::oct << mode << ": " << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "too open")) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), path)) << s;
  }
}

TEST_F(KeyFileTest, FollowsSymlinksAndChecksTheTarget) {
  const std::string target = Write("target", 0600);
  const std::string link = absl::StrCat(dir_, "/link");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  EXPECT_TRUE(LoadPrivateKeyFile(link, ByteView(), testing::OpenSsl()).ok());
  ASSERT_EQ(::chmod(target.c_str(), 0644), 0);
  EXPECT_EQ(
      LoadPrivateKeyFile(link, ByteView(), testing::OpenSsl()).status().code(),
      absl::StatusCode::kPermissionDenied);
}

TEST_F(KeyFileTest, ErrorsForMissingDirectoriesAndHugeFiles) {
  EXPECT_EQ(LoadPrivateKeyFile(dir_ + "/absent", ByteView(), testing::OpenSsl())
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  const std::string subdir = dir_ + "/subdir";
  ASSERT_EQ(::mkdir(subdir.c_str(), 0700), 0);
  absl::Status s =
      LoadPrivateKeyFile(subdir, ByteView(), testing::OpenSsl()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "not a regular file")) << s;

  const std::string huge = dir_ + "/huge";
  testing::WriteFileOrDie(huge, std::string(kMaxKeyFileSize + 1, '\n'), 0600);
  s = LoadPrivateKeyFile(huge, ByteView(), testing::OpenSsl()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "larger than")) << s;
}

TEST_F(KeyFileTest, ParseErrorsPassThrough) {
  const std::string path = absl::StrCat(dir_, "/garbage");
  testing::WriteFileOrDie(path, "not a key\n", 0600);
  EXPECT_EQ(
      LoadPrivateKeyFile(path, ByteView(), testing::OpenSsl()).status().code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace parley::keys
