// A C program written only against libssh2's documented API
// (kbdint_exec.c), built at test time against an installed Parley with
// pkg-config, logs in with keyboard-interactive to a real sshd, runs a
// command and reports its exit status. It proves it ran Parley (it prints
// parley_version() and the library it loaded), not Debian's libssh2.
#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/sshd/sshd_test_macros.h"
#include "tests/sshd/subprocess.h"

namespace parley::testing {
namespace {

namespace fs = std::filesystem;

// Under --config=asan the library is instrumented, so the program must be
// too (the ASan runtime has to come first).
#ifdef __SANITIZE_ADDRESS__
constexpr char kSanitize[] = " -fsanitize=address";
#else
constexpr char kSanitize[] = "";
#endif

TEST(CProgramTest, BuildsWithPkgConfigAndLogsIn) {
  const fs::path runfiles = fs::current_path();
  const fs::path work = fs::path(::testing::TempDir()) / "capi_program";
  fs::remove_all(work);
  fs::create_directories(work);
  const fs::path prefix = work / "prefix";

  // "Install" Parley from this test's runfiles, as tools/install does.
  auto installed =
      RunSubprocess({"bash", "tools/install_tree", runfiles.string(),
                     runfiles.string(), prefix.string()});
  ASSERT_TRUE(installed.ok()) << installed.status();
  ASSERT_EQ(installed->exit_code, 0) << installed->DebugString();

  // cc app.c $(pkg-config --cflags --libs parley)
  SubprocessOptions pc;
  pc.env["PKG_CONFIG_PATH"] = (prefix / "lib" / "pkgconfig").string();
  auto flags =
      RunSubprocess({"pkg-config", "--cflags", "--libs", "parley"}, pc);
  ASSERT_TRUE(flags.ok()) << flags.status();
  ASSERT_EQ(flags->exit_code, 0) << flags->DebugString();
  const fs::path program = work / "kbdint_exec";
  auto built = RunSubprocess(
      {"sh", "-c",
       absl::StrCat("cc -std=c99 -Wall -Wextra -Werror", kSanitize, " -o ",
                    program.string(), " tests/capi/kbdint_exec.c ",
                    flags->stdout_text)});
  ASSERT_TRUE(built.ok()) << built.status();
  ASSERT_EQ(built->exit_code, 0) << built->DebugString();

  // Debian's libssh2 must not be what the program loads.
  auto ldd = RunSubprocess({"ldd", program.string()});
  ASSERT_TRUE(ldd.ok());
  EXPECT_TRUE(absl::StrContains(ldd->stdout_text,
                                (prefix / "lib" / "libparley.so.0").string()))
      << ldd->stdout_text;
  EXPECT_FALSE(absl::StrContains(ldd->stdout_text, "libssh2.so"))
      << ldd->stdout_text;

  SshdOptions so;
  so.users.push_back({"alice", "secret", {}, ""});
  so.host_key_types = {KeyType::kEd25519};
  so.extra_config = {"PasswordAuthentication no"};
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);

  for (const char* backend : {"openssl", "cryptopp"}) {
    SubprocessOptions run;
    run.env["PARLEY_CRYPTO"] = backend;
    auto r = RunSubprocess(
        {program.string(), "127.0.0.1", std::to_string(server.port()), "alice",
         "secret", server.known_hosts_path().string(),
         "echo from-c; echo err-c >&2; exit 5"},
        run, absl::Seconds(60));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 5) << r->DebugString();
    EXPECT_EQ(r->stdout_text, "from-c\n") << r->DebugString();
    EXPECT_TRUE(absl::StrContains(r->stderr_text, "err-c")) << r->DebugString();
    EXPECT_TRUE(absl::StrContains(r->stderr_text, "library: Parley"))
        << r->DebugString();
    // PAM's password stack: a "Password: " round, then zero prompts.
    EXPECT_TRUE(absl::StrContains(
        r->stderr_text,
        "rounds 2, responses allocated 1, freed wiped 1, freed dirty 0"))
        << r->DebugString();
  }
  // A wrong password fails with LIBSSH2_ERROR_AUTHENTICATION_FAILED (18).
  auto wrong = RunSubprocess({program.string(), "127.0.0.1",
                              std::to_string(server.port()), "alice", "wrong",
                              server.known_hosts_path().string(), "true"});
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->exit_code, 18) << wrong->DebugString();
  EXPECT_TRUE(server.WaitForLog("Accepted keyboard-interactive/pam").ok());
}

}  // namespace
}  // namespace parley::testing
