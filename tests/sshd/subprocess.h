// Runs a child process for tests (ssh, ssh-keygen, sshd) and collects its
// output and exit status, with a timeout. The child gets its own process
// group, stdin from /dev/null, and SIGKILL when the thread that spawned it
// exits (PR_SET_PDEATHSIG), so a crashing test leaves no child behind.
#ifndef PARLEY_TESTS_SSHD_SUBPROCESS_H_
#define PARLEY_TESTS_SSHD_SUBPROCESS_H_

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace parley::testing {

struct SubprocessOptions {
  // The child's environment: the parent's (unless `clear_env`) with `env`
  // added or overriding.
  bool clear_env = false;
  std::map<std::string, std::string> env;
  // If set, stdout and stderr are appended to this file instead of being
  // captured.
  std::filesystem::path output_file;
  // If set, the child's working directory.
  std::filesystem::path working_dir;
  // If set, the child runs in its own mount namespace with this directory
  // bind-mounted on /tmp (needs CAP_SYS_ADMIN; the bind mount does not
  // propagate to the rest of the system). Must not be /tmp or inside it.
  // Spawn fails with kPermissionDenied if the kernel refuses.
  std::filesystem::path private_tmp;
  // More bind mounts (source, target) in that private mount namespace, e.g.
  // a test PAM configuration on /etc/pam.d. Requires private_tmp.
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>>
      bind_mounts;
};

struct SubprocessResult {
  int exit_code = -1;   // Exit status, or -1 if killed by a signal.
  int term_signal = 0;  // The signal that killed it, or 0.
  std::string stdout_text;
  std::string stderr_text;

  // "exit 3" / "signal 9" plus both outputs, for assertion messages.
  std::string DebugString() const;
};

class Subprocess {
 public:
  // Starts argv[0] (a path, or a name searched in the child's PATH). Fails if
  // it cannot be executed.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Spawn(
      const std::vector<std::string>& argv,
      const SubprocessOptions& options = {});

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  // SIGKILLs the process group if the child has not been reaped, and reaps.
  ~Subprocess();

  pid_t pid() const { return pid_; }

  // Reads whatever output is ready and reaps the child if it has exited.
  // Returns true once it has exited. Never blocks.
  bool Poll();

  // Waits until `text` appears in stdout. kDeadlineExceeded on timeout,
  // kFailedPrecondition if the child exits without printing it.
  absl::Status WaitForStdout(absl::string_view text, absl::Duration timeout);

  // Waits for the child to exit and its output to end. On timeout kills the
  // process group and returns kDeadlineExceeded with the output so far.
  absl::StatusOr<SubprocessResult> Wait(absl::Duration timeout);

  // Sends `sig` to the child's process group unless it has been reaped.
  void Signal(int sig);

  // Output captured so far.
  const std::string& stdout_text() const { return stdout_; }
  const std::string& stderr_text() const { return stderr_; }

 private:
  Subprocess(pid_t pid, int stdout_fd, int stderr_fd)
      : pid_(pid), stdout_fd_(stdout_fd), stderr_fd_(stderr_fd) {}

  // Reads output for up to `wait` (0: no waiting) and reaps if exited.
  void Pump(absl::Duration wait);
  bool OutputClosed() const { return stdout_fd_ < 0 && stderr_fd_ < 0; }
  SubprocessResult Result() const;

  pid_t pid_;
  int stdout_fd_;
  int stderr_fd_;
  bool reaped_ = false;
  int wait_status_ = 0;
  absl::Time exit_seen_ = absl::InfiniteFuture();
  std::string stdout_;
  std::string stderr_;
};

// Spawn + Wait.
absl::StatusOr<SubprocessResult> RunSubprocess(
    const std::vector<std::string>& argv, const SubprocessOptions& options = {},
    absl::Duration timeout = absl::Seconds(60));

}  // namespace parley::testing

#endif  // PARLEY_TESTS_SSHD_SUBPROCESS_H_
