// --hosts files and destinations (tools/cli/fanout.h, host_run.h).
#include <string>

#include "tools/cli/fanout.h"
#include "tools/cli/host_run.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)parley::cli::ParseHostsFile(text, "fuzz");
  (void)parley::cli::ParseDestination(text, false);
  return 0;
}
