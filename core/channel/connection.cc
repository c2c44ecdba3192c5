#include "core/channel/connection.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/transport/messages.h"
#include "core/wire/reader.h"
#include "core/wire/writer.h"

namespace parley::channel {
namespace {

using namespace ::parley::transport;  // NOLINT: message numbers

// Bounds on what we buffer for a channel the application does not read.
constexpr size_t kMaxChannels = 256;

}  // namespace

Channel* Connection::Find(uint32_t id) {
  auto it = channels_.find(id);
  return it == channels_.end() ? nullptr : it->second.get();
}

absl::StatusOr<Channel*> Connection::ForMessage(uint32_t id, const char* what) {
  Channel* c = Find(id);
  if (c == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " for unknown channel ", id));
  }
  return c;
}

absl::StatusOr<uint32_t> Connection::OpenSession() {
  if (channels_.size() >= kMaxChannels) {
    return absl::ResourceExhaustedError("too many open channels");
  }
  while (Find(next_id_) != nullptr) ++next_id_;
  auto c = std::make_unique<Channel>();
  c->local_id = next_id_++;
  Bytes msg;
  wire::Writer w(&msg);
  w.WriteU8(kMsgChannelOpen);
  w.WriteString(absl::string_view("session"));
  w.WriteU32(c->local_id);
  w.WriteU32(kLocalWindow);
  w.WriteU32(kLocalMaxPacket);
  PARLEY_RETURN_IF_ERROR(t_->Send(msg));
  const uint32_t id = c->local_id;
  channels_[id] = std::move(c);
  return id;
}

absl::Status Connection::Request(uint32_t id, absl::string_view type,
                                 const Bytes& extra) {
  Channel* c = Find(id);
  if (c == nullptr || c->state != Channel::State::kOpen || c->close_sent) {
    return absl::FailedPreconditionError("channel is not open");
  }
  Bytes msg;
  wire::Writer w(&msg);
  w.WriteU8(kMsgChannelRequest);
  w.WriteU32(c->remote_id);
  w.WriteString(type);
  w.WriteBool(true);
  w.WriteRaw(extra);
  PARLEY_RETURN_IF_ERROR(t_->Send(msg));
  ++c->replies_pending;
  return absl::OkStatus();
}

absl::Status Connection::Exec(uint32_t id, absl::string_view command) {
  Bytes extra;
  wire::Writer(&extra).WriteString(command);
  return Request(id, "exec", extra);
}

absl::Status Connection::Shell(uint32_t id) { return Request(id, "shell", {}); }

absl::Status Connection::Subsystem(uint32_t id, absl::string_view name) {
  Bytes extra;
  wire::Writer(&extra).WriteString(name);
  return Request(id, "subsystem", extra);
}

absl::Status Connection::SetEnv(uint32_t id, absl::string_view name,
                                absl::string_view value) {
  Bytes extra;
  wire::Writer w(&extra);
  w.WriteString(name);
  w.WriteString(value);
  return Request(id, "env", extra);
}

absl::Status Connection::RequestPty(uint32_t id, absl::string_view term,
                                    uint32_t cols, uint32_t rows) {
  Bytes extra;
  wire::Writer w(&extra);
  w.WriteString(term);
  w.WriteU32(cols);
  w.WriteU32(rows);
  w.WriteU32(0);
  w.WriteU32(0);
  w.WriteString(absl::string_view(""));  // no terminal modes
  return Request(id, "pty-req", extra);
}

absl::StatusOr<size_t> Connection::Write(uint32_t id, ByteView data,
                                         bool stderr_stream) {
  Channel* c = Find(id);
  if (c == nullptr || c->state != Channel::State::kOpen) {
    return absl::FailedPreconditionError("channel is not open");
  }
  if (c->eof_sent || c->close_sent) {
    return absl::FailedPreconditionError("channel output already closed");
  }
  size_t sent = 0;
  while (sent < data.size() && c->remote_window > 0) {
    size_t n = std::min<uint64_t>(
        {data.size() - sent, c->remote_window, c->remote_max_packet});
    Bytes msg;
    msg.reserve(n + 16);
    wire::Writer w(&msg);
    w.WriteU8(stderr_stream ? kMsgChannelExtendedData : kMsgChannelData);
    w.WriteU32(c->remote_id);
    if (stderr_stream) w.WriteU32(1);
    w.WriteString(data.subspan(sent, n));
    PARLEY_RETURN_IF_ERROR(t_->Send(msg));
    c->remote_window -= n;
    sent += n;
  }
  return sent;
}

absl::Status Connection::SendEof(uint32_t id) {
  Channel* c = Find(id);
  if (c == nullptr || c->state != Channel::State::kOpen) {
    return absl::FailedPreconditionError("channel is not open");
  }
  if (c->eof_sent || c->close_sent) return absl::OkStatus();
  Bytes msg;
  wire::Writer w(&msg);
  w.WriteU8(kMsgChannelEof);
  w.WriteU32(c->remote_id);
  c->eof_sent = true;
  return t_->Send(msg);
}

absl::Status Connection::Close(uint32_t id) {
  Channel* c = Find(id);
  if (c == nullptr) return absl::NotFoundError("no such channel");
  if (c->state != Channel::State::kOpen || c->close_sent) {
    return absl::OkStatus();
  }
  Bytes msg;
  wire::Writer w(&msg);
  w.WriteU8(kMsgChannelClose);
  w.WriteU32(c->remote_id);
  c->close_sent = true;
  if (c->close_received) c->state = Channel::State::kClosed;
  return t_->Send(msg);
}

size_t Connection::Read(uint32_t id, bool stderr_stream, uint8_t* out,
                        size_t max) {
  Channel* c = Find(id);
  if (c == nullptr) return 0;
  ByteQueue& buf = stderr_stream ? c->stderr_data : c->stdout_data;
  const size_t n = std::min(max, buf.size());
  if (n == 0) return 0;
  std::memcpy(out, buf.view().data(), n);
  buf.Consume(n);
  c->consumed += n;
  // Re-open the window once half of it has been consumed.
  if (c->state == Channel::State::kOpen && !c->close_sent &&
      c->consumed >= kLocalWindow / 2) {
    Bytes msg;
    wire::Writer w(&msg);
    w.WriteU8(kMsgChannelWindowAdjust);
    w.WriteU32(c->remote_id);
    w.WriteU32(static_cast<uint32_t>(c->consumed));
    if (t_->Send(msg).ok()) {
      c->local_window += c->consumed;
      c->consumed = 0;
    }
  }
  return n;
}

void Connection::Free(uint32_t id) { channels_.erase(id); }

absl::Status Connection::HandleChannelRequest(Channel& c, ByteView body) {
  wire::Reader r(body);
  absl::string_view type;
  bool want_reply;
  PARLEY_RETURN_IF_ERROR(r.ReadString(&type));
  PARLEY_RETURN_IF_ERROR(r.ReadBool(&want_reply));
  bool ok = false;
  if (type == "exit-status") {
    uint32_t status;
    PARLEY_RETURN_IF_ERROR(r.ReadU32(&status));
    PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
    c.exit_status = status;
    ok = true;
  } else if (type == "exit-signal") {
    absl::string_view name, message, lang;
    ExitSignal sig;
    PARLEY_RETURN_IF_ERROR(r.ReadString(&name));
    PARLEY_RETURN_IF_ERROR(r.ReadBool(&sig.core_dumped));
    PARLEY_RETURN_IF_ERROR(r.ReadString(&message));
    PARLEY_RETURN_IF_ERROR(r.ReadString(&lang));
    PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
    sig.name = std::string(name.substr(0, 64));
    sig.message = std::string(message.substr(0, 1024));
    c.exit_signal = std::move(sig);
    ok = true;
  }
  // Anything else (keepalive@openssh.com, eow@openssh.com, ...) is refused
  // when a reply is wanted, as OpenSSH's client does.
  if (!want_reply) return absl::OkStatus();
  Bytes msg;
  wire::Writer w(&msg);
  w.WriteU8(ok ? kMsgChannelSuccess : kMsgChannelFailure);
  w.WriteU32(c.remote_id);
  return t_->Send(msg);
}

absl::Status Connection::Handle(ByteView msg) {
  if (msg.empty()) return absl::InvalidArgumentError("empty message");
  const uint8_t t = msg[0];
  wire::Reader r(msg.subspan(1));
  if (t == kMsgGlobalRequest) {
    absl::string_view name;
    bool want_reply;
    PARLEY_RETURN_IF_ERROR(r.ReadString(&name));
    PARLEY_RETURN_IF_ERROR(r.ReadBool(&want_reply));
    // Clients honour no global requests (hostkeys-00@openssh.com,
    // keepalive@openssh.com, ...): RFC 4254 section 4 says to fail them.
    if (!want_reply) return absl::OkStatus();
    const uint8_t failure = kMsgRequestFailure;
    return t_->Send(ByteView(&failure, 1));
  }
  if (t == kMsgRequestSuccess || t == kMsgRequestFailure) {
    return absl::OkStatus();  // we send no global requests that want replies
  }
  uint32_t id;
  PARLEY_RETURN_IF_ERROR(r.ReadU32(&id));
  PARLEY_ASSIGN_OR_RETURN(Channel * c, ForMessage(id, "message"));
  switch (t) {
    case kMsgChannelOpenConfirmation: {
      uint32_t remote, window, max_packet;
      PARLEY_RETURN_IF_ERROR(r.ReadU32(&remote));
      PARLEY_RETURN_IF_ERROR(r.ReadU32(&window));
      PARLEY_RETURN_IF_ERROR(r.ReadU32(&max_packet));
      if (c->state != Channel::State::kOpening) {
        return absl::InvalidArgumentError("duplicate OPEN_CONFIRMATION");
      }
      if (max_packet == 0) {
        return absl::InvalidArgumentError("server's maximum packet size is 0");
      }
      c->remote_id = remote;
      c->remote_window = window;
      c->remote_max_packet = std::min<uint32_t>(max_packet, 256 * 1024 - 64);
      c->state = Channel::State::kOpen;
      return absl::OkStatus();
    }
    case kMsgChannelOpenFailure: {
      uint32_t reason;
      absl::string_view desc;
      PARLEY_RETURN_IF_ERROR(r.ReadU32(&reason));
      PARLEY_RETURN_IF_ERROR(r.ReadString(&desc));
      if (c->state != Channel::State::kOpening) {
        return absl::InvalidArgumentError("unexpected OPEN_FAILURE");
      }
      c->state = Channel::State::kOpenFailed;
      c->open_failure =
          absl::StrCat("reason ", reason, ": ", desc.substr(0, 1024));
      return absl::OkStatus();
    }
    default:
      break;
  }
  if (c->state != Channel::State::kOpen) {
    return absl::InvalidArgumentError(
        absl::StrCat("message ", t, " for a channel that is not open"));
  }
  switch (t) {
    case kMsgChannelWindowAdjust: {
      uint32_t add;
      PARLEY_RETURN_IF_ERROR(r.ReadU32(&add));
      PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
      // RFC 4254 5.2: the window may not exceed 2^32 - 1.
      c->remote_window =
          std::min<uint64_t>(c->remote_window + add, 0xffffffffu);
      return absl::OkStatus();
    }
    case kMsgChannelData:
    case kMsgChannelExtendedData: {
      uint32_t code = 0;
      if (t == kMsgChannelExtendedData) {
        PARLEY_RETURN_IF_ERROR(r.ReadU32(&code));
      }
      ByteView data;
      PARLEY_RETURN_IF_ERROR(r.ReadString(&data));
      PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
      if (c->eof_received) {
        return absl::InvalidArgumentError("channel data after EOF");
      }
      if (data.size() > c->local_window) {
        return absl::InvalidArgumentError(
            "server sent more channel data than the window allows");
      }
      c->local_window -= data.size();
      ByteQueue& buf = (t == kMsgChannelData) ? c->stdout_data : c->stderr_data;
      if (t == kMsgChannelExtendedData && code != 1) {
        // Unknown stream: discard, but count it as consumed.
        c->consumed += data.size();
        return absl::OkStatus();
      }
      buf.Append(data);
      return absl::OkStatus();
    }
    case kMsgChannelEof:
      PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
      c->eof_received = true;
      return absl::OkStatus();
    case kMsgChannelClose:
      PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
      c->close_received = true;
      c->eof_received = true;
      if (!c->close_sent) {
        Bytes out;
        wire::Writer w(&out);
        w.WriteU8(kMsgChannelClose);
        w.WriteU32(c->remote_id);
        c->close_sent = true;
        PARLEY_RETURN_IF_ERROR(t_->Send(out));
      }
      c->state = Channel::State::kClosed;
      return absl::OkStatus();
    case kMsgChannelRequest:
      return HandleChannelRequest(*c, r.rest());
    case kMsgChannelSuccess:
    case kMsgChannelFailure:
      PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
      if (c->replies_pending <= 0) {
        return absl::InvalidArgumentError("reply to no channel request");
      }
      --c->replies_pending;
      c->replies.push_back(t == kMsgChannelSuccess);
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected connection message ", t));
  }
}

}  // namespace parley::channel
