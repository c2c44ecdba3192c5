// How responders are named and configured, in the CLI (--responder), in
// $PARLEY_RESPONDERS and in configuration files:
//
//   NAME[:key=value,key=value,...]     one instance
//   NAME:@/path/to/file                its configuration from a file
//   SPEC;SPEC;...                      a chain ($PARLEY_RESPONDERS)
//
// NAME is a reversed-DNS plugin name ("parley.responder.otp") or its last
// part ("otp"). Values are bare (no `,` `;` `"` or control characters) or
// double-quoted, with \" and \\ inside quotes. A configuration file holds
// one `key = value` per line (the value to the end of the line, trimmed),
// with blank lines and `#` comments. Parsers are pure and bounded.
#ifndef PARLEY_CORE_PLUGIN_SPEC_H_
#define PARLEY_CORE_PLUGIN_SPEC_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace parley::plugin {

inline constexpr size_t kMaxSpecBytes = 64 * 1024;
inline constexpr size_t kMaxConfigEntries = 256;

using Config = std::vector<std::pair<std::string, std::string>>;

struct ResponderSpec {
  std::string name;
  Config config;
  // Set for NAME:@FILE: the configuration is to be read from this file.
  std::string config_file;
};

// Errors are kInvalidArgument naming the position ("at column 12").
absl::StatusOr<ResponderSpec> ParseResponderSpec(absl::string_view text);
absl::StatusOr<std::vector<ResponderSpec>> ParseResponderSpecs(
    absl::string_view text);
// A configuration file's text; `path` names it in messages ("path:3: ...").
absl::StatusOr<Config> ParseConfigFile(absl::string_view text,
                                       absl::string_view path);
// Reads and parses `spec.config_file` when set (a regular file of at most
// 64 KiB).
absl::StatusOr<ResponderSpec> ResolveConfigFile(ResponderSpec spec);

// "otp" of "parley.responder.otp".
absl::string_view ShortName(absl::string_view name);
bool ValidName(absl::string_view name);

}  // namespace parley::plugin

#endif  // PARLEY_CORE_PLUGIN_SPEC_H_
