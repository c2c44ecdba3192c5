// --hosts files and destinations (tools/cli/destination.h).
#include <string>

#include "tools/cli/destination.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)parley::cli::ParseHostsFile(text, "fuzz");
  (void)parley::cli::ParseDestination(text, false);
  return 0;
}
