#include "core/auth/responder.h"

namespace parley::auth {

ResponderStatus ResponderChain::Respond(const Challenge& challenge,
                                        std::vector<SecureBuffer>* answers) {
  bool skip = waiting_ != nullptr;
  for (const auto& r : chain_) {
    // After a kRetryLater, resume with the responder that asked for it.
    if (skip && r.get() != waiting_) continue;
    skip = false;
    answers->clear();
    const ResponderStatus s = r->Respond(challenge, answers);
    if (s == ResponderStatus::kDecline) continue;
    waiting_ = s == ResponderStatus::kRetryLater ? r.get() : nullptr;
    return s;
  }
  waiting_ = nullptr;
  answers->clear();
  return ResponderStatus::kCancel;
}

std::chrono::milliseconds ResponderChain::retry_after() const {
  return waiting_ != nullptr ? waiting_->retry_after()
                             : std::chrono::milliseconds(0);
}

void ResponderChain::Abort() {
  if (waiting_ != nullptr) waiting_->Abort();
  waiting_ = nullptr;
}

ResponderStatus PasswordResponder::Respond(const Challenge& challenge,
                                           std::vector<SecureBuffer>* answers) {
  for (const Prompt& p : challenge.request.prompts) {
    if (p.echo) return ResponderStatus::kDecline;
  }
  answers->assign(challenge.request.prompts.size(), password_);
  return ResponderStatus::kAnswered;
}

}  // namespace parley::auth
