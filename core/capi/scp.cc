// libssh2_scp_*: files over the SCP protocol (OpenSSH's scp in its remote
// modes, `scp -f` to send us a file and `scp -t` to receive one) on a
// session channel. The header exchange happens here; the file's bytes are
// then read or written on the channel by the application, as with libssh2.
// The protocol's lines are core/transfer/scp_protocol.h; a directory is
// refused (libssh2 copies single files). After the file's bytes each side
// sends one more status byte (channel.cc).
#include <sys/stat.h>

#include <climits>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/base/error.h"
#include "core/base/shell_quote.h"
#include "core/capi/internal.h"
#include "core/transfer/scp_protocol.h"

namespace parley::capi {
namespace {

// Reads the rest of a control line (without its newline) into `line`:
// true once it is complete, false while bytes are missing. Lines longer
// than transfer::kMaxScpLine are cut there and completed (the parser
// refuses them).
bool ReadScpLine(channel::Connection& conn, uint32_t id, std::string* line) {
  uint8_t b;
  while (conn.Read(id, false, &b, 1) == 1) {
    if (b == '\n' || line->size() > transfer::kMaxScpLine) return true;
    line->push_back(static_cast<char>(b));
  }
  return false;
}

}  // namespace

int SessionHandle::ScpStep(ScpOperation& op) {
  channel::Connection& conn = engine_->connection();
  ChannelHandle* h = op.channel;
  const uint32_t id = h->id();
  while (true) {
    const channel::Channel* c = conn.Find(id);
    if (c == nullptr || c->close_received() ||
        (c->eof_received() && c->readable(false) == 0)) {
      return SetError(LIBSSH2_ERROR_SCP_PROTOCOL,
                      "the remote scp ended before the transfer started");
    }
    switch (op.phase) {
      case ScpOperation::Phase::kStart:
      case ScpOperation::Phase::kExec:
      case ScpOperation::Phase::kDone:
        return kStepDone;
      case ScpOperation::Phase::kSendAck: {
        if (!op.out.empty()) {
          absl::StatusOr<size_t> n = conn.Write(id, AsBytes(op.out), false);
          if (!n.ok()) return Fail(n.status());
          op.out.erase(0, *n);
          if (!op.out.empty()) return kStepWait;
        }
        if (op.final_ack) {
          op.phase = ScpOperation::Phase::kDone;
          return kStepDone;
        }
        op.phase = op.receiving ? ScpOperation::Phase::kReadLine
                                : ScpOperation::Phase::kReadAck;
        break;
      }
      case ScpOperation::Phase::kReadAck: {
        // Send: a 0 byte, or 1 / 2 and a message line.
        if (op.line.empty()) {
          uint8_t b;
          if (conn.Read(id, false, &b, 1) == 0) return kStepWait;
          op.line.push_back(static_cast<char>(b));
        }
        if (op.line[0] != 0) {
          if (!ReadScpLine(conn, id, &op.line)) return kStepWait;
          absl::StatusOr<transfer::ScpLine> parsed =
              transfer::ParseScpLine(op.line);
          return SetError(
              LIBSSH2_ERROR_SCP_PROTOCOL,
              parsed.ok() && parsed->kind == transfer::ScpLine::kError
                  ? absl::StrCat("the remote scp refused: ", parsed->message)
                  : std::string("the remote scp sent an invalid status"));
        }
        op.line.clear();
        if (op.next_header == op.headers.size()) {
          op.phase = ScpOperation::Phase::kDone;
          return kStepDone;
        }
        op.out = op.headers[op.next_header++];
        op.phase = ScpOperation::Phase::kSendAck;
        break;
      }
      case ScpOperation::Phase::kReadLine: {
        if (!ReadScpLine(conn, id, &op.line)) return kStepWait;
        const std::string line = std::move(op.line);
        op.line.clear();
        absl::StatusOr<transfer::ScpLine> parsed = transfer::ParseScpLine(line);
        if (!parsed.ok()) {
          return SetError(LIBSSH2_ERROR_SCP_PROTOCOL,
                          absl::StrCat("the remote scp sent an ",
                                       parsed.status().message()));
        }
        if (parsed->kind == transfer::ScpLine::kError) {
          return SetError(
              LIBSSH2_ERROR_SCP_PROTOCOL,
              absl::StrCat("the remote scp failed: ", parsed->message));
        }
        if (parsed->kind == transfer::ScpLine::kTimes) {
          op.mtime = parsed->mtime;
          op.atime = parsed->atime;
          op.out = std::string(1, '\0');
          op.phase = ScpOperation::Phase::kSendAck;
          break;
        }
        if (parsed->kind != transfer::ScpLine::kFile) {
          return SetError(
              LIBSSH2_ERROR_SCP_PROTOCOL,
              absl::StrCat(transfer::ScpPrintable(op.path),
                           " is a directory; scp_recv copies one file"));
        }
        op.mode = static_cast<int>(parsed->mode);
        op.size = parsed->size;
        // Acknowledge: the file's bytes follow.
        op.out = std::string(1, '\0');
        op.final_ack = true;
        op.phase = ScpOperation::Phase::kSendAck;
        break;
      }
    }
  }
}

LIBSSH2_CHANNEL* SessionHandle::Scp(bool receiving, absl::string_view path,
                                    std::vector<std::string> headers,
                                    absl::string_view command) {
  if (scp_ != nullptr && (scp_->receiving != receiving || scp_->path != path)) {
    // Another transfer was left half-way: drop its channel.
    if (scp_->channel != nullptr) {
      ForgetChannel(scp_->channel);
      delete static_cast<_LIBSSH2_CHANNEL*>(scp_->channel);
    }
    scp_.reset();
  }
  if (scp_ == nullptr) {
    scp_ = std::make_unique<ScpOperation>();
    scp_->receiving = receiving;
    scp_->path = std::string(path);
    scp_->headers = std::move(headers);
  }
  ScpOperation& op = *scp_;
  auto fail = [&]() -> LIBSSH2_CHANNEL* {
    if (op.channel != nullptr) {
      const int code = err_code_;
      const std::string message = err_msg_;
      ForgetChannel(op.channel);
      delete static_cast<_LIBSSH2_CHANNEL*>(op.channel);
      SetError(code, message);
    }
    scp_.reset();
    return nullptr;
  };
  if (op.channel == nullptr) {
    op.channel = OpenChannel("session");
    if (op.channel == nullptr) {
      if (Resumable(err_code_)) return nullptr;
      scp_.reset();
      return nullptr;
    }
  }
  if (op.phase == ScpOperation::Phase::kStart ||
      op.phase == ScpOperation::Phase::kExec) {
    op.phase = ScpOperation::Phase::kExec;
    const std::string cmd(command);
    const int rc = op.channel->Request("exec", [&]() -> absl::Status {
      return connection()->Exec(op.channel->id(), cmd);
    });
    if (Resumable(rc)) return nullptr;
    if (rc < 0) return fail();
    if (receiving) {
      op.out = std::string(1, '\0');  // "ready"
      op.phase = ScpOperation::Phase::kSendAck;
    } else {
      op.phase = ScpOperation::Phase::kReadAck;
    }
  }
  const int rc =
      Run([&] { return ScpStep(op); },
          receiving ? "receiving the SCP header" : "sending the SCP header",
          /*protocol_step=*/true);
  if (Resumable(rc)) return nullptr;
  if (rc < 0) return fail();
  LIBSSH2_CHANNEL* channel = op.channel;
  op.channel = nullptr;
  return channel;
}

LIBSSH2_CHANNEL* SessionHandle::ScpRecv(absl::string_view path,
                                        libssh2_struct_stat* sb) {
  if (RequireConnected() < 0) return nullptr;
  LIBSSH2_CHANNEL* channel =
      Scp(true, path, {}, absl::StrCat("scp -pf ", ShellQuote(path)));
  if (channel == nullptr) return nullptr;
  if (sb != nullptr) {
    *sb = libssh2_struct_stat();
    sb->st_mode = static_cast<mode_t>(scp_->mode) | S_IFREG;
    sb->st_size = static_cast<libssh2_struct_stat_size>(scp_->size);
    sb->st_mtime = static_cast<time_t>(scp_->mtime);
    sb->st_atime = static_cast<time_t>(scp_->atime);
  }
  static_cast<ChannelHandle*>(channel)->ExpectScpRecv(scp_->size);
  scp_.reset();
  return channel;
}

LIBSSH2_CHANNEL* SessionHandle::ScpSend(absl::string_view path, int mode,
                                        int64_t size, int64_t mtime,
                                        int64_t atime) {
  if (RequireConnected() < 0) return nullptr;
  if (size < 0 || path.empty()) {
    SetError(LIBSSH2_ERROR_INVAL, "a path and a size of at least 0");
    return nullptr;
  }
  const size_t slash = path.rfind('/');
  const absl::string_view base =
      slash == absl::string_view::npos ? path : path.substr(slash + 1);
  if (base.empty() || base.find('\n') != absl::string_view::npos) {
    SetError(LIBSSH2_ERROR_INVAL, "the path names no file");
    return nullptr;
  }
  std::vector<std::string> headers;
  const bool times = mtime != 0 || atime != 0;
  if (times) headers.push_back(transfer::FormatScpTimes(mtime, atime));
  headers.push_back(
      transfer::FormatScpFile(static_cast<uint32_t>(mode), size, base));
  LIBSSH2_CHANNEL* channel =
      Scp(false, path, std::move(headers),
          absl::StrCat(times ? "scp -pt " : "scp -t ", ShellQuote(path)));
  if (channel == nullptr) return nullptr;
  static_cast<ChannelHandle*>(channel)->ExpectScpSend(size);
  scp_.reset();
  return channel;
}

}  // namespace parley::capi

// ---------------------------------------------------------------------------
// The C API

using parley::capi::Guarded;
using parley::capi::SessionHandle;
using parley::capi::ValidSession;

extern "C" {

LIBSSH2_CHANNEL* libssh2_scp_recv2(LIBSSH2_SESSION* session, const char* path,
                                   libssh2_struct_stat* sb) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  if (path == nullptr) {
    s->SetError(LIBSSH2_ERROR_INVAL, "no path given");
    return nullptr;
  }
  return Guarded<LIBSSH2_CHANNEL*>(s, nullptr,
                                   [&] { return s->ScpRecv(path, sb); });
}

LIBSSH2_CHANNEL* libssh2_scp_recv(LIBSSH2_SESSION* session, const char* path,
                                  struct stat* sb) {
  return libssh2_scp_recv2(session, path, sb);
}

LIBSSH2_CHANNEL* libssh2_scp_send64(LIBSSH2_SESSION* session, const char* path,
                                    int mode, libssh2_int64_t size,
                                    time_t mtime, time_t atime) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  if (path == nullptr) {
    s->SetError(LIBSSH2_ERROR_INVAL, "no path given");
    return nullptr;
  }
  return Guarded<LIBSSH2_CHANNEL*>(
      s, nullptr, [&] { return s->ScpSend(path, mode, size, mtime, atime); });
}

LIBSSH2_CHANNEL* libssh2_scp_send_ex(LIBSSH2_SESSION* session, const char* path,
                                     int mode, size_t size, long mtime,
                                     long atime) {
  if (size > static_cast<size_t>(INT64_MAX)) {
    SessionHandle* s = ValidSession(session);
    if (s != nullptr) s->SetError(LIBSSH2_ERROR_INVAL, "size too large");
    return nullptr;
  }
  return libssh2_scp_send64(session, path, mode,
                            static_cast<libssh2_int64_t>(size), mtime, atime);
}

}  // extern "C"
