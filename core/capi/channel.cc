// libssh2_channel_*: libssh2's channel calls over the engine's connection
// layer.
#include <string.h>

#include <algorithm>
#include <climits>

#include "absl/strings/str_cat.h"
#include "core/agent/client.h"
#include "core/base/error.h"
#include "core/capi/internal.h"

namespace parley::capi {
namespace {

using State = channel::Channel::State;

// A write waits while this much is queued for the server, and takes at most
// this much per call, so a fast writer cannot queue unbounded memory.
constexpr size_t kMaxQueuedOutput = 256 * 1024;
constexpr size_t kMaxWriteChunk = 256 * 1024;

bool ChannelGone(const channel::Channel* c) {
  return c == nullptr || c->state() != State::kOpen;
}

}  // namespace

// ---------------------------------------------------------------------------
// SessionHandle: channel bookkeeping

LIBSSH2_CHANNEL* SessionHandle::OpenChannel(absl::string_view type) {
  if (RequireConnected() < 0) return nullptr;
  if (type != "session") {
    SetError(LIBSSH2_ERROR_METHOD_NOT_SUPPORTED,
             absl::StrCat("Parley opens only \"session\" channels, not \"",
                          type.substr(0, 64), "\""));
    return nullptr;
  }
  return OpenWith([](channel::Connection& conn) { return conn.OpenSession(); });
}

LIBSSH2_CHANNEL* SessionHandle::OpenDirectTcpip(absl::string_view host,
                                                int port,
                                                absl::string_view shost,
                                                int sport) {
  if (RequireConnected() < 0) return nullptr;
  if (port <= 0 || port > 65535 || sport < 0 || sport > 65535) {
    SetError(LIBSSH2_ERROR_INVAL, "ports go from 1 to 65535");
    return nullptr;
  }
  return OpenWith([&](channel::Connection& conn) {
    return conn.OpenDirectTcpip(host, static_cast<uint32_t>(port), shost,
                                static_cast<uint32_t>(sport));
  });
}

LIBSSH2_CHANNEL* SessionHandle::OpenWith(
    const std::function<absl::StatusOr<uint32_t>(channel::Connection&)>& open) {
  if (!authenticated()) {
    SetError(LIBSSH2_ERROR_CHANNEL_FAILURE,
             "cannot open a channel before authentication");
    return nullptr;
  }
  channel::Connection& conn = engine_->connection();
  if (!opening_channel_.has_value()) {
    absl::StatusOr<uint32_t> id = open(conn);
    if (!id.ok()) {
      if (KindOf(id.status()) == ErrorKind::kResourceLimit) {
        SetError(LIBSSH2_ERROR_CHANNEL_FAILURE, id.status().message());
      } else if (KindOf(id.status()) == ErrorKind::kBadUse) {
        SetError(LIBSSH2_ERROR_INVAL, id.status().message());
      } else {
        Fail(id.status());
      }
      return nullptr;
    }
    opening_channel_ = *id;
  }
  const uint32_t id = *opening_channel_;
  const int rc = Run(
      [this, id]() -> int {
        const channel::Channel* c = engine_->connection().Find(id);
        if (c == nullptr) {
          return SetError(LIBSSH2_ERROR_CHANNEL_FAILURE, "channel vanished");
        }
        return c->state() == State::kOpening ? kStepWait : kStepDone;
      },
      "starting up channel", /*protocol_step=*/true);
  if (Resumable(rc)) return nullptr;
  opening_channel_.reset();
  const channel::Channel* c = conn.Find(id);
  if (rc < 0) {
    // Closed if the server still confirms it.
    conn.Release(id);
    return nullptr;
  }
  if (c->state() != State::kOpen) {
    const std::string why = c->open_failure();
    conn.Release(id);
    SetError(LIBSSH2_ERROR_CHANNEL_FAILURE,
             absl::StrCat("Channel open failure (", why, ")"));
    return nullptr;
  }
  return AdoptChannel(id);
}

LIBSSH2_CHANNEL* SessionHandle::AdoptChannel(uint32_t id) {
  // The handle is the session's (channels_) or nobody's: a failure to
  // record it frees it, so nothing leaks (found by tests/hostile/faults).
  std::unique_ptr<_LIBSSH2_CHANNEL> handle(new (std::nothrow)
                                               _LIBSSH2_CHANNEL(this, id));
  if (handle != nullptr) {
    try {
      channels_.insert(handle.get());
    } catch (const std::bad_alloc&) {
      handle.reset();
    }
  }
  if (handle == nullptr) {
    engine_->connection().Release(id);
    SetError(LIBSSH2_ERROR_ALLOC, "Unable to allocate a channel");
    return nullptr;
  }
  return handle.release();
}

LIBSSH2_CHANNEL* SessionHandle::OpenDirectStreamlocal(absl::string_view path,
                                                      absl::string_view shost,
                                                      int sport) {
  if (RequireConnected() < 0) return nullptr;
  if (path.empty() || sport < 0 || sport > 65535) {
    SetError(LIBSSH2_ERROR_INVAL, "a socket path and a port up to 65535");
    return nullptr;
  }
  return OpenWith([&](channel::Connection& conn) {
    return conn.OpenDirectStreamlocal(path, shost,
                                      static_cast<uint32_t>(sport));
  });
}

void SessionHandle::ForgetChannel(ChannelHandle* handle) {
  channels_.erase(handle);
  if (engine_ != nullptr) engine_->connection().Release(handle->id());
}

// ---------------------------------------------------------------------------
// ChannelHandle

const channel::Channel* ChannelHandle::engine() {
  channel::Connection* conn = session_->connection();
  return conn == nullptr ? nullptr : conn->Find(id_);
}

int ChannelHandle::ClosedError() {
  return session_->SetError(LIBSSH2_ERROR_CHANNEL_CLOSED,
                            "The channel has been closed");
}

int ChannelHandle::Request(absl::string_view request,
                           const std::function<absl::Status()>& start) {
  if (int rc = session_->RequireConnected(); rc < 0) return rc;
  channel::Connection& conn = *session_->connection();
  if (pending_request_ != request) {
    // A request abandoned earlier: its reply is dropped when it comes.
    if (!pending_request_.empty()) conn.AbandonReply(id_);
    pending_request_.clear();
    const channel::Channel* c = engine();
    if (ChannelGone(c) || c->close_sent() || c->close_received()) {
      return ClosedError();
    }
    absl::Status s = start();
    if (!s.ok()) {
      return KindOf(s) == ErrorKind::kBadUse ? ClosedError()
                                             : session_->Fail(s);
    }
    pending_request_ = std::string(request);
  }
  const int rc = session_->Run(
      [this]() -> int {
        const channel::Channel* c = engine();
        if (c == nullptr) return ClosedError();
        return c->has_reply() || c->close_received() ? kStepDone : kStepWait;
      },
      absl::StrCat("requesting channel ", request), /*protocol_step=*/true);
  if (session_->Resumable(rc)) return rc;
  pending_request_.clear();
  if (rc < 0) return rc;
  absl::optional<bool> reply = conn.TakeReply(id_);
  if (!reply.has_value()) {
    return session_->SetError(
        LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED,
        absl::StrCat("the channel closed before the reply to \"", request,
                     "\""));
  }
  if (!*reply) {
    return session_->SetError(
        LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED,
        absl::StrCat("Unable to complete request for channel ", request,
                     ": the server refused it"));
  }
  return 0;
}

ssize_t ChannelHandle::Read(int stream_id, char* buf, size_t buflen) {
  if (stream_id != 0 && stream_id != SSH_EXTENDED_DATA_STDERR) {
    return session_->SetError(
        LIBSSH2_ERROR_INVAL,
        "Parley reads stream 0 (stdout) and SSH_EXTENDED_DATA_STDERR only");
  }
  const bool err = stream_id == SSH_EXTENDED_DATA_STDERR;
  if (buflen == 0) return 0;
  // An SCP file: its bytes and no more, then the closing status bytes.
  if (scp_ == ScpData::kRecv && !err) {
    if (scp_remaining_ == 0) return FinishScpRecv();
    buflen = static_cast<size_t>(
        std::min<int64_t>(static_cast<int64_t>(buflen), scp_remaining_));
  }
  const channel::Channel* c = engine();
  if (c == nullptr) return ClosedError();
  const bool at_end =
      c->eof_received() || c->close_received() || c->state() != State::kOpen;
  if (c->readable(err) == 0 && !at_end) {
    if (int rc = session_->RequireConnected(); rc < 0) return rc;
    const int rc = session_->Run(
        [&]() -> int {
          const channel::Channel* e = engine();
          if (e == nullptr) return kStepDone;
          return e->readable(err) > 0 || e->eof_received() ||
                         e->close_received() || e->state() != State::kOpen
                     ? kStepDone
                     : kStepWait;
        },
        "reading channel data");
    if (rc < 0) return rc;
  }
  if (engine() == nullptr) return ClosedError();
  // 0 at EOF (libssh2: "no payload data was read").
  const size_t n = session_->connection()->Read(
      id_, err, reinterpret_cast<uint8_t*>(buf), buflen);
  if (scp_ == ScpData::kRecv && !err) {
    scp_remaining_ -= static_cast<int64_t>(n);
    if (n == 0 && scp_remaining_ > 0) {
      return session_->SetError(LIBSSH2_ERROR_SCP_PROTOCOL,
                                "the remote scp ended before the whole file");
    }
  }
  // Reading may have queued a WINDOW_ADJUST: send it now if the socket
  // takes it (a failure shows at the next call that waits).
  if (session_->pending_output() > 0) (void)session_->PumpOnce();
  return static_cast<ssize_t>(n);
}

ssize_t ChannelHandle::Write(int stream_id, const char* buf, size_t buflen) {
  if (stream_id != 0 && stream_id != SSH_EXTENDED_DATA_STDERR) {
    return session_->SetError(
        LIBSSH2_ERROR_INVAL,
        "Parley writes stream 0 and SSH_EXTENDED_DATA_STDERR only");
  }
  if (int rc = session_->RequireConnected(); rc < 0) return rc;
  if (buflen == 0) return 0;
  const bool scp_data =
      scp_ == ScpData::kSend && stream_id != SSH_EXTENDED_DATA_STDERR;
  if (scp_data) {
    if (scp_remaining_ == 0) {
      return session_->SetError(
          LIBSSH2_ERROR_SCP_PROTOCOL,
          "more data than the size given to libssh2_scp_send64");
    }
    buflen = static_cast<size_t>(
        std::min<int64_t>(static_cast<int64_t>(buflen), scp_remaining_));
  }
  auto check = [this]() -> int {
    const channel::Channel* c = engine();
    if (c == nullptr) return ClosedError();
    // As libssh2: our EOF is reported first, whatever the server did since.
    if (c->eof_sent()) {
      return session_->SetError(LIBSSH2_ERROR_CHANNEL_EOF_SENT,
                                "EOF has already been sent on this channel");
    }
    if (c->close_sent() || c->close_received() || c->state() != State::kOpen) {
      return ClosedError();
    }
    return 0;
  };
  if (int rc = check(); rc < 0) return rc;
  const int rc = session_->Run(
      [&]() -> int {
        if (int e = check(); e < 0) return e;
        return session_->pending_output() < kMaxQueuedOutput &&
                       engine()->remote_window() > 0 &&
                       session_->engine()->transport().send_room() > 0
                   ? kStepDone
                   : kStepWait;
      },
      "sending channel data");
  if (rc < 0) return rc;
  if (int e = check(); e < 0) return e;
  absl::StatusOr<size_t> n = session_->connection()->Write(
      id_,
      ByteView(reinterpret_cast<const uint8_t*>(buf),
               std::min(buflen, kMaxWriteChunk)),
      stream_id == SSH_EXTENDED_DATA_STDERR);
  if (!n.ok()) return session_->Fail(n.status());
  if (scp_data) scp_remaining_ -= static_cast<int64_t>(*n);
  // Start sending now; what the socket does not take goes on the next call.
  if (int e = session_->PumpOnce(); e < 0) return e;
  return static_cast<ssize_t>(*n);
}

int ChannelHandle::Flush(int stream_id) {
  if (engine() == nullptr) return ClosedError();
  bool out = false, err = false;
  switch (stream_id) {
    case 0:
      out = true;
      break;
    case SSH_EXTENDED_DATA_STDERR:
    case LIBSSH2_CHANNEL_FLUSH_EXTENDED_DATA:
      err = true;
      break;
    case LIBSSH2_CHANNEL_FLUSH_ALL:
      out = err = true;
      break;
    default:
      return 0;  // other extended streams are never buffered
  }
  // Discarding re-opens the window. libssh2 returns the number of bytes
  // flushed.
  size_t flushed = 0;
  if (out) flushed += session_->connection()->Discard(id_, false);
  if (err) flushed += session_->connection()->Discard(id_, true);
  // A WINDOW_ADJUST the reads queued goes out now if the socket takes it.
  if (session_->pending_output() > 0) (void)session_->PumpOnce();
  return static_cast<int>(std::min<size_t>(flushed, INT_MAX));
}

int ChannelHandle::FinishScpRecv() {
  if (scp_closed_) return 0;
  if (int rc = session_->RequireConnected(); rc < 0) return rc;
  channel::Connection& conn = *session_->connection();
  // The server's status byte after the data, then ours.
  const int rc = session_->Run(
      [&]() -> int {
        const channel::Channel* c = engine();
        if (c == nullptr || c->readable(false) > 0 || c->eof_received() ||
            c->close_received()) {
          return kStepDone;
        }
        return kStepWait;
      },
      "reading the SCP status byte");
  if (rc < 0) return rc;
  uint8_t status = 1;
  if (engine() == nullptr || conn.Read(id_, false, &status, 1) != 1 ||
      status != 0) {
    scp_closed_ = true;
    return session_->SetError(
        LIBSSH2_ERROR_SCP_PROTOCOL,
        "the remote scp reported an error after the file");
  }
  const uint8_t ok = 0;
  (void)conn.Write(id_, ByteView(&ok, 1), false);
  if (session_->pending_output() > 0) (void)session_->PumpOnce();
  scp_closed_ = true;
  return 0;
}

int ChannelHandle::SendEof() {
  if (int rc = session_->RequireConnected(); rc < 0) return rc;
  const channel::Channel* c = engine();
  if (ChannelGone(c)) return ClosedError();
  // An SCP upload ends with a 0 status byte before the EOF.
  if (scp_ == ScpData::kSend && scp_remaining_ == 0 && !scp_closed_ &&
      !c->eof_sent()) {
    channel::Connection& conn = *session_->connection();
    const int rc = session_->Run(
        [&]() -> int {
          const uint8_t ok = 0;
          absl::StatusOr<size_t> n = conn.Write(id_, ByteView(&ok, 1), false);
          if (!n.ok()) return session_->Fail(n.status());
          return *n == 1 ? kStepDone : kStepWait;
        },
        "sending the SCP status byte");
    if (rc < 0) return rc;
    scp_closed_ = true;
  }
  absl::Status s = session_->connection()->SendEof(id_);  // idempotent
  if (!s.ok()) {
    return KindOf(s) == ErrorKind::kBadUse ? ClosedError() : session_->Fail(s);
  }
  return session_->Run(
      [this] {
        return session_->pending_output() == 0 ? kStepDone : kStepWait;
      },
      "sending EOF");
}

int ChannelHandle::Eof() {
  const channel::Channel* c = engine();
  if (c == nullptr) return 1;
  return c->eof_received() && c->readable(false) == 0 && c->readable(true) == 0
             ? 1
             : 0;
}

int ChannelHandle::WaitEof() {
  if (int rc = session_->RequireConnected(); rc < 0) return rc;
  return session_->Run(
      [this]() -> int {
        const channel::Channel* c = engine();
        return c == nullptr || c->eof_received() || c->close_received()
                   ? kStepDone
                   : kStepWait;
      },
      "waiting for EOF");
}

int ChannelHandle::WaitForClose(absl::string_view what) {
  return session_->Run(
      [this]() -> int {
        const channel::Channel* e = engine();
        return e == nullptr || e->close_received() ? kStepDone : kStepWait;
      },
      what, /*protocol_step=*/true);
}

int ChannelHandle::Close() {
  const channel::Channel* c = engine();
  if (c == nullptr) return 0;
  if (int rc = session_->RequireConnected(); rc < 0) return rc;
  if (!c->close_sent()) {
    absl::Status s = session_->connection()->Close(id_);
    if (!s.ok()) return session_->Fail(s);
  }
  // As libssh2 does: wait for the server's CLOSE too, so that the exit
  // status is in when this returns.
  return WaitForClose("closing the channel");
}

int ChannelHandle::WaitClosed() {
  const channel::Channel* c = engine();
  if (c == nullptr) return 0;
  if (!c->eof_received()) {
    return session_->SetError(LIBSSH2_ERROR_INVAL,
                              "libssh2_channel_wait_closed() invoked when "
                              "the channel is not in EOF state");
  }
  if (int rc = session_->RequireConnected(); rc < 0) return rc;
  return WaitForClose("waiting for the channel to close");
}

int ChannelHandle::ExitStatus() {
  const channel::Channel* c = engine();
  if (c == nullptr || !c->exit_status().has_value()) return 0;
  return static_cast<int>(*c->exit_status());
}

int ChannelHandle::ExitSignal(char** exitsignal, size_t* exitsignal_len,
                              char** errmsg, size_t* errmsg_len, char** langtag,
                              size_t* langtag_len) {
  if (exitsignal != nullptr) *exitsignal = nullptr;
  if (exitsignal_len != nullptr) *exitsignal_len = 0;
  if (errmsg != nullptr) *errmsg = nullptr;
  if (errmsg_len != nullptr) *errmsg_len = 0;
  if (langtag != nullptr) *langtag = nullptr;  // not kept by Parley
  if (langtag_len != nullptr) *langtag_len = 0;
  const channel::Channel* c = engine();
  if (c == nullptr || !c->exit_signal().has_value()) return 0;
  const channel::ExitSignal& sig = *c->exit_signal();
  char* name = nullptr;
  char* message = nullptr;
  if (exitsignal != nullptr) {
    name = session_->CopyString(sig.name);
    if (name == nullptr) {
      return session_->SetError(LIBSSH2_ERROR_ALLOC, "out of memory");
    }
  }
  if (errmsg != nullptr && !sig.message.empty()) {
    message = session_->CopyString(sig.message);
    if (message == nullptr) {
      session_->Free(name);
      return session_->SetError(LIBSSH2_ERROR_ALLOC, "out of memory");
    }
  }
  if (exitsignal != nullptr) *exitsignal = name;
  if (exitsignal_len != nullptr) *exitsignal_len = sig.name.size();
  if (errmsg != nullptr) *errmsg = message;
  if (errmsg_len != nullptr && message != nullptr) {
    *errmsg_len = sig.message.size();
  }
  return 0;
}

unsigned long ChannelHandle::WindowRead(unsigned long* read_avail,
                                        unsigned long* window_size_initial) {
  const channel::Channel* c = engine();
  if (read_avail != nullptr) {
    *read_avail = c == nullptr ? 0 : c->readable(false) + c->readable(true);
  }
  if (window_size_initial != nullptr) {
    *window_size_initial = channel::kLocalWindow;
  }
  return c == nullptr ? 0 : static_cast<unsigned long>(c->local_window());
}

unsigned long ChannelHandle::WindowWrite(unsigned long* window_size_initial) {
  const channel::Channel* c = engine();
  if (window_size_initial != nullptr) {
    *window_size_initial =
        c == nullptr ? 0
                     : static_cast<unsigned long>(c->initial_remote_window());
  }
  return c == nullptr ? 0 : static_cast<unsigned long>(c->remote_window());
}

int ChannelHandle::ReceiveWindowAdjust(unsigned long adjustment, bool force,
                                       unsigned int* storewindow) {
  const channel::Channel* c = engine();
  if (ChannelGone(c) || c->close_sent()) return ClosedError();
  if (int rc = session_->RequireConnected(); rc < 0) return rc;
  // libssh2: small adjustments wait for more unless forced.
  const unsigned long total = adjust_queue_ + adjustment;
  uint64_t window = c->local_window();
  if (force || total >= LIBSSH2_CHANNEL_MINADJUST) {
    const uint32_t add =
        static_cast<uint32_t>(std::min<unsigned long>(total, 0xffffffffUL));
    absl::StatusOr<uint64_t> w = session_->connection()->AdjustWindow(id_, add);
    if (!w.ok()) {
      return KindOf(w.status()) == ErrorKind::kBadUse
                 ? ClosedError()
                 : session_->Fail(w.status());
    }
    window = *w;
    adjust_queue_ = 0;
    // Sent at once if the socket takes it; otherwise the next call does.
    if (int rc = session_->PumpOnce(); rc < 0) return rc;
  } else {
    adjust_queue_ = total;
  }
  if (storewindow != nullptr) *storewindow = static_cast<unsigned int>(window);
  return 0;
}

int ChannelHandle::HandleExtendedData(int mode) {
  channel::ExtendedData m;
  switch (mode) {
    case LIBSSH2_CHANNEL_EXTENDED_DATA_NORMAL:
      m = channel::ExtendedData::kNormal;
      break;
    case LIBSSH2_CHANNEL_EXTENDED_DATA_IGNORE:
      m = channel::ExtendedData::kIgnore;
      break;
    case LIBSSH2_CHANNEL_EXTENDED_DATA_MERGE:
      m = channel::ExtendedData::kMerge;
      break;
    default:
      return session_->SetError(LIBSSH2_ERROR_INVAL,
                                "unknown extended data mode");
  }
  channel::Connection* conn = session_->connection();
  if (conn == nullptr || engine() == nullptr) return ClosedError();
  absl::Status s = conn->SetExtendedData(id_, m);
  return s.ok() ? 0 : ClosedError();
}

int ChannelHandle::PtySize(int width, int height, int width_px, int height_px) {
  if (width < 0 || height < 0 || width_px < 0 || height_px < 0) {
    return session_->SetError(LIBSSH2_ERROR_INVAL, "negative terminal size");
  }
  if (int rc = session_->RequireConnected(); rc < 0) return rc;
  absl::Status s = session_->connection()->WindowChange(
      id_, static_cast<uint32_t>(width), static_cast<uint32_t>(height),
      static_cast<uint32_t>(width_px), static_cast<uint32_t>(height_px));
  if (!s.ok()) {
    return KindOf(s) == ErrorKind::kBadUse ? ClosedError() : session_->Fail(s);
  }
  // Sent at once if the socket takes it; a dead connection is reported.
  if (int rc = session_->PumpOnce(); rc < 0) return rc;
  return 0;
}

int ChannelHandle::Signal(absl::string_view name) {
  if (name.empty() || name.size() > 64) {
    return session_->SetError(LIBSSH2_ERROR_INVAL,
                              "a signal name of 1 to 64 bytes");
  }
  if (int rc = session_->RequireConnected(); rc < 0) return rc;
  absl::Status s = session_->connection()->Signal(id_, name);
  if (!s.ok()) {
    return KindOf(s) == ErrorKind::kBadUse ? ClosedError() : session_->Fail(s);
  }
  // Sent at once if the socket takes it; a dead connection is reported.
  if (int rc = session_->PumpOnce(); rc < 0) return rc;
  return 0;
}

bool ChannelHandle::Readable(bool extended) {
  const channel::Channel* c = engine();
  return c != nullptr && c->readable(extended) > 0;
}

bool ChannelHandle::Writable() {
  const channel::Channel* c = engine();
  return c != nullptr && c->state() == State::kOpen && !c->eof_sent() &&
         !c->close_received() && c->remote_window() > 0;
}

bool ChannelHandle::Closed() {
  const channel::Channel* c = engine();
  return c == nullptr || c->close_received() || c->state() != State::kOpen;
}

int ChannelHandle::Free() {
  const channel::Channel* c = engine();
  session::Engine* e = session_->engine();
  const bool alive = e != nullptr && !e->closed();
  if (c != nullptr && alive && c->state() == State::kOpen &&
      !c->close_received()) {
    // libssh2 closes a channel that is freed while open.
    if (!c->close_sent()) (void)session_->connection()->Close(id_);
    const int rc = WaitForClose("closing the channel");
    if (rc == LIBSSH2_ERROR_EAGAIN) return rc;  // keep the handle
  }
  session_->ForgetChannel(this);
  magic_ = 0;
  return 0;
}

}  // namespace parley::capi

// ---------------------------------------------------------------------------
// The C API

using parley::capi::Guarded;
using parley::capi::SessionHandle;
using parley::capi::ValidSession;

namespace {

_LIBSSH2_CHANNEL* C(LIBSSH2_CHANNEL* channel) {
  return parley::capi::ValidChannel(channel);
}

}  // namespace

extern "C" {

LIBSSH2_CHANNEL* libssh2_channel_open_ex(LIBSSH2_SESSION* session,
                                         const char* channel_type,
                                         unsigned int channel_type_len,
                                         unsigned int /*window_size*/,
                                         unsigned int /*packet_size*/,
                                         const char* /*message*/,
                                         unsigned int /*message_len*/) {
  if (session == nullptr || !session->valid()) return nullptr;
  if (channel_type == nullptr) {
    session->SetError(LIBSSH2_ERROR_INVAL, "channel_type is NULL");
    return nullptr;
  }
  return Guarded<LIBSSH2_CHANNEL*>(session, nullptr, [&] {
    return session->OpenChannel(
        absl::string_view(channel_type, channel_type_len));
  });
}

int libssh2_channel_setenv_ex(LIBSSH2_CHANNEL* channel, const char* varname,
                              unsigned int varname_len, const char* value,
                              unsigned int value_len) {
  auto* c = C(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if ((varname == nullptr && varname_len > 0) ||
      (value == nullptr && value_len > 0)) {
    return c->session()->SetError(LIBSSH2_ERROR_INVAL, "NULL argument");
  }
  return Guarded(c->session(), LIBSSH2_ERROR_ALLOC, [&] {
    const absl::string_view name(varname, varname_len);
    const absl::string_view val(value, value_len);
    return c->Request("env", [&] {
      return c->session()->connection()->SetEnv(c->id(), name, val);
    });
  });
}

int libssh2_channel_request_auth_agent(LIBSSH2_CHANNEL* channel) {
  auto* c = C(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(c->session(), LIBSSH2_ERROR_ALLOC, [&] {
    // The server's agent channels are relayed to the agent at
    // $SSH_AUTH_SOCK (libssh2 leaves that to callbacks; Parley answers them
    // itself).
    return c->Request("auth-agent-req@openssh.com", [&]() -> absl::Status {
      const std::string socket = parley::agent::AgentSocketPath();
      if (socket.empty()) {
        return absl::FailedPreconditionError(
            "no agent to forward: SSH_AUTH_SOCK is not set");
      }
      c->session()->engine()->EnableAgentForwarding(socket);
      return c->session()->connection()->RequestAgentForwarding(c->id());
    });
  });
}

int libssh2_channel_request_pty_ex(LIBSSH2_CHANNEL* channel, const char* term,
                                   unsigned int term_len, const char* /*modes*/,
                                   unsigned int /*modes_len*/, int width,
                                   int height, int /*width_px*/,
                                   int /*height_px*/) {
  auto* c = C(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if (term == nullptr && term_len > 0) {
    return c->session()->SetError(LIBSSH2_ERROR_INVAL, "term is NULL");
  }
  if (width < 0 || height < 0) {
    return c->session()->SetError(LIBSSH2_ERROR_INVAL, "negative pty size");
  }
  return Guarded(c->session(), LIBSSH2_ERROR_ALLOC, [&] {
    const absl::string_view t(term, term_len);
    return c->Request("pty-req", [&] {
      return c->session()->connection()->RequestPty(
          c->id(), t, static_cast<uint32_t>(width),
          static_cast<uint32_t>(height));
    });
  });
}

int libssh2_channel_process_startup(LIBSSH2_CHANNEL* channel,
                                    const char* request,
                                    unsigned int request_len,
                                    const char* message,
                                    unsigned int message_len) {
  auto* c = C(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if (request == nullptr || (message == nullptr && message_len > 0)) {
    return c->session()->SetError(LIBSSH2_ERROR_INVAL, "NULL argument");
  }
  const absl::string_view req(request, request_len);
  const absl::string_view msg(message, message_len);
  if (req != "exec" && req != "shell" && req != "subsystem") {
    return c->session()->SetError(
        LIBSSH2_ERROR_METHOD_NOT_SUPPORTED,
        "Parley starts \"exec\", \"shell\" and \"subsystem\" only");
  }
  return Guarded(c->session(), LIBSSH2_ERROR_ALLOC, [&] {
    return c->Request(req, [&]() -> absl::Status {
      parley::channel::Connection* conn = c->session()->connection();
      if (req == "exec") return conn->Exec(c->id(), msg);
      if (req == "shell") return conn->Shell(c->id());
      return conn->Subsystem(c->id(), msg);
    });
  });
}

ssize_t libssh2_channel_read_ex(LIBSSH2_CHANNEL* channel, int stream_id,
                                char* buf, size_t buflen) {
  auto* c = C(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if (buf == nullptr && buflen > 0) {
    return c->session()->SetError(LIBSSH2_ERROR_INVAL, "buf is NULL");
  }
  return Guarded<ssize_t>(c->session(), LIBSSH2_ERROR_ALLOC,
                          [&] { return c->Read(stream_id, buf, buflen); });
}

unsigned long libssh2_channel_window_read_ex(
    LIBSSH2_CHANNEL* channel, unsigned long* read_avail,
    unsigned long* window_size_initial) {
  auto* c = C(channel);
  if (c == nullptr) {
    if (read_avail != nullptr) *read_avail = 0;
    if (window_size_initial != nullptr) *window_size_initial = 0;
    return 0;
  }
  return c->WindowRead(read_avail, window_size_initial);
}

ssize_t libssh2_channel_write_ex(LIBSSH2_CHANNEL* channel, int stream_id,
                                 const char* buf, size_t buflen) {
  auto* c = C(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if (buf == nullptr && buflen > 0) {
    return c->session()->SetError(LIBSSH2_ERROR_INVAL, "buf is NULL");
  }
  return Guarded<ssize_t>(c->session(), LIBSSH2_ERROR_ALLOC,
                          [&] { return c->Write(stream_id, buf, buflen); });
}

void libssh2_channel_set_blocking(LIBSSH2_CHANNEL* channel, int blocking) {
  if (auto* c = C(channel)) c->session()->set_blocking(blocking != 0);
}

int libssh2_channel_flush_ex(LIBSSH2_CHANNEL* channel, int streamid) {
  auto* c = C(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(c->session(), LIBSSH2_ERROR_ALLOC,
                 [&] { return c->Flush(streamid); });
}

int libssh2_channel_get_exit_status(LIBSSH2_CHANNEL* channel) {
  auto* c = C(channel);
  return c == nullptr ? 0 : c->ExitStatus();
}

int libssh2_channel_get_exit_signal(LIBSSH2_CHANNEL* channel, char** exitsignal,
                                    size_t* exitsignal_len, char** errmsg,
                                    size_t* errmsg_len, char** langtag,
                                    size_t* langtag_len) {
  auto* c = C(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(c->session(), LIBSSH2_ERROR_ALLOC, [&] {
    return c->ExitSignal(exitsignal, exitsignal_len, errmsg, errmsg_len,
                         langtag, langtag_len);
  });
}

int libssh2_channel_send_eof(LIBSSH2_CHANNEL* channel) {
  auto* c = C(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(c->session(), LIBSSH2_ERROR_ALLOC,
                 [&] { return c->SendEof(); });
}

int libssh2_channel_eof(LIBSSH2_CHANNEL* channel) {
  auto* c = C(channel);
  return c == nullptr ? LIBSSH2_ERROR_BAD_USE : c->Eof();
}

int libssh2_channel_wait_eof(LIBSSH2_CHANNEL* channel) {
  auto* c = C(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(c->session(), LIBSSH2_ERROR_ALLOC,
                 [&] { return c->WaitEof(); });
}

int libssh2_channel_close(LIBSSH2_CHANNEL* channel) {
  auto* c = C(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(c->session(), LIBSSH2_ERROR_ALLOC, [&] { return c->Close(); });
}

int libssh2_channel_wait_closed(LIBSSH2_CHANNEL* channel) {
  auto* c = C(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(c->session(), LIBSSH2_ERROR_ALLOC,
                 [&] { return c->WaitClosed(); });
}

int libssh2_channel_free(LIBSSH2_CHANNEL* channel) {
  auto* c = C(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  const int rc =
      Guarded(c->session(), LIBSSH2_ERROR_ALLOC, [&] { return c->Free(); });
  if (rc == LIBSSH2_ERROR_EAGAIN) return rc;
  if (c->valid()) {  // Free() failed half-way: forget the handle anyway
    // The engine keeps its channel until the server's CLOSE, so late
    // messages are not "for an unknown channel".
    c->session()->ForgetChannel(c);
  }
  delete c;
  return rc;
}

LIBSSH2_CHANNEL* libssh2_channel_direct_tcpip_ex(LIBSSH2_SESSION* session,
                                                 const char* host, int port,
                                                 const char* shost, int sport) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  if (host == nullptr || shost == nullptr) {
    s->SetError(LIBSSH2_ERROR_INVAL, "no host given");
    return nullptr;
  }
  return Guarded<LIBSSH2_CHANNEL*>(
      s, nullptr, [&] { return s->OpenDirectTcpip(host, port, shost, sport); });
}

int libssh2_channel_request_pty_size_ex(LIBSSH2_CHANNEL* channel, int width,
                                        int height, int width_px,
                                        int height_px) {
  auto* c = C(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(c->session(), LIBSSH2_ERROR_ALLOC, [&] {
    return c->PtySize(width, height, width_px, height_px);
  });
}

int libssh2_channel_signal_ex(LIBSSH2_CHANNEL* channel, const char* signame,
                              size_t signame_len) {
  auto* c = C(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if (signame == nullptr) {
    return c->session()->SetError(LIBSSH2_ERROR_INVAL, "no signal name");
  }
  return Guarded(c->session(), LIBSSH2_ERROR_ALLOC, [&] {
    return c->Signal(absl::string_view(signame, signame_len));
  });
}

int libssh2_poll_channel_read(LIBSSH2_CHANNEL* channel, int extended) {
  auto* c = C(channel);
  if (c == nullptr) return 0;
  return c->Readable(extended != 0) ? 1 : 0;
}

int libssh2_channel_receive_window_adjust2(LIBSSH2_CHANNEL* channel,
                                           unsigned long adjustment,
                                           unsigned char force,
                                           unsigned int* storewindow) {
  auto* c = C(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(c->session(), LIBSSH2_ERROR_ALLOC, [&] {
    return c->ReceiveWindowAdjust(adjustment, force != 0, storewindow);
  });
}

unsigned long libssh2_channel_receive_window_adjust(LIBSSH2_CHANNEL* channel,
                                                    unsigned long adjustment,
                                                    unsigned char force) {
  unsigned int window = 0;
  const int rc = libssh2_channel_receive_window_adjust2(channel, adjustment,
                                                        force, &window);
  // libssh2 returns the error code cast to unsigned long.
  return rc < 0 ? static_cast<unsigned long>(static_cast<long>(rc)) : window;
}

unsigned long libssh2_channel_window_write_ex(
    LIBSSH2_CHANNEL* channel, unsigned long* window_size_initial) {
  auto* c = C(channel);
  if (c == nullptr) {
    if (window_size_initial != nullptr) *window_size_initial = 0;
    return 0;
  }
  return c->WindowWrite(window_size_initial);
}

int libssh2_channel_handle_extended_data2(LIBSSH2_CHANNEL* channel,
                                          int ignore_mode) {
  auto* c = C(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(c->session(), LIBSSH2_ERROR_ALLOC,
                 [&] { return c->HandleExtendedData(ignore_mode); });
}

void libssh2_channel_handle_extended_data(LIBSSH2_CHANNEL* channel,
                                          int ignore_mode) {
  (void)libssh2_channel_handle_extended_data2(channel, ignore_mode);
}

}  // extern "C"
