// Recorded keyboard-interactive conversations (the scripted responder's
// record=PATH) and rules made from them.
//
// A transcript is a TOML file holding what the server sent, round by round:
//
//   user = "alice"
//   server = "host.example:22"
//   host_key = "SHA256:..."
//   [[round]]
//   round = 1
//   name = "..."
//   instruction = "..."
//   language = ""
//   [[round.prompt]]
//   text = "Password: "
//   echo = false
//   class = "password"
//
// Answers are never in it: the recorder is not shown them (a responder
// sees only the prompts it answers), so every answer is redacted by
// construction. Server text that is not UTF-8 is stored with U+FFFD in
// place of the bad bytes.
//
// RulesFromTranscript turns a transcript into a rules file (rules.h) that
// replays the conversation: one rule per prompt, matching its exact text in
// its round, answered from an environment variable PARLEY_ANSWER_R<r>_P<i>
// (1-based) that a test sets.
#ifndef PARLEY_PLUGINS_SCRIPTED_TRANSCRIPT_H_
#define PARLEY_PLUGINS_SCRIPTED_TRANSCRIPT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace parley::scripted {

inline constexpr size_t kMaxTranscript = 4 << 20;

struct RecordedPrompt {
  std::string text;
  bool echo = false;
  std::string prompt_class;  // "password", "otp", ...
};

struct RecordedRound {
  int round = 0;
  std::string name, instruction, language;
  std::vector<RecordedPrompt> prompts;
};

struct Transcript {
  std::string user, server, host_key;
  std::vector<RecordedRound> rounds;
};

// The TOML text of `t` (server text made valid UTF-8).
std::string FormatTranscript(const Transcript& t);
// Errors name the file, line and column.
absl::StatusOr<Transcript> ParseTranscript(absl::string_view text,
                                           absl::string_view path);

// The variable that answers prompt `prompt` (1-based) of round `round`.
std::string AnswerVariable(int round, int prompt);

// A rules file replaying `t`.
std::string RulesFromTranscript(const Transcript& t);

}  // namespace parley::scripted

#endif  // PARLEY_PLUGINS_SCRIPTED_TRANSCRIPT_H_
