#include "tests/sshd/process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <set>
#include <string>
#include <unordered_map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace parley::testing {
namespace {

// Reads a whole /proc file; false if it cannot be opened (process gone).
bool ReadProcFile(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out->clear();
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

std::vector<pid_t> ListPids() {
  std::vector<pid_t> pids;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return pids;
  while (struct dirent* entry = readdir(dir)) {
    int pid = 0;
    if (absl::SimpleAtoi(entry->d_name, &pid) && pid > 0) pids.push_back(pid);
  }
  closedir(dir);
  return pids;
}

bool ParseStat(pid_t pid, const std::string& stat, ProcessInfo* info) {
  // "PID (COMM) S PPID ...": COMM may hold spaces and parentheses, so parse
  // from the last ')'.
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return false;
  std::vector<absl::string_view> fields = absl::StrSplit(
      absl::string_view(stat).substr(close_paren + 1), ' ', absl::SkipEmpty());
  if (fields.size() < 2 || fields[0].empty()) return false;
  int ppid = 0;
  if (!absl::SimpleAtoi(fields[1], &ppid)) return false;
  info->pid = pid;
  info->ppid = ppid;
  info->state = fields[0][0];
  return true;
}

bool IsStoppedOrDead(char state) {
  return state == 'T' || state == 't' || state == 'Z' || state == 'X';
}

std::vector<pid_t> TreeMembers(const std::vector<ProcessInfo>& table,
                               const std::vector<pid_t>& roots) {
  std::set<pid_t> seen;
  std::vector<pid_t> members;
  for (pid_t root : roots) {
    for (pid_t pid : DescendantsOf(table, root)) {
      if (seen.insert(pid).second) members.push_back(pid);
    }
  }
  return members;
}

}  // namespace

std::vector<ProcessInfo> ReadProcessTable() {
  std::vector<ProcessInfo> table;
  std::string stat;
  for (pid_t pid : ListPids()) {
    ProcessInfo info;
    if (ReadProcFile(absl::StrCat("/proc/", pid, "/stat"), &stat) &&
        ParseStat(pid, stat, &info)) {
      table.push_back(info);
    }
  }
  return table;
}

std::vector<pid_t> DescendantsOf(const std::vector<ProcessInfo>& table,
                                 pid_t root) {
  std::unordered_multimap<pid_t, pid_t> children;
  bool root_found = false;
  for (const ProcessInfo& info : table) {
    children.emplace(info.ppid, info.pid);
    if (info.pid == root) root_found = true;
  }
  std::vector<pid_t> result;
  if (!root_found) return result;
  result.push_back(root);
  for (size_t i = 0; i < result.size(); ++i) {
    auto range = children.equal_range(result[i]);
    for (auto it = range.first; it != range.second; ++it) {
      result.push_back(it->second);
    }
  }
  return result;
}

std::vector<pid_t> FindProcessesByEnv(
    const std::function<bool(absl::string_view entry)>& match) {
  std::vector<pid_t> found;
  std::string environ_text;
  for (pid_t pid : ListPids()) {
    if (pid == getpid()) continue;
    if (!ReadProcFile(absl::StrCat("/proc/", pid, "/environ"), &environ_text)) {
      continue;
    }
    for (absl::string_view entry :
         absl::StrSplit(environ_text, '\0', absl::SkipEmpty())) {
      if (match(entry)) {
        found.push_back(pid);
        break;
      }
    }
  }
  return found;
}

bool IsProcessRunning(pid_t pid) {
  std::string stat;
  ProcessInfo info;
  if (!ReadProcFile(absl::StrCat("/proc/", pid, "/stat"), &stat) ||
      !ParseStat(pid, stat, &info)) {
    return false;
  }
  return info.state != 'Z' && info.state != 'X';
}

void KillProcessTrees(const std::vector<pid_t>& roots) {
  // Freeze: a stopped process can neither fork nor exit, so once every
  // member is stopped the tree is complete and stays complete.
  std::set<pid_t> stopped;
  for (int round = 0; round < 500; ++round) {
    std::vector<ProcessInfo> table = ReadProcessTable();
    std::unordered_map<pid_t, char> state;
    for (const ProcessInfo& info : table) state[info.pid] = info.state;
    bool changed = false;
    bool settled = true;
    for (pid_t pid : TreeMembers(table, roots)) {
      if (stopped.insert(pid).second) {
        kill(pid, SIGSTOP);
        changed = true;
      }
      if (!IsStoppedOrDead(state[pid])) settled = false;
    }
    if (!changed && settled) break;
    usleep(1000);
  }
  // Kill only pids that are still members, so a pid reused after an exit
  // during the freeze is never hit.
  for (pid_t pid : TreeMembers(ReadProcessTable(), roots)) {
    if (stopped.count(pid) != 0) kill(pid, SIGKILL);
  }
}

}  // namespace parley::testing
