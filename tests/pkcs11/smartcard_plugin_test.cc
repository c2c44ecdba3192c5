// The smartcard responder plugin with a SoftHSM2 token:
// - the provisioning command puts an OTP seed on the card as a secret key
//   that cannot be read back (pkcs11-tool is refused), and refuses a second
//   import under the same label;
// - card-held HOTP gives RFC 4226's published codes (the HMAC runs on the
//   card), answered after "later" and a wake (the card works on a worker
//   thread); PIN prompts answered from a descriptor; the PIN asked once;
// - card-held TOTP logs in to sshd through pam_oath (password + TOTP
//   stack), under both crypto backends;
// - challenge signing against sshd with the shipped PAM module and
//   verifier: an EC and an RSA card key the user has authorised pass; a
//   card key the user has not authorised is refused.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/auth/kbdint_login.h"
#include "core/auth/routing.h"
#include "core/base/waker.h"
#include "core/client/session.h"
#include "core/pkcs11/token.h"
#include "core/plugin/responder_plugin.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/known_hosts_check.h"
#include "tests/common/softhsm.h"
#include "tests/common/ssh_agent.h"
#include "tests/crypto/backend_fixture.h"
#include "tests/sshd/sshd_test_macros.h"
#include "tests/sshd/subprocess.h"

namespace parley::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// RFC 4226 Appendix D / RFC 6238's SHA-1 secret "12345678901234567890".
constexpr char kSeedHex[] = "3132333435363738393031323334353637383930";
constexpr char kSeedBase32[] = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
constexpr char kPin[] = "246810";

class CardEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    dir = fs::path(::testing::TempDir()) / "card";
    fs::remove_all(dir);
    fs::create_directories(dir);
    ASSERT_TRUE(hsm.Start(dir / "softhsm").ok());
    ASSERT_TRUE(hsm.InitToken("card", kPin).ok());
    ASSERT_TRUE(
        hsm.GenerateKey("card", kPin, "EC:prime256v1", "sign", "01").ok());
    ASSERT_TRUE(hsm.GenerateKey("card", kPin, "rsa:2048", "rsa", "02").ok());
    ASSERT_TRUE(
        hsm.GenerateKey("card", kPin, "EC:prime256v1", "stranger", "03").ok());
    // PINs come from SSH_ASKPASS (forced), which counts its calls.
    askpass = dir / "askpass";
    std::ofstream(askpass) << "#!/bin/sh\necho x >> '"
                           << (dir / "askpass.calls").string() << "'\necho "
                           << kPin << "\n";
    fs::permissions(askpass, fs::perms::owner_all);
    ::setenv("SSH_ASKPASS", askpass.c_str(), 1);
    ::setenv("SSH_ASKPASS_REQUIRE", "force", 1);
    secret = dir / "seed.txt";
    std::ofstream(secret) << kSeedBase32 << "\n";
    fs::permissions(secret, fs::perms::owner_read | fs::perms::owner_write);
    auto r = Import("otp");
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->exit_code, 0) << r->DebugString();
  }

  absl::StatusOr<SubprocessResult> Import(const std::string& label) {
    return RunSubprocess({"plugins/smartcard/parley-smartcard-import",
                          "--module", kSoftHsmModule, "--token",
                          "pkcs11:token=card", "--label", label, "--id", "0a",
                          "--secret-file", secret.string()});
  }

  int AskpassCalls() {
    std::ifstream in(dir / "askpass.calls");
    std::string line;
    int n = 0;
    while (std::getline(in, line)) ++n;
    return n;
  }

  fs::path dir, askpass, secret;
  SoftHsm hsm;
};

CardEnvironment* env = nullptr;

std::shared_ptr<plugin::ResponderPlugin> Plugin() {
  plugin::PluginFinder finder({"plugins/smartcard"}, false);
  auto p = finder.Find("smartcard");
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : nullptr;
}

auth::Challenge Round(std::vector<std::string> prompts) {
  auth::Challenge c;
  c.round = 1;
  c.user = "alice";
  c.host = "card.example";
  for (std::string& p : prompts) c.request.prompts.push_back({p, false});
  return c;
}

// Answers `c` with `inst`, waiting for the wake after "later".
auth::ResponderStatus Answer(auth::PartialResponder& inst, auth::Challenge c,
                             std::vector<SecureBuffer>* answers,
                             int* laters = nullptr) {
  WakeSource wake;
  c.waker = wake.waker();
  const std::vector<bool> asked = inst.Claim(c);
  for (int i = 0; i < 200; ++i) {
    answers->assign(c.request.prompts.size(), SecureBuffer());
    const auth::ResponderStatus s = inst.Respond(c, asked, answers);
    if (s != auth::ResponderStatus::kRetryLater) return s;
    if (laters != nullptr) ++*laters;
    for (int j = 0; j < 600 && !wake.TakeWake(); ++j) ::usleep(50 * 1000);
  }
  return auth::ResponderStatus::kCancel;
}

std::string Text(const SecureBuffer& b) {
  return std::string(b.begin(), b.end());
}

TEST(SmartcardPluginTest, TheSeedCannotBeReadBackNorImportedTwice) {
  auto r =
      RunSubprocess({"pkcs11-tool", "--module", kSoftHsmModule, "--token-label",
                     "card", "--login", "--pin", kPin, "--read-object",
                     "--type", "secrkey", "--label", "otp"});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->exit_code, 0) << r->DebugString();
  auto again = env->Import("otp");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->exit_code, 1);
  EXPECT_THAT(again->stderr_text, HasSubstr("already holds a secret key"));
}

TEST(SmartcardPluginTest, CardHeldHotpGivesTheRfcCodes) {
  auto p = Plugin();
  ASSERT_NE(p, nullptr);
  const fs::path counter = env->dir / "hotp.counter";
  fs::remove(counter);
  std::string log;
  auto inst = p->NewInstance({{"module", kSoftHsmModule},
                              {"token", "pkcs11:token=card"},
                              {"otp", "hotp"},
                              {"counter-file", counter.string()}},
                             [&log](parley_log_level, absl::string_view m) {
                               log += std::string(m) + "\n";
                             });
  ASSERT_TRUE(inst.ok()) << inst.status();
  // RFC 4226 Appendix D: counters 0, 1, 2.
  for (const char* want : {"755224", "287082", "359152"}) {
    std::vector<SecureBuffer> answers;
    int laters = 0;
    ASSERT_EQ(Answer(**inst, Round({"Verification code: "}), &answers, &laters),
              auth::ResponderStatus::kAnswered)
        << log;
    EXPECT_EQ(Text(answers[0]), want);
    EXPECT_EQ(laters, 1);  // the card works off the session's thread
  }
}

TEST(SmartcardPluginTest, AnswersPinPromptsFromADescriptor) {
  auto p = Plugin();
  ASSERT_NE(p, nullptr);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], "1357\n", 5), 5);
  auto inst = p->NewInstance({{"pin-fd", std::to_string(fds[0])}}, nullptr);
  ASSERT_TRUE(inst.ok()) << inst.status();
  std::vector<SecureBuffer> answers;
  auto c = Round({"Enter PIN: ", "Password: "});
  EXPECT_EQ((*inst)->Claim(c), (std::vector<bool>{true, false}));
  ASSERT_EQ(Answer(**inst, c, &answers), auth::ResponderStatus::kAnswered);
  EXPECT_EQ(Text(answers[0]), "1357");
  ::close(fds[1]);
  // Nothing more to read: the next PIN prompt cancels with the reason.
  std::string log;
  auto inst2 = p->NewInstance(
      {{"pin-fd", std::to_string(fds[0])}},
      [&log](parley_log_level, absl::string_view m) { log += std::string(m); });
  ASSERT_TRUE(inst2.ok());
  EXPECT_EQ(Answer(**inst2, Round({"PIN: "}), &answers),
            auth::ResponderStatus::kCancel);
  EXPECT_THAT(log, HasSubstr("smartcard:"));
  ::close(fds[0]);
}

TEST(SmartcardPluginTest, RefusesBadConfiguration) {
  auto p = Plugin();
  ASSERT_NE(p, nullptr);
  struct Case {
    plugin::Config config;
    const char* why;
  };
  const Case cases[] = {
      {{{"otp", "totp"}}, "need the card"},
      {{{"module", kSoftHsmModule}, {"otp", "motp"}}, "totp or hotp"},
      {{{"module", kSoftHsmModule}, {"otp", "hotp"}}, "counter-file"},
      {{{"pin", "1234"}}, "never taken from the configuration"},
      {{{"pin-fd", "x"}}, "descriptor"},
      {{{"token", "pkcs11:token=card?pin-value=1"}}, "must not hold the PIN"},
      {{{"module", "/nonexistent/p11.so"}, {"sign-key", "*"}}, "nonexistent"},
      {{{"pin-prompts", "no"}}, "nothing to answer"},
      {{{"colour", "red"}}, "unknown option"},
  };
  for (const Case& c : cases) {
    auto inst = p->NewInstance(c.config, nullptr);
    ASSERT_FALSE(inst.ok()) << c.why;
    EXPECT_THAT(inst.status().message(), HasSubstr(c.why));
  }
}

// Logins to sshd answered by the plugin.
class SmartcardSshdTest : public ::testing::Test {
 protected:
  std::unique_ptr<client::Session> Connect(SshdServer& server,
                                           const std::string& backend) {
    client::SessionOptions options;
    options.provider = crypto::testing::MustLoad(backend);
    const uint16_t port = static_cast<uint16_t>(server.port());
    options.verify_host_key = KnownHostsCheck(
        options.provider, server.known_hosts_path().string(), port);
    auto s = client::Session::Connect("127.0.0.1", port, options);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }

  std::shared_ptr<auth::RoutingResponder> Chain(
      std::vector<plugin::ResponderSpec> specs) {
    plugin::PluginFinder finder({"plugins/smartcard", "plugins/scripted"},
                                false);
    auto chain = plugin::BuildChain(
        finder, specs, [this](parley_log_level, absl::string_view m) {
          log_ += std::string(m) + "\n";
        });
    EXPECT_TRUE(chain.ok()) << chain.status();
    return chain.ok() ? *chain : nullptr;
  }

  bool LogIn(SshdServer& server, const std::string& backend,
             const std::string& user, auth::Responder& chain) {
    auto s = Connect(server, backend);
    if (s == nullptr) return false;
    auto outcome = s->AuthKeyboardInteractive(user, chain, {});
    last_status_ = outcome.status();
    if (!outcome.ok() || outcome->kind != auth::AuthOutcome::kSuccess) {
      return false;
    }
    auto r = s->Exec("echo in");
    return r.ok() && AsString(r->stdout_data) == "in\n";
  }

  std::string log_;
  absl::Status last_status_;
};

TEST_F(SmartcardSshdTest, CardHeldTotpPassesPamOath) {
  const fs::path rules = env->dir / "password.toml";
  std::ofstream(rules) << "unmatched = \"decline\"\n"
                          "[[answer]]\nprompt = \"^Password: $\"\n"
                          "echo = false\ntext = \"secret\"\n";
  const fs::path state = env->dir / "totp.step";
  fs::remove(state);
  SshdOptions so;
  so.users.push_back({"alice", "secret", {}, kSeedHex});
  so.pam_stack = PamStack::kPasswordThenTotp;
  so.extra_config = {"PasswordAuthentication no"};
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  const int calls_before = env->AskpassCalls();
  // pam_oath takes codes two steps ahead (window=2): skew=1 lets the second
  // login use the next step's code at once.
  auto chain = Chain({{"scripted", {{"rules", rules.string()}}, ""},
                      {"smartcard",
                       {{"module", kSoftHsmModule},
                        {"token", "pkcs11:token=card"},
                        {"otp", "totp"},
                        {"state-file", state.string()},
                        {"skew", "1"}},
                       ""}});
  ASSERT_NE(chain, nullptr);
  for (const char* backend : {"openssl", "cryptopp"}) {
    ASSERT_TRUE(LogIn(server, backend, "alice", *chain))
        << backend << ": " << last_status_ << "\n"
        << log_ << server.LogTail(20);
  }
  EXPECT_TRUE(server.WaitForLog("Accepted keyboard-interactive/pam").ok());
  // The token stays logged in: the PIN was asked at most once.
  EXPECT_LE(env->AskpassCalls() - calls_before, 1);
  EXPECT_FALSE(absl::StrContains(log_, kPin)) << log_;
}

TEST_F(SmartcardSshdTest, ChallengesSignedOnTheCardPassTheShippedVerifier) {
  auto module = pkcs11::Module::Load(kSoftHsmModule);
  ASSERT_TRUE(module.ok()) << module.status();
  auto keys = (*module)->FindKeys("pkcs11:token=card");
  ASSERT_TRUE(keys.ok()) << keys.status();
  std::map<std::string, std::string> line;
  for (const pkcs11::TokenKey& k : *keys) line[k.label] = KeyLine(k.blob);
  ASSERT_EQ(line.size(), 3u);

  SshdOptions so;
  // alice may sign with the EC and the RSA key; bob with neither.
  so.users.push_back({"alice", "unused", {line["sign"], line["rsa"]}, ""});
  so.users.push_back({"bob", "unused", {line["stranger"]}, ""});
  so.pam_stack = PamStack::kCustom;
  so.custom_auth = {absl::StrCat(
      "auth required ",
      fs::absolute("server/challenge/pam_parley_challenge.so").string(),
      " verifier=",
      fs::absolute("server/challenge/parley-challenge-verify").string(),
      " keys=%h/.ssh/authorized_keys")};
  so.authentication_methods = "keyboard-interactive";
  so.extra_config = {"PasswordAuthentication no"};
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  for (const char* key : {"sign", "rsa"}) {
    auto chain = Chain({{"smartcard",
                         {{"module", kSoftHsmModule},
                          {"token", "pkcs11:token=card"},
                          {"sign-key", key}},
                         ""}});
    ASSERT_NE(chain, nullptr);
    EXPECT_TRUE(LogIn(server, "openssl", "alice", *chain))
        << key << ": " << last_status_ << "\n"
        << log_ << server.LogTail(30);
  }
  EXPECT_TRUE(
      server.WaitForLog("Accepted keyboard-interactive/pam for alice").ok());
  // A card key alice has not authorised, and bob signing with alice's key.
  auto stranger = Chain({{"smartcard",
                          {{"module", kSoftHsmModule},
                           {"token", "pkcs11:token=card"},
                           {"sign-key", "stranger"}},
                          ""}});
  ASSERT_NE(stranger, nullptr);
  EXPECT_FALSE(LogIn(server, "cryptopp", "alice", *stranger));
  auto as_alice = Chain({{"smartcard",
                          {{"module", kSoftHsmModule},
                           {"token", "pkcs11:token=card"},
                           {"sign-key", "sign"}},
                          ""}});
  ASSERT_NE(as_alice, nullptr);
  EXPECT_FALSE(LogIn(server, "cryptopp", "bob", *as_alice));
  EXPECT_TRUE(server.WaitForLog("signed by a key not allowed").ok())
      << server.LogTail(30);
}

}  // namespace
}  // namespace parley::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  parley::testing::env = new parley::testing::CardEnvironment;
  ::testing::AddGlobalTestEnvironment(parley::testing::env);
  return RUN_ALL_TESTS();
}
