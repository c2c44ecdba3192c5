// Many sessions on one thread: 200 SSH sessions at once, driven by one
// client::EventLoop on the test's thread, against the hermetic sshd with
// ordinary PAM in a private mount namespace (pam_wrapper would cap the
// machine at 62 open connections). Each session checks the host key
// against known_hosts, logs in with keyboard-interactive through PAM, runs
// a command and checks its output and exit status. Zero failures allowed;
// wall time and peak memory are reported.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/auth/responder.h"
#include "core/client/event_loop.h"
#include "core/hostkeys/host_key_policy.h"
#include "gtest/gtest.h"
#include "tests/common/known_hosts_check.h"
#include "tests/crypto/backend_fixture.h"
#include "tests/sshd/sshd_test_macros.h"

namespace parley::testing {
namespace {

int ThreadsInProcess() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

TEST(ManySessionsTest, TwoHundredSessionsOnOneThread) {
  // PARLEY_MANY_SESSIONS raises (or lowers) the count for a soak run.
  const char* env = std::getenv("PARLEY_MANY_SESSIONS");
  const int kSessions = env != nullptr ? std::max(1, std::atoi(env)) : 200;
  constexpr int kServers = 2;
  std::vector<std::unique_ptr<SshdServer>> servers;
  for (int i = 0; i < kServers; ++i) {
    SshdOptions so;
    so.users.push_back({"alice", "secret", {}, ""});
    so.pam_mode = PamMode::kNamespacedPamD;
    so.log_level = "INFO";
    so.extra_config = {"MaxStartups 1000", "LoginGraceTime 300"};
    servers.push_back(std::make_unique<SshdServer>(so));
    PARLEY_START_SSHD_OR_SKIP(*servers.back());
  }
  auto provider = crypto::testing::MustLoad("openssl");
  ASSERT_NE(provider, nullptr);
  auto loop = client::EventLoop::New();
  ASSERT_TRUE(loop.ok()) << loop.status();
  auto responder = std::make_shared<auth::PasswordResponder>(
      ToSecureBuffer(AsBytes("secret")));

  const std::thread::id test_thread = std::this_thread::get_id();
  int succeeded = 0;
  std::vector<std::string> failures;
  int max_threads = 0;
  auto fail = [&](int i, const std::string& what, const absl::Status& s) {
    failures.push_back(
        absl::StrCat("session ", i, ": ", what, ": ", s.ToString()));
  };
  auto fail_and_close = [&](client::AsyncSession& session, int i,
                            const std::string& what, const absl::Status& s) {
    fail(i, what, s);
    session.Close();
  };
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kSessions; ++i) {
    const SshdServer& server = *servers[i % kServers];
    const uint16_t port = static_cast<uint16_t>(server.port());
    const std::string kh = server.known_hosts_path().string();
    client::SessionOptions options;
    options.provider = provider;
    options.timeout = std::chrono::seconds(240);
    options.verify_host_key = KnownHostsCheck(provider, kh, port);
    client::AsyncSession::Connect(
        **loop, "127.0.0.1", port, options,
        [&, i](client::AsyncSession& s, absl::Status connected) {
          EXPECT_EQ(std::this_thread::get_id(), test_thread);
          if (!connected.ok()) return fail(i, "connect", connected);
          s.AuthKeyboardInteractive(
              "alice", responder, {},
              [&, i](client::AsyncSession& s,
                     absl::StatusOr<auth::AuthOutcome> outcome) {
                if (!outcome.ok()) {
                  return fail_and_close(s, i, "login", outcome.status());
                }
                if (outcome->kind != auth::AuthOutcome::kSuccess) {
                  return fail_and_close(s, i, "login",
                                        absl::UnauthenticatedError("denied"));
                }
                max_threads = std::max(max_threads, ThreadsInProcess());
                s.Exec(
                    absl::StrCat("echo session-", i), {},
                    [&, i](client::AsyncSession& s,
                           absl::StatusOr<session::ExecResult> r) {
                      if (!r.ok()) {
                        return fail_and_close(s, i, "exec", r.status());
                      }
                      if (AsString(r->stdout_data) !=
                              absl::StrCat("session-", i, "\n") ||
                          r->exit_status != 0u) {
                        return fail_and_close(
                            s, i, "exec",
                            absl::InternalError(absl::StrCat(
                                "wrong output: ", AsString(r->stdout_data))));
                      }
                      ++succeeded;
                      s.Close();
                    });
              });
        });
  }
  EXPECT_EQ((*loop)->sessions(), static_cast<size_t>(kSessions));
  ASSERT_TRUE((*loop)->Run().ok());
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double peak_mib = usage.ru_maxrss / 1024.0;
  const std::string report = absl::StrFormat(
      "%d sessions on one thread against %d sshd: %d succeeded, %d failed; "
      "wall %.2f s (%.1f logins/s); peak RSS %.1f MiB; threads %d",
      kSessions, kServers, succeeded, static_cast<int>(failures.size()), wall,
      succeeded / wall, peak_mib, max_threads);
  std::cout << report << "\n";
  RecordProperty("report", report);
  for (const std::string& f : failures) ADD_FAILURE() << f;
  EXPECT_EQ(succeeded, kSessions);
  EXPECT_TRUE(failures.empty());
  EXPECT_EQ(max_threads, 1);  // no thread per session
  EXPECT_EQ((*loop)->sessions(), 0u);
  for (auto& server : servers) {
    EXPECT_TRUE(server->WaitForLog("Accepted keyboard-interactive/pam").ok());
  }
}

}  // namespace
}  // namespace parley::testing
