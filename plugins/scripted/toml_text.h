// Reading TOML documents (rules files, transcripts) with toml++: bounded,
// and every error as "path:line:column: what".
#ifndef PARLEY_PLUGINS_SCRIPTED_TOML_TEXT_H_
#define PARLEY_PLUGINS_SCRIPTED_TOML_TEXT_H_

#include <toml++/toml.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace parley::scripted {

// kInvalidArgument naming the place.
inline absl::Status TomlError(absl::string_view path,
                              const toml::source_region& where,
                              absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrFormat(
      "%s:%d:%d: %s", path, where.begin.line, where.begin.column, what));
}

// The document in `text` (at most `max_bytes`); `what` names it in the
// size error ("rules file").
inline absl::StatusOr<toml::table> ParseToml(absl::string_view text,
                                             absl::string_view path,
                                             size_t max_bytes,
                                             absl::string_view what) {
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", what, " is too large"));
  }
  try {
    return toml::parse(std::string_view(text.data(), text.size()),
                       std::string_view(path.data(), path.size()));
  } catch (const toml::parse_error& e) {
    return TomlError(path, e.source(), std::string(e.description()));
  }
}

}  // namespace parley::scripted

#endif  // PARLEY_PLUGINS_SCRIPTED_TOML_TEXT_H_
