// Linux process-table helpers for test harnesses that must not leave
// processes behind: find a process's descendants through /proc and kill a
// whole tree without letting any member escape by forking or reparenting.
#ifndef PARLEY_TESTS_SSHD_PROCESS_TREE_H_
#define PARLEY_TESTS_SSHD_PROCESS_TREE_H_

#include <sys/types.h>

#include <functional>
#include <vector>

#include "absl/strings/string_view.h"

namespace parley::testing {

struct ProcessInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?';  // The state letter of /proc/PID/stat: R, S, D, T, Z, ...
};

// A snapshot of /proc. Processes that exit while it is read are skipped.
std::vector<ProcessInfo> ReadProcessTable();

// `root` followed by all its descendants in `table`; empty if `root` is not
// in `table`.
std::vector<pid_t> DescendantsOf(const std::vector<ProcessInfo>& table,
                                 pid_t root);

// Processes with an environment entry ("NAME=value") for which `match`
// returns true. Environments that cannot be read are skipped. A process that
// rewrote its argv/environ area (sshd's setproctitle does) may not be found.
std::vector<pid_t> FindProcessesByEnv(
    const std::function<bool(absl::string_view entry)>& match);

// True if `pid` exists and is not a zombie.
bool IsProcessRunning(pid_t pid);

// Kills the trees rooted at `roots`: first stops every member with SIGSTOP
// (repeating until no member is running, so none can fork or let a child
// escape by exiting), then SIGKILLs them all. Does not reap; a caller that
// is the parent of a root must still waitpid() it.
void KillProcessTrees(const std::vector<pid_t>& roots);

}  // namespace parley::testing

#endif  // PARLEY_TESTS_SSHD_PROCESS_TREE_H_
