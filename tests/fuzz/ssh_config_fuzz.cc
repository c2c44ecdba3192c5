// ssh_config files (tools/cli/ssh_config.h) and the options they set.
#include <string>
#include <vector>

#include "tools/cli/options.h"
#include "tools/cli/ssh_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = parley::cli::ParseSshConfig(text, "fuzz");
  if (!config.ok()) return 0;
  std::vector<std::string> warnings;
  for (const char* host : {"db1.example", "", "*", "a"}) {
    parley::cli::Options o;
    (void)parley::cli::ApplyConfig(&o, *config, host, &warnings);
    for (const std::string& f : o.identity_files) {
      (void)parley::cli::ExpandPath(f, "u", host, 22);
    }
    if (o.kex.has_value()) {
      (void)parley::cli::ResolveAlgorithms(*o.kex, {"a", "b"});
    }
  }
  return 0;
}
