#include "plugins/terminal/tty.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/base/file.h"

extern char** environ;

namespace parley::tty {
namespace {

// Longest answer read from a terminal or askpass.
constexpr size_t kMaxAnswer = 4096;

bool Set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0';
}

absl::Status WriteAll(int fd, absl::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot write to the terminal: ", std::strerror(errno)));
    }
    s.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// The signal that interrupted a read with echo off (0: none).
volatile sig_atomic_t g_signal = 0;

void OnSignal(int sig) { g_signal = sig; }

// While echo is off: signals that would end or stop the program first give
// the terminal back its echo (as readpassphrase(3) does), then take their
// usual course.
class SignalGuard {
 public:
  SignalGuard() {
    g_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = &OnSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: read() returns EINTR
    for (size_t i = 0; i < kCount; ++i) {
      ::sigaction(kSignals[i], &sa, &saved_[i]);
    }
  }
  ~SignalGuard() {
    for (size_t i = 0; i < kCount; ++i) {
      ::sigaction(kSignals[i], &saved_[i], nullptr);
    }
  }
  // After the terminal was restored and the handlers put back.
  static void Redeliver() {
    if (g_signal != 0) ::raise(g_signal);
  }

 private:
  static constexpr int kSignals[] = {SIGALRM, SIGHUP,  SIGINT,
                                     SIGPIPE, SIGQUIT, SIGTERM,
                                     SIGTSTP, SIGTTIN, SIGTTOU};
  static constexpr size_t kCount = sizeof(kSignals) / sizeof(kSignals[0]);
  struct sigaction saved_[kCount];
};

// Opens the terminal `path`; kFailedPrecondition if it cannot be opened or
// is not a terminal (tty= must never point at a file to be overwritten).
absl::StatusOr<int> OpenTty(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  if (!::isatty(fd)) {
    ::close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a terminal"));
  }
  return fd;
}

absl::StatusOr<SecureBuffer> ReadLine(int fd) {
  LineRead options;
  options.max_bytes = kMaxAnswer;
  options.interrupted = &g_signal;
  return ReadSecretLine(fd, options);
}

absl::StatusOr<SecureBuffer> AskTty(const AskOptions& options,
                                    absl::string_view prompt, bool echo) {
  absl::StatusOr<int> tty = OpenTty(options.tty, O_RDWR);
  if (!tty.ok()) return tty.status();
  const int fd = *tty;
  absl::StatusOr<SecureBuffer> answer;
  {
    SignalGuard guard;
    // Echo off before the prompt is shown (typeahead from before the prompt
    // is discarded), back on after the answer -- or after a signal.
    termios saved{};
    const bool quiet = !echo && ::tcgetattr(fd, &saved) == 0;
    if (quiet) {
      termios t = saved;
      t.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHOE | ECHOK);
      t.c_lflag |= ECHONL;
      (void)::tcsetattr(fd, TCSAFLUSH, &t);
    }
    absl::Status s = WriteAll(fd, prompt);
    answer = s.ok() ? ReadLine(fd) : absl::StatusOr<SecureBuffer>(s);
    if (quiet) {
      (void)::tcsetattr(fd, TCSANOW, &saved);
      if (!answer.ok()) (void)WriteAll(fd, "\n");
    }
  }
  ::close(fd);
  SignalGuard::Redeliver();
  return answer;
}

absl::StatusOr<SecureBuffer> AskAskpass(const std::string& program,
                                        const AskOptions& options,
                                        absl::string_view prompt) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  // stdin from /dev/null, the answer on stdout, stderr kept for its
  // messages, nothing else inherited (the program's sockets included).
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "SSH_ASKPASS_PROMPT=", 19) != 0) {
      env_strings.emplace_back(*e);
    }
  }
  if (options.confirm) env_strings.emplace_back("SSH_ASKPASS_PROMPT=confirm");
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string arg0 = program;
  std::string arg1(prompt);
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv,
                               envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot run SSH_ASKPASS program ", program, ": ", std::strerror(rc)));
  }
  absl::StatusOr<SecureBuffer> answer = ReadLine(out[0]);
  // Drain the rest (at most a little) so the program can exit.
  char sink[256];
  while (::read(out[0], sink, sizeof(sink)) > 0) {
  }
  SecureWipe(sink, sizeof(sink));
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!answer.ok()) return answer;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::CancelledError(
        absl::StrCat("SSH_ASKPASS program ", program, " gave no answer"));
  }
  return answer;
}

}  // namespace

AskpassMode AskpassModeFromEnv() {
  const char* v = std::getenv("SSH_ASKPASS_REQUIRE");
  if (v == nullptr) return AskpassMode::kAuto;
  const std::string s = absl::AsciiStrToLower(v);
  if (s == "force") return AskpassMode::kForce;
  if (s == "prefer") return AskpassMode::kPrefer;
  if (s == "never") return AskpassMode::kNever;
  return AskpassMode::kAuto;
}

absl::StatusOr<std::string> ChooseAskpass(const AskOptions& options,
                                          bool tty_available) {
  bool allow = Set("DISPLAY") || Set("WAYLAND_DISPLAY");
  bool use = false;
  switch (options.askpass) {
    case AskpassMode::kForce:
      use = allow = true;
      break;
    case AskpassMode::kPrefer:
      use = allow;
      break;
    case AskpassMode::kNever:
      allow = false;
      break;
    case AskpassMode::kAuto:
      break;
  }
  if (!use && !tty_available) use = true;
  if (use && allow) {
    const char* program = std::getenv("SSH_ASKPASS");
    return std::string(program != nullptr && *program != '\0'
                           ? program
                           : "/usr/bin/ssh-askpass");
  }
  if (tty_available) return std::string();
  return absl::FailedPreconditionError(
      "no terminal to ask on, and SSH_ASKPASS may not be used (set DISPLAY, "
      "or SSH_ASKPASS_REQUIRE=force)");
}

absl::Status Show(const AskOptions& options, absl::string_view text) {
  absl::StatusOr<int> fd = OpenTty(options.tty, O_WRONLY);
  if (!fd.ok()) return absl::OkStatus();  // nowhere to show it: not an error
  absl::Status s = WriteAll(*fd, text);
  ::close(*fd);
  return s;
}

absl::StatusOr<SecureBuffer> Ask(const AskOptions& options,
                                 absl::string_view prompt, bool echo) {
  absl::StatusOr<int> probe = OpenTty(options.tty, O_RDWR);
  if (probe.ok()) ::close(*probe);
  absl::StatusOr<std::string> askpass = ChooseAskpass(options, probe.ok());
  if (!askpass.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        probe.status().message(), "; ", askpass.status().message()));
  }
  if (!askpass->empty()) return AskAskpass(*askpass, options, prompt);
  return AskTty(options, prompt, echo);
}

}  // namespace parley::tty
