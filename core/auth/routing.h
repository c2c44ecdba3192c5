// Routing a keyboard-interactive round to several responders: each claims
// the prompts it can answer (by class -- password, otp, pin, confirm, info,
// other -- or by its own rules); every prompt goes to the first responder
// of the chain that claims it; a responder that declines hands its prompts
// to the next claimant. A round with a prompt that nobody answers ends the
// login with an error naming that prompt -- never with an empty answer --
// unless a fallback takes the unclaimed prompts (the libssh2 application's
// own callback, asked with only those prompts; its answers are merged back
// in order).
//
// Responders may answer later (kRetryLater, a wake or retry_after()); the
// answers already given are kept for the round, and only the responders
// still at work are asked again.
#ifndef PARLEY_CORE_AUTH_ROUTING_H_
#define PARLEY_CORE_AUTH_ROUTING_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/auth/prompt_class.h"
#include "core/auth/responder.h"

namespace parley::auth {

// A responder that answers some prompts of a round.
class PartialResponder {
 public:
  virtual ~PartialResponder() = default;
  // For messages: "otp", "parley.responder.otp", "application".
  virtual std::string name() const = 0;
  // Which prompts it would answer (one flag per prompt).
  virtual std::vector<bool> Claim(const Challenge& challenge) = 0;
  // Answers the `asked` prompts: `answers` holds one (empty) slot per
  // prompt; only the asked ones are filled.
  virtual ResponderStatus Respond(const Challenge& challenge,
                                  const std::vector<bool>& asked,
                                  std::vector<SecureBuffer>* answers) = 0;
  virtual std::chrono::milliseconds retry_after() const {
    return std::chrono::milliseconds(0);
  }
  // After kCancel: why (OK: no reason given).
  virtual absl::Status failure() const { return absl::OkStatus(); }
  virtual void Abort() {}
};

// Claims by prompt class.
std::vector<bool> ClaimByClass(const Challenge& challenge,
                               const std::vector<PromptClass>& classes);

// A whole-round Responder as a PartialResponder (asked with a challenge
// holding only its prompts).
class WholeRoundResponder : public PartialResponder {
 public:
  WholeRoundResponder(std::string name, Responder* responder)
      : name_(std::move(name)), responder_(responder) {}
  std::string name() const override { return name_; }
  std::vector<bool> Claim(const Challenge& challenge) override {
    return std::vector<bool>(challenge.request.prompts.size(), true);
  }
  ResponderStatus Respond(const Challenge& challenge,
                          const std::vector<bool>& asked,
                          std::vector<SecureBuffer>* answers) override;
  std::chrono::milliseconds retry_after() const override {
    return responder_->retry_after();
  }
  absl::Status failure() const override { return responder_->failure(); }
  void Abort() override { responder_->Abort(); }

 private:
  std::string name_;
  Responder* responder_;
};

// Answers the prompts of some classes with one fixed secret (the CLI's
// $PARLEY_PASSWORD for password prompts).
class FixedAnswerResponder : public PartialResponder {
 public:
  FixedAnswerResponder(std::string name, std::vector<PromptClass> classes,
                       SecureBuffer answer)
      : name_(std::move(name)),
        classes_(std::move(classes)),
        answer_(std::move(answer)) {}
  std::string name() const override { return name_; }
  std::vector<bool> Claim(const Challenge& challenge) override {
    return ClaimByClass(challenge, classes_);
  }
  ResponderStatus Respond(const Challenge& challenge,
                          const std::vector<bool>& asked,
                          std::vector<SecureBuffer>* answers) override;

 private:
  std::string name_;
  std::vector<PromptClass> classes_;
  SecureBuffer answer_;
};

class RoutingResponder : public Responder {
 public:
  // In chain order.
  void Add(std::shared_ptr<PartialResponder> r) {
    chain_.push_back(std::move(r));
  }
  // Takes the prompts no responder claims; optional.
  void SetFallback(std::shared_ptr<PartialResponder> fallback) {
    fallback_ = std::move(fallback);
  }
  size_t size() const { return chain_.size(); }
  // After kAnswered: which responder answered each prompt of that round
  // (their name()), for messages.
  const std::vector<std::string>& answered_by() const { return answered_by_; }

  ResponderStatus Respond(const Challenge& challenge,
                          std::vector<SecureBuffer>* answers) override;
  std::chrono::milliseconds retry_after() const override;
  void Abort() override;
  absl::Status failure() const override { return failure_; }

 private:
  struct Task {
    PartialResponder* responder;
    std::vector<bool> asked;
    bool done = false;
    bool tried = false;  // already called in this Respond()
  };
  ResponderStatus Assign(const Challenge& challenge);
  // Aborts every pending task but `except` (which cancelled or declined),
  // forgets the round (answers wiped) and records `why`.
  ResponderStatus Cancel(absl::Status why, const PartialResponder* except);
  void Reset();
  int ChainIndex(const PartialResponder* r) const;
  bool Reassign(size_t prompt, int from);
  // The first claimant of prompt `i` after position `after` (-1: any),
  // or -1.
  int NextClaimant(size_t i, int after) const;

  std::vector<std::shared_ptr<PartialResponder>> chain_;
  std::shared_ptr<PartialResponder> fallback_;
  // The round in progress.
  int round_ = 0;
  std::vector<std::vector<bool>> claims_;  // per chain member
  std::vector<int> owner_;                 // per prompt: chain index, -2 =
                                           // fallback
  std::vector<Task> tasks_;
  std::vector<SecureBuffer> answers_;
  std::vector<bool> answered_;            // per prompt
  std::vector<std::string> answered_by_;  // of the last answered round
  absl::Status failure_;
};

}  // namespace parley::auth

#endif  // PARLEY_CORE_AUTH_ROUTING_H_
