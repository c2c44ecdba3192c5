// Asking a person: on the controlling terminal (echo off for secrets) or
// through SSH_ASKPASS, with OpenSSH's rules for choosing between them.
// Answers are read with read(2) straight into wiping memory: no stdio
// buffer ever holds a copy.
#ifndef PARLEY_PLUGINS_TERMINAL_TTY_H_
#define PARLEY_PLUGINS_TERMINAL_TTY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/secure_buffer.h"

namespace parley::tty {

enum class AskpassMode { kAuto, kForce, kPrefer, kNever };

struct AskOptions {
  // The terminal to use ("/dev/tty" unless a test gives a pty).
  std::string tty = "/dev/tty";
  // From SSH_ASKPASS_REQUIRE unless set explicitly.
  AskpassMode askpass = AskpassMode::kAuto;
  bool confirm = false;  // SSH_ASKPASS_PROMPT=confirm for yes/no questions
};

// OpenSSH's choice (ssh(1), SSH_ASKPASS_REQUIRE): askpass when forced; when
// preferred and a display is set; otherwise only when there is no terminal
// but a display is set. Returns the askpass program to run, or "" for the
// terminal. kFailedPrecondition when neither is usable.
absl::StatusOr<std::string> ChooseAskpass(const AskOptions& options,
                                          bool tty_available);

// Shows `text` (already made safe for a terminal) on the terminal.
absl::Status Show(const AskOptions& options, absl::string_view text);

// Asks `prompt` (already made safe): on the terminal, echo off unless
// `echo`, or through askpass. The answer without its line end.
absl::StatusOr<SecureBuffer> Ask(const AskOptions& options,
                                 absl::string_view prompt, bool echo);

// AskpassMode from SSH_ASKPASS_REQUIRE's value.
AskpassMode AskpassModeFromEnv();

}  // namespace parley::tty

#endif  // PARLEY_PLUGINS_TERMINAL_TTY_H_
