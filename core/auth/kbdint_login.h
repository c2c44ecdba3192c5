// Drives one keyboard-interactive attempt (RFC 4256) with a responder:
// rounds are answered as they arrive, with a cap on rounds, a per-round
// deadline (the time the responder may take, separate from network
// timeouts), an overall deadline, and cancellation by the application or a
// responder. Cancellation sends nothing further (never an empty response)
// and ends with kCancelled.
//
// A responder may answer at once or later (kRetryLater, then a wake through
// the challenge's waker). Answers are never sent in the Poll() that
// received them: Poll() returns kReady and the next Poll(), with a fresh
// `now` from the driver, checks the round deadline, the overall deadline
// and the cancel flag first. So a responder that took too long, even one
// that blocked the thread, never gets its late answers sent, and the engine
// never reads the clock.
#ifndef PARLEY_CORE_AUTH_KBDINT_LOGIN_H_
#define PARLEY_CORE_AUTH_KBDINT_LOGIN_H_

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/auth/attempt.h"
#include "core/auth/responder.h"
#include "core/auth/userauth.h"

namespace parley::auth {

struct KbdIntOptions {
  // A server that keeps asking is cut off after this many rounds.
  int max_rounds = 32;
  // Time a responder may take to answer one round, retries included
  // (zero: no limit).
  std::chrono::milliseconds round_timeout{0};
  // Time the whole attempt may take (zero: no limit).
  std::chrono::milliseconds overall_timeout{0};
  std::string submethods;
  // Checked at every step; set from any thread to cancel. To wake a driver
  // that is waiting, cancel through the session (Session::Cancel()) instead.
  const std::atomic<bool>* cancel = nullptr;
};

class KbdIntLogin : public AuthAttempt {
 public:
  KbdIntLogin(UserAuth* auth, Responder* responder, std::string user,
              KbdIntOptions options, AttemptContext context = {});

  // Sends the keyboard-interactive request.
  absl::Status Start(TimePoint now) override;

  // Advances. Errors: kCancelled (application or responder),
  // kDeadlineExceeded (round or overall deadline), kResourceExhausted
  // (round cap), kInvalidArgument (the responder's answers do not fit the
  // prompts), or the transport's error. On error nothing more is sent for
  // this attempt.
  absl::StatusOr<AttemptWait> Poll(TimePoint now) override;
  void Woken() override { woken_ = true; }
  absl::optional<TimePoint> deadline() const override;
  void Abort() override;
  const char* method() const override { return "keyboard-interactive"; }

  // Valid once Poll() returned kDone: success, partial success, failure.
  const AuthOutcome& outcome() const { return auth_->outcome(); }
  int rounds() const { return auth_->rounds(); }

 private:
  enum class State {
    kWaitServer,     // request or answers sent; the server's turn
    kAsk,            // a new challenge: ask the responder
    kWaitResponder,  // the responder asked to be called later
    kHaveAnswers,    // answers in hand, sent at the next Poll()
    kFinished,       // done or failed
  };

  absl::StatusOr<AttemptWait> Fail(absl::Status s);
  absl::Status Interrupted(TimePoint now) const;
  bool RoundExpired(TimePoint now) const;
  absl::StatusOr<AttemptWait> Ask(TimePoint now);

  UserAuth* auth_;
  Responder* responder_;
  std::string user_;
  KbdIntOptions options_;
  AttemptContext context_;
  State state_ = State::kWaitServer;
  TimePoint started_{};
  TimePoint round_started_{};
  int seen_round_ = 0;
  bool woken_ = false;
  // When the responder asked to be asked again (retry_after()).
  absl::optional<TimePoint> retry_at_;
  Challenge challenge_;
  std::vector<SecureBuffer> answers_;
};

}  // namespace parley::auth

#endif  // PARLEY_CORE_AUTH_KBDINT_LOGIN_H_
