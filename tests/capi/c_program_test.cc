// A C program written only against libssh2's documented API
// (kbdint_exec.c), built at test time against an installed Parley with
// pkg-config, logs in with keyboard-interactive to a real sshd, runs a
// command and reports its exit status. It proves it ran Parley (it prints
// parley_version() and the library it loaded), not Debian's libssh2.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/common/softhsm.h"
#include "tests/common/ssh_agent.h"
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

// sshd with alice (password "secret") through keyboard-interactive only.
SshdOptions AliceKeyboardInteractive() {
  SshdOptions so;
  so.users.push_back({"alice", "secret", {}, ""});
  so.host_key_types = {KeyType::kEd25519};
  so.extra_config = {"PasswordAuthentication no"};
  return so;
}

// Installs Parley from this test's runfiles (as tools/install does) and
// builds the program with pkg-config.
class CProgramTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runfiles_ = fs::current_path();
    work_ = fs::path(::testing::TempDir()) /
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(work_);
    fs::create_directories(work_);
    prefix_ = work_ / "prefix";
    auto installed =
        RunSubprocess({"bash", "tools/install_tree", runfiles_.string(),
                       runfiles_.string(), prefix_.string()});
    ASSERT_TRUE(installed.ok()) << installed.status();
    ASSERT_EQ(installed->exit_code, 0) << installed->DebugString();
    // cc app.c $(pkg-config --cflags --libs parley)
    program_ = work_ / "kbdint_exec";
    Build(absl::StrCat("cc -std=c99 -Wall -Wextra -Werror", kSanitize, " -o ",
                       program_.string(), " tests/capi/kbdint_exec.c ",
                       PkgConfig({"--cflags", "--libs", "parley"})));
  }

  std::string PkgConfig(std::vector<std::string> args) {
    SubprocessOptions pc;
    pc.env["PKG_CONFIG_PATH"] = (prefix_ / "lib" / "pkgconfig").string();
    args.insert(args.begin(), "pkg-config");
    auto flags = RunSubprocess(args, pc);
    EXPECT_TRUE(flags.ok()) << flags.status();
    if (!flags.ok()) return "";
    EXPECT_EQ(flags->exit_code, 0) << flags->DebugString();
    return flags->stdout_text;
  }

  void Build(const std::string& command) {
    auto built = RunSubprocess({"sh", "-c", command});
    ASSERT_TRUE(built.ok()) << built.status();
    ASSERT_EQ(built->exit_code, 0) << built->DebugString() << command;
  }

  fs::path runfiles_, work_, prefix_, program_;
};

TEST_F(CProgramTest, BuildsWithPkgConfigAndLogsIn) {
  const fs::path& prefix = prefix_;
  const fs::path& program = program_;

  // Debian's libssh2 must not be what the program loads.
  auto ldd = RunSubprocess({"ldd", program.string()});
  ASSERT_TRUE(ldd.ok());
  EXPECT_TRUE(absl::StrContains(ldd->stdout_text,
                                (prefix / "lib" / "libparley.so.0").string()))
      << ldd->stdout_text;
  EXPECT_FALSE(absl::StrContains(ldd->stdout_text, "libssh2.so"))
      << ldd->stdout_text;

  SshdServer server(AliceKeyboardInteractive());
  PARLEY_START_SSHD_OR_SKIP(server);

  for (const char* backend : {"openssl", "cryptopp"}) {
    SubprocessOptions run;
    run.env["PARLEY_CRYPTO"] = backend;
    run.env["PARLEY_RESPONDERS"] = "";  // whatever the user's file says
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

#ifndef __SANITIZE_ADDRESS__  // valgrind cannot run ASan-built programs
// The same program under valgrind's memcheck, with both backends: a whole
// login and command through the libssh2 API with no invalid access, no
// use of uninitialised memory and no leaked block (definite or indirect;
// what the crypto libraries keep for the process is "still reachable").
TEST_F(CProgramTest, ValgrindMemcheckFindsNothing) {
  SshdServer server(AliceKeyboardInteractive());
  PARLEY_START_SSHD_OR_SKIP(server);
  for (const char* backend : {"openssl", "cryptopp"}) {
    SCOPED_TRACE(backend);
    SubprocessOptions run;
    run.env["PARLEY_CRYPTO"] = backend;
    run.env["PARLEY_RESPONDERS"] = "";
    auto r = RunSubprocess(
        {"valgrind", "--tool=memcheck", "--error-exitcode=99",
         "--leak-check=full", "--show-leak-kinds=definite,indirect",
         "--errors-for-leak-kinds=definite,indirect", program_.string(),
         "127.0.0.1", std::to_string(server.port()), "alice", "secret",
         server.known_hosts_path().string(), "echo under-valgrind"},
        run, absl::Seconds(300));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 0) << r->DebugString();
    EXPECT_EQ(r->stdout_text, "under-valgrind\n");
    EXPECT_TRUE(absl::StrContains(r->stderr_text, "ERROR SUMMARY: 0 errors"))
        << r->stderr_text;
    EXPECT_TRUE(absl::StrContains(r->stderr_text, "definitely lost: 0 bytes") ||
                absl::StrContains(r->stderr_text, "All heap blocks were freed"))
        << r->stderr_text;
  }
}
#endif

// The same program, unchanged, logs in to a password + TOTP stack: the OTP
// plugin named by $PARLEY_RESPONDERS answers the one-time-password round,
// and the program's callback sees only the password prompt. Then a plugin
// built out of tree (plugins/example, plain cc against the installed
// header) answers the password from a worker thread, and the callback sees
// no prompt at all.
TEST_F(CProgramTest, ResponderPluginsAnswerForAnUnmodifiedProgram) {
  // RFC 6238's SHA-1 test secret, as pam_oath's hex seed and as base32.
  SshdOptions so;
  so.users.push_back(
      {"alice", "secret", {}, "3132333435363738393031323334353637383930"});
  so.pam_stack = PamStack::kPasswordThenTotp;
  so.host_key_types = {KeyType::kEd25519};
  so.extra_config = {"PasswordAuthentication no"};
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);

  const fs::path secret = work_ / "totp.secret";
  {
    std::ofstream(secret) << "otpauth://totp/Corp:alice?secret="
                             "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Corp\n";
  }
  fs::permissions(secret, fs::perms::owner_read | fs::perms::owner_write);
  // pam_oath accepts codes up to two steps ahead (window=2): skew=2 lets
  // three logins in one time step each use a fresh code without waiting.
  const std::string otp =
      absl::StrCat("otp:secret-file=", secret.string(),
                   ",state-file=", (work_ / "totp.step").string(), ",skew=2");
  auto run = [&](const char* backend, const std::string& responders,
                 const char* password) {
    SubprocessOptions o;
    o.env["PARLEY_CRYPTO"] = backend;
    o.env["PARLEY_RESPONDERS"] = responders;
    o.env["EXAMPLE_PASSWORD"] = "secret";
    return RunSubprocess(
        {program_.string(), "127.0.0.1", std::to_string(server.port()), "alice",
         password, server.known_hosts_path().string(), "echo in"},
        o, absl::Seconds(60));
  };

  for (const char* backend : {"openssl", "cryptopp"}) {
    auto r = run(backend, otp, "secret");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 0) << r->DebugString() << server.LogTail(20);
    EXPECT_EQ(r->stdout_text, "in\n");
    // The callback answered the password round only; PAM's closing
    // zero-prompt round reaches it too, as with libssh2.
    EXPECT_TRUE(
        absl::StrContains(r->stderr_text, "prompt 0 (echo 0): Password"))
        << r->stderr_text;
    EXPECT_FALSE(absl::StrContains(r->stderr_text, "One-time password"))
        << r->stderr_text;
    EXPECT_TRUE(absl::StrContains(r->stderr_text,
                                  "responses allocated 1, freed wiped 1, "
                                  "freed dirty 0"))
        << r->stderr_text;
  }

  // Without the plugin the same program cannot pass the OTP round.
  auto without = run("openssl", "", "secret");
  ASSERT_TRUE(without.ok());
  EXPECT_EQ(without->exit_code, 18) << without->DebugString();

  // A plugin named but not installed: a clear error, nothing sent.
  auto missing = run("openssl", "nosuch", "secret");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->exit_code, 19) << missing->DebugString();
  EXPECT_TRUE(absl::StrContains(missing->stderr_text, "$PARLEY_RESPONDERS: "))
      << missing->stderr_text;

  // A third party's plugin: built with only the installed header and
  // pkg-config, installed next to Parley's own.
  const fs::path plugin_dir = prefix_ / "lib" / "parley" / "plugins";
  EXPECT_EQ(PkgConfig({"--variable=plugindir", "parley-responder"}),
            plugin_dir.string() + "\n");
  Build(absl::StrCat(
      "cc -std=c99 -pedantic -Wall -Wextra -Werror -shared -fPIC -pthread -o ",
      (plugin_dir / "libparley_responder_example.so").string(),
      " plugins/example/example_responder.c ",
      PkgConfig({"--cflags", "parley-responder"})));
  auto r = run("openssl",
               otp +
                   ";example:match=Password,variable=EXAMPLE_PASSWORD,"
                   "delay-ms=100",
               "not-the-password");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->DebugString() << server.LogTail(20);
  EXPECT_FALSE(absl::StrContains(r->stderr_text, "prompt 0")) << r->stderr_text;
  EXPECT_TRUE(absl::StrContains(r->stderr_text, "responses allocated 0"))
      << r->stderr_text;

  // The installed command finds its backend and plugins from PREFIX alone:
  // no flag, no variable but the password.
  SubprocessOptions clean;
  clean.clear_env = true;
  clean.env["HOME"] = work_.string();
  clean.env["PARLEY_PASSWORD"] = "secret";
  auto cli = RunSubprocess(
      {(prefix_ / "bin" / "parley").string(), "-p",
       std::to_string(server.port()), "-o",
       "UserKnownHostsFile=" + server.known_hosts_path().string(), "-o",
       "BatchMode=yes", "--responder", otp, "alice@127.0.0.1", "echo", "cli"},
      clean, absl::Seconds(60));
  ASSERT_TRUE(cli.ok());
  EXPECT_EQ(cli->exit_code, 0) << cli->DebugString() << server.LogTail(20);
  EXPECT_EQ(cli->stdout_text, "cli\n");
}

// A project's unmodified build that asks for libssh2 by name finds Parley
// when PREFIX comes first: pkg-config's libssh2 module and CMake's
// find_package(Libssh2), and the program then runs on libparley. A header
// Parley does not provide (libssh2_sftp.h) is a clear compile error, never
// another libssh2's header compiled against Parley's.
TEST_F(CProgramTest, DropInBuildsFindParley) {
  EXPECT_EQ(PkgConfig({"--modversion", "libssh2"}), "1.11.0\n");
  const fs::path by_pc = work_ / "which_pc";
  Build(absl::StrCat("cc -std=c99 -Wall -Wextra -Werror", kSanitize, " -o ",
                     by_pc.string(), " tests/capi/which_libssh2.c ",
                     absl::StripTrailingAsciiWhitespace(
                         PkgConfig({"--cflags", "--libs", "libssh2"})),
                     " -ldl"));
  auto pc_run = RunSubprocess({by_pc.string()});
  ASSERT_TRUE(pc_run.ok());
  EXPECT_EQ(pc_run->exit_code, 0) << pc_run->DebugString();
  EXPECT_NE(pc_run->stdout_text.find("/libparley.so"), std::string::npos)
      << pc_run->stdout_text;

  const fs::path project = work_ / "cmake_project";
  fs::create_directories(project);
  fs::copy_file("tests/capi/which_libssh2.c", project / "which_libssh2.c");
  std::ofstream(project / "CMakeLists.txt")
      << "cmake_minimum_required(VERSION 3.13)\n"
         "project(which C)\n"
         "find_package(Libssh2 1.11 REQUIRED CONFIG)\n"
         "add_executable(which which_libssh2.c)\n"
         "target_link_libraries(which Libssh2::libssh2 ${CMAKE_DL_LIBS})\n";
  Build(absl::StrCat("cmake -S ", project.string(), " -B ",
                     (project / "build").string(), " -DCMAKE_PREFIX_PATH=",
                     prefix_.string(), " '-DCMAKE_C_FLAGS=", kSanitize, "' > ",
                     (project / "configure.log").string(),
                     " 2>&1 && cmake --build ", (project / "build").string(),
                     " > ", (project / "build.log").string(), " 2>&1"));
  auto cmake_run = RunSubprocess({(project / "build" / "which").string()});
  ASSERT_TRUE(cmake_run.ok());
  EXPECT_EQ(cmake_run->exit_code, 0) << cmake_run->DebugString();
  EXPECT_NE(cmake_run->stdout_text.find("/libparley.so"), std::string::npos)
      << cmake_run->stdout_text;

  std::ofstream(work_ / "sftp.c")
      << "#include <libssh2.h>\n#include <libssh2_sftp.h>\nint main(void) "
         "{ return 0; }\n";
  auto sftp = RunSubprocess(
      {"sh", "-c",
       absl::StrCat("cc -c -o /dev/null ", (work_ / "sftp.c").string(), " ",
                    absl::StripTrailingAsciiWhitespace(
                        PkgConfig({"--cflags", "libssh2"})))});
  ASSERT_TRUE(sftp.ok());
  EXPECT_NE(sftp->exit_code, 0);
  EXPECT_NE(
      sftp->stderr_text.find("Parley does not provide libssh2's SFTP API"),
      std::string::npos)
      << sftp->stderr_text;
}

// The installed smartcard tools run from PREFIX: the verifier finds its
// crypto backend in PREFIX/lib/parley/backends, and the import command
// checks its arguments. The command's man page and completion are there.
TEST_F(CProgramTest, InstalledSmartcardToolsRun) {
  EXPECT_TRUE(fs::exists(prefix_ / "lib/parley/plugins" /
                         "libparley_responder_smartcard.so"));
  EXPECT_TRUE(fs::exists(prefix_ / "share/man/man1/parley.1"));
  EXPECT_TRUE(fs::exists(prefix_ / "share/bash-completion/completions/parley"));
  EXPECT_TRUE(fs::exists(prefix_ / "lib/security/pam_parley_challenge.so"));
  SubprocessOptions clean;
  clean.clear_env = true;
  auto nonce = RunSubprocess(
      {(prefix_ / "bin/parley-challenge-verify").string(), "--new-nonce"},
      clean);
  ASSERT_TRUE(nonce.ok());
  ASSERT_EQ(nonce->exit_code, 0) << nonce->DebugString();
  EXPECT_EQ(nonce->stdout_text.size(), 44u) << nonce->stdout_text;
  auto usage = RunSubprocess(
      {(prefix_ / "bin/parley-smartcard-import").string(), "--label", "x"},
      clean);
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->exit_code, 2);
  EXPECT_NE(usage->stderr_text.find("--secret-file"), std::string::npos);
}

// libssh2's agent API, used as its documentation shows: an unmodified
// agent client logs in with the key of OpenSSH's ssh-agent that the server
// knows (after the two it does not), blocking and non-blocking, under both
// backends; the agent also signs a message through libssh2_agent_sign.
TEST_F(CProgramTest, AgentProgramLogsInWithAgentKeys) {
  const fs::path agent_program = work_ / "agent_exec";
  Build(absl::StrCat("cc -std=c99 -Wall -Wextra -Werror", kSanitize, " -o ",
                     agent_program.string(), " tests/capi/agent_exec.c ",
                     PkgConfig({"--cflags", "--libs", "parley"})));
  SshAgent agent;
  ASSERT_TRUE(agent.Start().ok());
  std::string rsa_line;
  for (const char* type : {"ed25519", "ecdsa", "rsa"}) {
    const std::string key = (work_ / type).string();
    ASSERT_TRUE(MakeKeyFile(type, key, std::string("key-") + type).ok());
    auto added = agent.Add({key});
    ASSERT_TRUE(added.ok() && added->exit_code == 0);
    if (std::string(type) == "rsa") {
      std::ifstream in(key + ".pub");
      std::string t, b;
      in >> t >> b;
      rsa_line = t + " " + b;
    }
  }
  SshdOptions so;
  so.users.push_back({"alice", "secret", {rsa_line}, ""});
  so.host_key_types = {KeyType::kEd25519};
  so.authentication_methods = "publickey";
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  for (const char* backend : {"openssl", "cryptopp"}) {
    for (const char* mode : {"blocking", "nonblocking"}) {
      SCOPED_TRACE(absl::StrCat(backend, " ", mode));
      SubprocessOptions o;
      o.env["PARLEY_CRYPTO"] = backend;
      o.env["SSH_AUTH_SOCK"] = agent.socket();
      auto r = RunSubprocess(
          {agent_program.string(), "127.0.0.1", std::to_string(server.port()),
           "alice", server.known_hosts_path().string(), "echo via-agent", mode},
          o, absl::Seconds(60));
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->exit_code, 0) << r->DebugString() << server.LogTail(10);
      EXPECT_EQ(r->stdout_text, "via-agent\n");
      EXPECT_TRUE(
          absl::StrContains(r->stderr_text, "agent signed with ssh-ed25519"))
          << r->stderr_text;
      EXPECT_TRUE(absl::StrContains(r->stderr_text, "key key-ed25519: refused"))
          << r->stderr_text;
      EXPECT_TRUE(absl::StrContains(r->stderr_text, "key key-rsa: accepted"))
          << r->stderr_text;
    }
  }
  // Forwarded: the remote ssh-add lists the local agent's keys.
  {
    SubprocessOptions o;
    o.env["SSH_AUTH_SOCK"] = agent.socket();
    auto r = RunSubprocess(
        {agent_program.string(), "127.0.0.1", std::to_string(server.port()),
         "alice", server.known_hosts_path().string(), "ssh-add -l", "forward"},
        o, absl::Seconds(60));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 0) << r->DebugString() << server.LogTail(10);
    for (const char* comment : {"key-ed25519", "key-ecdsa", "key-rsa"}) {
      EXPECT_TRUE(absl::StrContains(r->stdout_text, comment)) << r->stdout_text;
    }
  }
  // No agent: the connect call fails with libssh2's message.
  SubprocessOptions none;
  none.env["SSH_AUTH_SOCK"] = "/tmp/parley-no-such-agent";
  auto r = RunSubprocess(
      {agent_program.string(), "127.0.0.1", std::to_string(server.port()),
       "alice", server.known_hosts_path().string(), "true"},
      none, absl::Seconds(60));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 31) << r->DebugString();
  EXPECT_TRUE(absl::StrContains(r->stderr_text, "parley-no-such-agent"))
      << r->stderr_text;
}

// parley_userauth_pkcs11: a C program logs in with a key on a SoftHSM2
// token, the PIN from its callback asked once, blocking and non-blocking,
// under both backends; a wrong PIN is LIBSSH2_ERROR_KEYFILE_AUTH_FAILED,
// asked once.
TEST_F(CProgramTest, Pkcs11ProgramLogsInWithATokenKey) {
  const fs::path program = work_ / "pkcs11_exec";
  Build(absl::StrCat("cc -std=c99 -Wall -Wextra -Werror", kSanitize, " -o ",
                     program.string(), " tests/capi/pkcs11_exec.c ",
                     PkgConfig({"--cflags", "--libs", "parley"})));
  SoftHsm hsm;
  ASSERT_TRUE(hsm.Start(work_ / "softhsm").ok());
  ASSERT_TRUE(hsm.InitToken("c-card", "2468").ok());
  ASSERT_TRUE(
      hsm.GenerateKey("c-card", "2468", "rsa:2048", "c-rsa", "41").ok());
  ASSERT_TRUE(
      hsm.GenerateKey("c-card", "2468", "EC:prime256v1", "c-ec", "42").ok());
  auto listed = RunSubprocess({"ssh-keygen", "-D", kSoftHsmModule});
  ASSERT_TRUE(listed.ok() && listed->exit_code == 0);
  // Only the EC key is authorised: the RSA key is offered and refused.
  std::string ec_line;
  for (absl::string_view l : absl::StrSplit(listed->stdout_text, '\n')) {
    if (absl::StartsWith(l, "ecdsa"))
      ec_line = std::string(l.substr(0, l.rfind(' ')));
  }
  ASSERT_FALSE(ec_line.empty()) << listed->stdout_text;
  SshdOptions so;
  so.users.push_back({"alice", "secret", {ec_line}, ""});
  so.host_key_types = {KeyType::kEd25519};
  so.authentication_methods = "publickey";
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  const std::string uri =
      absl::StrCat("pkcs11:token=c-card?module-path=", kSoftHsmModule);
  for (const char* backend : {"openssl", "cryptopp"}) {
    for (const char* mode : {"blocking", "nonblocking"}) {
      SCOPED_TRACE(absl::StrCat(backend, " ", mode));
      SubprocessOptions o;
      o.env["PARLEY_CRYPTO"] = backend;
      auto r = RunSubprocess(
          {program.string(), "127.0.0.1", std::to_string(server.port()),
           "alice", server.known_hosts_path().string(), uri, "2468",
           "echo via-token", mode},
          o, absl::Seconds(60));
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->exit_code, 0) << r->DebugString() << server.LogTail(10);
      EXPECT_EQ(r->stdout_text, "via-token\n");
      EXPECT_TRUE(absl::StrContains(r->stderr_text, "PIN callback calls: 1"))
          << r->stderr_text;
      EXPECT_TRUE(absl::StrContains(r->stderr_text, "PIN asked for c-card"))
          << r->stderr_text;
    }
  }
  auto wrong = RunSubprocess(
      {program.string(), "127.0.0.1", std::to_string(server.port()), "alice",
       server.known_hosts_path().string(), kSoftHsmModule, "0000", "true"});
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->exit_code, 40) << wrong->DebugString();
  EXPECT_TRUE(absl::StrContains(wrong->stderr_text, "PIN incorrect"))
      << wrong->stderr_text;
  EXPECT_TRUE(absl::StrContains(wrong->stderr_text, "PIN callback calls: 1"))
      << wrong->stderr_text;
}

}  // namespace
}  // namespace parley::testing
