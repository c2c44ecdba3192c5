// SSH_MSG_USERAUTH_INFO_REQUEST bodies (core/auth/kbdint.h): where SSH
// libraries have had their worst bugs.
#include "core/auth/kbdint.h"
#include "core/auth/prompt_class.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = parley::auth::DecodeInfoRequest(parley::ByteView(data, size));
  if (!r.ok()) return 0;
  (void)parley::auth::SanitizeForTerminal(r->name);
  (void)parley::auth::SanitizeForTerminal(r->instruction);
  for (const auto& p : r->prompts) {
    (void)parley::auth::SanitizeForTerminal(p.text);
    (void)parley::auth::ClassifyPrompt(p.text);
  }
  return 0;
}
