#include "core/auth/kbdint_login.h"

#include "absl/strings/str_cat.h"
#include "core/base/error.h"
#include "core/base/status_macros.h"

namespace parley::auth {

KbdIntLogin::KbdIntLogin(UserAuth* auth, Responder* responder, std::string user,
                         KbdIntOptions options, AttemptContext context)
    : auth_(auth),
      responder_(responder),
      user_(std::move(user)),
      options_(std::move(options)),
      context_(std::move(context)) {}

absl::Status KbdIntLogin::Start(TimePoint now) {
  started_ = now;
  round_started_ = now;
  seen_round_ = 0;
  state_ = State::kWaitServer;
  return auth_->StartKeyboardInteractive(user_, options_.submethods);
}

absl::StatusOr<AttemptWait> KbdIntLogin::Fail(absl::Status s) {
  if (state_ == State::kWaitResponder) responder_->Abort();
  for (SecureBuffer& a : answers_) SecureWipe(a.data(), a.size());
  answers_.clear();
  state_ = State::kFinished;
  return s;
}

void KbdIntLogin::Abort() {
  if (state_ == State::kWaitResponder) responder_->Abort();
  answers_.clear();
  state_ = State::kFinished;
}

absl::Status KbdIntLogin::Interrupted(TimePoint now) const {
  if (options_.cancel != nullptr && options_.cancel->load()) {
    return Error(ErrorKind::kCancelled,
                 absl::CancelledError("keyboard-interactive login cancelled"));
  }
  if (options_.overall_timeout.count() > 0 &&
      now - started_ >= options_.overall_timeout) {
    return Error(ErrorKind::kDeadline,
                 absl::DeadlineExceededError(
                     "keyboard-interactive login exceeded its overall "
                     "deadline"));
  }
  return absl::OkStatus();
}

bool KbdIntLogin::RoundExpired(TimePoint now) const {
  return options_.round_timeout.count() > 0 &&
         now - round_started_ > options_.round_timeout;
}

absl::optional<TimePoint> KbdIntLogin::deadline() const {
  absl::optional<TimePoint> d;
  if (state_ == State::kFinished) return d;
  if (options_.overall_timeout.count() > 0) {
    d = started_ + options_.overall_timeout;
  }
  if (options_.round_timeout.count() > 0 &&
      (state_ == State::kWaitResponder || state_ == State::kAsk ||
       state_ == State::kHaveAnswers)) {
    // Just past the limit: RoundExpired() is "more than round_timeout".
    const TimePoint r =
        round_started_ + options_.round_timeout + std::chrono::milliseconds(1);
    if (!d.has_value() || r < *d) d = r;
  }
  if (state_ == State::kWaitResponder && retry_at_.has_value() &&
      (!d.has_value() || *retry_at_ < *d)) {
    d = retry_at_;
  }
  return d;
}

absl::StatusOr<AttemptWait> KbdIntLogin::Poll(TimePoint now) {
  if (state_ == State::kFinished) {
    return Error(ErrorKind::kBadUse, absl::FailedPreconditionError(
                                         "keyboard-interactive attempt ended"));
  }
  // The server's final answer wins over a cancel or deadline that came
  // after it (a responder still at work is told to stop).
  const AuthOutcome& o = auth_->outcome();
  if (o.kind != AuthOutcome::kInfoRequest && o.kind != AuthOutcome::kPending) {
    if (state_ == State::kWaitResponder) responder_->Abort();
    answers_.clear();
    state_ = State::kFinished;
    return AttemptWait::kDone;
  }
  // Checked at every step, so also before answers are sent: a cancel or the
  // overall deadline that struck while the responder worked keeps them
  // from being sent.
  if (absl::Status s = Interrupted(now); !s.ok()) return Fail(s);
  if (o.kind == AuthOutcome::kPending) {
    state_ = State::kWaitServer;
    return AttemptWait::kServer;
  }
  const int round = auth_->rounds();
  if (round != seen_round_) {
    // A new challenge: its deadline starts now.
    if (round > options_.max_rounds) {
      return Fail(Error(ErrorKind::kRoundLimit,
                        absl::ResourceExhaustedError(absl::StrCat(
                            "server asked more than ", options_.max_rounds,
                            " keyboard-interactive rounds"))));
    }
    seen_round_ = round;
    round_started_ = now;
    challenge_ = Challenge();
    challenge_.request = o.info;
    challenge_.round = round;
    challenge_.user = user_;
    challenge_.host = context_.host;
    challenge_.port = context_.port;
    challenge_.host_key_fingerprint = context_.host_key_fingerprint;
    challenge_.waker = context_.waker;
    state_ = State::kAsk;
    woken_ = false;
  }
  switch (state_) {
    case State::kAsk:
      return Ask(now);
    case State::kWaitResponder:
      if (RoundExpired(now)) {
        return Fail(
            Error(ErrorKind::kDeadline,
                  absl::DeadlineExceededError(absl::StrCat(
                      "responder did not answer round ", round, " in time"))));
      }
      if (!woken_ && !(retry_at_.has_value() && now >= *retry_at_)) {
        return AttemptWait::kResponder;
      }
      woken_ = false;
      return Ask(now);
    case State::kHaveAnswers: {
      if (RoundExpired(now)) {
        return Fail(
            Error(ErrorKind::kDeadline,
                  absl::DeadlineExceededError(absl::StrCat(
                      "responder took too long to answer round ", round))));
      }
      std::vector<SecureBuffer> answers = std::move(answers_);
      answers_.clear();
      absl::Status sent = auth_->RespondInfo(answers);
      for (SecureBuffer& a : answers) SecureWipe(a.data(), a.size());
      if (!sent.ok()) return Fail(sent);
      state_ = State::kWaitServer;
      return AttemptWait::kServer;
    }
    case State::kWaitServer:
    case State::kFinished:
      break;
  }
  return Fail(
      Error(ErrorKind::kBadUse,
            absl::InternalError("keyboard-interactive state mismatch")));
}

absl::StatusOr<AttemptWait> KbdIntLogin::Ask(TimePoint now) {
  answers_.clear();
  retry_at_.reset();
  challenge_.time_left.reset();
  if (options_.round_timeout.count() > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        round_started_ + options_.round_timeout - now);
    challenge_.time_left = std::max(left, std::chrono::milliseconds(0));
  }
  const ResponderStatus rs = responder_->Respond(challenge_, &answers_);
  // A cancel made while the responder ran (by the responder's own thread,
  // say) is seen at once.
  if (options_.cancel != nullptr && options_.cancel->load()) {
    if (rs == ResponderStatus::kRetryLater) state_ = State::kWaitResponder;
    return Fail(Error(ErrorKind::kCancelled,
                      absl::CancelledError("keyboard-interactive login "
                                           "cancelled")));
  }
  switch (rs) {
    case ResponderStatus::kAnswered:
      if (answers_.size() != challenge_.request.prompts.size()) {
        return Fail(
            Error(ErrorKind::kBadUse,
                  absl::InvalidArgumentError(absl::StrCat(
                      "responder gave ", answers_.size(), " answers to ",
                      challenge_.request.prompts.size(), " prompts"))));
      }
      state_ = State::kHaveAnswers;
      return AttemptWait::kReady;
    case ResponderStatus::kRetryLater: {
      state_ = State::kWaitResponder;
      const std::chrono::milliseconds after = responder_->retry_after();
      if (after.count() > 0) retry_at_ = now + after;
      return AttemptWait::kResponder;
    }
    case ResponderStatus::kCancel:
    case ResponderStatus::kDecline:
      break;
  }
  if (absl::Status why = responder_->failure(); !why.ok()) {
    return Fail(WithDefaultKind(ErrorKind::kCancelled, std::move(why)));
  }
  return Fail(Error(
      ErrorKind::kCancelled,
      absl::CancelledError(absl::StrCat(
          "keyboard-interactive login cancelled by the responder in round ",
          challenge_.round))));
}

}  // namespace parley::auth
