#include "core/session/exec.h"

#include "absl/strings/str_cat.h"
#include "core/base/error.h"

namespace parley::session {

ExecTask::ExecTask(std::string command, ExecOptions options)
    : command_(std::move(command)),
      options_(std::move(options)),
      final_(absl::UnknownError("running")) {}

ExecTask::~ExecTask() {
  // A task dropped before it finished gives its channel back.
  if (engine_ != nullptr && state_ != State::kStart && state_ != State::kDone) {
    engine_->connection().Release(id_);
  }
}

void ExecTask::Finish(absl::StatusOr<ExecResult> result) {
  if (engine_ != nullptr && state_ != State::kStart) {
    engine_->connection().Release(id_);
  }
  final_ = std::move(result);
  state_ = State::kDone;
}

bool ExecTask::Drain(channel::Connection& c) {
  uint8_t buf[32 * 1024];
  for (bool err : {false, true}) {
    size_t n;
    while ((n = c.Read(id_, err, buf, sizeof(buf))) > 0) {
      if (options_.on_output) {
        options_.on_output(err, ByteView(buf, n));
        continue;
      }
      Bytes& out = err ? result_.stderr_data : result_.stdout_data;
      if (result_.stdout_data.size() + result_.stderr_data.size() + n >
          options_.max_collected) {
        Finish(Error(
            ErrorKind::kResourceLimit,
            absl::ResourceExhaustedError(absl::StrCat(
                "command output exceeds ", options_.max_collected, " bytes"))));
        return false;
      }
      out.insert(out.end(), buf, buf + n);
    }
  }
  return true;
}

bool ExecTask::Poll(Engine& engine) {
  if (state_ == State::kDone) return true;
  engine_ = &engine;
  channel::Connection& conn = engine.connection();
  const channel::Channel* c =
      state_ == State::kStart ? nullptr : conn.Find(id_);
  // The channel's end counts even if the connection closed right after.
  if (c != nullptr && state_ == State::kRunning &&
      DrainAndMaybeFinish(conn, *c)) {
    return true;
  }
  if (engine.closed()) {
    Finish(engine.error());
    return true;
  }
  switch (state_) {
    case State::kStart: {
      absl::StatusOr<uint32_t> id = conn.OpenSession();
      if (!id.ok()) {
        Finish(id.status());
        return true;
      }
      id_ = *id;
      state_ = State::kOpening;
      return false;
    }
    case State::kOpening:
      if (c == nullptr || c->state() == channel::Channel::State::kOpenFailed) {
        Finish(Error(ErrorKind::kRefused,
                     absl::UnavailableError(
                         absl::StrCat("server refused the session channel: ",
                                      c == nullptr ? "" : c->open_failure()))));
        return true;
      }
      if (c->state() == channel::Channel::State::kOpening) return false;
      if (options_.forward_agent) {
        if (absl::Status s = conn.RequestAgentForwarding(id_); !s.ok()) {
          Finish(s);
          return true;
        }
        agent_reply_pending_ = true;
      }
      if (absl::Status s = conn.Exec(id_, command_); !s.ok()) {
        Finish(s);
        return true;
      }
      state_ = State::kWaitReply;
      return false;
    case State::kWaitReply: {
      // The replies in order: the agent forwarding's, then the command's.
      if (agent_reply_pending_) {
        absl::optional<bool> agent_reply = conn.TakeReply(id_);
        if (agent_reply.has_value()) {
          agent_reply_pending_ = false;
          result_.agent_forwarding = *agent_reply;
        }
      }
      // The reply first: a quick command may have run and closed the
      // channel in the same batch of messages.
      absl::optional<bool> reply =
          agent_reply_pending_ ? absl::nullopt : conn.TakeReply(id_);
      if (!reply.has_value()) {
        if (!c->close_received()) return false;
        Finish(Error(ErrorKind::kRefused,
                     absl::UnavailableError(
                         "server closed the channel before running the "
                         "command")));
        return true;
      }
      if (!*reply) {
        Finish(
            Error(ErrorKind::kRefused,
                  absl::UnavailableError("server refused to run the command")));
        return true;
      }
      state_ = State::kRunning;
      break;
    }
    case State::kRunning:
    case State::kDone:
      break;
  }
  // Running: stdin, then EOF; output was drained above.
  if (c->open() && !c->eof_sent() && !c->close_sent()) {
    const ByteView in(options_.stdin_data);
    if (stdin_sent_ < in.size()) {
      absl::StatusOr<size_t> n =
          conn.Write(id_, in.subspan(stdin_sent_), false);
      if (!n.ok()) {
        Finish(n.status());
        return true;
      }
      stdin_sent_ += *n;
    }
    if (stdin_sent_ == in.size()) (void)conn.SendEof(id_);
  }
  return DrainAndMaybeFinish(conn, *c);
}

bool ExecTask::DrainAndMaybeFinish(channel::Connection& conn,
                                   const channel::Channel& c) {
  if (!Drain(conn)) return true;
  if (!c.close_received()) return false;
  result_.exit_status = c.exit_status();
  result_.exit_signal = c.exit_signal();
  Finish(std::move(result_));
  return true;
}

absl::StatusOr<ExecResult> ExecTask::TakeResult() {
  if (state_ != State::kDone) {
    return Error(ErrorKind::kBadUse,
                 absl::FailedPreconditionError("the command has not finished"));
  }
  return std::move(final_);
}

}  // namespace parley::session
