#include "core/auth/routing.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace parley::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Challenge Round(int round, std::vector<std::string> prompts) {
  Challenge c;
  c.round = round;
  for (std::string& p : prompts) c.request.prompts.push_back({p, false});
  return c;
}

std::vector<std::string> Strings(const std::vector<SecureBuffer>& v) {
  std::vector<std::string> out;
  for (const SecureBuffer& b : v) out.emplace_back(b.begin(), b.end());
  return out;
}

// Claims by class, answers "<name>:<i>", optionally later or declining.
class FakePart : public PartialResponder {
 public:
  FakePart(std::string name, std::vector<PromptClass> classes)
      : name_(std::move(name)), classes_(std::move(classes)) {}
  std::string name() const override { return name_; }
  std::vector<bool> Claim(const Challenge& c) override {
    return ClaimByClass(c, classes_);
  }
  ResponderStatus Respond(const Challenge&, const std::vector<bool>& asked,
                          std::vector<SecureBuffer>* answers) override {
    ++calls;
    last_asked = asked;
    if (later > 0) {
      --later;
      return ResponderStatus::kRetryLater;
    }
    if (decline) return ResponderStatus::kDecline;
    if (cancel) return ResponderStatus::kCancel;
    for (size_t i = 0; i < asked.size(); ++i) {
      if (!asked[i]) continue;
      const std::string a = name_ + ":" + std::to_string(i);
      (*answers)[i] = SecureBuffer(a.begin(), a.end());
    }
    return ResponderStatus::kAnswered;
  }
  void Abort() override { ++aborts; }
  std::chrono::milliseconds retry_after() const override { return retry; }

  std::string name_;
  std::vector<PromptClass> classes_;
  int calls = 0, later = 0, aborts = 0;
  bool decline = false, cancel = false;
  std::chrono::milliseconds retry{0};
  std::vector<bool> last_asked;
};

TEST(PromptClassTest, WhatRealServersSend) {
  EXPECT_EQ(ClassifyPrompt("Password: "), PromptClass::kPassword);
  EXPECT_EQ(ClassifyPrompt("alice@host's password: "), PromptClass::kPassword);
  EXPECT_EQ(ClassifyPrompt("One-time password (OATH) for `alice': "),
            PromptClass::kOtp);
  EXPECT_EQ(ClassifyPrompt("Verification code: "), PromptClass::kOtp);
  EXPECT_EQ(ClassifyPrompt("Enter PASSCODE:"), PromptClass::kOtp);
  EXPECT_EQ(ClassifyPrompt("OTP: "), PromptClass::kOtp);
  EXPECT_EQ(ClassifyPrompt("Token code: "), PromptClass::kOtp);
  EXPECT_EQ(ClassifyPrompt("Enter PIN for 'card': "), PromptClass::kPin);
  EXPECT_EQ(ClassifyPrompt("Enter passphrase for key: "),
            PromptClass::kPassword);
  EXPECT_EQ(ClassifyPrompt("Are you sure (yes/no)? "), PromptClass::kConfirm);
  EXPECT_EQ(ClassifyPrompt("Press Enter to continue"), PromptClass::kInfo);
  EXPECT_EQ(ClassifyPrompt("Favourite colour: "), PromptClass::kOther);
  EXPECT_EQ(ClassifyPrompt("Spinning top: "), PromptClass::kOther);  // no "pin"
  PromptClass c;
  ASSERT_TRUE(PromptClassFromName("otp", &c));
  EXPECT_EQ(c, PromptClass::kOtp);
  EXPECT_FALSE(PromptClassFromName("nope", &c));
}

TEST(RoutingTest, EachPromptGoesToItsFirstClaimant) {
  auto pw = std::make_shared<FakePart>(
      "pw", std::vector<PromptClass>{PromptClass::kPassword});
  auto otp = std::make_shared<FakePart>(
      "otp",
      std::vector<PromptClass>{PromptClass::kOtp, PromptClass::kPassword});
  RoutingResponder r;
  r.Add(pw);
  r.Add(otp);
  std::vector<SecureBuffer> answers;
  ASSERT_EQ(
      r.Respond(Round(1, {"Password: ", "Verification code: "}), &answers),
      ResponderStatus::kAnswered);
  EXPECT_THAT(Strings(answers), ElementsAre("pw:0", "otp:1"));
  EXPECT_THAT(pw->last_asked, ElementsAre(true, false));
  EXPECT_THAT(otp->last_asked, ElementsAre(false, true));
}

TEST(RoutingTest, UnclaimedPromptIsAnErrorNamingIt) {
  auto pw = std::make_shared<FakePart>(
      "pw", std::vector<PromptClass>{PromptClass::kPassword});
  RoutingResponder r;
  r.Add(pw);
  std::vector<SecureBuffer> answers;
  EXPECT_EQ(r.Respond(Round(1, {"Password: ", "Favourite colour: "}), &answers),
            ResponderStatus::kCancel);
  EXPECT_TRUE(answers.empty());
  EXPECT_EQ(pw->calls, 0);  // nothing asked in a round that cannot be done
  EXPECT_THAT(std::string(r.failure().message()),
              HasSubstr("no responder answers prompt 2 of round 1"));
  EXPECT_THAT(std::string(r.failure().message()),
              HasSubstr("Favourite colour"));
}

TEST(RoutingTest, DeclinedPromptsGoToTheNextClaimant) {
  auto first = std::make_shared<FakePart>(
      "first", std::vector<PromptClass>{PromptClass::kOtp});
  auto second = std::make_shared<FakePart>(
      "second", std::vector<PromptClass>{PromptClass::kOtp});
  first->decline = true;
  RoutingResponder r;
  r.Add(first);
  r.Add(second);
  std::vector<SecureBuffer> answers;
  ASSERT_EQ(r.Respond(Round(1, {"OTP: "}), &answers),
            ResponderStatus::kAnswered);
  EXPECT_THAT(Strings(answers), ElementsAre("second:0"));
  // Nobody after the last one: an error.
  second->decline = true;
  EXPECT_EQ(r.Respond(Round(2, {"OTP: "}), &answers), ResponderStatus::kCancel);
  EXPECT_THAT(std::string(r.failure().message()), HasSubstr("declined"));
}

TEST(RoutingTest, LaterAnswersAreKeptAndOnlyPendingOnesAskedAgain) {
  auto pw = std::make_shared<FakePart>(
      "pw", std::vector<PromptClass>{PromptClass::kPassword});
  auto otp = std::make_shared<FakePart>(
      "otp", std::vector<PromptClass>{PromptClass::kOtp});
  otp->later = 2;
  otp->retry = std::chrono::milliseconds(1500);
  RoutingResponder r;
  r.Add(pw);
  r.Add(otp);
  std::vector<SecureBuffer> answers;
  const Challenge c = Round(1, {"Password: ", "OTP: "});
  EXPECT_EQ(r.Respond(c, &answers), ResponderStatus::kRetryLater);
  EXPECT_EQ(r.retry_after(), std::chrono::milliseconds(1500));
  EXPECT_EQ(r.Respond(c, &answers), ResponderStatus::kRetryLater);
  ASSERT_EQ(r.Respond(c, &answers), ResponderStatus::kAnswered);
  EXPECT_EQ(pw->calls, 1);
  EXPECT_EQ(otp->calls, 3);
  EXPECT_THAT(Strings(answers), ElementsAre("pw:0", "otp:1"));
}

TEST(RoutingTest, CancelAbortsTheOthers) {
  auto slow = std::make_shared<FakePart>(
      "slow", std::vector<PromptClass>{PromptClass::kOtp});
  auto quitter = std::make_shared<FakePart>(
      "quitter", std::vector<PromptClass>{PromptClass::kPassword});
  slow->later = 100;
  quitter->cancel = true;
  RoutingResponder r;
  r.Add(slow);
  r.Add(quitter);
  std::vector<SecureBuffer> answers;
  EXPECT_EQ(r.Respond(Round(1, {"OTP: ", "Password: "}), &answers),
            ResponderStatus::kCancel);
  EXPECT_EQ(slow->aborts, 1);
  EXPECT_THAT(std::string(r.failure().message()), HasSubstr("quitter"));
}

// The libssh2 case: plugins answer what they claim, the application's
// callback gets only the rest (and zero-prompt rounds), answers merged back
// in order.
TEST(RoutingTest, FallbackTakesOnlyUnclaimedPrompts) {
  auto otp = std::make_shared<FakePart>(
      "otp", std::vector<PromptClass>{PromptClass::kOtp});
  std::vector<std::vector<std::string>> seen;
  FunctionResponder app(
      [&](const Challenge& c, std::vector<SecureBuffer>* answers) {
        std::vector<std::string> texts;
        for (const Prompt& p : c.request.prompts) {
          texts.push_back(p.text);
          const std::string a = "app:" + p.text;
          answers->emplace_back(a.begin(), a.end());
        }
        seen.push_back(texts);
        return ResponderStatus::kAnswered;
      });
  RoutingResponder r;
  r.Add(otp);
  r.SetFallback(std::make_shared<WholeRoundResponder>("application", &app));
  std::vector<SecureBuffer> answers;
  ASSERT_EQ(r.Respond(Round(1, {"Password: ", "OTP: ", "Colour: "}), &answers),
            ResponderStatus::kAnswered);
  EXPECT_THAT(Strings(answers),
              ElementsAre("app:Password: ", "otp:1", "app:Colour: "));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_THAT(seen[0], ElementsAre("Password: ", "Colour: "));
  // A round the plugins answer whole: the callback is not asked.
  ASSERT_EQ(r.Respond(Round(2, {"OTP: "}), &answers),
            ResponderStatus::kAnswered);
  EXPECT_EQ(seen.size(), 1u);
  // A zero-prompt round: the callback is asked (libssh2 calls it).
  ASSERT_EQ(r.Respond(Round(3, {}), &answers), ResponderStatus::kAnswered);
  EXPECT_TRUE(answers.empty());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_TRUE(seen[1].empty());
}

TEST(RoutingTest, AFixedAnswerTakesOnlyItsClasses) {
  auto pw = std::make_shared<FixedAnswerResponder>(
      "$PARLEY_PASSWORD", std::vector<PromptClass>{PromptClass::kPassword},
      SecureBuffer{'p', 'w'});
  auto rest = std::make_shared<FakePart>(
      "rest", std::vector<PromptClass>{PromptClass::kOtp, PromptClass::kOther,
                                       PromptClass::kPassword});
  RoutingResponder r;
  r.Add(pw);
  r.Add(rest);
  std::vector<SecureBuffer> answers;
  ASSERT_EQ(
      r.Respond(Round(1, {"Verification code: ", "Password: "}), &answers),
      ResponderStatus::kAnswered);
  EXPECT_THAT(Strings(answers), ElementsAre("rest:0", "pw"));
}

// A prompt declined down to a responder that already answered in this
// call is asked of it again (only that prompt); nothing is left empty.
TEST(RoutingTest, DeclinesReachAResponderThatAlreadyRan) {
  auto a = std::make_shared<FakePart>(
      "a", std::vector<PromptClass>{PromptClass::kOtp});
  auto b = std::make_shared<FakePart>(
      "b", std::vector<PromptClass>{PromptClass::kOtp});
  auto fallback = std::make_shared<FakePart>(
      "fallback",
      std::vector<PromptClass>{PromptClass::kOtp, PromptClass::kOther});
  a->decline = true;
  b->decline = true;
  RoutingResponder r;
  r.Add(a);
  r.Add(b);
  r.SetFallback(fallback);
  std::vector<SecureBuffer> answers;
  ASSERT_EQ(r.Respond(Round(1, {"OTP: ", "Colour: "}), &answers),
            ResponderStatus::kAnswered)
      << r.failure();
  EXPECT_THAT(Strings(answers), ElementsAre("fallback:0", "fallback:1"));
  EXPECT_EQ(fallback->calls, 2);
  EXPECT_THAT(fallback->last_asked, ElementsAre(true, false));
}

// A decline nobody takes over aborts the responders still at work, once;
// a later Abort() (the login giving up) does not abort them again.
TEST(RoutingTest, AFailedDeclineAbortsThePendingOnesOnce) {
  auto slow = std::make_shared<FakePart>(
      "slow", std::vector<PromptClass>{PromptClass::kPassword});
  auto only = std::make_shared<FakePart>(
      "only", std::vector<PromptClass>{PromptClass::kOtp});
  slow->later = 100;
  RoutingResponder r;
  r.Add(slow);
  r.Add(only);
  only->decline = true;
  std::vector<SecureBuffer> answers;
  ASSERT_EQ(r.Respond(Round(1, {"Password: ", "OTP: "}), &answers),
            ResponderStatus::kCancel);
  EXPECT_THAT(std::string(r.failure().message()), HasSubstr("declined"));
  EXPECT_EQ(slow->aborts, 1);
  EXPECT_EQ(only->aborts, 0);
  r.Abort();
  EXPECT_EQ(slow->aborts, 1);
  // The next round starts clean.
  slow->later = 0;
  only->decline = false;
  ASSERT_EQ(r.Respond(Round(1, {"Password: ", "OTP: "}), &answers),
            ResponderStatus::kAnswered);
  EXPECT_THAT(Strings(answers), ElementsAre("slow:0", "only:1"));
}

// A new round while a responder still works on the old one (the login was
// restarted): the old work is aborted, not left running.
TEST(RoutingTest, ANewRoundAbortsWorkOnTheOldOne) {
  auto slow = std::make_shared<FakePart>(
      "slow", std::vector<PromptClass>{PromptClass::kOtp});
  slow->later = 1;
  RoutingResponder r;
  r.Add(slow);
  std::vector<SecureBuffer> answers;
  ASSERT_EQ(r.Respond(Round(1, {"OTP: "}), &answers),
            ResponderStatus::kRetryLater);
  ASSERT_EQ(r.Respond(Round(2, {"OTP: "}), &answers),
            ResponderStatus::kAnswered);
  EXPECT_EQ(slow->aborts, 1);
}

TEST(RoutingTest, TheCancellerIsNotAbortedAndAbortAfterCancelIsANoOp) {
  auto slow = std::make_shared<FakePart>(
      "slow", std::vector<PromptClass>{PromptClass::kOtp});
  auto quitter = std::make_shared<FakePart>(
      "quitter", std::vector<PromptClass>{PromptClass::kPassword});
  slow->later = 100;
  RoutingResponder r;
  r.Add(slow);
  r.Add(quitter);
  const Challenge c = Round(1, {"OTP: ", "Password: "});
  std::vector<SecureBuffer> answers;
  quitter->later = 1;
  ASSERT_EQ(r.Respond(c, &answers), ResponderStatus::kRetryLater);
  quitter->cancel = true;
  EXPECT_EQ(r.Respond(c, &answers), ResponderStatus::kCancel);
  EXPECT_EQ(slow->aborts, 1);
  EXPECT_EQ(quitter->aborts, 0);
  r.Abort();
  EXPECT_EQ(slow->aborts, 1);
  EXPECT_EQ(quitter->aborts, 0);
}

}  // namespace
}  // namespace parley::auth
