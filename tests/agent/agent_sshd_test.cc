// Publickey logins to OpenSSH's sshd with keys held by OpenSSH's ssh-agent:
// every key type under both backends (RSA with rsa-sha2-512 and -256), a
// key the server does not know refused after a query (the agent is never
// asked to sign it), and an agent key followed by keyboard-interactive
// (AuthenticationMethods publickey,keyboard-interactive).
#include <filesystem>
#include <fstream>
#include <string>

#include "core/agent/agent_signer.h"
#include "core/auth/responder.h"
#include "core/client/session.h"
#include "gtest/gtest.h"
#include "tests/common/known_hosts_check.h"
#include "tests/common/ssh_agent.h"
#include "tests/crypto/backend_fixture.h"
#include "tests/sshd/sshd_test_macros.h"

namespace parley::testing {
namespace {

namespace fs = std::filesystem;

std::string PublicKeyLine(const std::string& key_path) {
  std::ifstream in(key_path + ".pub");
  std::string type, blob;
  in >> type >> blob;
  return type + " " + blob;
}

// Counts the signatures asked of the signer it wraps.
class CountingSigner : public auth::Signer {
 public:
  explicit CountingSigner(std::shared_ptr<auth::Signer> inner)
      : inner_(std::move(inner)) {}
  const crypto::PublicKey& public_key() const override {
    return inner_->public_key();
  }
  const Bytes& public_key_blob() const override {
    return inner_->public_key_blob();
  }
  bool query_first() const override { return inner_->query_first(); }
  absl::StatusOr<auth::SignResult> Sign(const auth::SignRequest& request,
                                        Bytes* signature) override {
    ++signs;
    return inner_->Sign(request, signature);
  }
  int signs = 0;

 private:
  std::shared_ptr<auth::Signer> inner_;
};

class AgentSshdTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / "agent_sshd";
    fs::create_directories(dir_);
    ASSERT_TRUE(agent_.Start().ok());
    for (const char* type : {"ed25519", "ecdsa", "rsa"}) {
      const std::string key =
          (dir_ / (std::string(type) + GetParam())).string();
      ASSERT_TRUE(MakeKeyFile(type, key, type).ok());
      auto added = agent_.Add({key});
      ASSERT_TRUE(added.ok() && added->exit_code == 0);
      lines_[type] = PublicKeyLine(key);
    }
  }

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

  agent::AgentKey Key(const std::string& comment) {
    auto keys = agent::AgentSigners(agent_.socket());
    EXPECT_TRUE(keys.ok()) << keys.status();
    for (agent::AgentKey& k : *keys) {
      if (k.comment == comment) return k;
    }
    ADD_FAILURE() << "no agent key " << comment;
    return {};
  }

  fs::path dir_;
  SshAgent agent_;
  std::map<std::string, std::string> lines_;
};

TEST_P(AgentSshdTest, EveryKeyTypeLogsIn) {
  SshdOptions so;
  so.users.push_back({"alice",
                      "secret",
                      {lines_["ed25519"], lines_["ecdsa"], lines_["rsa"]},
                      ""});
  so.authentication_methods = "publickey";
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  for (const char* type : {"ed25519", "ecdsa", "rsa"}) {
    SCOPED_TRACE(type);
    auto s = Connect(server);
    ASSERT_NE(s, nullptr);
    agent::AgentKey key = Key(type);
    ASSERT_NE(key.signer, nullptr);
    auto outcome = s->AuthPublicKey("alice", key.signer);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
    EXPECT_EQ(outcome->kind, auth::AuthOutcome::kSuccess) << server.LogTail(10);
    auto r = s->Exec("echo agent");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(AsString(r->stdout_data), "agent\n");
  }
  // RSA signed with rsa-sha2 (sshd 9.2 refuses ssh-rsa).
  EXPECT_TRUE(server.WaitForLog("Accepted publickey for alice from").ok());
}

TEST_P(AgentSshdTest, AnUnknownKeyIsRefusedWithoutSigning) {
  SshdOptions so;
  so.users.push_back({"alice", "secret", {lines_["rsa"]}, ""});
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  auto s = Connect(server);
  ASSERT_NE(s, nullptr);
  auto counting = std::make_shared<CountingSigner>(Key("ed25519").signer);
  auto outcome = s->AuthPublicKey("alice", counting);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->kind, auth::AuthOutcome::kFailure);
  // Queried, refused, never signed.
  EXPECT_EQ(counting->signs, 0);
  auto rsa = s->AuthPublicKey("alice", Key("rsa").signer);
  ASSERT_TRUE(rsa.ok()) << rsa.status();
  EXPECT_EQ(rsa->kind, auth::AuthOutcome::kSuccess);
}

TEST_P(AgentSshdTest, AgentKeyThenKeyboardInteractive) {
  SshdOptions so;
  so.users.push_back({"alice", "secret", {lines_["ecdsa"]}, ""});
  so.authentication_methods = "publickey,keyboard-interactive";
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  auto s = Connect(server);
  ASSERT_NE(s, nullptr);
  auto first = s->AuthPublicKey("alice", Key("ecdsa").signer);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->kind, auth::AuthOutcome::kPartialSuccess);
  auth::PasswordResponder password(SecureBuffer{'s', 'e', 'c', 'r', 'e', 't'});
  auto second = s->AuthKeyboardInteractive("alice", password);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->kind, auth::AuthOutcome::kSuccess);
}

INSTANTIATE_TEST_SUITE_P(Backends, AgentSshdTest,
                         ::testing::Values("openssl", "cryptopp"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::testing
