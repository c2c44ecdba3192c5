// Responder plugins, loaded as shared objects, logging in to OpenSSH's sshd
// through a password + TOTP PAM stack (pam_matrix, then pam_oath with replay
// protection): the scripted plugin answers the password, the OTP plugin the
// one-time code, under both crypto backends. Two logins in one 30 s time
// step: the second waits for the next step's code rather than replay one
// (pam_oath would refuse it); a wait longer than the round deadline cancels
// with the reason.
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/auth/kbdint_login.h"
#include "core/auth/routing.h"
#include "core/client/session.h"
#include "core/hostkeys/host_key_policy.h"
#include "core/plugin/responder_plugin.h"
#include "gtest/gtest.h"
#include "tests/common/known_hosts_check.h"
#include "tests/crypto/backend_fixture.h"
#include "tests/sshd/sshd_test_macros.h"

namespace parley::testing {
namespace {

namespace fs = std::filesystem;

// RFC 6238's SHA-1 secret: hex for pam_oath, base32 for the plugin.
constexpr char kSeedHex[] = "3132333435363738393031323334353637383930";
constexpr char kSeedBase32[] = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

uint64_t StepNow() { return static_cast<uint64_t>(std::time(nullptr)) / 30; }

uint64_t ReadStep(const fs::path& state) {
  std::ifstream in(state);
  std::string text;
  std::getline(in, text);
  uint64_t v = 0;
  EXPECT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &v)) << text;
  return v;
}

class OtpPluginSshdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    secret_ = dir_ / "alice.totp";
    std::ofstream(secret_) << kSeedBase32 << "\n";
    fs::permissions(secret_, fs::perms::owner_read | fs::perms::owner_write);
    rules_ = dir_ / "password.toml";
    std::ofstream(rules_) << "unmatched = \"decline\"\n"
                             "[[answer]]\nprompt = \"^Password: $\"\n"
                             "echo = false\ntext = \"secret\"\n";
    state_ = dir_ / "alice.step";

    SshdOptions so;
    so.users.push_back({"alice", "secret", {}, kSeedHex});
    so.pam_stack = PamStack::kPasswordThenTotp;
    so.extra_config = {"PasswordAuthentication no"};
    server_ = std::make_unique<SshdServer>(so);
  }

  // A chain of two plugins: scripted (the password), otp (the code).
  std::shared_ptr<auth::RoutingResponder> Chain(const std::string& skew) {
    plugin::PluginFinder finder({"plugins/scripted", "plugins/otp"}, false);
    auto chain =
        plugin::BuildChain(finder,
                           {{"scripted", {{"rules", rules_.string()}}, ""},
                            {"otp",
                             {{"secret-file", secret_.string()},
                              {"state-file", state_.string()},
                              {"skew", skew}},
                             ""}},
                           [this](parley_log_level, absl::string_view m) {
                             log_ += std::string(m) + "\n";
                           });
    EXPECT_TRUE(chain.ok()) << chain.status();
    return chain.ok() ? *chain : nullptr;
  }

  std::unique_ptr<client::Session> Connect(const std::string& backend) {
    client::SessionOptions options;
    options.provider = crypto::testing::MustLoad(backend);
    const uint16_t port = static_cast<uint16_t>(server_->port());
    options.verify_host_key = KnownHostsCheck(
        options.provider, server_->known_hosts_path().string(), port);
    auto s = client::Session::Connect("127.0.0.1", port, options);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // Logs in with `chain`; true on success (and a command then runs).
  bool LogIn(const std::string& backend, auth::Responder& chain,
             auth::KbdIntOptions options = {}) {
    auto s = Connect(backend);
    if (s == nullptr) return false;
    auto outcome = s->AuthKeyboardInteractive("alice", chain, options);
    last_status_ = outcome.status();
    if (!outcome.ok() || outcome->kind != auth::AuthOutcome::kSuccess) {
      return false;
    }
    auto r = s->Exec("echo in");
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() && AsString(r->stdout_data) == "in\n";
  }

  fs::path dir_, secret_, rules_, state_;
  std::unique_ptr<SshdServer> server_;
  std::string log_;
  absl::Status last_status_;
};

TEST_F(OtpPluginSshdTest, PluginsAnswerPasswordAndCodeUnderBothBackends) {
  PARLEY_START_SSHD_OR_SKIP(*server_);
  // pam_oath takes codes up to two steps ahead (window=2): with skew=1 the
  // second login uses the next step's code at once.
  auto chain = Chain("1");
  ASSERT_NE(chain, nullptr);
  ASSERT_TRUE(LogIn("openssl", *chain)) << last_status_ << "\n"
                                        << log_ << server_->LogTail(20);
  const uint64_t first = ReadStep(state_);
  EXPECT_GE(first, StepNow() - 1);
  ASSERT_TRUE(LogIn("cryptopp", *chain)) << last_status_ << "\n"
                                         << log_ << server_->LogTail(20);
  EXPECT_EQ(ReadStep(state_), std::max(first + 1, StepNow()));
  EXPECT_TRUE(server_->WaitForLog("Accepted keyboard-interactive/pam").ok());
  // No code and no password in Parley's log lines.
  EXPECT_FALSE(absl::StrContains(log_, "secret")) << log_;
}

// The proof the OTP plugin never replays a code: the second login in the
// same time step (skew=0) waits for the next step -- up to 30 s -- and
// pam_oath, which refuses a replayed code, accepts it.
TEST_F(OtpPluginSshdTest, TwoLoginsInOneStepWaitForTheNextCode) {
  PARLEY_START_SSHD_OR_SKIP(*server_);
  auto chain = Chain("0");
  ASSERT_NE(chain, nullptr);
  ASSERT_TRUE(LogIn("openssl", *chain)) << last_status_ << "\n"
                                        << log_ << server_->LogTail(20);
  const uint64_t first = ReadStep(state_);
  const auto start = std::chrono::system_clock::now();
  auth::KbdIntOptions options;
  options.round_timeout = std::chrono::seconds(45);
  ASSERT_TRUE(LogIn("cryptopp", *chain, options))
      << last_status_ << "\n"
      << log_ << server_->LogTail(20);
  EXPECT_EQ(ReadStep(state_), first + 1);
  if (StepNow() == first + 1 &&
      std::chrono::system_clock::to_time_t(start) / 30 ==
          static_cast<time_t>(first)) {
    // It started within the first login's step, so it had to wait.
    EXPECT_TRUE(absl::StrContains(log_, "was already used: waiting")) << log_;
  }
}

TEST_F(OtpPluginSshdTest, AWaitBeyondTheRoundDeadlineCancelsWithTheReason) {
  PARLEY_START_SSHD_OR_SKIP(*server_);
  // Codes up to five steps ahead already used (as after a burst of logins
  // with a large skew): the next usable one is minutes away.
  std::ofstream(state_) << StepNow() + 5 << "\n";
  auto chain = Chain("0");
  ASSERT_NE(chain, nullptr);
  auth::KbdIntOptions options;
  options.round_timeout = std::chrono::seconds(10);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(LogIn("openssl", *chain, options));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
  EXPECT_EQ(last_status_.code(), absl::StatusCode::kCancelled) << last_status_;
  EXPECT_TRUE(
      absl::StrContains(last_status_.message(), "after the round deadline"))
      << last_status_;
  EXPECT_TRUE(absl::StrContains(last_status_.message(), "set skew"))
      << last_status_;
}

}  // namespace
}  // namespace parley::testing
