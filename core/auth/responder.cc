#include "core/auth/responder.h"

namespace parley::auth {

ResponderStatus ResponderChain::Respond(const Challenge& challenge,
                                        std::vector<SecureBuffer>* answers) {
  for (const auto& r : chain_) {
    answers->clear();
    ResponderStatus s = r->Respond(challenge, answers);
    if (s != ResponderStatus::kDecline) return s;
  }
  answers->clear();
  return ResponderStatus::kCancel;
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
