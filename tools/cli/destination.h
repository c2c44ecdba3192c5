// Destinations as users write them: "[user@]host" on the command line,
// "[user@]host[:port]" in a --hosts file.
#ifndef PARLEY_TOOLS_CLI_DESTINATION_H_
#define PARLEY_TOOLS_CLI_DESTINATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace parley::cli {

// A destination as the user wrote it: "[user@]host[:port]" (hosts files)
// or "[user@]host" (the command line).
struct Destination {
  std::string as_written;
  std::string host;
  absl::optional<std::string> user;
  absl::optional<uint16_t> port;
};
// Parses a destination; `allow_port` for hosts-file lines ("[v6]:port"
// brackets allowed).
absl::StatusOr<Destination> ParseDestination(const std::string& text,
                                             bool allow_port);

inline constexpr size_t kMaxHostsFileBytes = 1 << 20;
inline constexpr size_t kMaxHosts = 10000;

// One destination "[user@]host[:port]" per line; '#' starts a comment;
// blank lines are skipped. kInvalidArgument naming FILE:LINE for a bad
// line; kResourceExhausted beyond kMaxHosts.
absl::StatusOr<std::vector<Destination>> ParseHostsFile(
    absl::string_view text, const std::string& file);

}  // namespace parley::cli

#endif  // PARLEY_TOOLS_CLI_DESTINATION_H_
