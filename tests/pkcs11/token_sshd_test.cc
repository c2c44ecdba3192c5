// Publickey logins to sshd with keys that never leave a SoftHSM2 token --
// directly (core/pkcs11) and through OpenSSH's ssh-agent holding the token
// key (ssh-add -s) -- under both backends, alone and followed by
// keyboard-interactive; a wrong PIN fails the login cleanly.
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "core/agent/agent_signer.h"
#include "core/auth/responder.h"
#include "core/client/session.h"
#include "core/pkcs11/signer.h"
#include "gtest/gtest.h"
#include "tests/common/known_hosts_check.h"
#include "tests/common/softhsm.h"
#include "tests/common/ssh_agent.h"
#include "tests/crypto/backend_fixture.h"
#include "tests/sshd/sshd_test_macros.h"

namespace parley::testing {
namespace {

namespace fs = std::filesystem;

SoftHsm* g_hsm = nullptr;

class Tokens : public ::testing::Environment {
 public:
  void SetUp() override {
    const auto dir = fs::path(::testing::TempDir()) / "softhsm_sshd";
    fs::remove_all(dir);
    ASSERT_TRUE(hsm_.Start(dir).ok());
    ASSERT_TRUE(hsm_.InitToken("card", "4242").ok());
    ASSERT_TRUE(
        hsm_.GenerateKey("card", "4242", "EC:prime256v1", "card-ec", "11")
            .ok());
    ASSERT_TRUE(
        hsm_.GenerateKey("card", "4242", "rsa:2048", "card-rsa", "12").ok());
    // Tokens for the wrong-PIN test, never logged in to before it (SoftHSM
    // sees only tokens that exist when the module is initialised).
    for (const char* backend : {"openssl", "cryptopp"}) {
      const std::string label = std::string("wrong-") + backend;
      ASSERT_TRUE(hsm_.InitToken(label, "5555").ok());
      ASSERT_TRUE(
          hsm_.GenerateKey(label, "5555", "EC:prime256v1", "k", "21").ok());
    }
    g_hsm = &hsm_;
  }
  SoftHsm hsm_;
};

std::string Line(const pkcs11::TokenKey& k) { return KeyLine(k.blob); }

class TokenSshdTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<client::Session> Connect(const SshdServer& server) {
    client::SessionOptions options;
    options.provider = crypto::testing::MustLoad(GetParam());
    options.verify_host_key =
        KnownHostsCheck(options.provider, server.known_hosts_path().string(),
                        static_cast<uint16_t>(server.port()));
    auto s = client::Session::Connect(
        "127.0.0.1", static_cast<uint16_t>(server.port()), options);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::vector<pkcs11::TokenSigner> Signers(const std::string& pin, int* asked) {
    auto signers = pkcs11::TokenSigners(
        {kSoftHsmModule, "pkcs11:token=card"},
        crypto::testing::MustLoad(GetParam()),
        [pin,
         asked](const pkcs11::PinRequest&) -> absl::StatusOr<SecureBuffer> {
          ++*asked;
          return SecureBuffer(pin.begin(), pin.end());
        });
    EXPECT_TRUE(signers.ok()) << signers.status();
    return signers.ok() ? *signers : std::vector<pkcs11::TokenSigner>{};
  }
};

TEST_P(TokenSshdTest, TokenKeysLogIn) {
  int asked = 0;
  auto signers = Signers("4242", &asked);
  ASSERT_EQ(signers.size(), 2u);
  SshdOptions so;
  so.users.push_back(
      {"alice", "secret", {Line(signers[0].key), Line(signers[1].key)}, ""});
  so.authentication_methods = "publickey";
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  for (const pkcs11::TokenSigner& t : signers) {
    SCOPED_TRACE(t.key.label);
    auto s = Connect(server);
    ASSERT_NE(s, nullptr);
    auto outcome = s->AuthPublicKey("alice", t.signer);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_EQ(outcome->kind, auth::AuthOutcome::kSuccess) << server.LogTail(10);
    auto r = s->Exec("echo token");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(AsString(r->stdout_data), "token\n");
  }
  EXPECT_LE(asked, 1);  // once per token (maybe already logged in)
}

TEST_P(TokenSshdTest, TokenKeyThenKeyboardInteractive) {
  int asked = 0;
  auto signers = Signers("4242", &asked);
  ASSERT_FALSE(signers.empty());
  SshdOptions so;
  so.users.push_back({"alice", "secret", {Line(signers[0].key)}, ""});
  so.authentication_methods = "publickey,keyboard-interactive";
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  auto s = Connect(server);
  ASSERT_NE(s, nullptr);
  auto first = s->AuthPublicKey("alice", signers[0].signer);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->kind, auth::AuthOutcome::kPartialSuccess);
  auth::PasswordResponder password(SecureBuffer{'s', 'e', 'c', 'r', 'e', 't'});
  auto second = s->AuthKeyboardInteractive("alice", password);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->kind, auth::AuthOutcome::kSuccess);
}

// OpenSSH's agent holding the token key (ssh-add -s): Parley signs through
// the agent, which signs through the token.
TEST_P(TokenSshdTest, TokenKeyThroughSshAgent) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("agent_" + GetParam());
  fs::create_directories(dir);
  const std::string askpass = (dir / "askpass").string();
  std::ofstream(askpass) << "#!/bin/sh\necho 4242\n";
  fs::permissions(askpass, fs::perms::owner_all);
  SshAgent agent;
  ASSERT_TRUE(agent.Start({{"SOFTHSM2_CONF", g_hsm->conf()}}).ok());
  auto added =
      agent.Add({"-s", kSoftHsmModule}, {{"SSH_ASKPASS", askpass},
                                         {"SSH_ASKPASS_REQUIRE", "force"},
                                         {"DISPLAY", ":0"}});
  ASSERT_TRUE(added.ok() && added->exit_code == 0)
      << (added.ok() ? added->DebugString() : added.status().ToString());
  auto keys = agent::AgentSigners(agent.socket());
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_FALSE(keys->empty());
  SshdOptions so;
  so.users.push_back({"alice",
                      "secret",
                      {KeyLine(keys->front().signer->public_key_blob())},
                      ""});
  so.authentication_methods = "publickey";
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  auto s = Connect(server);
  ASSERT_NE(s, nullptr);
  auto outcome = s->AuthPublicKey("alice", keys->front().signer);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->kind, auth::AuthOutcome::kSuccess) << server.LogTail(10);
}

TEST_P(TokenSshdTest, AWrongPinFailsTheLoginCleanly) {
  // A token of its own, never logged in to.
  const std::string label = "wrong-" + GetParam();
  int asked = 0;
  auto signers = pkcs11::TokenSigners(
      {kSoftHsmModule, "pkcs11:token=" + label},
      crypto::testing::MustLoad(GetParam()),
      [&asked](const pkcs11::PinRequest&) -> absl::StatusOr<SecureBuffer> {
        ++asked;
        return SecureBuffer{'1', '2', '3', '4'};
      });
  ASSERT_TRUE(signers.ok()) << signers.status();
  ASSERT_EQ(signers->size(), 1u);
  SshdOptions so;
  so.users.push_back({"alice", "secret", {Line(signers->front().key)}, ""});
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  auto s = Connect(server);
  ASSERT_NE(s, nullptr);
  auto outcome = s->AuthPublicKey("alice", signers->front().signer);
  ASSERT_FALSE(outcome.ok());
  EXPECT_TRUE(absl::StrContains(outcome.status().message(), "PIN incorrect"))
      << outcome.status();
  EXPECT_EQ(asked, 1);
  EXPECT_FALSE(s->engine().closed());  // the session goes on
  auth::PasswordResponder password(SecureBuffer{'s', 'e', 'c', 'r', 'e', 't'});
  auto kbd = s->AuthKeyboardInteractive("alice", password);
  ASSERT_TRUE(kbd.ok()) << kbd.status();
  EXPECT_EQ(kbd->kind, auth::AuthOutcome::kSuccess);
}

INSTANTIATE_TEST_SUITE_P(Backends, TokenSshdTest,
                         ::testing::Values("openssl", "cryptopp"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new parley::testing::Tokens);
  return RUN_ALL_TESTS();
}
