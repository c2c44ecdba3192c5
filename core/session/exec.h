// Runs one command on a new session channel: opens the channel, sends the
// exec request, feeds stdin followed by EOF, collects (or streams) stdout
// and stderr, and ends when the server closes the channel, with the exit
// status or signal. A task on an engine, so the blocking session, the event
// loop and tests share it.
#ifndef PARLEY_CORE_SESSION_EXEC_H_
#define PARLEY_CORE_SESSION_EXEC_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/optional.h"
#include "core/base/bytes.h"
#include "core/channel/connection.h"
#include "core/session/engine.h"

namespace parley::session {

struct ExecResult {
  Bytes stdout_data;  // empty when streamed through ExecOptions::on_output
  Bytes stderr_data;
  absl::optional<uint32_t> exit_status;
  absl::optional<channel::ExitSignal> exit_signal;
  // With ExecOptions::forward_agent: whether the server agreed.
  bool agent_forwarding = false;
};

struct ExecOptions {
  Bytes stdin_data;
  // When set, output is handed here as it arrives instead of collected.
  std::function<void(bool stderr_stream, ByteView data)> on_output;
  // Collected output beyond this fails the task (kResourceLimit).
  size_t max_collected = size_t{256} << 20;
  // Ask the server to forward the engine's agent to the command
  // (EngineOptions::forward_agent must be set). A server that refuses does
  // not stop the command (ExecResult::agent_forwarding says so).
  bool forward_agent = false;
};

class ExecTask {
 public:
  explicit ExecTask(std::string command, ExecOptions options = {});
  ~ExecTask();
  ExecTask(const ExecTask&) = delete;
  ExecTask& operator=(const ExecTask&) = delete;

  // Advances on `engine` (authenticated). True once finished.
  bool Poll(Engine& engine);
  bool done() const { return state_ == State::kDone; }
  // The result once done: errors kRefused (channel or command refused),
  // kResourceLimit, or the engine's.
  absl::StatusOr<ExecResult> TakeResult();

 private:
  enum class State { kStart, kOpening, kWaitReply, kRunning, kDone };
  void Finish(absl::StatusOr<ExecResult> result);
  bool Drain(channel::Connection& c);
  // Drains output; true (finished) once the server closed the channel.
  bool DrainAndMaybeFinish(channel::Connection& conn,
                           const channel::Channel& c);

  std::string command_;
  ExecOptions options_;
  State state_ = State::kStart;
  Engine* engine_ = nullptr;
  uint32_t id_ = 0;
  size_t stdin_sent_ = 0;
  bool agent_reply_pending_ = false;
  ExecResult result_;
  absl::StatusOr<ExecResult> final_;
};

}  // namespace parley::session

#endif  // PARLEY_CORE_SESSION_EXEC_H_
