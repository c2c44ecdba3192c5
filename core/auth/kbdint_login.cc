#include "core/auth/kbdint_login.h"

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"

namespace parley::auth {

absl::Status KbdIntLogin::Start(absl::string_view user, Clock::time_point now) {
  user_ = std::string(user);
  started_ = now;
  round_started_ = now;
  answered_round_ = 0;
  seen_round_ = 0;
  failed_ = false;
  return auth_->StartKeyboardInteractive(user, options_.submethods);
}

absl::StatusOr<KbdIntLogin::Wait> KbdIntLogin::Poll(Clock::time_point now) {
  if (failed_) {
    return absl::FailedPreconditionError("keyboard-interactive attempt ended");
  }
  auto fail = [this](absl::Status s) -> absl::StatusOr<Wait> {
    failed_ = true;
    return s;
  };
  // The server's final answer wins over a cancel or deadline that came
  // after it.
  const AuthOutcome& o = auth_->outcome();
  if (o.kind != AuthOutcome::kInfoRequest && o.kind != AuthOutcome::kPending) {
    return Wait::kNone;
  }
  // Checked before asking the responder and again before sending its
  // answers: a cancel or the overall deadline that strikes while the
  // responder works must keep them from being sent.
  auto interrupted = [&](Clock::time_point t) -> absl::Status {
    if (options_.cancel != nullptr && options_.cancel->load()) {
      return absl::CancelledError("keyboard-interactive login cancelled");
    }
    if (options_.overall_timeout.count() > 0 &&
        t - started_ >= options_.overall_timeout) {
      return absl::DeadlineExceededError(
          "keyboard-interactive login exceeded its overall deadline");
    }
    return absl::OkStatus();
  };
  if (absl::Status s = interrupted(now); !s.ok()) return fail(s);
  if (o.kind == AuthOutcome::kPending) return Wait::kNetwork;
  const int round = auth_->rounds();
  if (round > options_.max_rounds) {
    return fail(absl::ResourceExhaustedError(
        absl::StrCat("server asked more than ", options_.max_rounds,
                     " keyboard-interactive rounds")));
  }
  if (round != answered_round_ + 1) {
    return fail(absl::InternalError("keyboard-interactive round mismatch"));
  }
  if (round != seen_round_) {  // a new challenge: its deadline starts now
    seen_round_ = round;
    round_started_ = now;
  }
  std::vector<SecureBuffer> answers;
  Challenge challenge{o.info, round, user_};
  const ResponderStatus rs = responder_->Respond(challenge, &answers);
  switch (rs) {
    case ResponderStatus::kAnswered:
      break;
    case ResponderStatus::kRetryLater:
      if (options_.round_timeout.count() > 0 &&
          now - round_started_ >= options_.round_timeout) {
        return fail(absl::DeadlineExceededError(absl::StrCat(
            "responder did not answer round ", round, " in time")));
      }
      return Wait::kResponder;
    case ResponderStatus::kCancel:
    case ResponderStatus::kDecline:
      return fail(absl::CancelledError(absl::StrCat(
          "keyboard-interactive login cancelled by the responder in round ",
          round)));
  }
  if (options_.round_timeout.count() > 0 &&
      now - round_started_ > options_.round_timeout) {
    return fail(absl::DeadlineExceededError(
        absl::StrCat("responder took too long to answer round ", round)));
  }
  if (absl::Status s = interrupted(Clock::now()); !s.ok()) {
    for (SecureBuffer& a : answers) SecureWipe(a.data(), a.size());
    return fail(s);
  }
  if (answers.size() != o.info.prompts.size()) {
    return fail(absl::InvalidArgumentError(
        absl::StrCat("responder gave ", answers.size(), " answers to ",
                     o.info.prompts.size(), " prompts")));
  }
  absl::Status sent = auth_->RespondInfo(answers);
  if (!sent.ok()) return fail(sent);
  answered_round_ = round;
  return Wait::kNetwork;
}

}  // namespace parley::auth
