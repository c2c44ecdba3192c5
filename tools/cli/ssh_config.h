// OpenSSH client configuration files (ssh_config(5)): "Keyword value"
// lines (or "Keyword=value"), '#' comments, double-quoted arguments, and
// Host sections whose patterns ('*', '?', '!negation', several per line)
// select the lines that apply to a destination. Values are applied first
// one wins, as in ssh; the caller does that (options.h).
//
// Not understood (each reported, never silently skipped): Match sections
// (their lines are not applied) and Include.
#ifndef PARLEY_TOOLS_CLI_SSH_CONFIG_H_
#define PARLEY_TOOLS_CLI_SSH_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace parley::cli {

inline constexpr size_t kMaxConfigBytes = 1 << 20;
inline constexpr size_t kMaxConfigLine = 4096;

struct ConfigLine {
  std::string keyword;  // lower case
  std::vector<std::string> args;
  int line = 0;
};

struct ConfigSection {
  // Host patterns; empty for the lines before the first Host (they apply
  // to every destination). `match` sections never apply.
  std::vector<std::string> patterns;
  bool match = false;
  std::vector<ConfigLine> lines;
};

struct SshConfig {
  std::string file;  // for messages
  std::vector<ConfigSection> sections;
  std::vector<std::string> warnings;  // "FILE:LINE: ..." for what was not
                                      // understood
};

// Parses a configuration file's text. kInvalidArgument naming FILE:LINE for
// an unterminated quote, a keyword without a value, a line or file that is
// too long, or a NUL byte.
absl::StatusOr<SshConfig> ParseSshConfig(absl::string_view text,
                                         const std::string& file);

// True when `host` matches the pattern list as a Host line does: one
// pattern matches and no negated pattern does. Matching ignores case.
bool HostMatches(const std::vector<std::string>& patterns,
                 absl::string_view host);

// The lines that apply to `host`, in file order.
std::vector<const ConfigLine*> LinesFor(const SshConfig& config,
                                        absl::string_view host);

}  // namespace parley::cli

#endif  // PARLEY_TOOLS_CLI_SSH_CONFIG_H_
