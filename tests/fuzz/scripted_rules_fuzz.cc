// The scripted responder's rules files (TOML, plugins/scripted/rules.h).
#include <string>

#include "plugins/scripted/rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)parley::scripted::ParseRules(text, "fuzz");
  return 0;
}
