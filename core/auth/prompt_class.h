// What a keyboard-interactive prompt asks for, from its text: the classes
// responders claim prompts by (a TOTP responder answers "otp" prompts, a
// smartcard responder "pin" prompts). The patterns cover what real servers
// send (PAM's "Password: ", pam_oath's "One-time password (OATH) for
// `alice': ", Google Authenticator's "Verification code: ", RSA SecurID's
// "PASSCODE:", "Enter PIN for ...") and are checked in this order: otp,
// pin, password, confirm, info; anything else is "other".
#ifndef PARLEY_CORE_AUTH_PROMPT_CLASS_H_
#define PARLEY_CORE_AUTH_PROMPT_CLASS_H_

#include "absl/strings/string_view.h"

namespace parley::auth {

// The values are those of parley_prompt_class in parley_responder.h.
enum class PromptClass {
  kOther = 0,
  kPassword = 1,
  kOtp = 2,
  kPin = 3,
  kConfirm = 4,
  kInfo = 5,
};

PromptClass ClassifyPrompt(absl::string_view text);
const char* PromptClassName(PromptClass c);  // "otp"
// false for an unknown name.
bool PromptClassFromName(absl::string_view name, PromptClass* out);

}  // namespace parley::auth

#endif  // PARLEY_CORE_AUTH_PROMPT_CLASS_H_
