// Challenge prompts and answers (core/auth/challenge.h).
#include <string>

#include "core/auth/challenge.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)parley::auth::challenge::FindNonce(text);
  (void)parley::auth::challenge::ParseAnswer(text);
  return 0;
}
