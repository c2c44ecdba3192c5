// ReadSmallFile / ReadSecretFile: each refusal with its message, and no
// blocking on a FIFO.
#include "core/base/file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace parley {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string Make(const std::string& name, const std::string& text,
                 mode_t mode) {
  const std::string path = ::testing::TempDir() + "/file_test_" + name;
  fs::remove(path);
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
  return path;
}

TEST(FileTest, ReadsWhatTheRulesAllow) {
  FileRules any;
  EXPECT_EQ(*ReadSmallFile(Make("plain", "hello\n", 0644), any), "hello\n");
  FileRules trusted{"config file", 1024, FileRules::Access::kTrusted};
  EXPECT_EQ(*ReadSmallFile(Make("trusted", "x", 0644), trusted), "x");
  FileRules secret{"secret file", 1024, FileRules::Access::kPrivate};
  absl::StatusOr<SecureBuffer> s =
      ReadSecretFile(Make("secret", "s3cret", 0600), secret);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(std::string(s->begin(), s->end()), "s3cret");
  EXPECT_EQ(*ReadSmallFile(Make("empty", "", 0600), secret), "");
}

TEST(FileTest, RefusalsNameTheFileAndTheFix) {
  FileRules secret{"secret file", 16, FileRules::Access::kPrivate};
  FileRules trusted{"config file", 16, FileRules::Access::kTrusted};
  struct Case {
    std::string path;
    FileRules rules;
    absl::StatusCode code;
    const char* message;
  } cases[] = {
      {"/nonexistent/x", secret, absl::StatusCode::kNotFound,
       "cannot open secret file /nonexistent/x: No such file"},
      {::testing::TempDir(), secret, absl::StatusCode::kInvalidArgument,
       "is not a regular file"},
      {Make("big", std::string(17, 'x'), 0600), secret,
       absl::StatusCode::kInvalidArgument, "is larger than 16 bytes"},
      {Make("group_read", "x", 0640), secret,
       absl::StatusCode::kPermissionDenied,
       "is accessible to others (mode 0640): chmod 600 it"},
      {Make("world_write", "x", 0646), trusted,
       absl::StatusCode::kPermissionDenied,
       "is writable by everyone (mode 0646): chmod go-w it"},
      {Make("group_write", "x", 0660), trusted,
       absl::StatusCode::kPermissionDenied, "is writable by its group"},
      {"/dev/null", trusted, absl::StatusCode::kInvalidArgument,
       "is not a regular file"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> r = ReadSmallFile(c.path, c.rules);
    ASSERT_FALSE(r.ok()) << c.path;
    EXPECT_EQ(r.status().code(), c.code) << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr(c.message));
    EXPECT_THAT(r.status().message(), HasSubstr(c.path));
  }
}

TEST(FileTest, AFifoIsRefusedWithoutWaitingForAWriter) {
  const std::string fifo = ::testing::TempDir() + "/file_test_fifo";
  fs::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  absl::StatusOr<std::string> r = ReadSmallFile(fifo, FileRules{});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("is not a regular file"));
}

TEST(FileTest, NoFollowRefusesASymlink) {
  const std::string target = Make("target", "x", 0600);
  const std::string link = ::testing::TempDir() + "/file_test_link";
  fs::remove(link);
  fs::create_symlink(target, link);
  FileRules rules;
  EXPECT_TRUE(ReadSmallFile(link, rules).ok());
  rules.no_follow = true;
  EXPECT_THAT(ReadSmallFile(link, rules).status().message(),
              HasSubstr("is a symbolic link"));
}

TEST(FileTest, ReplaceFileSwapsTheWholeFile) {
  const std::string path =
      Make("replace", "old contents that are longer", 0644);
  ASSERT_TRUE(ReplaceFile(path, "new\n").ok());
  EXPECT_EQ(*ReadSmallFile(path, FileRules{}), "new\n");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No temporary file is left behind.
  int others = 0;
  for (const auto& e : fs::directory_iterator(::testing::TempDir())) {
    others +=
        e.path().filename().string().rfind("file_test_replace.tmp", 0) == 0;
  }
  EXPECT_EQ(others, 0);
  // A folder that does not exist: an error naming the file.
  EXPECT_THAT(ReplaceFile("/nonexistent/dir/f", "x").message(),
              HasSubstr("/nonexistent/dir/f"));
  // The file is replaced even where a symbolic link stood (the link, not
  // its target, is replaced: nothing is written through it).
  const std::string target = Make("replace_target", "target", 0600);
  const std::string link = ::testing::TempDir() + "/file_test_replace_link";
  fs::remove(link);
  fs::create_symlink(target, link);
  ASSERT_TRUE(ReplaceFile(link, "via link").ok());
  EXPECT_EQ(*ReadSmallFile(target, FileRules{}), "target");
  EXPECT_EQ(*ReadSmallFile(link, FileRules{}), "via link");
}

TEST(FileTest, ReadSecretLineTakesOneLineAndNoMore) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  ASSERT_EQ(::write(p[1], "abc\r\ndef", 8), 8);
  auto line = ReadSecretLine(p[0], LineRead{});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(std::string(line->begin(), line->end()), "abc");
  // The rest is still there for the next reader.
  ::close(p[1]);
  line = ReadSecretLine(p[0], LineRead{});
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(std::string(line->begin(), line->end()), "def");
  ::close(p[0]);

  ASSERT_EQ(::pipe(p), 0);
  ASSERT_EQ(::write(p[1], "123456789\n", 10), 10);
  LineRead small;
  small.max_bytes = 4;
  EXPECT_EQ(ReadSecretLine(p[0], small).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Nothing more comes: the deadline ends the wait.
  LineRead soon;
  soon.deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  ASSERT_TRUE(ReadSecretLine(p[0], LineRead{}).ok());  // "56789"
  EXPECT_EQ(ReadSecretLine(p[0], soon).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  ::close(p[0]);
  ::close(p[1]);
}

TEST(FileTest, ForeignOwnersAreRefused) {
  if (::geteuid() != 0) return;  // only root can give a file away
  const std::string path = Make("foreign", "x", 0600);
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
  FileRules secret{"secret file", 16, FileRules::Access::kPrivate};
  EXPECT_THAT(ReadSmallFile(path, secret).status().message(),
              HasSubstr("is owned by uid 65534, not by you"));
  FileRules trusted{"config file", 16, FileRules::Access::kTrusted};
  EXPECT_THAT(ReadSmallFile(path, trusted).status().message(),
              HasSubstr("is owned by uid 65534, not by you or root"));
}

}  // namespace
}  // namespace parley
