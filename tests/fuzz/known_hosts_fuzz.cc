// known_hosts files and host matching (core/hostkeys/known_hosts.h).
#include <string>

#include "core/hostkeys/known_hosts.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto file = parley::hostkeys::ParseKnownHosts(text, "fuzz");
  if (file.ok()) {
    for (const auto& e : file->entries) {
      (void)parley::hostkeys::MatchesHostPatterns(e.patterns, "db1.example");
      (void)parley::hostkeys::MatchesHostPatterns(e.patterns,
                                                  "[db1.example]:2222");
    }
  }
  // The text as a pattern against a host name, and the other way round.
  (void)parley::hostkeys::WildcardMatch(text.substr(0, 256), "db1.example");
  (void)parley::hostkeys::WildcardMatch("*.example", text.substr(0, 256));
  return 0;
}
