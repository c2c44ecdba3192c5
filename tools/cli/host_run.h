// One destination of the parley command, driven on a client::EventLoop:
// connect (host key checked against known_hosts), authenticate in ssh's
// order -- the agent's keys, token keys (-I), identity files, then
// keyboard-interactive through the responder chain, then password --
// run the command, report. The single-host command and the fan-out are the
// same code: one HostRun, or many on one loop.
#ifndef PARLEY_TOOLS_CLI_HOST_RUN_H_
#define PARLEY_TOOLS_CLI_HOST_RUN_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/types/optional.h"
#include "core/auth/routing.h"
#include "core/base/secure_buffer.h"
#include "core/client/event_loop.h"
#include "core/crypto/provider.h"
#include "tools/cli/destination.h"
#include "tools/cli/options.h"

namespace parley::cli {

// What every destination shares.
struct RunSettings {
  std::shared_ptr<const crypto::CryptoProvider> provider;
  std::string command;
  std::vector<std::string> responder_specs;
  std::vector<std::string> plugin_dirs;     // before the installed folder
  absl::optional<SecureBuffer> password;    // $PARLEY_PASSWORD
  absl::optional<SecureBuffer> passphrase;  // $PARLEY_PASSPHRASE
  int pin_fd = -1;
  int verbosity = 0;  // -v count
  std::chrono::seconds timeout{30};
  std::string default_user;
  // Fan-out: output lines are prefixed "DEST: " and nothing is asked on
  // the terminal unless the chain names the terminal responder.
  bool prefix_output = false;
  // Runs before output is written (the fan-out clears its progress line).
  std::function<void()> before_output;
  // The options of a jump host (ProxyJump): the command line's, then its
  // ssh_config sections.
  std::function<absl::StatusOr<Options>(const Destination&)> options_for;
};

struct HostResult {
  enum class Kind {
    kRan,      // the command ran: exit_status holds its status
    kConnect,  // no connection, or the host key was refused
    kAuth,     // authentication failed
    kCommand,  // the session failed after login
  } kind = Kind::kConnect;
  int exit_status = 255;
  std::string error;  // why, for kConnect/kAuth/kCommand (and signals)
  std::chrono::milliseconds elapsed{0};
};

class HostRun {
 public:
  using Done = std::function<void(HostRun&)>;
  HostRun(Destination destination, Options options,
          const RunSettings& settings);
  ~HostRun();

  // Starts on `loop`; `done` runs on the loop thread when finished.
  void Start(client::EventLoop& loop, Done done);
  // As a jump host: log in, then open a tunnel to `host`:`port` instead of
  // running a command; `on_tunnel` gets its descriptor or the error.
  void StartTunnel(client::EventLoop& loop, const std::string& host,
                   uint16_t port,
                   std::function<void(absl::StatusOr<int>)> on_tunnel);
  // Closes the session (and its jump hosts').
  void Stop();

  const Destination& destination() const { return destination_; }
  const HostResult& result() const { return result_; }
  bool finished() const { return finished_; }

 private:
  struct Step;
  void Log(int level, const std::string& message);
  void Connected(client::AsyncSession& s, absl::Status status);
  void NextStep();
  void Authenticated();
  void Finish(HostResult::Kind kind, int status, std::string error);
  void Output(bool to_stderr, ByteView data);
  void FlushPartialLines();
  std::vector<std::unique_ptr<Step>> PlanSteps();
  bool CanAsk(bool batch) const;

  Destination destination_;
  Options options_;
  const RunSettings& settings_;
  std::string hostname_, user_;
  uint16_t port_ = 22;
  client::AsyncSession* session_ = nullptr;
  Done done_;
  HostResult result_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::vector<std::string> methods_;  // what the server lets us continue with
  std::vector<std::unique_ptr<Step>> steps_;
  size_t next_step_ = 0;
  std::string pending_[2];         // partial output lines (fan-out)
  std::unique_ptr<HostRun> jump_;  // the host we reach this one through
  std::string log_prefix_;         // "jump host X: " for jump hosts
  std::string tunnel_host_;        // as a jump host: where to
  uint16_t tunnel_port_ = 0;
  std::function<void(absl::StatusOr<int>)> on_tunnel_;
};

}  // namespace parley::cli

#endif  // PARLEY_TOOLS_CLI_HOST_RUN_H_
