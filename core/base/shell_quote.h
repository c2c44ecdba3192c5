// Quoting for a POSIX shell: what the server's login shell gets when a
// command names a path (SCP), and what tests pass to /bin/sh.
#ifndef PARLEY_CORE_BASE_SHELL_QUOTE_H_
#define PARLEY_CORE_BASE_SHELL_QUOTE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace parley {

// `s` as one word: single-quoted, each ' written as '\''.
std::string ShellQuote(absl::string_view s);

}  // namespace parley

#endif  // PARLEY_CORE_BASE_SHELL_QUOTE_H_
