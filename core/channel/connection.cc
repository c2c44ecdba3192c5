#include "core/channel/connection.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/error.h"
#include "core/base/status_macros.h"
#include "core/transport/messages.h"
#include "core/wire/reader.h"
#include "core/wire/writer.h"

namespace parley::channel {
namespace {

using namespace ::parley::transport;  // NOLINT: message numbers

// RFC 4254 section 5.1: SSH_OPEN_ADMINISTRATIVELY_PROHIBITED,
// SSH_OPEN_RESOURCE_SHORTAGE.
constexpr uint32_t kOpenAdministrativelyProhibited = 1;
constexpr uint32_t kOpenResourceShortage = 4;

absl::Status NotOpen() {
  return Error(ErrorKind::kBadUse,
               absl::FailedPreconditionError("channel is not open"));
}

}  // namespace

const Channel* Connection::Find(uint32_t id) const {
  auto it = channels_.find(id);
  return it == channels_.end() ? nullptr : it->second.get();
}

Channel* Connection::Mutable(uint32_t id) {
  auto it = channels_.find(id);
  return it == channels_.end() ? nullptr : it->second.get();
}

absl::StatusOr<uint32_t> Connection::OpenSession() {
  return Open("session", Bytes());
}

absl::StatusOr<uint32_t> Connection::OpenDirectTcpip(
    absl::string_view host, uint32_t port, absl::string_view originator,
    uint32_t originator_port) {
  if (host.empty() || port == 0 || port > 65535) {
    return Error(ErrorKind::kBadUse,
                 absl::InvalidArgumentError(
                     "direct-tcpip needs a host and a port from 1 to 65535"));
  }
  Bytes extra;
  wire::Writer w(&extra);
  w.WriteString(host);
  w.WriteU32(port);
  w.WriteString(originator);
  w.WriteU32(originator_port);
  return Open("direct-tcpip", extra);
}

absl::StatusOr<uint32_t> Connection::OpenDirectStreamlocal(
    absl::string_view path, absl::string_view originator,
    uint32_t originator_port) {
  if (path.empty()) {
    return Error(
        ErrorKind::kBadUse,
        absl::InvalidArgumentError("direct-streamlocal needs a socket path"));
  }
  Bytes extra;
  wire::Writer w(&extra);
  w.WriteString(path);
  w.WriteString(originator);
  w.WriteU32(originator_port);
  return Open("direct-streamlocal@openssh.com", extra);
}

absl::StatusOr<uint32_t> Connection::Open(absl::string_view type,
                                          const Bytes& extra) {
  if (!enabled_) {
    return Error(ErrorKind::kBadUse,
                 absl::FailedPreconditionError(
                     "cannot open a channel before authentication"));
  }
  if (channels_.size() >= kMaxChannels) {
    return Error(ErrorKind::kResourceLimit,
                 absl::ResourceExhaustedError("too many open channels"));
  }
  while (Find(next_id_) != nullptr) ++next_id_;
  auto c = std::make_unique<Channel>();
  c->local_id_ = next_id_++;
  Bytes msg;
  wire::Writer w(&msg);
  w.WriteU8(kMsgChannelOpen);
  w.WriteString(type);
  w.WriteU32(c->local_id_);
  w.WriteU32(kLocalWindow);
  w.WriteU32(kLocalMaxPacket);
  w.WriteRaw(extra);
  PARLEY_RETURN_IF_ERROR(t_->Send(msg));
  const uint32_t id = c->local_id_;
  channels_[id] = std::move(c);
  return id;
}

absl::Status Connection::Request(uint32_t id, absl::string_view type,
                                 const Bytes& extra, bool want_reply) {
  Channel* c = Mutable(id);
  if (c == nullptr || c->state_ != Channel::State::kOpen || c->close_sent_ ||
      c->close_received_) {
    return NotOpen();
  }
  Bytes msg;
  wire::Writer w(&msg);
  w.WriteU8(kMsgChannelRequest);
  w.WriteU32(c->remote_id_);
  w.WriteString(type);
  w.WriteBool(want_reply);
  w.WriteRaw(extra);
  PARLEY_RETURN_IF_ERROR(t_->Send(msg));
  if (want_reply) ++c->replies_pending_;
  return absl::OkStatus();
}

absl::Status Connection::WindowChange(uint32_t id, uint32_t cols, uint32_t rows,
                                      uint32_t width_px, uint32_t height_px) {
  Bytes extra;
  wire::Writer w(&extra);
  w.WriteU32(cols);
  w.WriteU32(rows);
  w.WriteU32(width_px);
  w.WriteU32(height_px);
  return Request(id, "window-change", extra, /*want_reply=*/false);
}

absl::Status Connection::Signal(uint32_t id, absl::string_view name) {
  if (name.empty() || name.size() > 64) {
    return Error(ErrorKind::kBadUse,
                 absl::InvalidArgumentError("a signal name of 1 to 64 bytes"));
  }
  Bytes extra;
  wire::Writer(&extra).WriteString(name);
  return Request(id, "signal", extra, /*want_reply=*/false);
}

absl::Status Connection::SetExtendedData(uint32_t id, ExtendedData mode) {
  Channel* c = Mutable(id);
  if (c == nullptr) return NotOpen();
  c->extended_data_ = mode;
  if (mode == ExtendedData::kIgnore) Discard(id, /*stderr_stream=*/true);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Connection::AdjustWindow(uint32_t id, uint32_t bytes) {
  Channel* c = Mutable(id);
  if (c == nullptr || c->state_ != Channel::State::kOpen || c->close_sent_) {
    return NotOpen();
  }
  // RFC 4254 section 5.2: a window never exceeds 2^32 - 1 bytes.
  const uint64_t room = 0xffffffffu - c->local_window_;
  const uint32_t add = static_cast<uint32_t>(std::min<uint64_t>(bytes, room));
  if (add > 0) PARLEY_RETURN_IF_ERROR(SendWindowAdjust(*c, add));
  return c->local_window_;
}

absl::Status Connection::Exec(uint32_t id, absl::string_view command) {
  Bytes extra;
  wire::Writer(&extra).WriteString(command);
  return Request(id, "exec", extra);
}

absl::Status Connection::Shell(uint32_t id) { return Request(id, "shell", {}); }

absl::Status Connection::RequestAgentForwarding(uint32_t id) {
  if (!accept_agent_) {
    return Error(ErrorKind::kBadUse,
                 absl::FailedPreconditionError(
                     "agent forwarding asked for with no agent to forward"));
  }
  // OpenSSH's auth-agent-req@openssh.com (PROTOCOL, "agent forwarding").
  return Request(id, "auth-agent-req@openssh.com", {});
}

namespace {

std::vector<uint32_t> TakeAll(std::deque<uint32_t>& queue) {
  std::vector<uint32_t> out(queue.begin(), queue.end());
  queue.clear();
  return out;
}

}  // namespace

std::vector<uint32_t> Connection::TakeNewAgentChannels() {
  return TakeAll(new_agent_channels_);
}

absl::Status Connection::RequestX11(uint32_t id, bool single_connection,
                                    absl::string_view auth_protocol,
                                    absl::string_view auth_cookie,
                                    uint32_t screen) {
  Bytes extra;
  wire::Writer w(&extra);
  w.WriteBool(single_connection);
  w.WriteString(auth_protocol);
  w.WriteString(auth_cookie);
  w.WriteU32(screen);
  PARLEY_RETURN_IF_ERROR(Request(id, "x11-req", extra));
  x11_requested_ = true;
  return absl::OkStatus();
}

std::vector<uint32_t> Connection::TakeX11Channels() {
  return TakeAll(x11_channels_);
}

absl::StatusOr<uint64_t> Connection::RequestForward(absl::string_view address,
                                                    uint32_t port,
                                                    size_t backlog) {
  if (port > 65535 || backlog == 0) {
    return Error(ErrorKind::kBadUse,
                 absl::InvalidArgumentError(
                     "a forward needs a port from 0 to 65535 and a backlog"));
  }
  if (forwards_.size() >= kMaxChannels) {
    return Error(ErrorKind::kResourceLimit,
                 absl::ResourceExhaustedError("too many forwards"));
  }
  Bytes extra;
  wire::Writer w(&extra);
  w.WriteString(address);
  w.WriteU32(port);
  PARLEY_ASSIGN_OR_RETURN(
      const uint64_t token,
      SendGlobalRequest("tcpip-forward", /*want_reply=*/true, extra));
  Forward f;
  f.address = std::string(address);
  f.requested_port = port;
  f.reply_token = token;
  f.backlog = backlog;
  forwards_[token] = std::move(f);
  return token;
}

absl::optional<absl::StatusOr<uint32_t>> Connection::ForwardResult(
    uint64_t forward) const {
  auto it = forwards_.find(forward);
  if (it == forwards_.end()) {
    return absl::StatusOr<uint32_t>(
        Error(ErrorKind::kBadUse, absl::NotFoundError("no such forward")));
  }
  return it->second.result;
}

absl::optional<uint32_t> Connection::TakeForwarded(uint64_t forward) {
  auto it = forwards_.find(forward);
  if (it == forwards_.end() || it->second.waiting.empty()) {
    return absl::nullopt;
  }
  const uint32_t id = it->second.waiting.front();
  it->second.waiting.pop_front();
  return id;
}

size_t Connection::ForwardWaiting(uint64_t forward) const {
  auto it = forwards_.find(forward);
  return it == forwards_.end() ? 0 : it->second.waiting.size();
}

absl::Status Connection::CancelForward(uint64_t forward) {
  auto it = forwards_.find(forward);
  if (it == forwards_.end()) return absl::OkStatus();
  Forward f = std::move(it->second);
  forwards_.erase(it);
  for (uint32_t id : f.waiting) Release(id);
  const bool granted = f.result.has_value() && f.result->ok();
  if (f.reply_token != 0) {
    // Not answered yet: the reply is dropped when it comes, and a grant it
    // may carry is cancelled now by the port asked for (a port of the
    // server's choosing cannot be named: that listener lasts until the
    // connection ends, as with OpenSSH's client).
    AbandonGlobalReply(f.reply_token);
  }
  if (t_->closed()) return absl::OkStatus();
  if (!granted && (f.reply_token == 0 || f.requested_port == 0)) {
    return absl::OkStatus();
  }
  // RFC 4254 section 7.1: "cancel-tcpip-forward" names the address and
  // the port the server listens on (for a pending grant, the one asked).
  Bytes extra;
  wire::Writer w(&extra);
  w.WriteString(f.address);
  w.WriteU32(granted ? **f.result : f.requested_port);
  return SendGlobalRequest("cancel-tcpip-forward", /*want_reply=*/false, extra)
      .status();
}

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

absl::optional<bool> Connection::TakeReply(uint32_t id) {
  Channel* c = Mutable(id);
  if (c == nullptr || c->replies_.empty()) return absl::nullopt;
  const bool ok = c->replies_.front();
  c->replies_.pop_front();
  return ok;
}

void Connection::AbandonReply(uint32_t id) {
  Channel* c = Mutable(id);
  if (c == nullptr) return;
  if (!c->replies_.empty()) {
    c->replies_.pop_back();  // it came already
  } else if (c->replies_pending_ > 0) {
    ++c->stale_replies_;
  }
}

absl::StatusOr<size_t> Connection::Write(uint32_t id, ByteView data,
                                         bool stderr_stream) {
  Channel* c = Mutable(id);
  if (c == nullptr || c->state_ != Channel::State::kOpen) return NotOpen();
  if (c->eof_sent_ || c->close_sent_) {
    return Error(ErrorKind::kBadUse, absl::FailedPreconditionError(
                                         "channel output already closed"));
  }
  size_t sent = 0;
  while (sent < data.size() && c->remote_window_ > 0) {
    // Bounded by the transport's queue too: a server that grants a huge
    // window but does not read (or stalls a key exchange) cannot make us
    // buffer without limit.
    const size_t room = t_->send_room();
    if (room == 0) break;
    size_t n = std::min<uint64_t>(
        {data.size() - sent, c->remote_window_, c->remote_max_packet_, room});
    Bytes msg;
    msg.reserve(n + 16);
    wire::Writer w(&msg);
    w.WriteU8(stderr_stream ? kMsgChannelExtendedData : kMsgChannelData);
    w.WriteU32(c->remote_id_);
    if (stderr_stream) w.WriteU32(1);
    w.WriteString(data.subspan(sent, n));
    PARLEY_RETURN_IF_ERROR(t_->Send(msg));
    c->remote_window_ -= n;
    sent += n;
  }
  return sent;
}

absl::Status Connection::SendEof(uint32_t id) {
  Channel* c = Mutable(id);
  if (c == nullptr || c->state_ != Channel::State::kOpen) return NotOpen();
  if (c->eof_sent_ || c->close_sent_) return absl::OkStatus();
  Bytes msg;
  wire::Writer w(&msg);
  w.WriteU8(kMsgChannelEof);
  w.WriteU32(c->remote_id_);
  c->eof_sent_ = true;
  return t_->Send(msg);
}

absl::Status Connection::SendClose(Channel& c) {
  Bytes msg;
  wire::Writer w(&msg);
  w.WriteU8(kMsgChannelClose);
  w.WriteU32(c.remote_id_);
  c.close_sent_ = true;
  if (c.close_received_) c.state_ = Channel::State::kClosed;
  return t_->Send(msg);
}

absl::Status Connection::Close(uint32_t id) {
  Channel* c = Mutable(id);
  if (c == nullptr) {
    return Error(ErrorKind::kBadUse, absl::NotFoundError("no such channel"));
  }
  if (c->state_ != Channel::State::kOpen || c->close_sent_) {
    return absl::OkStatus();
  }
  return SendClose(*c);
}

void ByteQueue::Append(ByteView b) {
  if (b.empty()) return;
  size_ += b.size();
  if (!chunks_.empty() && b.size() < kChunk &&
      chunks_.back().size() + b.size() <= kChunk) {
    chunks_.back().insert(chunks_.back().end(), b.begin(), b.end());
    return;
  }
  chunks_.emplace_back(b.begin(), b.end());
  if (b.size() < kChunk) chunks_.back().reserve(kChunk);
}

size_t ByteQueue::Take(uint8_t* out, size_t max) {
  size_t taken = 0;
  while (taken < max && !chunks_.empty()) {
    const Bytes& front = chunks_.front();
    const size_t n = std::min(max - taken, front.size() - front_);
    if (out != nullptr) std::memcpy(out + taken, front.data() + front_, n);
    taken += n;
    front_ += n;
    if (front_ == front.size()) {
      chunks_.pop_front();
      front_ = 0;
    }
  }
  size_ -= taken;
  return taken;
}

size_t Connection::Read(uint32_t id, bool stderr_stream, uint8_t* out,
                        size_t max) {
  Channel* c = Mutable(id);
  if (c == nullptr) return 0;
  ByteQueue& buf = stderr_stream ? c->stderr_ : c->stdout_;
  const size_t n = buf.Take(out, max);
  if (n == 0) return 0;
  c->consumed_ += n;
  MaybeReopenWindow(*c);
  return n;
}

void Connection::MaybeReopenWindow(Channel& c) {
  // Re-open the window once half of it has been consumed.
  if (c.state_ == Channel::State::kOpen && !c.close_sent_ &&
      c.consumed_ >= kLocalWindow / 2 &&
      SendWindowAdjust(c, static_cast<uint32_t>(c.consumed_)).ok()) {
    c.consumed_ = 0;
  }
}

absl::Status Connection::SendWindowAdjust(Channel& c, uint32_t add) {
  Bytes msg;
  wire::Writer w(&msg);
  w.WriteU8(kMsgChannelWindowAdjust);
  w.WriteU32(c.remote_id_);
  w.WriteU32(add);
  PARLEY_RETURN_IF_ERROR(t_->Send(msg));
  c.local_window_ += add;
  return absl::OkStatus();
}

size_t Connection::Discard(uint32_t id, bool stderr_stream) {
  size_t total = 0;
  size_t n;
  while ((n = Read(id, stderr_stream, nullptr, size_t{1} << 20)) > 0) {
    total += n;
  }
  return total;
}

void Connection::Free(uint32_t id) { channels_.erase(id); }

void Connection::Release(uint32_t id) {
  Channel* c = Mutable(id);
  if (c == nullptr) return;
  c->released_ = true;
  if (c->state_ == Channel::State::kOpen && !c->close_sent_ && !t_->closed()) {
    (void)SendClose(*c);
  }
  if (t_->closed()) {
    Free(id);
    return;
  }
  MaybeForget(*c);
}

void Connection::MaybeForget(Channel& c) {
  if (!c.released_) return;
  if (c.close_received_ || c.state_ == Channel::State::kOpenFailed) {
    Free(c.local_id_);
  }
}

absl::StatusOr<uint64_t> Connection::SendGlobalRequest(absl::string_view name,
                                                       bool want_reply,
                                                       const Bytes& extra) {
  // The replies owed are bounded like channels: a caller that never
  // collects them cannot grow the queue without end.
  if (want_reply && global_pending_.size() >= 4 * kMaxChannels) {
    return Error(ErrorKind::kResourceLimit,
                 absl::ResourceExhaustedError(
                     "too many global requests awaiting replies"));
  }
  Bytes msg;
  msg.reserve(64 + extra.size());  // also keeps GCC 12 -O2 from a false
                                   // stringop-overflow
  wire::Writer w(&msg);
  w.WriteU8(kMsgGlobalRequest);
  w.WriteString(name);
  w.WriteBool(want_reply);
  w.WriteRaw(extra);
  PARLEY_RETURN_IF_ERROR(t_->Send(msg));
  if (!want_reply) return 0;
  const uint64_t token = next_token_++;
  global_pending_.push_back(token);
  return token;
}

absl::optional<GlobalReply> Connection::TakeGlobalReply(uint64_t token) {
  auto it = global_replies_.find(token);
  if (it == global_replies_.end()) return absl::nullopt;
  GlobalReply reply = std::move(it->second);
  global_replies_.erase(it);
  return reply;
}

void Connection::AbandonGlobalReply(uint64_t token) {
  global_replies_.erase(token);
  for (uint64_t& pending : global_pending_) {
    if (pending == token) pending = 0;
  }
}

absl::Status Connection::HandleGlobalReply(bool success, ByteView data) {
  // Like OpenSSH, a reply with no request pending is ignored.
  if (global_pending_.empty()) return absl::OkStatus();
  const uint64_t token = global_pending_.front();
  global_pending_.pop_front();
  if (token == 0) return absl::OkStatus();
  auto f = forwards_.find(token);
  if (f != forwards_.end()) {
    // RFC 4254 section 7.1: a grant for port 0 carries the port chosen.
    Forward& fwd = f->second;
    fwd.reply_token = 0;
    if (!success) {
      fwd.result = absl::StatusOr<uint32_t>(
          Error(ErrorKind::kRefused,
                absl::PermissionDeniedError(absl::StrCat(
                    "the server refused to listen on ",
                    fwd.address.substr(0, 64), ":", fwd.requested_port))));
      return absl::OkStatus();
    }
    uint32_t port = fwd.requested_port;
    if (port == 0) {
      wire::Reader r(data);
      PARLEY_RETURN_IF_ERROR(r.ReadU32(&port));
      if (port == 0 || port > 65535) {
        return absl::InvalidArgumentError(
            absl::StrCat("tcpip-forward granted on port ", port));
      }
    }
    fwd.result = port;
    return absl::OkStatus();
  }
  GlobalReply reply;
  reply.success = success;
  reply.data.assign(data.begin(),
                    data.begin() + std::min<size_t>(data.size(), 1024));
  global_replies_[token] = std::move(reply);
  return absl::OkStatus();
}

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
    c.exit_status_ = status;
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
    c.exit_signal_ = std::move(sig);
    ok = true;
  }
  // Anything else (keepalive@openssh.com, eow@openssh.com, ...) is refused
  // when a reply is wanted, as OpenSSH's client does.
  if (!want_reply || c.close_sent_) return absl::OkStatus();
  Bytes msg;
  wire::Writer w(&msg);
  w.WriteU8(ok ? kMsgChannelSuccess : kMsgChannelFailure);
  w.WriteU32(c.remote_id_);
  return t_->Send(msg);
}

absl::StatusOr<std::deque<uint32_t>*> Connection::IncomingQueue(
    const IncomingOrigin& origin) {
  switch (origin.kind) {
    case Incoming::kAgent:
      if (accept_agent_) return &new_agent_channels_;
      break;
    case Incoming::kX11:
      if (x11_requested_) return &x11_channels_;
      break;
    case Incoming::kForwardedTcpip: {
      // The forward the server was asked for on this port; by address too
      // when several share the port.
      Forward* match = nullptr;
      for (auto& [token, f] : forwards_) {
        if (!f.result.has_value() || !f.result->ok() ||
            **f.result != origin.port) {
          continue;
        }
        if (match == nullptr || f.address == origin.address) match = &f;
      }
      if (match == nullptr) break;
      if (match->waiting.size() >= match->backlog) {
        return Error(ErrorKind::kResourceLimit,
                     absl::ResourceExhaustedError(
                         "the forward's queue of connections is full"));
      }
      return &match->waiting;
    }
    case Incoming::kNone:
      break;
  }
  return Error(ErrorKind::kRefused,
               absl::PermissionDeniedError("not asked for"));
}

absl::Status Connection::HandleServerOpen(ByteView body) {
  // RFC 4254 section 5.1: string type, uint32 sender channel, uint32
  // window, uint32 maximum packet, type-specific data.
  wire::Reader r(body);
  absl::string_view type;
  uint32_t sender, window, max_packet;
  PARLEY_RETURN_IF_ERROR(r.ReadString(&type));
  PARLEY_RETURN_IF_ERROR(r.ReadU32(&sender));
  PARLEY_RETURN_IF_ERROR(r.ReadU32(&window));
  PARLEY_RETURN_IF_ERROR(r.ReadU32(&max_packet));
  IncomingOrigin origin;
  absl::string_view address, originator;
  if (type == "forwarded-tcpip") {
    // RFC 4254 section 7.2: string address that was connected, uint32
    // port that was connected, string originator address, uint32
    // originator port.
    origin.kind = Incoming::kForwardedTcpip;
    PARLEY_RETURN_IF_ERROR(r.ReadString(&address));
    PARLEY_RETURN_IF_ERROR(r.ReadU32(&origin.port));
    PARLEY_RETURN_IF_ERROR(r.ReadString(&originator));
    PARLEY_RETURN_IF_ERROR(r.ReadU32(&origin.originator_port));
  } else if (type == "x11") {
    // RFC 4254 section 6.3.2: string originator address, uint32
    // originator port.
    origin.kind = Incoming::kX11;
    PARLEY_RETURN_IF_ERROR(r.ReadString(&originator));
    PARLEY_RETURN_IF_ERROR(r.ReadU32(&origin.originator_port));
  } else if (type == "auth-agent@openssh.com") {
    // OpenSSH's PROTOCOL: no type-specific data.
    origin.kind = Incoming::kAgent;
  }
  origin.address = std::string(address.substr(0, 256));
  origin.originator = std::string(originator.substr(0, 256));
  absl::StatusOr<std::deque<uint32_t>*> queue = IncomingQueue(origin);
  if (queue.ok() && (max_packet == 0 || channels_.size() >= kMaxChannels)) {
    queue = Error(ErrorKind::kResourceLimit,
                  absl::ResourceExhaustedError("too many channels"));
  }
  Bytes msg;
  wire::Writer w(&msg);
  if (!queue.ok()) {
    w.WriteU8(kMsgChannelOpenFailure);
    w.WriteU32(sender);
    w.WriteU32(KindOf(queue.status()) == ErrorKind::kResourceLimit
                   ? kOpenResourceShortage
                   : kOpenAdministrativelyProhibited);
    w.WriteString(
        absl::StrCat("channel type \"", type.substr(0, 64),
                     "\" is not accepted: ", queue.status().message()));
    w.WriteString(absl::string_view(""));
    return t_->Send(msg);
  }
  while (Find(next_id_) != nullptr) ++next_id_;
  auto c = std::make_unique<Channel>();
  c->local_id_ = next_id_++;
  c->remote_id_ = sender;
  c->remote_window_ = c->initial_remote_window_ = window;
  c->remote_max_packet_ =
      std::min<uint32_t>(max_packet, transport::kMaxPayload - 64);
  c->state_ = Channel::State::kOpen;
  c->origin_ = std::move(origin);
  w.WriteU8(kMsgChannelOpenConfirmation);
  w.WriteU32(sender);
  w.WriteU32(c->local_id_);
  w.WriteU32(kLocalWindow);
  w.WriteU32(kLocalMaxPacket);
  PARLEY_RETURN_IF_ERROR(t_->Send(msg));
  (*queue)->push_back(c->local_id_);
  channels_[c->local_id_] = std::move(c);
  return absl::OkStatus();
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
    return HandleGlobalReply(t == kMsgRequestSuccess, r.rest());
  }
  if (t == kMsgChannelOpen) return HandleServerOpen(r.rest());
  uint32_t id;
  PARLEY_RETURN_IF_ERROR(r.ReadU32(&id));
  Channel* c = Mutable(id);
  if (c == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("message ", t, " for unknown channel ", id));
  }
  switch (t) {
    case kMsgChannelOpenConfirmation: {
      uint32_t remote, window, max_packet;
      PARLEY_RETURN_IF_ERROR(r.ReadU32(&remote));
      PARLEY_RETURN_IF_ERROR(r.ReadU32(&window));
      PARLEY_RETURN_IF_ERROR(r.ReadU32(&max_packet));
      if (c->state_ != Channel::State::kOpening) {
        return absl::InvalidArgumentError("duplicate OPEN_CONFIRMATION");
      }
      if (max_packet == 0) {
        return absl::InvalidArgumentError("server's maximum packet size is 0");
      }
      c->remote_id_ = remote;
      c->remote_window_ = c->initial_remote_window_ = window;
      c->remote_max_packet_ =
          std::min<uint32_t>(max_packet, transport::kMaxPayload - 64);
      c->state_ = Channel::State::kOpen;
      // Given up on while it opened: close it now.
      if (c->released_) (void)SendClose(*c);
      return absl::OkStatus();
    }
    case kMsgChannelOpenFailure: {
      uint32_t reason;
      absl::string_view desc;
      PARLEY_RETURN_IF_ERROR(r.ReadU32(&reason));
      PARLEY_RETURN_IF_ERROR(r.ReadString(&desc));
      if (c->state_ != Channel::State::kOpening) {
        return absl::InvalidArgumentError("unexpected OPEN_FAILURE");
      }
      c->state_ = Channel::State::kOpenFailed;
      c->open_failure_ =
          absl::StrCat("reason ", reason, ": ", desc.substr(0, 1024));
      MaybeForget(*c);
      return absl::OkStatus();
    }
    default:
      break;
  }
  if (c->state_ != Channel::State::kOpen) {
    return absl::InvalidArgumentError(
        absl::StrCat("message ", t, " for a channel that is not open"));
  }
  switch (t) {
    case kMsgChannelWindowAdjust: {
      uint32_t add;
      PARLEY_RETURN_IF_ERROR(r.ReadU32(&add));
      PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
      // RFC 4254 section 5.2: the window may not exceed 2^32 - 1 bytes.
      // OpenSSH treats a larger one as a fatal protocol error; so do we.
      if (c->remote_window_ + add > 0xffffffffu) {
        return absl::InvalidArgumentError(
            "WINDOW_ADJUST grows the window past 2^32 - 1");
      }
      c->remote_window_ += add;
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
      if (c->eof_received_) {
        return absl::InvalidArgumentError("channel data after EOF");
      }
      if (data.size() > c->local_window_) {
        return absl::InvalidArgumentError(
            "server sent more channel data than the window allows");
      }
      c->local_window_ -= data.size();
      const bool extended = t == kMsgChannelExtendedData;
      if (extended &&
          (code != 1 || c->extended_data_ == ExtendedData::kIgnore)) {
        // Unknown stream, or stderr ignored: dropped, counted as consumed
        // -- and the window re-opened here, since no read will do it.
        c->consumed_ += data.size();
        MaybeReopenWindow(*c);
        return absl::OkStatus();
      }
      const bool to_stderr =
          extended && c->extended_data_ == ExtendedData::kNormal;
      (to_stderr ? c->stderr_ : c->stdout_).Append(data);
      return absl::OkStatus();
    }
    case kMsgChannelEof:
      PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
      c->eof_received_ = true;
      return absl::OkStatus();
    case kMsgChannelClose:
      PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
      c->close_received_ = true;
      c->eof_received_ = true;
      if (!c->close_sent_) PARLEY_RETURN_IF_ERROR(SendClose(*c));
      c->state_ = Channel::State::kClosed;
      MaybeForget(*c);
      return absl::OkStatus();
    case kMsgChannelRequest:
      return HandleChannelRequest(*c, r.rest());
    case kMsgChannelSuccess:
    case kMsgChannelFailure:
      PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
      if (c->replies_pending_ <= 0) {
        return absl::InvalidArgumentError("reply to no channel request");
      }
      --c->replies_pending_;
      if (c->stale_replies_ > 0) {
        --c->stale_replies_;  // the caller stopped waiting for this one
      } else {
        c->replies_.push_back(t == kMsgChannelSuccess);
      }
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected connection message ", t));
  }
}

}  // namespace parley::channel
