#include "core/auth/routing.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace parley::auth {
namespace {

constexpr int kNobody = -1;
constexpr int kFallback = -2;

}  // namespace

std::vector<bool> ClaimByClass(const Challenge& challenge,
                               const std::vector<PromptClass>& classes) {
  std::vector<bool> claimed;
  for (const Prompt& p : challenge.request.prompts) {
    const PromptClass c = ClassifyPrompt(p.text);
    claimed.push_back(std::find(classes.begin(), classes.end(), c) !=
                      classes.end());
  }
  return claimed;
}

ResponderStatus WholeRoundResponder::Respond(
    const Challenge& challenge, const std::vector<bool>& asked,
    std::vector<SecureBuffer>* answers) {
  Challenge sub = challenge;
  sub.request.prompts.clear();
  for (size_t i = 0; i < asked.size(); ++i) {
    if (asked[i]) sub.request.prompts.push_back(challenge.request.prompts[i]);
  }
  std::vector<SecureBuffer> mine;
  const ResponderStatus s = responder_->Respond(sub, &mine);
  if (s != ResponderStatus::kAnswered) return s;
  if (mine.size() != sub.request.prompts.size()) {
    return ResponderStatus::kCancel;
  }
  size_t k = 0;
  for (size_t i = 0; i < asked.size(); ++i) {
    if (asked[i]) (*answers)[i] = std::move(mine[k++]);
  }
  return ResponderStatus::kAnswered;
}

ResponderStatus FixedAnswerResponder::Respond(
    const Challenge&, const std::vector<bool>& asked,
    std::vector<SecureBuffer>* answers) {
  for (size_t i = 0; i < asked.size(); ++i) {
    if (asked[i]) (*answers)[i] = answer_;
  }
  return ResponderStatus::kAnswered;
}

int RoutingResponder::NextClaimant(size_t i, int after) const {
  for (size_t r = static_cast<size_t>(after + 1); r < chain_.size(); ++r) {
    if (claims_[r][i]) return static_cast<int>(r);
  }
  return fallback_ != nullptr ? kFallback : kNobody;
}

ResponderStatus RoutingResponder::Assign(const Challenge& challenge) {
  const size_t n = challenge.request.prompts.size();
  round_ = challenge.round;
  answers_.assign(n, SecureBuffer());
  answered_.assign(n, false);
  claims_.clear();
  for (const auto& r : chain_) {
    std::vector<bool> c = r->Claim(challenge);
    c.resize(n, false);
    claims_.push_back(std::move(c));
  }
  owner_.assign(n, kNobody);
  tasks_.clear();
  for (size_t i = 0; i < n; ++i) {
    owner_[i] = NextClaimant(i, -1);
    if (owner_[i] == kNobody) {
      const Prompt& p = challenge.request.prompts[i];
      failure_ = absl::FailedPreconditionError(absl::StrCat(
          "no responder answers prompt ", i + 1, " of round ", round_, " (\"",
          absl::CHexEscape(p.text.substr(0, 200)), "\", class ",
          PromptClassName(ClassifyPrompt(p.text)), ")"));
      return ResponderStatus::kCancel;
    }
  }
  auto task_for = [&](PartialResponder* r) -> Task& {
    for (Task& t : tasks_) {
      if (t.responder == r) return t;
    }
    tasks_.push_back({r, std::vector<bool>(n, false)});
    return tasks_.back();
  };
  for (size_t r = 0; r < chain_.size(); ++r) {
    for (size_t i = 0; i < n; ++i) {
      if (owner_[i] == static_cast<int>(r))
        task_for(chain_[r].get()).asked[i] = true;
    }
  }
  // The fallback sees zero-prompt rounds too (a libssh2 callback is called
  // for every round).
  bool to_fallback = fallback_ != nullptr && n == 0;
  for (size_t i = 0; i < n; ++i) to_fallback |= owner_[i] == kFallback;
  if (to_fallback) {
    Task& t = task_for(fallback_.get());
    for (size_t i = 0; i < n; ++i) t.asked[i] = owner_[i] == kFallback;
  }
  return ResponderStatus::kAnswered;
}

ResponderStatus RoutingResponder::Cancel(absl::Status why,
                                         const PartialResponder* except) {
  for (Task& t : tasks_) {
    if (!t.done && t.responder != except) t.responder->Abort();
  }
  Reset();
  failure_ = std::move(why);
  return ResponderStatus::kCancel;
}

void RoutingResponder::Reset() {
  tasks_.clear();
  answers_.clear();  // wiping buffers
  answered_.clear();
  owner_.clear();
  claims_.clear();
  round_ = 0;
}

int RoutingResponder::ChainIndex(const PartialResponder* r) const {
  for (size_t i = 0; i < chain_.size(); ++i) {
    if (chain_[i].get() == r) return static_cast<int>(i);
  }
  return kFallback;
}

// Hands prompt `i`, declined by the responder at chain position `from`, to
// the next claimant; false if there is none.
bool RoutingResponder::Reassign(size_t i, int from) {
  const int next = from == kFallback ? kNobody : NextClaimant(i, from);
  if (next == kNobody) return false;
  PartialResponder* r =
      next == kFallback ? fallback_.get() : chain_[next].get();
  for (Task& t : tasks_) {
    if (t.responder != r) continue;
    if (t.done) {
      // It answered its own prompts already: ask it only for this one.
      t.asked.assign(t.asked.size(), false);
      t.done = false;
      t.tried = false;
    }
    t.asked[i] = true;
    return true;
  }
  tasks_.push_back({r, std::vector<bool>(owner_.size(), false)});
  tasks_.back().asked[i] = true;
  return true;
}

ResponderStatus RoutingResponder::Respond(const Challenge& challenge,
                                          std::vector<SecureBuffer>* answers) {
  failure_ = absl::OkStatus();
  if (challenge.round != round_ ||
      owner_.size() != challenge.request.prompts.size()) {
    Abort();  // work left on another round is dropped
    if (Assign(challenge) == ResponderStatus::kCancel) {
      absl::Status why = failure_;
      return Cancel(std::move(why), nullptr);
    }
  }
  for (Task& t : tasks_) t.tried = false;
  // Until no task can run in this call: a decline may hand prompts to a
  // responder that already ran (it is asked again, for those only).
  for (;;) {
    size_t t = 0;
    while (t < tasks_.size() && (tasks_[t].done || tasks_[t].tried)) ++t;
    if (t == tasks_.size()) break;
    tasks_[t].tried = true;
    PartialResponder* responder = tasks_[t].responder;
    const std::vector<bool> asked = tasks_[t].asked;  // the vector may grow
    const ResponderStatus s = responder->Respond(challenge, asked, &answers_);
    switch (s) {
      case ResponderStatus::kAnswered:
        tasks_[t].done = true;
        for (size_t i = 0; i < asked.size(); ++i) {
          if (asked[i]) answered_[i] = true;
        }
        break;
      case ResponderStatus::kRetryLater:
        break;
      case ResponderStatus::kCancel:
        return Cancel(
            absl::CancelledError(absl::StrCat(
                "keyboard-interactive login cancelled by responder ",
                responder->name(), " in round ", round_,
                responder->failure().ok()
                    ? ""
                    : absl::StrCat(": ", responder->failure().message()))),
            responder);
      case ResponderStatus::kDecline: {
        tasks_[t].done = true;
        const int from = ChainIndex(responder);
        for (size_t i = 0; i < asked.size(); ++i) {
          if (!asked[i] || Reassign(i, from)) continue;
          return Cancel(
              absl::FailedPreconditionError(absl::StrCat(
                  responder->name(), " declined prompt ", i + 1, " of round ",
                  round_, " (\"",
                  absl::CHexEscape(
                      challenge.request.prompts[i].text.substr(0, 200)),
                  "\") and no other responder answers it")),
              responder);
        }
        break;
      }
    }
  }
  for (const Task& t : tasks_) {
    if (!t.done) return ResponderStatus::kRetryLater;
  }
  // Every task is done; every prompt must have been answered by one.
  for (size_t i = 0; i < answered_.size(); ++i) {
    if (!answered_[i]) {
      return Cancel(absl::InternalError(
                        absl::StrCat("prompt ", i + 1, " of round ", round_,
                                     " was left without an answer")),
                    nullptr);
    }
  }
  answered_by_.clear();
  for (int owner : owner_) {
    answered_by_.push_back(owner == -2  ? fallback_->name()
                           : owner >= 0 ? chain_[owner]->name()
                                        : std::string());
  }
  *answers = std::move(answers_);
  Reset();  // answered: a new call is a new round
  return ResponderStatus::kAnswered;
}

std::chrono::milliseconds RoutingResponder::retry_after() const {
  std::chrono::milliseconds best(0);
  for (const Task& t : tasks_) {
    if (t.done) continue;
    const std::chrono::milliseconds r = t.responder->retry_after();
    if (r.count() > 0 && (best.count() == 0 || r < best)) best = r;
  }
  return best;
}

void RoutingResponder::Abort() {
  for (Task& t : tasks_) {
    if (!t.done) t.responder->Abort();
  }
  Reset();
}

}  // namespace parley::auth
