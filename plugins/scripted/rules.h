// The scripted responder's rules: a TOML file (read with toml++) mapping
// prompts to answers.
//
//   rounds = 2                  # optional: the most rounds expected
//   unmatched = "fail"          # or "decline": leave unmatched prompts to
//                               # the next responder of the chain
//   [[answer]]
//   prompt = "^Password: $"     # RE2, required
//   name = "..."                # optional RE2 on the round's name
//   instruction = "..."         # optional RE2 on its instruction
//   round = 1                   # optional: only in this round
//   echo = false                # optional: only prompts with this echo flag
//   # and exactly one source of the answer:
//   text = "literal"            # (for tests and non-secrets)
//   env = "VARIABLE"            # an environment variable
//   file = "/path/0600-file"    # its first line; the file must be 0600
//   command = ["/usr/bin/pass", "show", "corp"]   # its output's first line
//   next = true                 # not this responder's: the next one of
//                               # the chain answers (an OTP plugin, say)
//
// The first rule that matches a prompt decides. Errors name the file, line
// and column.
#ifndef PARLEY_PLUGINS_SCRIPTED_RULES_H_
#define PARLEY_PLUGINS_SCRIPTED_RULES_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/base/secure_buffer.h"
#include "re2/re2.h"

namespace parley::scripted {

struct Rule {
  int line = 0;  // where the rule starts, for messages
  std::unique_ptr<RE2> prompt, name, instruction;
  absl::optional<int> round;
  absl::optional<bool> echo;
  enum class Source {
    kText,
    kEnv,
    kFile,
    kCommand,
    kNext
  } source = Source::kText;
  std::string text;  // text, env name or file path
  std::vector<std::string> command;
};

struct Rules {
  absl::optional<int> rounds;
  bool fail_unmatched = true;
  std::vector<Rule> rules;
};

absl::StatusOr<Rules> ParseRules(absl::string_view text,
                                 absl::string_view path);
absl::StatusOr<Rules> LoadRules(const std::string& path);

// The rule for a prompt, or null.
const Rule* Match(const Rules& rules, int round, absl::string_view name,
                  absl::string_view instruction, absl::string_view prompt,
                  bool echo);

// The answer of `rule` (reads the variable, file or command output). A
// command gets stdin from /dev/null and no descriptor but stdout and
// stderr; its first line is the answer, and it must exit with status 0. A
// command still running at `deadline` is killed and fails.
absl::StatusOr<SecureBuffer> Answer(
    const Rule& rule, std::chrono::steady_clock::time_point deadline);

}  // namespace parley::scripted

#endif  // PARLEY_PLUGINS_SCRIPTED_RULES_H_
