// Proves SshdServer with the system OpenSSH client (/usr/bin/ssh): public
// key and PAM logins, every host key type, extra sshd_config lines, two
// servers at once, and that no process survives Stop() or a crashed test.
#include "tests/sshd/sshd_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sshd/process_tree.h"
#include "tests/sshd/sshd_test_macros.h"
#include "tests/sshd/subprocess.h"

namespace parley::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kUser[] = "alice";
constexpr char kPassword[] = "correct horse";
// The command every login runs: output on both streams and a non-zero exit.
constexpr char kCommand[] = "echo hello; echo err >&2; exit 3";

fs::path MakeTempDir() {
  std::string templ =
      (fs::path(::testing::TempDir()) / "client.XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) return fs::path();
  return templ;
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteExecutable(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  fs::permissions(path, fs::perms::owner_all);
}

// An SSH_ASKPASS program: appends each prompt to `prompt_log` and answers
// with `answer` (a shell word list; "$1" is the prompt).
fs::path WriteAskpass(const fs::path& dir, const std::string& answer_script) {
  fs::path path = dir / "askpass";
  WriteExecutable(path, absl::StrCat("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '",
                                     (dir / "prompts").string(), "'\n",
                                     answer_script, "\n"));
  return path;
}

// /usr/bin/ssh, isolated from the real user's configuration, keys and
// agent, trusting exactly the harness's known_hosts file.
std::vector<std::string> SshArgv(const SshdServer& server,
                                 const std::vector<std::string>& options,
                                 const std::string& command,
                                 const std::string& user = kUser) {
  std::vector<std::string> argv = {
      "/usr/bin/ssh",
      "-F",
      "/dev/null",
      "-n",
      "-p",
      absl::StrCat(server.port()),
      "-o",
      absl::StrCat("UserKnownHostsFile=", server.known_hosts_path().string()),
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      "UpdateHostKeys=no",
      "-o",
      "IdentityAgent=none",
      "-o",
      "ConnectTimeout=20",
      "-o",
      "LogLevel=ERROR",
  };
  for (const std::string& option : options) {
    argv.push_back("-o");
    argv.push_back(option);
  }
  argv.push_back(absl::StrCat(user, "@", SshdServer::host()));
  argv.push_back(command);
  return argv;
}

SubprocessOptions SshEnv(const fs::path& home, const fs::path& askpass = {}) {
  SubprocessOptions options;
  options.clear_env = true;
  options.env = {{"PATH", "/usr/bin:/bin"}, {"HOME", home.string()}};
  if (!askpass.empty()) {
    options.env["SSH_ASKPASS"] = askpass.string();
    options.env["SSH_ASKPASS_REQUIRE"] = "force";
  }
  return options;
}

std::vector<std::string> PublickeyOptions(const KeyPair& key) {
  return {absl::StrCat("IdentityFile=", key.private_key_path.string()),
          "IdentitiesOnly=yes", "PreferredAuthentications=publickey",
          "BatchMode=yes"};
}

std::vector<std::string> PasswordOptions(const std::string& method) {
  return {absl::StrCat("PreferredAuthentications=", method),
          "PubkeyAuthentication=no", "NumberOfPasswordPrompts=1"};
}

void ExpectCommandRan(const absl::StatusOr<SubprocessResult>& result) {
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 3) << result->DebugString();
  EXPECT_EQ(result->stdout_text, "hello\n") << result->DebugString();
  EXPECT_EQ(result->stderr_text, "err\n") << result->DebugString();
}

bool PortAcceptsConnections(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// Polls until `pid` is gone or a zombie (killed processes re-parented to an
// init that does not reap stay zombies).
bool WaitUntilNotRunning(pid_t pid, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (IsProcessRunning(pid)) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

// RFC 6238 TOTP (SHA-1, 30 s, 6 digits), as pam_oath computes it.
std::string Totp(const std::string& hex_seed, std::time_t now) {
  std::string key = absl::HexStringToBytes(hex_seed);
  uint64_t counter = static_cast<uint64_t>(now) / 30;
  unsigned char message[8];
  for (int i = 7; i >= 0; --i) {
    message[i] = static_cast<unsigned char>(counter & 0xff);
    counter >>= 8;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), message,
       sizeof(message), mac, &mac_len);
  int offset = mac[mac_len - 1] & 0x0f;
  uint32_t binary = (static_cast<uint32_t>(mac[offset] & 0x7f) << 24) |
                    (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                    (static_cast<uint32_t>(mac[offset + 2]) << 8) |
                    static_cast<uint32_t>(mac[offset + 3]);
  return absl::StrFormat("%06u", binary % 1000000);
}

// Each test gets a client directory with an Ed25519 client key.
class SshdHarnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_dir_ = MakeTempDir();
    ASSERT_FALSE(client_dir_.empty());
    absl::StatusOr<KeyPair> key =
        GenerateKeyPair(KeyType::kEd25519, client_dir_ / "id_ed25519");
    ASSERT_TRUE(key.ok()) << key.status();
    client_key_ = *key;
  }

  void TearDown() override {
    if (HasFailure()) {
      for (const auto& server : servers_) {
        std::cerr << "--- sshd log (" << server->log_path() << ") ---\n"
                  << server->LogTail(80) << "\n";
      }
    }
  }

  SshdOptions DefaultOptions() const {
    SshdOptions options;
    options.host_key_types = {KeyType::kEd25519};
    options.users.push_back({kUser, kPassword, {client_key_.public_key}, ""});
    return options;
  }

  // The server lives until the end of the test; its log is printed if the
  // test fails.
  SshdServer& NewServer(SshdOptions options) {
    servers_.push_back(std::make_unique<SshdServer>(std::move(options)));
    return *servers_.back();
  }

  absl::StatusOr<SubprocessResult> Ssh(const SshdServer& server,
                                       const std::vector<std::string>& options,
                                       const std::string& command = kCommand,
                                       const fs::path& askpass = {}) {
    return RunSubprocess(SshArgv(server, options, command),
                         SshEnv(client_dir_, askpass), absl::Seconds(60));
  }

  fs::path client_dir_;
  KeyPair client_key_;
  std::vector<std::unique_ptr<SshdServer>> servers_;
};

TEST_F(SshdHarnessTest, PublickeyLoginRunsCommand) {
  SshdServer& server = NewServer(DefaultOptions());
  PARLEY_START_SSHD_OR_SKIP(server);
  EXPECT_THAT(server.banner(), ::testing::StartsWith("SSH-2.0-OpenSSH_9.2"));
  ExpectCommandRan(Ssh(server, PublickeyOptions(client_key_)));
  EXPECT_THAT(server.ReadLog(), HasSubstr("Accepted publickey for alice"));
}

TEST_F(SshdHarnessTest, HomeDirectoryAndEnvironment) {
  SshdServer& server = NewServer(DefaultOptions());
  PARLEY_START_SSHD_OR_SKIP(server);
  absl::StatusOr<SubprocessResult> result =
      Ssh(server, PublickeyOptions(client_key_), "pwd; echo \"$USER\"");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0) << result->DebugString();
  EXPECT_EQ(result->stdout_text,
            absl::StrCat(server.home_dir(kUser).string(), "\nalice\n"));
}

TEST_F(SshdHarnessTest, KnownHostsAndKeyBlobs) {
  SshdOptions options = DefaultOptions();
  options.host_key_types = AllKeyTypes();
  SshdServer& server = NewServer(options);
  PARLEY_START_SSHD_OR_SKIP(server);
  EXPECT_EQ(ReadText(server.known_hosts_path()), server.known_hosts());
  std::vector<std::string> lines =
      absl::StrSplit(server.known_hosts(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), AllKeyTypes().size());
  for (size_t i = 0; i < lines.size(); ++i) {
    const KeyType type = AllKeyTypes()[i];
    SCOPED_TRACE(KeyTypeName(type));
    std::vector<std::string> fields = absl::StrSplit(lines[i], ' ');
    ASSERT_EQ(fields.size(), 3u) << lines[i];
    EXPECT_EQ(fields[0], absl::StrCat("[127.0.0.1]:", server.port()));
    EXPECT_EQ(fields[1], KeyTypeName(type));
    absl::StatusOr<Bytes> blob = server.host_key_blob(type);
    ASSERT_TRUE(blob.ok()) << blob.status();
    std::string decoded;
    ASSERT_TRUE(absl::Base64Unescape(fields[2], &decoded));
    EXPECT_EQ(Bytes(decoded.begin(), decoded.end()), *blob);
    // The blob starts with the SSH string holding the key type name.
    const std::string name(KeyTypeName(type));
    ASSERT_GT(blob->size(), 4 + name.size());
    EXPECT_EQ(std::string(blob->begin() + 4, blob->begin() + 4 + name.size()),
              name);
    EXPECT_EQ((*blob)[3], name.size());
    absl::StatusOr<std::string> line = server.host_public_key(type);
    ASSERT_TRUE(line.ok());
    EXPECT_EQ(*line, absl::StrCat(fields[1], " ", fields[2]));
  }
}

TEST_F(SshdHarnessTest, MissingHostKeyTypeIsNotFound) {
  SshdServer& server = NewServer(DefaultOptions());
  PARLEY_START_SSHD_OR_SKIP(server);
  EXPECT_TRUE(
      absl::IsNotFound(server.host_key_blob(KeyType::kRsa3072).status()));
}

// One server with every host key type; each client run forces one
// HostKeyAlgorithms value and the server log shows it was used.
class HostKeyAlgorithmTest : public SshdHarnessTest,
                             public ::testing::WithParamInterface<const char*> {
};

TEST_P(HostKeyAlgorithmTest, PublickeyLogin) {
  SshdOptions options = DefaultOptions();
  options.host_key_types = AllKeyTypes();
  options.log_level = "DEBUG1";
  SshdServer& server = NewServer(options);
  PARLEY_START_SSHD_OR_SKIP(server);
  std::vector<std::string> ssh_options = PublickeyOptions(client_key_);
  ssh_options.push_back(absl::StrCat("HostKeyAlgorithms=", GetParam()));
  ExpectCommandRan(Ssh(server, ssh_options));
  EXPECT_THAT(server.ReadLog(),
              HasSubstr(absl::StrCat("kex: host key algorithm: ", GetParam())));
}

INSTANTIATE_TEST_SUITE_P(AllHostKeys, HostKeyAlgorithmTest,
                         ::testing::Values("ssh-ed25519", "ecdsa-sha2-nistp256",
                                           "ecdsa-sha2-nistp384",
                                           "ecdsa-sha2-nistp521",
                                           "rsa-sha2-256", "rsa-sha2-512"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!isalnum(static_cast<unsigned char>(c)))
                               c = '_';
                           }
                           return name;
                         });

TEST_F(SshdHarnessTest, WrongHostKeyIsRejected) {
  SshdServer& server = NewServer(DefaultOptions());
  PARLEY_START_SSHD_OR_SKIP(server);
  std::vector<std::string> options = PublickeyOptions(client_key_);
  options.push_back("HostKeyAlgorithms=ecdsa-sha2-nistp256");  // Not served.
  absl::StatusOr<SubprocessResult> result = Ssh(server, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 255) << result->DebugString();
}

TEST_F(SshdHarnessTest, KeyboardInteractivePasswordViaPam) {
  SshdServer& server = NewServer(DefaultOptions());
  PARLEY_START_SSHD_OR_SKIP(server);
  fs::path askpass =
      WriteAskpass(client_dir_, absl::StrCat("echo '", kPassword, "'"));
  ExpectCommandRan(
      Ssh(server, PasswordOptions("keyboard-interactive"), kCommand, askpass));
  EXPECT_THAT(server.ReadLog(),
              HasSubstr("Accepted keyboard-interactive/pam for alice"));
  EXPECT_THAT(ReadText(client_dir_ / "prompts"), HasSubstr("Password:"));
}

TEST_F(SshdHarnessTest, PasswordMethodViaPam) {
  SshdServer& server = NewServer(DefaultOptions());
  PARLEY_START_SSHD_OR_SKIP(server);
  fs::path askpass =
      WriteAskpass(client_dir_, absl::StrCat("echo '", kPassword, "'"));
  ExpectCommandRan(Ssh(server, PasswordOptions("password"), kCommand, askpass));
  EXPECT_THAT(server.ReadLog(), HasSubstr("Accepted password for alice"));
}

TEST_F(SshdHarnessTest, WrongPasswordIsRejected) {
  SshdServer& server = NewServer(DefaultOptions());
  PARLEY_START_SSHD_OR_SKIP(server);
  fs::path askpass = WriteAskpass(client_dir_, "echo wrong");
  for (const char* method : {"keyboard-interactive", "password"}) {
    SCOPED_TRACE(method);
    absl::StatusOr<SubprocessResult> result =
        Ssh(server, PasswordOptions(method), kCommand, askpass);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->exit_code, 255) << result->DebugString();
    EXPECT_THAT(result->stderr_text, HasSubstr("Permission denied"));
  }
}

TEST_F(SshdHarnessTest, AuthenticationMethodsPublickeyThenKeyboardInteractive) {
  SshdOptions options = DefaultOptions();
  options.authentication_methods = "publickey,keyboard-interactive";
  SshdServer& server = NewServer(options);
  PARLEY_START_SSHD_OR_SKIP(server);

  // The key alone is only a partial success.
  absl::StatusOr<SubprocessResult> key_only =
      Ssh(server, PublickeyOptions(client_key_));
  ASSERT_TRUE(key_only.ok()) << key_only.status();
  EXPECT_EQ(key_only->exit_code, 255) << key_only->DebugString();

  fs::path askpass =
      WriteAskpass(client_dir_, absl::StrCat("echo '", kPassword, "'"));
  ExpectCommandRan(
      Ssh(server,
          {absl::StrCat("IdentityFile=", client_key_.private_key_path.string()),
           "IdentitiesOnly=yes",
           "PreferredAuthentications=publickey,keyboard-interactive",
           "NumberOfPasswordPrompts=1"},
          kCommand, askpass));
  const std::string log = server.ReadLog();
  EXPECT_THAT(log, HasSubstr("Partial publickey for alice"));
  EXPECT_THAT(log, HasSubstr("Accepted keyboard-interactive/pam for alice"));
}

TEST_F(SshdHarnessTest, ExtraConfigRestrictsAlgorithmsAndRekeys) {
  SshdOptions options = DefaultOptions();
  options.log_level = "DEBUG1";
  options.extra_config = {"KexAlgorithms curve25519-sha256",
                          "Ciphers aes128-ctr", "MACs hmac-sha2-256",
                          "HostKeyAlgorithms ssh-ed25519", "RekeyLimit 1M"};
  SshdServer& server = NewServer(options);
  PARLEY_START_SSHD_OR_SKIP(server);

  // 3 MB through a channel with RekeyLimit 1M: at least two more key
  // exchanges after the first.
  absl::StatusOr<SubprocessResult> bulk =
      Ssh(server, PublickeyOptions(client_key_), "head -c 3000000 /dev/zero");
  ASSERT_TRUE(bulk.ok()) << bulk.status();
  EXPECT_EQ(bulk->exit_code, 0) << bulk->stderr_text;
  EXPECT_EQ(bulk->stdout_text.size(), 3000000u);
  const std::string log = server.ReadLog();
  EXPECT_THAT(log, HasSubstr("kex: algorithm: curve25519-sha256"));
  EXPECT_THAT(log, HasSubstr("cipher: aes128-ctr MAC: hmac-sha2-256"));
  size_t kex_count = 0;
  for (size_t pos = 0;
       (pos = log.find("kex: algorithm: ", pos)) != std::string::npos; ++pos) {
    ++kex_count;
  }
  EXPECT_GE(kex_count, 3u) << "expected rekeying";

  // A client that insists on another cipher finds none in common.
  std::vector<std::string> gcm = PublickeyOptions(client_key_);
  gcm.push_back("Ciphers=aes256-gcm@openssh.com");
  absl::StatusOr<SubprocessResult> refused = Ssh(server, gcm);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->exit_code, 255) << refused->DebugString();
  // The server logs this after the client has gone.
  EXPECT_TRUE(server
                  .WaitForLog("no matching cipher found. Their offer: "
                              "aes256-gcm@openssh.com")
                  .ok());
}

TEST_F(SshdHarnessTest, MatchBlockGoesLast) {
  SshdOptions options = DefaultOptions();
  options.extra_config = {"Match User alice", "  PasswordAuthentication no"};
  SshdServer& server = NewServer(options);
  PARLEY_START_SSHD_OR_SKIP(server);
  const std::string config = ReadText(server.config_path());
  EXPECT_GT(config.find("Match User alice"), config.find("UsePAM yes"));
  fs::path askpass =
      WriteAskpass(client_dir_, absl::StrCat("echo '", kPassword, "'"));
  absl::StatusOr<SubprocessResult> result =
      Ssh(server, PasswordOptions("password"), kCommand, askpass);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 255) << result->DebugString();
  ExpectCommandRan(Ssh(server, PublickeyOptions(client_key_)));
}

TEST_F(SshdHarnessTest, ChattyPamStack) {
  SshdOptions options = DefaultOptions();
  options.pam_stack = PamStack::kChattyThenPassword;
  options.chatty_lines = 2;
  SshdServer& server = NewServer(options);
  PARLEY_START_SSHD_OR_SKIP(server);
  fs::path askpass =
      WriteAskpass(client_dir_, absl::StrCat("echo '", kPassword, "'"));
  ExpectCommandRan(
      Ssh(server, PasswordOptions("keyboard-interactive"), kCommand, askpass));
  EXPECT_THAT(server.ReadLog(),
              HasSubstr("Accepted keyboard-interactive/pam for alice"));
  // pam_chatty's messages reach the client folded into the prompt text.
  const std::string prompts = ReadText(client_dir_ / "prompts");
  EXPECT_THAT(prompts, HasSubstr("Password:"));
  EXPECT_GT(std::count(prompts.begin(), prompts.end(), '\n'), 2) << prompts;
}

TEST_F(SshdHarnessTest, PasswordThenTotpPamStack) {
  const std::string seed = "3132333435363738393031323334353637383930";
  SshdOptions options = DefaultOptions();
  options.pam_stack = PamStack::kPasswordThenTotp;
  options.users[0].totp_secret_hex = seed;
  SshdServer& server = NewServer(options);
  PARLEY_START_SSHD_OR_SKIP(server);
  // window=2 in the PAM stack absorbs a 30 s step boundary.
  const std::string code = Totp(seed, std::time(nullptr));
  fs::path askpass = WriteAskpass(
      client_dir_, absl::StrCat("case \"$1\" in *OATH*) echo ", code,
                                " ;; *) echo '", kPassword, "' ;; esac"));
  ExpectCommandRan(
      Ssh(server, PasswordOptions("keyboard-interactive"), kCommand, askpass));
  const std::string prompts = ReadText(client_dir_ / "prompts");
  EXPECT_THAT(prompts, HasSubstr("Password:"));
  EXPECT_THAT(prompts, HasSubstr("One-time password (OATH)"));
}

TEST_F(SshdHarnessTest, TwoServersAtOnce) {
  SshdServer& first = NewServer(DefaultOptions());
  SshdServer& second = NewServer(DefaultOptions());
  PARLEY_START_SSHD_OR_SKIP(first);
  PARLEY_START_SSHD_OR_SKIP(second);
  EXPECT_NE(first.port(), second.port());
  EXPECT_NE(first.work_dir(), second.work_dir());
  EXPECT_NE(*first.host_key_blob(KeyType::kEd25519),
            *second.host_key_blob(KeyType::kEd25519));
  ExpectCommandRan(Ssh(first, PublickeyOptions(client_key_)));
  ExpectCommandRan(Ssh(second, PublickeyOptions(client_key_)));

  // Each server has its own host key: trusting the first server's keys for
  // the second one's port fails.
  std::vector<std::string> argv =
      SshArgv(second, PublickeyOptions(client_key_), kCommand);
  for (std::string& arg : argv) {
    if (absl::StartsWith(arg, "UserKnownHostsFile=")) {
      fs::path swapped = client_dir_ / "swapped_known_hosts";
      std::ofstream(swapped) << absl::StrReplaceAll(
          first.known_hosts(), {{absl::StrCat(":", first.port(), " "),
                                 absl::StrCat(":", second.port(), " ")}});
      arg = absl::StrCat("UserKnownHostsFile=", swapped.string());
    }
  }
  absl::StatusOr<SubprocessResult> mismatch =
      RunSubprocess(argv, SshEnv(client_dir_), absl::Seconds(60));
  ASSERT_TRUE(mismatch.ok()) << mismatch.status();
  EXPECT_EQ(mismatch->exit_code, 255);
  EXPECT_THAT(mismatch->stderr_text, HasSubstr("Host key verification failed"));

  first.Stop();
  EXPECT_FALSE(PortAcceptsConnections(first.port()));
  ExpectCommandRan(Ssh(second, PublickeyOptions(client_key_)));
}

// With a private /tmp, sessions (and pam_wrapper's /tmp/pam.X state) use
// work_dir()/tmp; without, the real /tmp.
TEST_F(SshdHarnessTest, PrivateTmp) {
  for (bool wanted : {true, false}) {
    SCOPED_TRACE(wanted ? "private_tmp = true" : "private_tmp = false");
    SshdOptions options = DefaultOptions();
    options.private_tmp = wanted;
    SshdServer& server = NewServer(options);
    PARLEY_START_SSHD_OR_SKIP(server);
    if (!wanted) {
      EXPECT_FALSE(server.has_private_tmp());
    }
    // Root under Bazel (TEST_TMPDIR outside /tmp) gets one unless the
    // kernel refuses the mount namespace.
    std::cerr << "has_private_tmp() = " << server.has_private_tmp() << "\n";
    const std::string name =
        absl::StrCat("parley_sshd_", getpid(), "_", server.port());
    ExpectCommandRan(Ssh(server, PublickeyOptions(client_key_),
                         absl::StrCat("touch /tmp/", name, "; ", kCommand)));
    const fs::path real = fs::path("/tmp") / name;
    const fs::path private_file = server.work_dir() / "tmp" / name;
    if (server.has_private_tmp()) {
      EXPECT_TRUE(fs::exists(private_file));
      EXPECT_FALSE(fs::exists(real));
      bool pam_wrapper_state = false;
      for (const auto& entry :
           fs::directory_iterator(server.work_dir() / "tmp")) {
        if (absl::StartsWith(entry.path().filename().string(), "pam.")) {
          pam_wrapper_state = true;
        }
      }
      EXPECT_TRUE(pam_wrapper_state) << "no /tmp/pam.X inside the private /tmp";
    } else {
      EXPECT_TRUE(fs::exists(real));
      EXPECT_FALSE(fs::exists(private_file));
      fs::remove(real);
    }
  }
}

TEST_F(SshdHarnessTest, StartTwiceFailsAndRestartKeepsKeys) {
  SshdServer& server = NewServer(DefaultOptions());
  PARLEY_START_SSHD_OR_SKIP(server);
  EXPECT_TRUE(absl::IsFailedPrecondition(server.Start()));
  const Bytes key = *server.host_key_blob(KeyType::kEd25519);
  server.Stop();
  EXPECT_FALSE(server.running());
  ASSERT_TRUE(server.Start().ok()) << server.LogTail();
  EXPECT_EQ(*server.host_key_blob(KeyType::kEd25519), key);
  ExpectCommandRan(Ssh(server, PublickeyOptions(client_key_)));
}

TEST_F(SshdHarnessTest, StopKillsListenerSessionsAndOrphans) {
  SshdServer& server = NewServer(DefaultOptions());
  PARLEY_START_SSHD_OR_SKIP(server);

  // A session command that detaches: its shell exits, the channel closes,
  // and `sleep` is re-parented away from sshd's process tree.
  absl::StatusOr<SubprocessResult> detach =
      Ssh(server, PublickeyOptions(client_key_),
          "sleep 600 </dev/null >/dev/null 2>&1 & echo $!");
  ASSERT_TRUE(detach.ok()) << detach.status();
  ASSERT_EQ(detach->exit_code, 0) << detach->DebugString();
  int orphan = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(detach->stdout_text),
                               &orphan));
  EXPECT_TRUE(IsProcessRunning(orphan));

  // A session that is still open when Stop() comes.
  absl::StatusOr<std::unique_ptr<Subprocess>> client = Subprocess::Spawn(
      SshArgv(server, PublickeyOptions(client_key_), "echo started; sleep 600"),
      SshEnv(client_dir_));
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->WaitForStdout("started", absl::Seconds(30)).ok());

  const std::vector<pid_t> tree = server.ProcessTree();
  // The listener, per-connection sshd processes, the session's shell or
  // sleep, and the orphan.
  EXPECT_GE(tree.size(), 4u);
  EXPECT_THAT(tree, ::testing::Contains(server.pid()));
  EXPECT_THAT(tree, ::testing::Contains(orphan));
  const int port = server.port();

  server.Stop();
  for (pid_t pid : tree) {
    EXPECT_FALSE(IsProcessRunning(pid)) << "pid " << pid << " survived Stop()";
  }
  EXPECT_FALSE(PortAcceptsConnections(port));
  EXPECT_TRUE(server.ProcessTree().empty());
  absl::StatusOr<SubprocessResult> closed = (*client)->Wait(absl::Seconds(30));
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->exit_code, 255) << closed->DebugString();
  // The log stays readable after Stop().
  EXPECT_THAT(server.ReadLog(), HasSubstr("Accepted publickey for alice"));
}

// A test process that dies without Stop(): sshd gets SIGKILL from
// PR_SET_PDEATHSIG, and the next Start() kills its orphaned sessions.
TEST_F(SshdHarnessTest, CrashedOwnerLeavesNothingBehind) {
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  const SshdOptions options = DefaultOptions();
  const fs::path client_dir = client_dir_;
  const KeyPair key = client_key_;
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The doomed "test process". No gtest assertions here.
    close(report[0]);
    SshdServer server(options);
    if (!server.Start().ok()) _exit(1);
    absl::StatusOr<SubprocessResult> detach =
        RunSubprocess(SshArgv(server, PublickeyOptions(key),
                              "sleep 600 </dev/null >/dev/null 2>&1 & echo $!"),
                      SshEnv(client_dir), absl::Seconds(60));
    if (!detach.ok() || detach->exit_code != 0) _exit(2);
    std::string message =
        absl::StrCat(server.pid(), " ",
                     absl::StripAsciiWhitespace(detach->stdout_text), "\n");
    (void)!write(report[1], message.data(), message.size());
    raise(SIGKILL);
  }
  close(report[1]);
  std::string message;
  char buf[64];
  ssize_t n;
  while ((n = read(report[0], buf, sizeof(buf))) > 0) {
    message.append(buf, static_cast<size_t>(n));
  }
  close(report[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  if (WIFEXITED(status)) {
    FAIL() << "child could not set up (exit " << WEXITSTATUS(status) << ")";
  }
  ASSERT_TRUE(WIFSIGNALED(status));
  std::vector<std::string> pids =
      absl::StrSplit(absl::StripAsciiWhitespace(message), ' ');
  ASSERT_EQ(pids.size(), 2u) << message;
  int listener = 0;
  int orphan = 0;
  ASSERT_TRUE(absl::SimpleAtoi(pids[0], &listener));
  ASSERT_TRUE(absl::SimpleAtoi(pids[1], &orphan));

  EXPECT_TRUE(WaitUntilNotRunning(listener, absl::Seconds(10)))
      << "sshd " << listener << " outlived its owner";
  EXPECT_TRUE(IsProcessRunning(orphan));

  SshdServer& next = NewServer(DefaultOptions());
  PARLEY_START_SSHD_OR_SKIP(next);
  EXPECT_TRUE(WaitUntilNotRunning(orphan, absl::Seconds(10)))
      << "orphaned session " << orphan << " survived";
}

TEST(SshdHarnessOptionsTest, BadOptionsAreInvalidArgument) {
  SshdOptions bad_user;
  bad_user.users.push_back({"no spaces please", "pw", {}, ""});
  EXPECT_TRUE(absl::IsInvalidArgument(SshdServer(bad_user).Start()));

  SshdOptions bad_password;
  bad_password.users.push_back({"bob", "a:b", {}, ""});
  EXPECT_TRUE(absl::IsInvalidArgument(SshdServer(bad_password).Start()));

  SshdOptions twice;
  twice.host_key_types = {KeyType::kEd25519, KeyType::kEd25519};
  EXPECT_TRUE(absl::IsInvalidArgument(SshdServer(twice).Start()));
}

TEST(SshdHarnessOptionsTest, MissingSshdIsFailedPrecondition) {
  SshdOptions options;
  options.sshd_path = "/nonexistent/sshd";
  absl::Status status = SshdServer(options).Start();
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("openssh-server"));
}

}  // namespace
}  // namespace parley::testing
