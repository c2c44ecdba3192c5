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
    tasks_.push_back({r, std::vector<bool>(n, false), false});
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

ResponderStatus RoutingResponder::Respond(const Challenge& challenge,
                                          std::vector<SecureBuffer>* answers) {
  failure_ = absl::OkStatus();
  if (challenge.round != round_ ||
      owner_.size() != challenge.request.prompts.size()) {
    if (Assign(challenge) == ResponderStatus::kCancel) {
      round_ = 0;
      return ResponderStatus::kCancel;
    }
  }
  bool pending = false;
  for (size_t t = 0; t < tasks_.size(); ++t) {
    if (tasks_[t].done) continue;
    Task task = tasks_[t];  // the vector may grow below
    const ResponderStatus s =
        task.responder->Respond(challenge, task.asked, &answers_);
    switch (s) {
      case ResponderStatus::kAnswered:
        tasks_[t].done = true;
        break;
      case ResponderStatus::kRetryLater:
        pending = true;
        break;
      case ResponderStatus::kCancel:
        for (size_t u = 0; u < tasks_.size(); ++u) {
          if (u != t && !tasks_[u].done) tasks_[u].responder->Abort();
        }
        failure_ = absl::CancelledError(absl::StrCat(
            "keyboard-interactive login cancelled by responder ",
            task.responder->name(), " in round ", round_,
            task.responder->failure().ok()
                ? ""
                : absl::StrCat(": ", task.responder->failure().message())));
        round_ = 0;
        return ResponderStatus::kCancel;
      case ResponderStatus::kDecline: {
        tasks_[t].done = true;
        // Its prompts go to the next claimant.
        int index = kFallback;
        for (size_t r = 0; r < chain_.size(); ++r) {
          if (chain_[r].get() == task.responder) index = static_cast<int>(r);
        }
        for (size_t i = 0; i < task.asked.size(); ++i) {
          if (!task.asked[i]) continue;
          const int next =
              index == kFallback ? kNobody : NextClaimant(i, index);
          if (next == kNobody) {
            failure_ = absl::FailedPreconditionError(absl::StrCat(
                task.responder->name(), " declined prompt ", i + 1,
                " of round ", round_, " (\"",
                absl::CHexEscape(
                    challenge.request.prompts[i].text.substr(0, 200)),
                "\") and no other responder answers it"));
            round_ = 0;
            return ResponderStatus::kCancel;
          }
          PartialResponder* r =
              next == kFallback ? fallback_.get() : chain_[next].get();
          bool found = false;
          for (Task& other : tasks_) {
            if (other.responder != r) continue;
            other.asked[i] = true;
            other.done = false;
            found = true;
          }
          if (!found) {
            tasks_.push_back(
                {r, std::vector<bool>(task.asked.size(), false), false});
            tasks_.back().asked[i] = true;
          }
        }
        break;
      }
    }
  }
  if (pending) return ResponderStatus::kRetryLater;
  *answers = std::move(answers_);
  answers_.clear();
  round_ = 0;  // answered: a new call is a new round
  owner_.clear();
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
  tasks_.clear();
  round_ = 0;
  owner_.clear();
}

}  // namespace parley::auth
