// Runtime backend switching with Boost.DLL: both backends loaded in one
// process, the environment default, and the loader's error cases.
#include "core/crypto/backend_loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "gtest/gtest.h"
#include "tests/crypto/backend_fixture.h"

namespace parley::crypto::testing {
namespace {

namespace fs = std::filesystem;

// SHA-256("abc"), FIPS 180-4 examples (NIST CSRC, SHA256.pdf).
constexpr char kSha256Abc[] =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

std::string Sha256Abc(const CryptoProvider& p) {
  auto d = Digest(p, HashAlgorithm::kSha256, AsBytes("abc"));
  return d.ok() ? ToHex(*d) : d.status().ToString();
}

TEST(BackendLoaderTest, SwitchesBackendsInOneProcess) {
  auto openssl = LoadCryptoBackend("openssl", RunfilesLoaderOptions());
  ASSERT_TRUE(openssl.ok()) << openssl.status();
  EXPECT_EQ(Sha256Abc(**openssl), kSha256Abc);
  auto cryptopp = LoadCryptoBackend("cryptopp", RunfilesLoaderOptions());
  ASSERT_TRUE(cryptopp.ok()) << cryptopp.status();
  EXPECT_EQ((*cryptopp)->name(), "cryptopp");
  EXPECT_EQ(Sha256Abc(**cryptopp), kSha256Abc);
  // Objects made by one provider keep working after the other is released.
  auto hash = (*cryptopp)->NewHash(HashAlgorithm::kSha256);
  ASSERT_TRUE(hash.ok());
  openssl->reset();
  ASSERT_TRUE((*hash)->Update(AsBytes("abc")).ok());
  Bytes out(32);
  ASSERT_TRUE((*hash)->Finish(MutableByteView(out)).ok());
  EXPECT_EQ(ToHex(out), kSha256Abc);
  hash->reset();
  // Load again after release.
  auto again = LoadCryptoBackend("openssl", RunfilesLoaderOptions());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Sha256Abc(**again), kSha256Abc);
}

// Sessions share one loaded module: a backend still held by someone is
// handed out again instead of being loaded a second time.
TEST(BackendLoaderTest, LoadedModulesAreShared) {
  auto first = LoadCryptoBackend("openssl", RunfilesLoaderOptions());
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = LoadCryptoBackend("openssl", RunfilesLoaderOptions());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->get(), second->get());
  auto other = LoadCryptoBackend("cryptopp", RunfilesLoaderOptions());
  ASSERT_TRUE(other.ok());
  EXPECT_NE(first->get(), static_cast<const CryptoProvider*>(other->get()));
  // Released by the last user; loaded afresh afterwards.
  first->reset();
  second->reset();
  auto again = LoadCryptoBackend("openssl", RunfilesLoaderOptions());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Sha256Abc(**again), kSha256Abc);
}

TEST(BackendLoaderTest, EnvironmentChoosesTheDefault) {
  ASSERT_EQ(setenv(kBackendEnvVar, "cryptopp", 1), 0);
  auto p = LoadDefaultCryptoBackend(RunfilesLoaderOptions());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->name(), "cryptopp");
  ASSERT_EQ(unsetenv(kBackendEnvVar), 0);
  p = LoadDefaultCryptoBackend(RunfilesLoaderOptions());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->name(), "openssl");
  ASSERT_EQ(setenv(kBackendEnvVar, "nosuch", 1), 0);
  EXPECT_EQ(LoadDefaultCryptoBackend(RunfilesLoaderOptions()).status().code(),
            absl::StatusCode::kNotFound);
  unsetenv(kBackendEnvVar);
}

TEST(BackendLoaderTest, SearchPathFromEnvironment) {
  ASSERT_EQ(setenv(kBackendPathEnvVar, "/nonexistent:backends/cryptopp", 1), 0);
  auto p = LoadCryptoBackend("cryptopp");
  unsetenv(kBackendPathEnvVar);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->name(), "cryptopp");
}

TEST(BackendLoaderTest, UnknownAndMalformedNames) {
  auto unknown = LoadCryptoBackend("botan", RunfilesLoaderOptions());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("libparley_crypto_botan.so"),
            absl::string_view::npos)
      << unknown.status();
  EXPECT_NE(unknown.status().message().find("backends/openssl"),
            absl::string_view::npos)
      << unknown.status();
  for (const char* bad : {"", "../openssl", "Open SSL", "a/b", "x\n"}) {
    EXPECT_EQ(LoadCryptoBackend(bad, RunfilesLoaderOptions()).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(BackendLoaderTest, MissingFile) {
  auto p = LoadCryptoBackendFile("/nonexistent/libparley_crypto_x.so");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(p.status().message().find("does not exist"),
            absl::string_view::npos);
}

TEST(BackendLoaderTest, AbiVersionMismatchIsRefused) {
  auto p = LoadCryptoBackendFile("tests/crypto/libparley_crypto_badabi.so");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(p.status().message().find("ABI version 999"),
            absl::string_view::npos)
      << p.status();
}

TEST(BackendLoaderTest, NotABackend) {
  auto p = LoadCryptoBackendFile("tests/crypto/libnot_a_backend.so");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(p.status().message().find("not a Parley crypto backend"),
            absl::string_view::npos)
      << p.status();
  // A file that is not a shared object at all.
  fs::path dir = fs::temp_directory_path() / "parley_loader_test_text";
  fs::create_directories(dir);
  fs::path text = dir / "libparley_crypto_text.so";
  FILE* f = fopen(text.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("not an ELF file\n", f);
  fclose(f);
  chmod(text.c_str(), 0644);
  EXPECT_EQ(LoadCryptoBackendFile(text.string()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  fs::remove_all(dir);
}

TEST(BackendLoaderTest, UntrustedFilesAreRefused) {
  fs::path dir = fs::temp_directory_path() / "parley_loader_test_perm";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::path copy = dir / "libparley_crypto_openssl.so";
  fs::copy_file("backends/openssl/libparley_crypto_openssl.so", copy);
  ASSERT_EQ(chmod(copy.c_str(), 0755), 0);
  LoaderOptions options;
  options.search_dirs = {dir.string()};
  auto held = LoadCryptoBackend("openssl", options);
  EXPECT_TRUE(held.ok());
  ASSERT_EQ(chmod(copy.c_str(), 0757), 0);
  // Refused even though the module is loaded and shared: the file is
  // checked again.
  EXPECT_EQ(LoadCryptoBackend("openssl", options).status().code(),
            absl::StatusCode::kPermissionDenied);
  held = absl::InternalError("released");
  EXPECT_EQ(LoadCryptoBackend("openssl", options).status().code(),
            absl::StatusCode::kPermissionDenied);
  // A module that calls itself by another name.
  ASSERT_EQ(chmod(copy.c_str(), 0755), 0);
  fs::rename(copy, dir / "libparley_crypto_other.so");
  EXPECT_EQ(LoadCryptoBackend("other", options).status().code(),
            absl::StatusCode::kFailedPrecondition);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace parley::crypto::testing
