// Responder specs ("otp:secret-file=...;scripted:...") and plugin
// configuration files (core/plugin/spec.h).
#include <string>

#include "core/plugin/spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)parley::plugin::ParseResponderSpec(text);
  (void)parley::plugin::ParseResponderSpecs(text);
  (void)parley::plugin::ParseConfigFile(text, "fuzz");
  return 0;
}
