// The scripted responder's transcripts (plugins/scripted/transcript.h),
// and rules made from them.
#include <string>

#include "plugins/scripted/transcript.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto t = parley::scripted::ParseTranscript(text, "fuzz");
  if (t.ok()) {
    (void)parley::scripted::FormatTranscript(*t);
    (void)parley::scripted::RulesFromTranscript(*t);
  }
  return 0;
}
