// Keyboard-interactive logins against OpenSSH's sshd with real PAM stacks
// (pam_matrix, pam_oath TOTP, pam_chatty), method chains with partial
// success, wrong answers, and a non-blocking login driven by poll(), with
// both crypto backends.
#include <poll.h>

#include <ctime>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/auth/kbdint_login.h"
#include "core/client/session.h"
#include "core/crypto/ssh_keys.h"
#include "core/hostkeys/host_key_policy.h"
#include "core/net/tcp.h"
#include "core/session/engine.h"
#include "core/session/socket_driver.h"
#include "gtest/gtest.h"
#include "tests/common/known_hosts_check.h"
#include "tests/crypto/backend_fixture.h"
#include "tests/sshd/sshd_test_macros.h"

namespace parley::testing {
namespace {

constexpr char kSeedHex[] = "3132333435363738393031323334353637383930";

// TOTP (RFC 6238, 30 s steps, 6 digits) over HOTP (RFC 4226 section 5.3).
std::string Totp(const crypto::CryptoProvider& p, const std::string& seed_hex,
                 time_t now) {
  Bytes key;
  EXPECT_TRUE(FromHex(seed_hex, &key));
  const uint64_t counter = static_cast<uint64_t>(now) / 30;
  uint8_t msg[8];
  for (int i = 0; i < 8; ++i)
    msg[i] = static_cast<uint8_t>(counter >> (56 - 8 * i));
  auto mac = p.NewHmac(crypto::HashAlgorithm::kSha1, key);
  EXPECT_TRUE(mac.ok());
  uint8_t h[20];
  EXPECT_TRUE((*mac)->Compute({ByteView(msg)}, MutableByteView(h)).ok());
  const int off = h[19] & 0xf;
  const uint32_t bin = (uint32_t{h[off]} & 0x7f) << 24 |
                       uint32_t{h[off + 1]} << 16 | uint32_t{h[off + 2]} << 8 |
                       uint32_t{h[off + 3]};
  return absl::StrFormat("%06u", bin % 1000000);
}

// Answers PAM's prompts: the password for "Password", a TOTP code for the
// OATH prompt; records what it saw.
class PamResponder : public auth::Responder {
 public:
  PamResponder(const crypto::CryptoProvider* p, std::string password)
      : p_(p), password_(std::move(password)) {}
  auth::ResponderStatus Respond(const auth::Challenge& c,
                                std::vector<SecureBuffer>* answers) override {
    ++calls;
    rounds.push_back(c.request);
    for (const auth::Prompt& prompt : c.request.prompts) {
      std::string a = password_;
      if (absl::StrContains(prompt.text, "One-time password")) {
        a = Totp(*p_, kSeedHex, time(nullptr));
      }
      answers->emplace_back(a.begin(), a.end());
    }
    return auth::ResponderStatus::kAnswered;
  }
  int calls = 0;
  std::vector<auth::InfoRequest> rounds;

 private:
  const crypto::CryptoProvider* p_;
  std::string password_;
};

class KbdIntSshdTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<client::Session> Connect(const SshdServer& server) {
    client::SessionOptions options;
    options.provider = crypto::testing::MustLoad(GetParam());
    provider_ = options.provider;
    const uint16_t port = static_cast<uint16_t>(server.port());
    options.verify_host_key =
        KnownHostsCheck(provider_, server.known_hosts_path().string(), port);
    auto s = client::Session::Connect("127.0.0.1", port, options);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  void ExpectExecWorks(client::Session& s) {
    auto r = s.Exec("echo logged-in");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(AsString(r->stdout_data), "logged-in\n");
  }
  std::shared_ptr<const crypto::CryptoProvider> provider_;
};

TEST_P(KbdIntSshdTest, PasswordOnlyStack) {
  SshdOptions so;
  so.users.push_back({"alice", "secret", {}, ""});
  so.extra_config = {"PasswordAuthentication no"};
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  auto s = Connect(server);
  ASSERT_NE(s, nullptr);
  PamResponder r(provider_.get(), "secret");
  auto outcome = s->AuthKeyboardInteractive("alice", r);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->kind, auth::AuthOutcome::kSuccess);
  // "Password: ", then PAM's closing round with zero prompts.
  ASSERT_EQ(r.calls, 2);
  ASSERT_EQ(r.rounds[0].prompts.size(), 1u);
  EXPECT_EQ(r.rounds[0].prompts[0].text, "Password: ");
  EXPECT_FALSE(r.rounds[0].prompts[0].echo);
  EXPECT_TRUE(r.rounds[1].prompts.empty());
  ExpectExecWorks(*s);
  EXPECT_TRUE(server.WaitForLog("Accepted keyboard-interactive/pam").ok());
}

TEST_P(KbdIntSshdTest, PasswordThenTotp) {
  SshdOptions so;
  so.users.push_back({"alice", "secret", {}, kSeedHex});
  so.pam_stack = PamStack::kPasswordThenTotp;
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  auto s = Connect(server);
  ASSERT_NE(s, nullptr);
  PamResponder r(provider_.get(), "secret");
  auto outcome = s->AuthKeyboardInteractive("alice", r);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->kind, auth::AuthOutcome::kSuccess) << server.LogTail(20);
  ASSERT_EQ(r.calls, 3);
  EXPECT_EQ(r.rounds[0].prompts[0].text, "Password: ");
  EXPECT_TRUE(
      absl::StrContains(r.rounds[1].prompts[0].text, "One-time password"));
  ExpectExecWorks(*s);
}

TEST_P(KbdIntSshdTest, ChattyMessagesReachTheResponder) {
  SshdOptions so;
  so.users.push_back({"alice", "secret", {}, ""});
  so.pam_stack = PamStack::kChattyThenPassword;
  so.chatty_lines = 3;
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  auto s = Connect(server);
  ASSERT_NE(s, nullptr);
  PamResponder r(provider_.get(), "secret");
  auto outcome = s->AuthKeyboardInteractive("alice", r);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->kind, auth::AuthOutcome::kSuccess);
  // sshd folds PAM's info and error messages into the prompt's text.
  ASSERT_FALSE(r.rounds.empty());
  std::string all;
  for (const auto& round : r.rounds) {
    all += round.instruction;
    for (const auto& p : round.prompts) all += p.text;
  }
  // pam_chatty's three info and three error messages, each line once.
  auto count = [&all](const std::string& needle) {
    int n = 0;
    for (size_t pos = all.find(needle); pos != std::string::npos;
         pos = all.find(needle, pos + needle.size())) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(count("Authentication succeeded"), 3) << all;
  EXPECT_EQ(count("Authentication generated an error"), 3) << all;
  EXPECT_EQ(count("Password: "), 1) << all;
  ExpectExecWorks(*s);
}

TEST_P(KbdIntSshdTest, WrongPasswordFailsCleanly) {
  SshdOptions so;
  so.users.push_back({"alice", "secret", {}, ""});
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  auto s = Connect(server);
  ASSERT_NE(s, nullptr);
  PamResponder wrong(provider_.get(), "not-the-password");
  auto outcome = s->AuthKeyboardInteractive("alice", wrong);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->kind, auth::AuthOutcome::kFailure);
  EXPECT_FALSE(s->authenticated());
  EXPECT_NE(std::find(outcome->methods.begin(), outcome->methods.end(),
                      "keyboard-interactive"),
            outcome->methods.end());
  // The wrong answer was not written to the server's log.
  EXPECT_EQ(server.ReadLog().find("not-the-password"), std::string::npos);
  // A second attempt on the same connection succeeds.
  PamResponder right(provider_.get(), "secret");
  auto again = s->AuthKeyboardInteractive("alice", right);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->kind, auth::AuthOutcome::kSuccess);
}

// AuthenticationMethods publickey,keyboard-interactive: the key gives
// partial success, then keyboard-interactive completes the login.
TEST_P(KbdIntSshdTest, PublicKeyThenKeyboardInteractive) {
  auto provider = crypto::testing::MustLoad(GetParam());
  auto key = provider->GenerateKey(crypto::KeyType::kEd25519, 0);
  ASSERT_TRUE(key.ok());
  const Bytes blob = crypto::EncodePublicKeyBlob(key->public_key);
  const std::string line =
      absl::StrCat("ssh-ed25519 ", absl::Base64Escape(AsString(blob)));
  SshdOptions so;
  so.users.push_back({"alice", "secret", {line}, ""});
  so.authentication_methods = "publickey,keyboard-interactive";
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  auto s = Connect(server);
  ASSERT_NE(s, nullptr);
  auto first = s->AuthPublicKey("alice", *key);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->kind, auth::AuthOutcome::kPartialSuccess);
  EXPECT_EQ(first->methods, std::vector<std::string>{"keyboard-interactive"});
  EXPECT_FALSE(s->authenticated());
  PamResponder r(provider_.get(), "secret");
  auto second = s->AuthKeyboardInteractive("alice", r);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->kind, auth::AuthOutcome::kSuccess);
  ExpectExecWorks(*s);
}

// AuthenticationMethods password,keyboard-interactive.
TEST_P(KbdIntSshdTest, PasswordThenKeyboardInteractive) {
  SshdOptions so;
  so.users.push_back({"alice", "secret", {}, ""});
  so.authentication_methods = "password,keyboard-interactive";
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  auto s = Connect(server);
  ASSERT_NE(s, nullptr);
  auto first = s->AuthPassword("alice", AsBytes("secret"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->kind, auth::AuthOutcome::kPartialSuccess);
  PamResponder r(provider_.get(), "secret");
  auto second = s->AuthKeyboardInteractive("alice", r);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->kind, auth::AuthOutcome::kSuccess);
  ExpectExecWorks(*s);
}

// Non-blocking: the session engine's login is driven by
// SocketDriver::Step() and poll(); the socket really would block (recv
// returned EAGAIN), and the responder runs exactly once per round.
TEST_P(KbdIntSshdTest, NonBlockingLogin) {
  SshdOptions so;
  so.users.push_back({"alice", "secret", {}, ""});
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  auto provider = crypto::testing::MustLoad(GetParam());
  const uint16_t port = static_cast<uint16_t>(server.port());
  session::EngineOptions eo;
  eo.provider = provider;
  eo.host = "127.0.0.1";
  eo.port = port;
  eo.check_host_key = session::SyncHostKeyCheck(
      KnownHostsCheck(provider, server.known_hosts_path().string(), port));
  session::Engine engine(eo);
  ASSERT_TRUE(engine.Start(Clock::now()).ok());
  auto fd = net::ConnectTcp("127.0.0.1", port, std::chrono::seconds(5));
  ASSERT_TRUE(fd.ok());
  session::SocketDriver driver(*fd, &engine);
  PamResponder r(provider.get(), "secret");
  bool started = false;
  absl::optional<absl::StatusOr<auth::AuthOutcome>> result;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    ASSERT_TRUE(driver.Step().ok()) << engine.error();
    if (!started && engine.established()) {
      ASSERT_TRUE(
          engine.AuthKeyboardInteractive("alice", &r, {}, Clock::now()).ok());
      started = true;
      continue;
    }
    if (engine.auth_done()) {
      result = engine.TakeAuthResult();
      break;
    }
    pollfd pfd{*fd, 0, 0};
    if (driver.wait_directions() & session::kWaitRead) pfd.events |= POLLIN;
    if (driver.wait_directions() & session::kWaitWrite) pfd.events |= POLLOUT;
    poll(&pfd, 1, 1000);
  }
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->ok()) << result->status();
  EXPECT_EQ((*result)->kind, auth::AuthOutcome::kSuccess);
  EXPECT_GT(driver.would_block_reads(), 0u);
  EXPECT_EQ(r.calls, 2);
  EXPECT_EQ(engine.kbdint_rounds(), 2);
  close(*fd);
}

INSTANTIATE_TEST_SUITE_P(Backends, KbdIntSshdTest,
                         ::testing::Values("openssl", "cryptopp"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::testing
