#include "core/auth/prompt_class.h"

#include "re2/re2.h"

namespace parley::auth {
namespace {

struct Pattern {
  PromptClass klass;
  const RE2* re;
};

const Pattern* Patterns(size_t* n) {
  // Never destroyed (function-local statics, as Parley's process-wide
  // tables are).
  static const Pattern* const kPatterns = [] {
    auto re = [](const char* p) {
      RE2::Options o;
      o.set_case_sensitive(false);
      o.set_log_errors(false);
      return new RE2(p, o);
    };
    return new Pattern[]{
        {PromptClass::kOtp,
         re(R"(one[- ]?time|\botp\b|verification code|\btoken\b|passcode|)"
            R"(authenticator|\boath\b|\b2fa\b|two[- ]factor|security code|)"
            R"(auth(entication)? code)")},
        {PromptClass::kPin, re(R"(\bpin\b)")},
        {PromptClass::kPassword, re(R"(pass(word|phrase)|\bpwd\b)")},
        {PromptClass::kConfirm,
         re(R"(\(yes/no|\[y/n\]|\byes/no\b|continue\s*\?|\bconfirm)")},
        {PromptClass::kInfo, re(R"(press (enter|return))")},
    };
  }();
  *n = 5;
  return kPatterns;
}

}  // namespace

PromptClass ClassifyPrompt(absl::string_view text) {
  size_t n;
  const Pattern* patterns = Patterns(&n);
  const re2::StringPiece piece(text.data(), text.size());
  for (size_t i = 0; i < n; ++i) {
    if (RE2::PartialMatch(piece, *patterns[i].re)) return patterns[i].klass;
  }
  return PromptClass::kOther;
}

const char* PromptClassName(PromptClass c) {
  switch (c) {
    case PromptClass::kOther:
      return "other";
    case PromptClass::kPassword:
      return "password";
    case PromptClass::kOtp:
      return "otp";
    case PromptClass::kPin:
      return "pin";
    case PromptClass::kConfirm:
      return "confirm";
    case PromptClass::kInfo:
      return "info";
  }
  return "other";
}

bool PromptClassFromName(absl::string_view name, PromptClass* out) {
  for (PromptClass c :
       {PromptClass::kOther, PromptClass::kPassword, PromptClass::kOtp,
        PromptClass::kPin, PromptClass::kConfirm, PromptClass::kInfo}) {
    if (name == PromptClassName(c)) {
      *out = c;
      return true;
    }
  }
  return false;
}

}  // namespace parley::auth
