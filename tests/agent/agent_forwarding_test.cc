// Agent forwarding (ssh -A) against OpenSSH's sshd: the remote ssh-add
// lists and uses the keys of the local ssh-agent through the channels sshd
// opens back to us; without forwarding asked for, there is no agent there.
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "core/agent/agent_signer.h"
#include "core/client/session.h"
#include "gtest/gtest.h"
#include "tests/common/known_hosts_check.h"
#include "tests/common/ssh_agent.h"
#include "tests/crypto/backend_fixture.h"
#include "tests/sshd/sshd_test_macros.h"

namespace parley::testing {
namespace {

namespace fs = std::filesystem;

class AgentForwardingTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("agent_fwd_" + GetParam());
    fs::create_directories(dir_);
    ASSERT_TRUE(agent_.Start().ok());
    for (const char* type : {"ed25519", "ecdsa"}) {
      const std::string key = (dir_ / type).string();
      ASSERT_TRUE(MakeKeyFile(type, key, std::string("fwd-") + type).ok());
      auto added = agent_.Add({key});
      ASSERT_TRUE(added.ok() && added->exit_code == 0);
      std::ifstream in(key + ".pub");
      std::string t, b;
      in >> t >> b;
      lines_.push_back(t + " " + b);
    }
  }

  std::unique_ptr<client::Session> LogIn(const SshdServer& server,
                                         bool forward) {
    client::SessionOptions options;
    options.provider = crypto::testing::MustLoad(GetParam());
    options.verify_host_key =
        KnownHostsCheck(options.provider, server.known_hosts_path().string(),
                        static_cast<uint16_t>(server.port()));
    if (forward) options.forward_agent = agent_.socket();
    auto s = client::Session::Connect(
        "127.0.0.1", static_cast<uint16_t>(server.port()), options);
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return nullptr;
    auto keys = agent::AgentSigners(agent_.socket());
    EXPECT_TRUE(keys.ok());
    auto outcome = (*s)->AuthPublicKey("alice", (*keys)[0].signer);
    EXPECT_TRUE(outcome.ok() && outcome->kind == auth::AuthOutcome::kSuccess);
    return std::move(*s);
  }

  fs::path dir_;
  SshAgent agent_;
  std::vector<std::string> lines_;
};

TEST_P(AgentForwardingTest, TheRemoteSideUsesTheLocalAgent) {
  SshdOptions so;
  so.users.push_back({"alice", "secret", {lines_[0]}, ""});
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  auto s = LogIn(server, true);
  ASSERT_NE(s, nullptr);
  // Two commands, each with its own forwarded channels.
  auto listed = s->Exec("ssh-add -L");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_TRUE(listed->agent_forwarding);
  EXPECT_EQ(listed->exit_status, 0u) << AsString(listed->stderr_data);
  const std::string out(AsString(listed->stdout_data));
  EXPECT_TRUE(absl::StrContains(out, lines_[0] + " fwd-ed25519")) << out;
  EXPECT_TRUE(absl::StrContains(out, lines_[1] + " fwd-ecdsa")) << out;
  // The remote side has the agent sign: ssh-keygen -Y sign with the
  // agent's key (the private key is not there).
  auto signed_ = s->Exec(
      "cd \"$(mktemp -d)\" && echo \"" + lines_[0] +
      "\" > k.pub && echo data > d && ssh-keygen -Y sign -q -f k.pub -n test "
      "d && head -1 d.sig");
  ASSERT_TRUE(signed_.ok()) << signed_.status();
  EXPECT_EQ(signed_->exit_status, 0u) << AsString(signed_->stderr_data);
  EXPECT_EQ(AsString(signed_->stdout_data), "-----BEGIN SSH SIGNATURE-----\n")
      << AsString(signed_->stderr_data);
}

TEST_P(AgentForwardingTest, NoForwardingMeansNoAgentThere) {
  SshdOptions so;
  so.users.push_back({"alice", "secret", {lines_[0]}, ""});
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  auto s = LogIn(server, false);
  ASSERT_NE(s, nullptr);
  auto listed = s->Exec("ssh-add -l");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_FALSE(listed->agent_forwarding);
  EXPECT_NE(listed->exit_status, 0u);
  EXPECT_TRUE(absl::StrContains(AsString(listed->stderr_data),
                                "Could not open a connection"))
      << AsString(listed->stderr_data);
}

INSTANTIATE_TEST_SUITE_P(Backends, AgentForwardingTest,
                         ::testing::Values("openssl", "cryptopp"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::testing
