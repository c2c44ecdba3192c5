#include "core/module/module_loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"

namespace parley::module {
namespace {

namespace fs = std::filesystem;

constexpr char kModule[] = "core/module/libparley_test_module.so";

// A private copy of the test module in its own folder.
class ModuleLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / "module_loader_test";
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
    copy_ = (dir_ / "libm.so").string();
    fs::copy_file(kModule, copy_);
    ASSERT_EQ(chmod(copy_.c_str(), 0755), 0);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string copy_;
};

TEST_F(ModuleLoaderTest, LoadsAndShares) {
  auto m = LoadModule(copy_, "test module");
  ASSERT_TRUE(m.ok()) << m.status();
  auto* answer = (*m)->Function<int()>("parley_test_answer");
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer(), 42);
  EXPECT_EQ((*m)->Symbol("no_such_symbol"), nullptr);
  auto again = LoadModule(copy_, "test module");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(m->get(), again->get());
}

TEST_F(ModuleLoaderTest, GroupOrWorldWritableFileRefused) {
  for (mode_t mode : {0775, 0757}) {
    ASSERT_EQ(chmod(copy_.c_str(), mode), 0);
    absl::Status s = CheckTrusted(copy_, "test module");
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << mode;
    EXPECT_NE(s.message().find(copy_), std::string::npos) << s;
    EXPECT_NE(s.message().find("file is"), std::string::npos) << s;
    EXPECT_EQ(LoadModule(copy_, "test module").status().code(),
              absl::StatusCode::kPermissionDenied);
  }
}

TEST_F(ModuleLoaderTest, GroupOrWorldWritableFolderRefused) {
  for (mode_t mode : {0775, 0757, 01777}) {
    ASSERT_EQ(chmod(dir_.c_str(), mode), 0);
    absl::Status s = CheckTrusted(copy_, "test module");
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << mode;
    EXPECT_NE(s.message().find("folder is"), std::string::npos) << s;
  }
}

// The folders above count too: one anyone may write to could have the
// module's folder renamed and replaced -- unless it is sticky (as /tmp),
// which keeps others from renaming what they do not own.
TEST_F(ModuleLoaderTest, WritableEnclosingFolderRefusedUnlessSticky) {
  const fs::path inner = dir_ / "inner";
  fs::create_directories(inner);
  ASSERT_EQ(chmod(inner.c_str(), 0755), 0);
  const std::string module = (inner / "libm.so").string();
  fs::copy_file(kModule, module);
  ASSERT_EQ(chmod(module.c_str(), 0755), 0);
  ASSERT_EQ(chmod(dir_.c_str(), 0777), 0);
  absl::Status s = CheckTrusted(module, "test module");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("enclosing folder " + dir_.string() +
                             " is world-writable"),
            std::string::npos)
      << s;
  ASSERT_EQ(chmod(dir_.c_str(), 01777), 0);
  EXPECT_TRUE(CheckTrusted(module, "test module").ok());
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
}

// A symbolic link is judged by the file it leads to, and that file is
// what gets loaded.
TEST_F(ModuleLoaderTest, ASymlinkIsJudgedByItsTarget) {
  const fs::path link = dir_ / "link.so";
  fs::create_symlink(copy_, link);
  EXPECT_TRUE(CheckTrusted(link.string(), "test module").ok());
  ASSERT_EQ(chmod(copy_.c_str(), 0777), 0);
  EXPECT_EQ(CheckTrusted(link.string(), "test module").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(ModuleLoaderTest, ForeignOwnerRefused) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "changing a file's owner needs root";
  }
  ASSERT_EQ(chown(copy_.c_str(), 4242, 4242), 0);
  absl::Status s = CheckTrusted(copy_, "test module");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("owned by uid 4242"), std::string::npos) << s;
  ASSERT_EQ(chown(copy_.c_str(), 0, 0), 0);
  ASSERT_EQ(chown(dir_.c_str(), 4242, 4242), 0);
  s = CheckTrusted(copy_, "test module");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("folder is owned by uid 4242"), std::string::npos)
      << s;
}

TEST_F(ModuleLoaderTest, MissingAndNotRegular) {
  EXPECT_EQ(CheckTrusted((dir_ / "nope.so").string(), "m").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(CheckTrusted(dir_.string(), "m").code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace parley::module
