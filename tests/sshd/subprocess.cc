#include "tests/sshd/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

extern char** environ;

namespace parley::testing {
namespace {

// How long output may still arrive after the child exited (a grandchild can
// hold the pipes open; we do not wait for it forever).
constexpr absl::Duration kOutputGrace = absl::Milliseconds(500);

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

std::string ErrnoText(int err) { return std::strerror(err); }

// What the child reports through the exec pipe if it fails before exec.
enum ChildStep : int { kSetupIo = 1, kPrivateTmp = 2, kExec = 3 };
struct ChildFailure {
  int step;
  int error;
};

// In the child after fork: only async-signal-safe calls.
void ReportAndExit(int fd, int step) {
  ChildFailure failure = {step, errno};
  (void)!write(fd, &failure, sizeof(failure));
  _exit(127);
}

void CloseIfOpen(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// Resolves `name` like execvp would, in `path_env`, before fork (the child
// must not allocate).
std::string ResolveProgram(const std::string& name,
                           const std::string& path_env) {
  if (name.find('/') != std::string::npos) return name;
  for (absl::string_view dir : absl::StrSplit(path_env, ':')) {
    if (dir.empty()) continue;
    std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return name;
}

}  // namespace

std::string SubprocessResult::DebugString() const {
  return absl::StrCat(term_signal != 0 ? absl::StrCat("signal ", term_signal)
                                       : absl::StrCat("exit ", exit_code),
                      "\n--- stdout ---\n", stdout_text, "\n--- stderr ---\n",
                      stderr_text);
}

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Spawn(
    const std::vector<std::string>& argv, const SubprocessOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");

  // Everything the child needs is prepared here: after fork() in a possibly
  // multi-threaded process the child may only make async-signal-safe calls.
  std::vector<std::string> env_strings;
  if (!options.clear_env) {
    for (char** entry = environ; *entry != nullptr; ++entry) {
      absl::string_view text(*entry);
      std::string name(text.substr(0, text.find('=')));
      if (options.env.count(name) == 0) env_strings.emplace_back(text);
    }
  }
  std::string path_env = "/usr/local/bin:/usr/bin:/bin";
  if (const char* parent_path = getenv("PATH");
      parent_path != nullptr && !options.clear_env) {
    path_env = parent_path;
  }
  for (const auto& [name, value] : options.env) {
    env_strings.push_back(absl::StrCat(name, "=", value));
    if (name == "PATH") path_env = value;
  }
  std::vector<char*> envp;
  for (std::string& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argvp;
  for (std::string& arg : args) argvp.push_back(arg.data());
  argvp.push_back(nullptr);
  const std::string program = ResolveProgram(argv[0], path_env);
  const std::string working_dir = options.working_dir.string();
  const std::string private_tmp = options.private_tmp.string();
  std::vector<std::pair<std::string, std::string>> binds;
  for (const auto& [from, to] : options.bind_mounts) {
    binds.emplace_back(from.string(), to.string());
  }
  if (!binds.empty() && private_tmp.empty()) {
    return absl::InvalidArgumentError("bind_mounts need private_tmp");
  }

  int stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (stdin_fd < 0) {
    return absl::InternalError(
        absl::StrCat("open /dev/null: ", ErrnoText(errno)));
  }
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  int exec_pipe[2] = {-1, -1};
  auto close_all = [&] {
    close(stdin_fd);
    for (int* fd : {&out_pipe[0], &out_pipe[1], &err_pipe[0], &err_pipe[1],
                    &exec_pipe[0], &exec_pipe[1]}) {
      CloseIfOpen(fd);
    }
  };
  bool ok = true;
  if (!options.output_file.empty()) {
    out_pipe[1] = open(options.output_file.c_str(),
                       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    ok = out_pipe[1] >= 0 && (err_pipe[1] = dup(out_pipe[1])) >= 0;
  } else {
    ok = pipe2(out_pipe, O_CLOEXEC) == 0 && pipe2(err_pipe, O_CLOEXEC) == 0;
  }
  ok = ok && pipe2(exec_pipe, O_CLOEXEC) == 0;
  if (!ok) {
    int err = errno;
    close_all();
    return absl::InternalError(
        absl::StrCat("cannot set up child I/O: ", ErrnoText(err)));
  }

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close_all();
    return absl::InternalError(absl::StrCat("fork: ", ErrnoText(err)));
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // The parent is already gone.
    if (dup2(stdin_fd, 0) < 0 || dup2(out_pipe[1], 1) < 0 ||
        dup2(err_pipe[1], 2) < 0 ||
        (!working_dir.empty() && chdir(working_dir.c_str()) != 0)) {
      ReportAndExit(exec_pipe[1], kSetupIo);
    }
    if (!private_tmp.empty() &&
        (unshare(CLONE_NEWNS) != 0 ||
         mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
         mount(private_tmp.c_str(), "/tmp", nullptr, MS_BIND | MS_REC,
               nullptr) != 0)) {
      ReportAndExit(exec_pipe[1], kPrivateTmp);
    }
    for (const auto& [from, to] : binds) {
      if (mount(from.c_str(), to.c_str(), nullptr, MS_BIND | MS_REC, nullptr) !=
          0) {
        ReportAndExit(exec_pipe[1], kPrivateTmp);
      }
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
    // Do not leak the test's descriptors into the child (Linux >= 5.11;
    // best effort before that).
    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    execve(program.c_str(), argvp.data(), envp.data());
    ReportAndExit(exec_pipe[1], kExec);
  }

  CloseIfOpen(&exec_pipe[1]);
  CloseIfOpen(&out_pipe[1]);
  CloseIfOpen(&err_pipe[1]);
  close(stdin_fd);
  ChildFailure failure = {0, 0};
  ssize_t n;
  do {
    n = read(exec_pipe[0], &failure, sizeof(failure));
  } while (n < 0 && errno == EINTR);
  CloseIfOpen(&exec_pipe[0]);
  if (n > 0) {
    CloseIfOpen(&out_pipe[0]);
    CloseIfOpen(&err_pipe[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const std::string why = ErrnoText(failure.error);
    switch (failure.step) {
      case kPrivateTmp:
        if (failure.error == EPERM || failure.error == EACCES) {
          return absl::PermissionDeniedError(
              absl::StrCat("cannot mount a private /tmp: ", why));
        }
        return absl::InternalError(
            absl::StrCat("cannot mount a private /tmp: ", why));
      case kSetupIo:
        return absl::InternalError(
            absl::StrCat("cannot set up the child for ", program, ": ", why));
      default:
        return absl::FailedPreconditionError(
            absl::StrCat("cannot run ", program, ": ", why));
    }
  }
  for (int fd : {out_pipe[0], err_pipe[0]}) {
    if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  return std::unique_ptr<Subprocess>(
      new Subprocess(pid, out_pipe[0], err_pipe[0]));
}

Subprocess::~Subprocess() {
  if (!reaped_) {
    Signal(SIGKILL);
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  CloseIfOpen(&stdout_fd_);
  CloseIfOpen(&stderr_fd_);
}

void Subprocess::Signal(int sig) {
  if (!reaped_) kill(-pid_, sig);
}

void Subprocess::Pump(absl::Duration wait) {
  struct pollfd fds[2];
  std::string* sinks[2];
  int* owners[2];
  int count = 0;
  for (auto [fd, sink] : {std::make_pair(&stdout_fd_, &stdout_),
                          std::make_pair(&stderr_fd_, &stderr_)}) {
    if (*fd < 0) continue;
    fds[count] = {*fd, POLLIN, 0};
    sinks[count] = sink;
    owners[count] = fd;
    ++count;
  }
  int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(wait));
  if (count > 0) {
    if (poll(fds, count, timeout_ms) > 0) {
      for (int i = 0; i < count; ++i) {
        if (fds[i].revents == 0) continue;
        char buf[8192];
        while (true) {
          ssize_t n = read(*owners[i], buf, sizeof(buf));
          if (n > 0) {
            sinks[i]->append(buf, static_cast<size_t>(n));
            continue;
          }
          if (n < 0 && errno == EINTR) continue;
          if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            CloseIfOpen(owners[i]);
          }
          break;
        }
      }
    }
  } else if (timeout_ms > 0) {
    absl::SleepFor(wait);
  }
  if (!reaped_) {
    pid_t r = waitpid(pid_, &wait_status_, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      exit_seen_ = absl::Now();
    }
  }
}

bool Subprocess::Poll() {
  Pump(absl::ZeroDuration());
  return reaped_;
}

absl::Status Subprocess::WaitForStdout(absl::string_view text,
                                       absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (stdout_.find(text.data(), 0, text.size()) == std::string::npos) {
    if (reaped_ &&
        (OutputClosed() || absl::Now() > exit_seen_ + kOutputGrace)) {
      return absl::FailedPreconditionError(
          absl::StrCat("child exited before printing '", text,
                       "': ", Result().DebugString()));
    }
    absl::Time now = absl::Now();
    if (now > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "timed out waiting for '", text, "'; stdout so far: ", stdout_,
          "; stderr so far: ", stderr_));
    }
    Pump(std::min(deadline - now, absl::Milliseconds(20)));
  }
  return absl::OkStatus();
}

absl::StatusOr<SubprocessResult> Subprocess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!reaped_ ||
         (!OutputClosed() && absl::Now() < exit_seen_ + kOutputGrace)) {
    absl::Time now = absl::Now();
    if (now > deadline && reaped_) break;  // Exited; a grandchild holds output.
    if (now > deadline) {
      Signal(SIGKILL);
      while (waitpid(pid_, &wait_status_, 0) < 0 && errno == EINTR) {
      }
      reaped_ = true;
      return absl::DeadlineExceededError(
          absl::StrCat("child timed out after ", absl::FormatDuration(timeout),
                       " and was killed; ", Result().DebugString()));
    }
    Pump(std::min(deadline - now, absl::Milliseconds(20)));
  }
  CloseIfOpen(&stdout_fd_);
  CloseIfOpen(&stderr_fd_);
  return Result();
}

SubprocessResult Subprocess::Result() const {
  SubprocessResult result;
  if (reaped_ && WIFEXITED(wait_status_)) {
    result.exit_code = WEXITSTATUS(wait_status_);
  } else if (reaped_ && WIFSIGNALED(wait_status_)) {
    result.term_signal = WTERMSIG(wait_status_);
  }
  result.stdout_text = stdout_;
  result.stderr_text = stderr_;
  return result;
}

absl::StatusOr<SubprocessResult> RunSubprocess(
    const std::vector<std::string>& argv, const SubprocessOptions& options,
    absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<Subprocess>> child =
      Subprocess::Spawn(argv, options);
  if (!child.ok()) return child.status();
  return (*child)->Wait(timeout);
}

}  // namespace parley::testing
