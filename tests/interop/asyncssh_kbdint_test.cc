// Keyboard-interactive conversations scripted by an AsyncSSH server: several
// rounds, zero-prompt rounds, mixed echo flags, UTF-8 text and a language
// tag, 20 prompts in one round, an 8 KiB prompt, and a server that never
// stops asking (the round cap ends it). The server checks that answer i of
// round r is "r<r>p<i>", so every answer is proven to arrive in its place.
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/auth/responder.h"
#include "core/auth/routing.h"
#include "core/client/session.h"
#include "core/hostkeys/host_key_policy.h"
#include "core/plugin/responder_plugin.h"
#include "gtest/gtest.h"
#include "plugins/scripted/transcript.h"
#include "tests/common/known_hosts_check.h"
#include "tests/crypto/backend_fixture.h"
#include "tests/interop/asyncssh_server.h"

namespace parley::testing {
namespace {

struct Seen {
  std::vector<auth::InfoRequest> rounds;
};

// Answers "r<round>p<i>" and records what it was shown.
class RecordingResponder : public auth::Responder {
 public:
  auth::ResponderStatus Respond(const auth::Challenge& c,
                                std::vector<SecureBuffer>* answers) override {
    seen.rounds.push_back(c.request);
    EXPECT_EQ(c.round, static_cast<int>(seen.rounds.size()));
    for (size_t i = 0; i < c.request.prompts.size(); ++i) {
      std::string a = absl::StrCat("r", c.round, "p", i);
      answers->emplace_back(a.begin(), a.end());
    }
    return auth::ResponderStatus::kAnswered;
  }
  Seen seen;
};

class AsyncSshKbdIntTest : public ::testing::TestWithParam<std::string> {
 protected:
  // Starts the scenario and connects (host key checked), ready to log in.
  void Connect(const std::string& scenario) {
    server_ = std::make_unique<AsyncSshServer>(
        "tests/interop/asyncssh_kbdint_server.py");
    ASSERT_TRUE(server_->Start({scenario}).ok());
    const std::string kh =
        ::testing::TempDir() + "/kbdint_known_hosts_" + scenario + GetParam();
    std::ofstream(kh) << server_->known_hosts_line() << "\n";
    client::SessionOptions options;
    options.provider = crypto::testing::MustLoad(GetParam());
    ASSERT_NE(options.provider, nullptr);
    const uint16_t port = server_->port();
    options.verify_host_key = KnownHostsCheck(options.provider, kh, port);
    options.timeout = std::chrono::seconds(20);
    auto s = client::Session::Connect("127.0.0.1", port, options);
    ASSERT_TRUE(s.ok()) << s.status();
    session_ = std::move(*s);
  }

  // Logs in and runs a command; returns the rounds the responder saw.
  Seen LoginAndExec(const std::string& scenario, size_t want_rounds) {
    Connect(scenario);
    if (session_ == nullptr) return {};
    RecordingResponder r;
    auto outcome = session_->AuthKeyboardInteractive("alice", r);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    if (!outcome.ok()) return r.seen;
    EXPECT_EQ(outcome->kind, auth::AuthOutcome::kSuccess);
    EXPECT_EQ(r.seen.rounds.size(), want_rounds);
    auto exec = session_->Exec("x");
    EXPECT_TRUE(exec.ok()) << exec.status();
    if (exec.ok()) {
      EXPECT_EQ(AsString(exec->stdout_data), "ok\n");
    }
    return r.seen;
  }

  std::unique_ptr<AsyncSshServer> server_;
  std::unique_ptr<client::Session> session_;
};

TEST_P(AsyncSshKbdIntTest, SeveralRounds) {
  Seen seen = LoginAndExec("multi", 3);
  ASSERT_EQ(seen.rounds.size(), 3u);
  EXPECT_EQ(seen.rounds[0].name, "Multi");
  EXPECT_EQ(seen.rounds[0].instruction, "three rounds");
  ASSERT_EQ(seen.rounds[1].prompts.size(), 2u);
  EXPECT_EQ(seen.rounds[1].prompts[1].text, "Three: ");
  EXPECT_TRUE(seen.rounds[1].prompts[1].echo);
  EXPECT_EQ(seen.rounds[2].name, "Last");
}

TEST_P(AsyncSshKbdIntTest, ZeroPromptRounds) {
  Seen seen = LoginAndExec("zero", 3);
  ASSERT_EQ(seen.rounds.size(), 3u);
  EXPECT_TRUE(seen.rounds[0].prompts.empty());
  EXPECT_EQ(seen.rounds[0].instruction, "Nothing to answer yet");
  EXPECT_EQ(seen.rounds[1].prompts.size(), 1u);
  EXPECT_TRUE(seen.rounds[2].prompts.empty());
}

TEST_P(AsyncSshKbdIntTest, MixedEchoFlags) {
  Seen seen = LoginAndExec("echo", 1);
  ASSERT_EQ(seen.rounds.size(), 1u);
  ASSERT_EQ(seen.rounds[0].prompts.size(), 3u);
  EXPECT_TRUE(seen.rounds[0].prompts[0].echo);
  EXPECT_FALSE(seen.rounds[0].prompts[1].echo);
  EXPECT_TRUE(seen.rounds[0].prompts[2].echo);
}

TEST_P(AsyncSshKbdIntTest, Utf8TextAndLanguageTag) {
  Seen seen = LoginAndExec("utf8", 1);
  ASSERT_EQ(seen.rounds.size(), 1u);
  const auth::InfoRequest& r = seen.rounds[0];
  EXPECT_EQ(r.name, "Anmeldung für Grüße");
  EXPECT_EQ(r.instruction, "Schlüssel eingeben ✓ 🔑");
  EXPECT_EQ(r.language, "de-CH");
  ASSERT_EQ(r.prompts.size(), 2u);
  EXPECT_EQ(r.prompts[0].text, "Passwort (ä): ");
  EXPECT_EQ(r.prompts[1].text, "Einmalcode ß: ");
}

TEST_P(AsyncSshKbdIntTest, TwentyPromptsInOneRound) {
  Seen seen = LoginAndExec("twenty", 1);
  ASSERT_EQ(seen.rounds.size(), 1u);
  ASSERT_EQ(seen.rounds[0].prompts.size(), 20u);
  EXPECT_EQ(seen.rounds[0].prompts[19].text, "Prompt 19: ");
  EXPECT_FALSE(seen.rounds[0].prompts[19].echo);
  EXPECT_TRUE(seen.rounds[0].prompts[18].echo);
}

TEST_P(AsyncSshKbdIntTest, EightKilobytePrompt) {
  Seen seen = LoginAndExec("big", 1);
  ASSERT_EQ(seen.rounds.size(), 1u);
  ASSERT_EQ(seen.rounds[0].prompts.size(), 1u);
  EXPECT_EQ(seen.rounds[0].prompts[0].text, std::string(8192, 'B'));
}

TEST_P(AsyncSshKbdIntTest, EndlessServerHitsTheRoundCap) {
  Connect("endless");
  ASSERT_NE(session_, nullptr);
  RecordingResponder r;
  auth::KbdIntOptions options;
  options.max_rounds = 7;
  auto outcome = session_->AuthKeyboardInteractive("alice", r, options);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.seen.rounds.size(), 7u);  // the 8th round is never answered
  EXPECT_FALSE(session_->authenticated());
}

TEST_P(AsyncSshKbdIntTest, WrongAnswerFailsCleanly) {
  Connect("multi");
  ASSERT_NE(session_, nullptr);
  auth::FunctionResponder wrong([](const auth::Challenge& c,
                                   std::vector<SecureBuffer>* answers) {
    answers->assign(c.request.prompts.size(), ToSecureBuffer(AsBytes("nope")));
    return auth::ResponderStatus::kAnswered;
  });
  auto outcome = session_->AuthKeyboardInteractive("alice", wrong);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->kind, auth::AuthOutcome::kFailure);
  EXPECT_FALSE(session_->authenticated());
  // The session stays usable: a correct second attempt succeeds.
  RecordingResponder right;
  auto again = session_->AuthKeyboardInteractive("alice", right);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->kind, auth::AuthOutcome::kSuccess);
}

// Cancelling sends nothing further: no (empty) response reaches the server.
TEST_P(AsyncSshKbdIntTest, ResponderCancels) {
  Connect("multi");
  ASSERT_NE(session_, nullptr);
  int calls = 0;
  uint64_t written_at_callback = 0;
  auth::FunctionResponder cancel(
      [&](const auth::Challenge&, std::vector<SecureBuffer>*) {
        ++calls;
        written_at_callback = session_->driver().bytes_written();
        return auth::ResponderStatus::kCancel;
      });
  auto outcome = session_->AuthKeyboardInteractive("alice", cancel);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(calls, 1);
  // Not one byte (no empty INFO_RESPONSE) left after the responder said no.
  EXPECT_GT(written_at_callback, 0u);
  EXPECT_EQ(session_->driver().bytes_written(), written_at_callback);
  EXPECT_FALSE(session_->transport().has_output());
  // A new request abandons the unfinished one (RFC 4252 section 5).
  RecordingResponder right;
  auto again = session_->AuthKeyboardInteractive("alice", right);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->kind, auth::AuthOutcome::kSuccess);
}

// A responder that keeps asking to be called later (and wakes the session
// 20 ms later each time, as a busy token would) runs into the per-round
// deadline; the network stays serviced meanwhile.
TEST_P(AsyncSshKbdIntTest, RoundDeadline) {
  Connect("multi");
  ASSERT_NE(session_, nullptr);
  std::atomic<int> calls{0};
  std::vector<std::thread> wakers;
  auth::FunctionResponder busy(
      [&](const auth::Challenge& c, std::vector<SecureBuffer>*) {
        ++calls;
        Waker w = c.waker;
        wakers.emplace_back([w] {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          w.Wake();
        });
        return auth::ResponderStatus::kRetryLater;
      });
  auth::KbdIntOptions options;
  options.round_timeout = std::chrono::milliseconds(300);
  auto outcome = session_->AuthKeyboardInteractive("alice", busy, options);
  for (std::thread& t : wakers) t.join();
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(KindOf(outcome.status()), ErrorKind::kDeadline);
  EXPECT_GT(calls.load(), 3);
}

// Nothing is polled: a responder that asks to be called later but never
// wakes the session is not asked again; the round deadline ends the login.
TEST_P(AsyncSshKbdIntTest, RetryLaterWithoutWakeIsNotPolled) {
  Connect("multi");
  ASSERT_NE(session_, nullptr);
  int calls = 0;
  auth::FunctionResponder silent(
      [&](const auth::Challenge&, std::vector<SecureBuffer>*) {
        ++calls;
        return auth::ResponderStatus::kRetryLater;
      });
  auth::KbdIntOptions options;
  options.round_timeout = std::chrono::milliseconds(300);
  const auto start = Clock::now();
  auto outcome = session_->AuthKeyboardInteractive("alice", silent, options);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(calls, 1);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(290));
}

// A responder that answers later from another thread: the session waits
// for its wake, then sends the answers, and the login succeeds.
TEST_P(AsyncSshKbdIntTest, ResponderAnswersLaterFromAnotherThread) {
  Connect("multi");
  ASSERT_NE(session_, nullptr);
  struct Pending {
    std::mutex mu;
    std::map<int, std::vector<std::string>> ready;  // by round
  } pending;
  std::vector<std::thread> workers;
  int calls = 0;
  auth::FunctionResponder later(
      [&](const auth::Challenge& c, std::vector<SecureBuffer>* answers) {
        ++calls;
        {
          std::lock_guard<std::mutex> lock(pending.mu);
          auto it = pending.ready.find(c.round);
          if (it != pending.ready.end()) {
            for (const std::string& a : it->second) {
              answers->emplace_back(a.begin(), a.end());
            }
            return auth::ResponderStatus::kAnswered;
          }
        }
        // Work on a copy of the challenge in another thread, then wake.
        workers.emplace_back([c, &pending] {
          std::this_thread::sleep_for(std::chrono::milliseconds(30));
          std::vector<std::string> a;
          for (size_t i = 0; i < c.request.prompts.size(); ++i) {
            a.push_back(absl::StrCat("r", c.round, "p", i));
          }
          {
            std::lock_guard<std::mutex> lock(pending.mu);
            pending.ready[c.round] = std::move(a);
          }
          c.waker.Wake();
        });
        return auth::ResponderStatus::kRetryLater;
      });
  auto outcome = session_->AuthKeyboardInteractive("alice", later);
  for (std::thread& t : workers) t.join();
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->kind, auth::AuthOutcome::kSuccess);
  EXPECT_EQ(calls, 6);  // three rounds, each asked twice
}

// The application cancels from another thread's flag.
TEST_P(AsyncSshKbdIntTest, ApplicationCancels) {
  Connect("multi");
  ASSERT_NE(session_, nullptr);
  std::atomic<bool> cancel{false};
  auth::FunctionResponder later(
      [&](const auth::Challenge&, std::vector<SecureBuffer>*) {
        cancel = true;  // as if the user pressed "cancel" meanwhile
        return auth::ResponderStatus::kRetryLater;
      });
  auth::KbdIntOptions options;
  options.cancel = &cancel;
  auto outcome = session_->AuthKeyboardInteractive("alice", later, options);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kCancelled);
}

// A cancel that arrives while the responder is working (the user pressed
// "cancel" while the OTP was being fetched) keeps its answers from being
// sent: not one byte leaves after the responder returns.
TEST_P(AsyncSshKbdIntTest, CancelDuringResponderSendsNothing) {
  Connect("multi");
  ASSERT_NE(session_, nullptr);
  std::atomic<bool> cancel{false};
  uint64_t written_at_callback = 0;
  auth::FunctionResponder answers_then_cancelled(
      [&](const auth::Challenge& c, std::vector<SecureBuffer>* answers) {
        written_at_callback = session_->driver().bytes_written();
        for (size_t i = 0; i < c.request.prompts.size(); ++i) {
          answers->push_back(ToSecureBuffer(AsBytes("secret-otp")));
        }
        cancel = true;
        return auth::ResponderStatus::kAnswered;
      });
  auth::KbdIntOptions options;
  options.cancel = &cancel;
  auto outcome = session_->AuthKeyboardInteractive(
      "alice", answers_then_cancelled, options);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kCancelled);
  EXPECT_GT(written_at_callback, 0u);
  EXPECT_EQ(session_->driver().bytes_written(), written_at_callback);
  EXPECT_FALSE(session_->transport().has_output());
}

// The scripted responder plugin records a conversation (several rounds,
// zero-prompt rounds, UTF-8) while another responder answers it; the rules
// made from the transcript then log in alone, answering from variables.
TEST_P(AsyncSshKbdIntTest, ScriptedPluginRecordsThenReplays) {
  plugin::PluginFinder finder({"plugins/scripted"}, false);
  auto scripted = finder.Find("scripted");
  ASSERT_TRUE(scripted.ok()) << scripted.status();
  for (const std::string scenario : {"multi", "zero", "utf8"}) {
    SCOPED_TRACE(scenario);
    const std::string dir = ::testing::TempDir() + "/" + scenario + GetParam();
    std::filesystem::create_directories(dir);
    const std::string transcript = dir + "/transcript.toml";
    std::filesystem::remove(transcript);

    Connect(scenario);
    ASSERT_NE(session_, nullptr);
    auto recorder = (*scripted)->NewInstance({{"record", transcript}}, nullptr);
    ASSERT_TRUE(recorder.ok()) << recorder.status();
    RecordingResponder person;
    auth::RoutingResponder chain;
    chain.Add(*recorder);
    chain.SetFallback(
        std::make_shared<auth::WholeRoundResponder>("person", &person));
    auto first = session_->AuthKeyboardInteractive("alice", chain);
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_EQ(first->kind, auth::AuthOutcome::kSuccess);

    std::ifstream in(transcript);
    std::stringstream text;
    text << in.rdbuf();
    auto t = scripted::ParseTranscript(text.str(), transcript);
    ASSERT_TRUE(t.ok()) << t.status();
    ASSERT_EQ(t->rounds.size(), person.seen.rounds.size());
    for (size_t r = 0; r < t->rounds.size(); ++r) {
      const auth::InfoRequest& seen = person.seen.rounds[r];
      EXPECT_EQ(t->rounds[r].name, seen.name);
      EXPECT_EQ(t->rounds[r].instruction, seen.instruction);
      EXPECT_EQ(t->rounds[r].language, seen.language);
      ASSERT_EQ(t->rounds[r].prompts.size(), seen.prompts.size());
      for (size_t i = 0; i < seen.prompts.size(); ++i) {
        EXPECT_EQ(t->rounds[r].prompts[i].text, seen.prompts[i].text);
        EXPECT_EQ(t->rounds[r].prompts[i].echo, seen.prompts[i].echo);
        // The server's expected answer, given to the replay by variable.
        ::setenv(scripted::AnswerVariable(static_cast<int>(r) + 1,
                                          static_cast<int>(i) + 1)
                     .c_str(),
                 absl::StrCat("r", r + 1, "p", i).c_str(), 1);
      }
    }
    const std::string rules = dir + "/rules.toml";
    std::ofstream(rules) << scripted::RulesFromTranscript(*t);

    Connect(scenario);
    ASSERT_NE(session_, nullptr);
    auto replay = (*scripted)->NewInstance({{"rules", rules}}, nullptr);
    ASSERT_TRUE(replay.ok()) << replay.status();
    auth::RoutingResponder alone;
    alone.Add(*replay);
    auto second = session_->AuthKeyboardInteractive("alice", alone);
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_EQ(second->kind, auth::AuthOutcome::kSuccess);
    auto exec = session_->Exec("x");
    ASSERT_TRUE(exec.ok()) << exec.status();
    EXPECT_EQ(AsString(exec->stdout_data), "ok\n");
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, AsyncSshKbdIntTest,
                         ::testing::Values("openssl", "cryptopp"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::testing
