// The agent client against OpenSSH's ssh-agent: listing keys of every type,
// signatures (rsa-sha2 flags honoured) verified with both crypto backends,
// the background signer waking its session, refusals and a missing agent.
#include <filesystem>

#include "core/agent/agent_signer.h"
#include "core/agent/client.h"
#include "core/crypto/ssh_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/ssh_agent.h"
#include "tests/crypto/backend_fixture.h"

namespace parley::agent {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class AgentClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / "agent_client";
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(agent_.Start().ok());
    for (const char* type : {"ed25519", "ecdsa", "rsa"}) {
      const std::string key = (dir_ / type).string();
      ASSERT_TRUE(
          testing::MakeKeyFile(type, key, std::string("key-") + type).ok());
      auto added = agent_.Add({key});
      ASSERT_TRUE(added.ok() && added->exit_code == 0)
          << (added.ok() ? added->DebugString() : "");
    }
  }
  fs::path dir_;
  testing::SshAgent agent_;
};

TEST_F(AgentClientTest, ListsAndSignsWithEveryKeyType) {
  auto client = AgentClient::Connect(agent_.socket());
  ASSERT_TRUE(client.ok()) << client.status();
  auto ids = (*client)->ListIdentities();
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_EQ(ids->size(), 3u);
  EXPECT_EQ((*ids)[0].comment, "key-ed25519");
  const Bytes data = {'s', 'e', 's', 's', 'i', 'o', 'n'};
  for (const char* backend : {"openssl", "cryptopp"}) {
    auto provider = crypto::testing::MustLoad(backend);
    ASSERT_NE(provider, nullptr);
    for (const Identity& id : *ids) {
      auto key = crypto::ParsePublicKeyBlob(id.key_blob);
      ASSERT_TRUE(key.ok());
      std::vector<crypto::SignatureAlgorithm> algs;
      if (id.comment == "key-rsa") {
        algs = {crypto::SignatureAlgorithm::kRsaSha256,
                crypto::SignatureAlgorithm::kRsaSha512};
      } else if (id.comment == "key-ecdsa") {
        algs = {crypto::SignatureAlgorithm::kEcdsaP256Sha256};
      } else {
        algs = {crypto::SignatureAlgorithm::kEd25519};
      }
      for (crypto::SignatureAlgorithm alg : algs) {
        auto sig = (*client)->Sign(id.key_blob, data, SignFlags(alg));
        ASSERT_TRUE(sig.ok()) << sig.status();
        crypto::VerifyOptions vo;
        vo.required = alg;
        EXPECT_TRUE(
            crypto::VerifySshSignature(*provider, *key, *sig, data, vo).ok())
            << id.comment << " " << crypto::SignatureAlgorithmName(alg);
      }
    }
  }
}

TEST_F(AgentClientTest, BackgroundSignerWakesTheSession) {
  std::vector<std::string> skipped;
  auto keys = AgentSigners(agent_.socket(), &skipped);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_TRUE(skipped.empty());
  auto provider = crypto::testing::MustLoad("openssl");
  for (const AgentKey& k : *keys) {
    EXPECT_TRUE(k.signer->query_first());
    WakeSource wake;
    auth::SignRequest req;
    req.data = {1, 2, 3};
    req.algorithm = k.signer->algorithms().front();
    req.waker = wake.waker();
    Bytes sig;
    auto first = k.signer->Sign(req, &sig);
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_EQ(*first, auth::SignResult::kRetryLater);
    for (int i = 0; i < 500 && !wake.woken(); ++i) ::usleep(10000);
    ASSERT_TRUE(wake.TakeWake()) << k.comment;
    auto second = k.signer->Sign(req, &sig);
    ASSERT_TRUE(second.ok()) << second.status();
    ASSERT_EQ(*second, auth::SignResult::kSigned);
    crypto::VerifyOptions vo;
    vo.required = req.algorithm;
    EXPECT_TRUE(crypto::VerifySshSignature(*provider, k.signer->public_key(),
                                           sig, req.data, vo)
                    .ok())
        << k.comment;
  }
}

TEST_F(AgentClientTest, RefusalsAndAMissingAgent) {
  auto client = AgentClient::Connect(agent_.socket());
  ASSERT_TRUE(client.ok());
  // A key the agent does not hold.
  auto ids = (*client)->ListIdentities();
  ASSERT_TRUE(ids.ok());
  Bytes unknown = (*ids)[0].key_blob;
  unknown.back() ^= 1;
  auto sig = (*client)->Sign(unknown, Bytes{1}, 0);
  EXPECT_EQ(sig.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(sig.status().message()), HasSubstr("refused"));
  // Nobody listening.
  const std::string gone = "/tmp/parley-no-agent-" + std::to_string(::getpid());
  auto missing = AgentClient::Connect(gone);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr(gone));
  // IdentityAgent spellings.
  EXPECT_EQ(AgentSocketPath("none"), "");
  EXPECT_EQ(AgentSocketPath("/x/y"), "/x/y");
  ::setenv("PARLEY_TEST_AGENT", "/from/var", 1);
  EXPECT_EQ(AgentSocketPath("$PARLEY_TEST_AGENT"), "/from/var");
}

}  // namespace
}  // namespace parley::agent
