// Runs one of the AsyncSSH server scripts in this folder as a child process
// for a test: waits for its "PORT keytype base64" line, and stops it (the
// script exits when its stdin closes; SIGKILL if the test dies).
#ifndef PARLEY_TESTS_INTEROP_ASYNCSSH_SERVER_H_
#define PARLEY_TESTS_INTEROP_ASYNCSSH_SERVER_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace parley::testing {

inline constexpr char kPython[] = "/usr/bin/python3";

class AsyncSshServer {
 public:
  // `script` relative to the runfiles root, e.g.
  // "tests/interop/asyncssh_server.py".
  explicit AsyncSshServer(std::string script) : script_(std::move(script)) {}
  ~AsyncSshServer() { Stop(); }

  absl::Status Start(const std::vector<std::string>& args) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
      return absl::InternalError("pipe");
    }
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      dup2(in[0], 0);
      dup2(out[1], 1);
      std::vector<std::string> argv = {kPython, script_};
      argv.insert(argv.end(), args.begin(), args.end());
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      setenv("PYTHONWARNINGS", "ignore", 1);
      execv(kPython, cargv.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    // First line: "PORT keytype base64".
    std::string line;
    pollfd pfd{out[0], POLLIN, 0};
    char c;
    while (line.find('\n') == std::string::npos) {
      if (poll(&pfd, 1, 20000) != 1 || read(out[0], &c, 1) != 1) break;
      line.push_back(c);
    }
    close(out[0]);
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    if (parts.size() < 3) {
      return absl::UnavailableError(
          absl::StrCat("AsyncSSH server did not start: \"", line, "\""));
    }
    port_ = static_cast<uint16_t>(std::stoi(parts[0]));
    absl::StripAsciiWhitespace(&parts[2]);
    known_hosts_line_ =
        absl::StrCat("[127.0.0.1]:", port_, " ", parts[1], " ", parts[2]);
    return absl::OkStatus();
  }

  void Stop() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }

  uint16_t port() const { return port_; }
  const std::string& known_hosts_line() const { return known_hosts_line_; }

 private:
  std::string script_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  uint16_t port_ = 0;
  std::string known_hosts_line_;
};

}  // namespace parley::testing

#endif  // PARLEY_TESTS_INTEROP_ASYNCSSH_SERVER_H_
