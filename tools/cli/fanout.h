// The parley command on many hosts at once (--hosts FILE): every
// destination a HostRun on one client::EventLoop (one thread), at most
// --parallel of them at a time; output lines prefixed "DEST: "; a live
// progress line on a terminal, plain lines otherwise; a summary at the end.
#ifndef PARLEY_TOOLS_CLI_FANOUT_H_
#define PARLEY_TOOLS_CLI_FANOUT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/cli/host_run.h"

namespace parley::cli {

// The live progress line ("[####------] 12/40 done, 8 running, 1 failed")
// on stderr when it is a terminal; nothing otherwise.
class Progress {
 public:
  explicit Progress(bool live) : live_(live) {}
  void Draw(size_t done, size_t running, size_t failed, size_t total);
  // Erases the line before other output is written.
  void Clear();

 private:
  bool live_;
  bool shown_ = false;
};

// Runs every run (already configured) and returns the exit status: 0 when
// every host ran its command with status 0; 255 when any host could not
// connect or authenticate; otherwise 1.
int RunFanout(std::vector<std::unique_ptr<HostRun>>& runs, size_t parallel,
              Progress& progress);

}  // namespace parley::cli

#endif  // PARLEY_TOOLS_CLI_FANOUT_H_
