// Drives one keyboard-interactive attempt (RFC 4256) with a responder:
// rounds are answered as they arrive, with a cap on rounds, a per-round
// deadline (the time the responder may take, separate from network
// timeouts), an overall deadline, and cancellation by the application or a
// responder. Cancellation sends nothing further (never an empty response)
// and ends with kCancelled.
//
// The login is an engine too: Poll() never blocks. The blocking Session and
// the libssh2-compatible C API both drive it.
#ifndef PARLEY_CORE_AUTH_KBDINT_LOGIN_H_
#define PARLEY_CORE_AUTH_KBDINT_LOGIN_H_

#include <atomic>
#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "core/auth/responder.h"
#include "core/auth/userauth.h"

namespace parley::auth {

using Clock = std::chrono::steady_clock;

struct KbdIntOptions {
  // A server that keeps asking is cut off after this many rounds.
  int max_rounds = 32;
  // Time a responder may take to answer one round, retries included
  // (zero: no limit).
  std::chrono::milliseconds round_timeout{0};
  // Time the whole attempt may take (zero: no limit).
  std::chrono::milliseconds overall_timeout{0};
  std::string submethods;
  // Set (from any thread) to cancel.
  const std::atomic<bool>* cancel = nullptr;
};

class KbdIntLogin {
 public:
  enum class Wait {
    kNone,       // finished: see outcome()
    kNetwork,    // waiting for the server
    kResponder,  // the responder asked to be called again later
  };

  KbdIntLogin(UserAuth* auth, Responder* responder, KbdIntOptions options)
      : auth_(auth), responder_(responder), options_(std::move(options)) {}

  // Sends the keyboard-interactive request.
  absl::Status Start(absl::string_view user, Clock::time_point now);

  // Advances after network input was processed or time passed. Errors:
  // kCancelled (application or responder), kDeadlineExceeded (round or
  // overall deadline), kResourceExhausted (round cap), or a protocol error.
  // On error nothing more is sent for this attempt.
  absl::StatusOr<Wait> Poll(Clock::time_point now);

  // Valid once Poll() returned kNone: success, partial success, failure.
  const AuthOutcome& outcome() const { return auth_->outcome(); }
  int rounds() const { return auth_->rounds(); }

 private:
  UserAuth* auth_;
  Responder* responder_;
  KbdIntOptions options_;
  std::string user_;
  Clock::time_point started_;
  Clock::time_point round_started_;
  int answered_round_ = 0;
  int seen_round_ = 0;
  bool failed_ = false;
};

}  // namespace parley::auth

#endif  // PARLEY_CORE_AUTH_KBDINT_LOGIN_H_
