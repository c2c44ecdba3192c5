// The parley command against sshd's password + TOTP PAM stack: responder
// plugins chosen with --responder (scripted for the password, otp for the
// code), $PARLEY_PASSWORD, SSH_ASKPASS for what no responder claims, and
// the errors a user sees for a wrong chain.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/common/softhsm.h"
#include "tests/common/ssh_agent.h"
#include "tests/sshd/sshd_test_macros.h"
#include "tests/sshd/subprocess.h"

namespace parley::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kSeedHex[] = "3132333435363738393031323334353637383930";
constexpr char kSeedBase32[] = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

class ParleyCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    secret_ = (dir_ / "totp").string();
    std::ofstream(secret_) << kSeedBase32 << "\n";
    fs::permissions(secret_, fs::perms::owner_read | fs::perms::owner_write);
    // pam_oath takes codes two steps ahead: every login here gets a fresh
    // one without waiting.
    otp_ = absl::StrCat("otp:secret-file=", secret_,
                        ",state-file=", (dir_ / "step").string(), ",skew=2");
  }

  void StartServer(PamStack stack, SshdOptions so = SshdOptions()) {
    so.users.push_back({"alice", "secret", {}, kSeedHex});
    so.pam_stack = stack;
    so.extra_config = {"PasswordAuthentication no"};
    server_ = std::make_unique<SshdServer>(so);
  }

  absl::StatusOr<SubprocessResult> Parley(
      std::vector<std::string> args,
      std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv = {"tools/cli/parley",
                                     "--known-hosts",
                                     server_->known_hosts_path().string(),
                                     "-p",
                                     std::to_string(server_->port()),
                                     "--plugin-dir",
                                     "plugins/otp",
                                     "--plugin-dir",
                                     "plugins/scripted",
                                     "--plugin-dir",
                                     "plugins/terminal"};
    argv.insert(argv.end(), args.begin(), args.end());
    // Bazel's test environment holds none of PARLEY_PASSWORD, SSH_ASKPASS
    // and DISPLAY; `env` adds what a case needs.
    SubprocessOptions o;
    o.env = std::move(env);
    o.env["HOME"] = dir_.string();
    const std::string here = fs::current_path().string();
    o.env["PARLEY_BACKEND_PATH"] =
        here + "/backends/openssl:" + here + "/backends/cryptopp";
    return RunSubprocess(argv, o, absl::Seconds(60));
  }

  std::string Rules(const std::string& text) {
    const std::string path = (dir_ / "rules.toml").string();
    std::ofstream(path) << text;
    return path;
  }

  fs::path dir_;
  std::string secret_, otp_;
  std::unique_ptr<SshdServer> server_;
};

TEST_F(ParleyCliTest, HelpListsTheOptionsAndExitsZero) {
  auto r = RunSubprocess({"tools/cli/parley", "--help"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0);
  for (const char* option :
       {"-i identity_file", "--responder", "--plugin-dir"}) {
    EXPECT_TRUE(absl::StrContains(r->stdout_text, option)) << option;
  }
  auto bad = RunSubprocess({"tools/cli/parley", "--no-such-option", "h"});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->exit_code, 255);
  EXPECT_TRUE(absl::StrContains(bad->stderr_text, "usage: parley"));
}

TEST_F(ParleyCliTest, ScriptedAndOtpPluginsLogIn) {
  StartServer(PamStack::kPasswordThenTotp);
  PARLEY_START_SSHD_OR_SKIP(*server_);
  const std::string rules = Rules(
      "unmatched = \"decline\"\n[[answer]]\nprompt = \"^Password: $\"\n"
      "env = \"CORP_PASSWORD\"\n");
  for (const char* backend : {"openssl", "cryptopp"}) {
    auto r = Parley(
        {"--crypto", backend, "--responder", "scripted:rules=" + rules,
         "--responder", otp_, "alice@127.0.0.1", "echo", "in;", "exit", "3"},
        {{"CORP_PASSWORD", "secret"}});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 3) << r->DebugString() << server_->LogTail(20);
    EXPECT_EQ(r->stdout_text, "in\n") << r->DebugString();
    EXPECT_FALSE(absl::StrContains(r->stderr_text, "secret"))
        << r->DebugString();
  }
}

TEST_F(ParleyCliTest, PasswordFromTheEnvironmentAndAskpassForTheRest) {
  StartServer(PamStack::kPasswordThenTotp);
  PARLEY_START_SSHD_OR_SKIP(*server_);
  // $PARLEY_PASSWORD and the OTP plugin: nobody is asked.
  auto r = Parley({"--responder", otp_, "alice@127.0.0.1", "echo", "a"},
                  {{"PARLEY_PASSWORD", "secret"}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->DebugString() << server_->LogTail(20);
  EXPECT_EQ(r->stdout_text, "a\n");

  // Without a terminal, SSH_ASKPASS (forced) is asked what no responder
  // claims -- here the password -- as ssh does.
  const std::string askpass = (dir_ / "askpass").string();
  std::ofstream(askpass) << "#!/bin/sh\necho \"$1\" >> " << dir_.string()
                         << "/asked\necho secret\n";
  fs::permissions(askpass, fs::perms::owner_all);
  r = Parley({"--responder", otp_, "alice@127.0.0.1", "echo", "b"},
             {{"SSH_ASKPASS", askpass}, {"SSH_ASKPASS_REQUIRE", "force"}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->DebugString() << server_->LogTail(20);
  EXPECT_EQ(r->stdout_text, "b\n");
  std::ifstream asked(dir_ / "asked");
  std::string line;
  std::getline(asked, line);
  EXPECT_EQ(line, "Password: ");
  EXPECT_FALSE(std::getline(asked, line)) << "asked again: " << line;
}

TEST_F(ParleyCliTest, AChainThatCannotAnswerFailsWithTheReason) {
  StartServer(PamStack::kPasswordThenTotp);
  PARLEY_START_SSHD_OR_SKIP(*server_);
  // A plugin that does not exist.
  auto r = Parley({"--responder", "nosuch", "alice@127.0.0.1", "true"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 255);
  EXPECT_TRUE(absl::StrContains(r->stderr_text, "nosuch")) << r->stderr_text;
  // A malformed spec.
  r = Parley({"--responder", "otp:skew", "alice@127.0.0.1", "true"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 255);
  EXPECT_TRUE(absl::StrContains(r->stderr_text, "--responder otp:skew"))
      << r->stderr_text;
  // Rules that do not know the OTP prompt (unmatched prompts fail).
  const std::string rules =
      Rules("[[answer]]\nprompt = \"^Password: $\"\ntext = \"secret\"\n");
  r = Parley(
      {"--responder", "scripted:rules=" + rules, "alice@127.0.0.1", "true"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 255);
  EXPECT_TRUE(
      absl::StrContains(r->stderr_text, "no rule answers prompt 1 of round 2"))
      << r->stderr_text;
  EXPECT_TRUE(absl::StrContains(r->stderr_text, "One-time password"))
      << r->stderr_text;
  // No terminal and no askpass: a clear error instead of an empty answer.
  r = Parley({"alice@127.0.0.1", "true"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 255);
  EXPECT_TRUE(absl::StrContains(r->stderr_text, "terminal")) << r->stderr_text;
}

// Agent keys are tried first, as ssh does; -A forwards the agent to the
// command; -o IdentityAgent=none leaves the agent out.
TEST_F(ParleyCliTest, AgentKeysAndForwarding) {
  SshAgent agent;
  ASSERT_TRUE(agent.Start().ok());
  const std::string key = (dir_ / "id_ed25519").string();
  ASSERT_TRUE(MakeKeyFile("ed25519", key, "cli-agent-key").ok());
  auto added = agent.Add({key});
  ASSERT_TRUE(added.ok() && added->exit_code == 0);
  std::ifstream in(key + ".pub");
  std::string type, blob;
  in >> type >> blob;
  SshdOptions so;
  so.users.push_back({"alice", "secret", {type + " " + blob}, ""});
  so.authentication_methods = "publickey";
  server_ = std::make_unique<SshdServer>(so);
  PARLEY_START_SSHD_OR_SKIP(*server_);
  auto r = Parley({"-A", "alice@127.0.0.1", "ssh-add", "-l"},
                  {{"SSH_AUTH_SOCK", agent.socket()}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->DebugString() << server_->LogTail(10);
  EXPECT_TRUE(absl::StrContains(r->stdout_text, "cli-agent-key"))
      << r->DebugString();
  // Without the agent there is no key to log in with.
  r = Parley({"-o", "IdentityAgent=none", "alice@127.0.0.1", "true"},
             {{"SSH_AUTH_SOCK", agent.socket()}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 255) << r->DebugString();
  // The agent named by -o IdentityAgent.
  r = Parley({"-o", "IdentityAgent=" + agent.socket(), "alice@127.0.0.1",
              "echo", "named"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stdout_text, "named\n") << r->DebugString();
}

// Keys on a PKCS#11 token (-I, -o PKCS11Provider=): the PIN through
// SSH_ASKPASS (asked once) or a descriptor (--pin-fd); a wrong PIN ends the
// login with the reason, asked once.
TEST_F(ParleyCliTest, TokenKeysWithAPin) {
  SoftHsm hsm;
  ASSERT_TRUE(hsm.Start(dir_ / "softhsm").ok());
  ASSERT_TRUE(hsm.InitToken("cli-card", "7777").ok());
  ASSERT_TRUE(
      hsm.GenerateKey("cli-card", "7777", "EC:prime256v1", "cli-ec", "31")
          .ok());
  auto listed = RunSubprocess({"ssh-keygen", "-D", kSoftHsmModule});
  ASSERT_TRUE(listed.ok() && listed->exit_code == 0);
  std::string line =
      listed->stdout_text.substr(0, listed->stdout_text.find('\n'));
  line = line.substr(0, line.rfind(' '));  // without the label
  SshdOptions so;
  so.users.push_back({"alice", "secret", {line}, ""});
  so.authentication_methods = "publickey";
  server_ = std::make_unique<SshdServer>(so);
  PARLEY_START_SSHD_OR_SKIP(*server_);

  auto askpass = [&](const std::string& pin) {
    const std::string path = (dir_ / ("askpass-" + pin)).string();
    std::ofstream(path) << "#!/bin/sh\necho \"$1\" >> " << dir_.string()
                        << "/asked-" << pin << "\necho " << pin << "\n";
    fs::permissions(path, fs::perms::owner_all);
    return std::map<std::string, std::string>{{"SSH_ASKPASS", path},
                                              {"SSH_ASKPASS_REQUIRE", "force"}};
  };
  auto r = Parley({"-I", kSoftHsmModule, "alice@127.0.0.1", "echo", "card"},
                  askpass("7777"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->DebugString() << server_->LogTail(10);
  EXPECT_EQ(r->stdout_text, "card\n");
  {
    std::ifstream asked(dir_ / "asked-7777");
    std::string prompt;
    std::getline(asked, prompt);
    EXPECT_EQ(prompt, "Enter PIN for 'cli-card': ");
    EXPECT_FALSE(std::getline(asked, prompt));
  }
  // A URI, and the PIN from a descriptor.
  const std::string pin_file = (dir_ / "pin").string();
  std::ofstream(pin_file) << "7777\n";
  // (Run through bash so that descriptor 3 is open for parley.)
  SubprocessOptions o;
  o.env["HOME"] = dir_.string();
  const std::string here = fs::current_path().string();
  o.env["PARLEY_BACKEND_PATH"] =
      here + "/backends/openssl:" + here + "/backends/cryptopp";
  auto fd_run = RunSubprocess(
      {"bash", "-c",
       absl::StrCat(
           "exec 3<", pin_file, "; exec tools/cli/parley --known-hosts ",
           server_->known_hosts_path().string(), " -p ", server_->port(),
           " -o PKCS11Provider='pkcs11:token=cli-card", "?module-path=",
           kSoftHsmModule, "' --pin-fd 3 alice@127.0.0.1 echo fd")},
      o, absl::Seconds(60));
  ASSERT_TRUE(fd_run.ok());
  EXPECT_EQ(fd_run->exit_code, 0) << fd_run->DebugString();
  EXPECT_EQ(fd_run->stdout_text, "fd\n");
  // A wrong PIN: asked once, the reason shown, exit 255.
  r = Parley({"-I", kSoftHsmModule, "alice@127.0.0.1", "true"},
             askpass("0000"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 255) << r->DebugString();
  EXPECT_TRUE(absl::StrContains(r->stderr_text, "PIN incorrect"))
      << r->stderr_text;
  std::ifstream asked(dir_ / "asked-0000");
  std::string prompt;
  int prompts = 0;
  while (std::getline(asked, prompt)) ++prompts;
  EXPECT_EQ(prompts, 1);
}

// Host certificates: with only a @cert-authority line for the host in
// known_hosts, parley asks for certificate host keys first and accepts
// sshd's certificate signed by that CA; an expired certificate, one for
// another host name, or a CA line for other hosts (the plain key is then
// unknown) are refused, each saying why.
TEST_F(ParleyCliTest, HostCertificatesThroughACertAuthority) {
  const std::string ca = (dir_ / "host_ca").string();
  auto keygen = RunSubprocess({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519",
                               "-N", "", "-C", "", "-f", ca});
  ASSERT_TRUE(keygen.ok() && keygen->exit_code == 0);
  std::ifstream ca_pub_file(ca + ".pub");
  std::string ca_pub;
  std::getline(ca_pub_file, ca_pub);
  struct Case {
    const char* name;
    std::string principals, validity, pattern;
    int exit_code;
    const char* says;
  };
  const Case kCases[] = {
      {"valid", "127.0.0.1", "-5m:+1h", "", 0,
       "host key ssh-ed25519-cert-v01@openssh.com"},
      {"expired", "127.0.0.1", "20200101:20200102", "", 255, "expired"},
      {"other host", "db.example", "-5m:+1h", "", 255,
       "not valid for \"127.0.0.1\""},
      {"CA for other hosts", "127.0.0.1", "-5m:+1h", "*.example", 255,
       "known_hosts"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    SshdOptions so;
    so.host_key_types = {KeyType::kEd25519};
    so.host_certificate_ca = ca;
    so.host_certificate_principals = c.principals;
    so.host_certificate_validity = c.validity;
    StartServer(PamStack::kPassword, so);
    PARLEY_START_SSHD_OR_SKIP(*server_);
    const std::string pattern =
        c.pattern.empty() ? absl::StrCat("[127.0.0.1]:", server_->port())
                          : c.pattern;
    std::ofstream(server_->known_hosts_path())
        << "@cert-authority " << pattern << " " << ca_pub << "\n";
    for (const char* backend : {"openssl", "cryptopp"}) {
      auto r =
          Parley({"--crypto", backend, "-v", "alice@127.0.0.1", "echo", "in"},
                 {{"PARLEY_PASSWORD", "secret"}});
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->exit_code, c.exit_code) << backend << r->DebugString();
      EXPECT_TRUE(absl::StrContains(r->stderr_text, c.says))
          << backend << r->DebugString();
      if (c.exit_code == 0) {
        EXPECT_EQ(r->stdout_text, "in\n");
      }
    }
    server_.reset();
  }
}

// Legacy algorithms through the -o lists, as with ssh: an sshd that offers
// only CBC, hmac-md5 and group exchange is refused by default and reached
// with -o Ciphers=... -o MACs=... -o KexAlgorithms=+...
TEST_F(ParleyCliTest, LegacyAlgorithmsThroughOptions) {
  SshdOptions so;
  so.users.push_back({"alice", "secret", {}, kSeedHex});
  so.log_level = "DEBUG1";
  so.extra_config = {"PasswordAuthentication no", "Ciphers aes256-cbc",
                     "MACs hmac-md5",
                     "KexAlgorithms diffie-hellman-group-exchange-sha256"};
  server_ = std::make_unique<SshdServer>(so);
  PARLEY_START_SSHD_OR_SKIP(*server_);
  auto refused = Parley({"alice@127.0.0.1", "echo", "in"},
                        {{"PARLEY_PASSWORD", "secret"}});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->exit_code, 255) << refused->DebugString();
  EXPECT_TRUE(absl::StrContains(refused->stderr_text, "no common"))
      << refused->DebugString();
  auto r = Parley({"-o", "Ciphers=aes256-cbc", "-o", "MACs=hmac-md5", "-o",
                   "KexAlgorithms=+diffie-hellman-group-exchange-sha256",
                   "alice@127.0.0.1", "echo", "in"},
                  {{"PARLEY_PASSWORD", "secret"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->DebugString() << server_->LogTail(20);
  EXPECT_EQ(r->stdout_text, "in\n");
  EXPECT_TRUE(server_
                  ->WaitForLog("kex: client->server cipher: aes256-cbc MAC: "
                               "hmac-md5")
                  .ok());
}

}  // namespace
}  // namespace parley::testing
