// The SSH connection protocol (RFC 4254) for a client: session channels
// (exec, shell, subsystem, env, pty-req, data both ways with flow control,
// EOF, CLOSE, exit-status and exit-signal) and global requests, as an engine
// on a Transport. Several channels may be open on one session.
//
// Channels are named by their local id. The Channel objects are read-only
// views for callers (Find()); every change goes through an operation of
// Connection, which keeps the protocol's rules (what may be sent in which
// state, flow control, replies owed to the server).
//
// Which messages are legal is decided here per channel state: data after
// EOF, more data than the window allows, a window grown past 2^32 - 1, a
// reply to no request, or a message for an unknown channel fail closed
// (kInvalidArgument).
//
// The server opens channels only for what was asked of it, as OpenSSH's
// client insists: "forwarded-tcpip" for a remote forward the server
// granted (RequestForward; matched to it by address and port, queued up
// to its backlog), "x11" once a session asked for X11 forwarding, and
// "auth-agent@openssh.com" once agent channels are accepted. Each lands in
// its own queue (TakeForwarded, TakeX11Channels, TakeNewAgentChannels);
// anything else is refused with OPEN_FAILURE. The server's global requests
// are refused when they want a reply (RFC 4254 section 4).
//
// Our global requests get their replies in order (RFC 4254 section 4);
// each one that wants a reply has a token to collect it with.
#ifndef PARLEY_CORE_CHANNEL_CONNECTION_H_
#define PARLEY_CORE_CHANNEL_CONNECTION_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/optional.h"
#include "core/base/bytes.h"
#include "core/transport/transport.h"

namespace parley::channel {

// Our receive window and packet size. A large window keeps bulk transfers
// at full speed (the server may send this much before we acknowledge).
inline constexpr uint32_t kLocalWindow = 8 * 1024 * 1024;
inline constexpr uint32_t kLocalMaxPacket = 32 * 1024;
// At most this many channels at once.
inline constexpr size_t kMaxChannels = 256;

// What a channel the server opened was opened for.
enum class Incoming { kNone, kForwardedTcpip, kX11, kAgent };

// Where a server-opened channel's stream comes from (RFC 4254 sections
// 6.3.2 and 7.2).
struct IncomingOrigin {
  Incoming kind = Incoming::kNone;
  // forwarded-tcpip: the listening address and port that were connected.
  std::string address;
  uint32_t port = 0;
  // The peer that connected to the server.
  std::string originator;
  uint32_t originator_port = 0;
};

// The reply to one of our global requests: success, and the reply's
// request-specific data (RFC 4254 section 4).
struct GlobalReply {
  bool success = false;
  Bytes data;
};

struct ExitSignal {
  std::string name;  // without "SIG"
  bool core_dumped = false;
  std::string message;
};

// Received channel data not yet read by the application, as a queue of
// chunks: appending never moves what is already held, so a full window
// costs the window (plus a chunk) and never the transient double of a
// growing contiguous buffer.
class ByteQueue {
 public:
  void Append(ByteView b);
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Copies up to `max` bytes to `out` (nullptr: drops them) and removes
  // them from the front. Returns how many.
  size_t Take(uint8_t* out, size_t max);

 private:
  // Appends smaller than this go into the last chunk while it has room.
  static constexpr size_t kChunk = 16 * 1024;
  std::deque<Bytes> chunks_;
  size_t front_ = 0;  // bytes of chunks_.front() already taken
  size_t size_ = 0;
};

// What a channel does with the server's extended data (stderr): keeps it
// apart (the default), drops it, or merges it into the data stream in
// arrival order (libssh2_channel_handle_extended_data2's three modes).
enum class ExtendedData { kNormal, kIgnore, kMerge };

// One channel's state, as the connection engine keeps it. Read-only for
// everyone but Connection.
class Channel {
 public:
  enum class State { kOpening, kOpen, kOpenFailed, kClosed };

  uint32_t local_id() const { return local_id_; }
  State state() const { return state_; }
  bool open() const { return state_ == State::kOpen; }
  // Why the server refused to open it (kOpenFailed).
  const std::string& open_failure() const { return open_failure_; }
  // What the server may still send us, and we it.
  uint64_t local_window() const { return local_window_; }
  uint64_t remote_window() const { return remote_window_; }
  // The window the server granted when it confirmed the channel.
  uint64_t initial_remote_window() const { return initial_remote_window_; }
  ExtendedData extended_data() const { return extended_data_; }
  // Received data not yet read.
  size_t readable(bool stderr_stream) const {
    return (stderr_stream ? stderr_ : stdout_).size();
  }
  bool eof_received() const { return eof_received_; }
  // Why the server opened this channel (kNone: we opened it).
  const IncomingOrigin& origin() const { return origin_; }
  // A channel the server opened to reach our forwarded agent.
  bool forwarded_agent() const { return origin_.kind == Incoming::kAgent; }
  bool eof_sent() const { return eof_sent_; }
  bool close_received() const { return close_received_; }
  bool close_sent() const { return close_sent_; }
  const absl::optional<uint32_t>& exit_status() const { return exit_status_; }
  const absl::optional<ExitSignal>& exit_signal() const { return exit_signal_; }
  // Replies to our want-reply requests that arrived and were not taken.
  bool has_reply() const { return !replies_.empty(); }
  int replies_pending() const { return replies_pending_; }

 private:
  friend class Connection;
  uint32_t local_id_ = 0;
  uint32_t remote_id_ = 0;
  State state_ = State::kOpening;
  std::string open_failure_;
  uint64_t remote_window_ = 0;
  uint64_t initial_remote_window_ = 0;
  ExtendedData extended_data_ = ExtendedData::kNormal;
  uint32_t remote_max_packet_ = 0;
  uint64_t local_window_ = kLocalWindow;
  uint64_t consumed_ = 0;  // delivered since our last WINDOW_ADJUST
  ByteQueue stdout_;
  ByteQueue stderr_;
  bool eof_received_ = false;
  bool eof_sent_ = false;
  bool close_received_ = false;
  bool close_sent_ = false;
  absl::optional<uint32_t> exit_status_;
  absl::optional<ExitSignal> exit_signal_;
  std::deque<bool> replies_;  // true = success
  int replies_pending_ = 0;
  // Replies still owed to requests the caller gave up waiting for.
  int stale_replies_ = 0;
  // Released by the caller: forgotten once the server's CLOSE came.
  bool released_ = false;
  IncomingOrigin origin_;
};

class Connection {
 public:
  explicit Connection(transport::Transport* t) : t_(t) {}

  // Channels may be opened only once the user is authenticated (the
  // session engine enables the connection then).
  void set_enabled(bool enabled) { enabled_ = enabled; }
  bool enabled() const { return enabled_; }

  // Sends CHANNEL_OPEN "session"; returns the local channel id.
  absl::StatusOr<uint32_t> OpenSession();
  // Sends CHANNEL_OPEN "direct-tcpip" (RFC 4254 section 7.2): the server
  // connects to `host`:`port` and the channel carries that stream.
  // `originator` and `originator_port` say where the stream comes from
  // (what ssh -W sends: "127.0.0.1", 0).
  absl::StatusOr<uint32_t> OpenDirectTcpip(absl::string_view host,
                                           uint32_t port,
                                           absl::string_view originator,
                                           uint32_t originator_port);
  // Sends CHANNEL_OPEN "direct-streamlocal@openssh.com" (OpenSSH's
  // PROTOCOL, section 2.4): the server connects to the Unix-domain socket
  // at `path`. The two reserved fields carry `originator` and
  // `originator_port`, as libssh2 sends them.
  absl::StatusOr<uint32_t> OpenDirectStreamlocal(absl::string_view path,
                                                 absl::string_view originator,
                                                 uint32_t originator_port);
  // Channel requests with want_reply = true (see TakeReply()).
  absl::Status Exec(uint32_t id, absl::string_view command);
  absl::Status Shell(uint32_t id);
  absl::Status Subsystem(uint32_t id, absl::string_view name);
  absl::Status SetEnv(uint32_t id, absl::string_view name,
                      absl::string_view value);
  absl::Status RequestPty(uint32_t id, absl::string_view term, uint32_t cols,
                          uint32_t rows);
  // RFC 4254 section 6.7: the terminal's new size (no reply).
  absl::Status WindowChange(uint32_t id, uint32_t cols, uint32_t rows,
                            uint32_t width_px, uint32_t height_px);
  // RFC 4254 section 6.9: a signal ("TERM", without "SIG") for the remote
  // process (no reply).
  absl::Status Signal(uint32_t id, absl::string_view name);
  // Sets what becomes of the channel's extended data from now on; turning
  // to kIgnore also drops what is queued (as libssh2 does).
  absl::Status SetExtendedData(uint32_t id, ExtendedData mode);
  // Grows the window the server may send into by `bytes` at once (a
  // WINDOW_ADJUST), up to 2^32 - 1; returns the new window.
  absl::StatusOr<uint64_t> AdjustWindow(uint32_t id, uint32_t bytes);

  // Asks the server to forward an agent to this session channel
  // (auth-agent-req@openssh.com); kBadUse unless agent channels are
  // accepted (set by whoever relays them: the session engine).
  absl::Status RequestAgentForwarding(uint32_t id);
  // Accept the server's "auth-agent@openssh.com" channel opens.
  void set_accept_agent_channels(bool accept) { accept_agent_ = accept; }
  // The agent channels the server opened since the last call.
  std::vector<uint32_t> TakeNewAgentChannels();

  // X11 forwarding for a session channel (RFC 4254 section 6.3.1:
  // "x11-req", want_reply): from now on the server may open "x11"
  // channels, which TakeX11Channels() hands out.
  absl::Status RequestX11(uint32_t id, bool single_connection,
                          absl::string_view auth_protocol,
                          absl::string_view auth_cookie, uint32_t screen);
  std::vector<uint32_t> TakeX11Channels();

  // Remote TCP forwarding (RFC 4254 section 7.1): asks the server to
  // listen on `address`:`port` (port 0: one of its choosing) with a
  // "tcpip-forward" request. Returns the forward's id. Once granted,
  // connections to it arrive as "forwarded-tcpip" channels, at most
  // `backlog` of them waiting for TakeForwarded(); more are refused.
  absl::StatusOr<uint64_t> RequestForward(absl::string_view address,
                                          uint32_t port, size_t backlog);
  // nullopt while the server has not answered; then the port it listens
  // on, or kRefused.
  absl::optional<absl::StatusOr<uint32_t>> ForwardResult(
      uint64_t forward) const;
  // The oldest connection waiting on a granted forward (an open channel).
  absl::optional<uint32_t> TakeForwarded(uint64_t forward);
  size_t ForwardWaiting(uint64_t forward) const;
  // Stops a forward: "cancel-tcpip-forward" once it was granted (no reply
  // awaited), waiting connections are closed, and its id is forgotten.
  absl::Status CancelForward(uint64_t forward);
  // The oldest unread reply to a want-reply request: true for success.
  absl::optional<bool> TakeReply(uint32_t id);
  // The caller stops waiting for the reply to its last request; the reply
  // is dropped when it comes.
  void AbandonReply(uint32_t id);

  // Sends as much of `data` as the server's window and the transport's
  // queue allow; returns the number of bytes taken (0 when the window is
  // closed or the queue is full: wait for WINDOW_ADJUST or for the socket).
  absl::StatusOr<size_t> Write(uint32_t id, ByteView data, bool stderr_stream);
  absl::Status SendEof(uint32_t id);
  absl::Status Close(uint32_t id);
  // Takes up to `max` received bytes and re-opens our window as needed.
  size_t Read(uint32_t id, bool stderr_stream, uint8_t* out, size_t max);
  // Discards received data of a stream (re-opening the window); returns
  // how many bytes were dropped.
  size_t Discard(uint32_t id, bool stderr_stream);
  // Forgets a channel now (it must be closed, failed, or the transport
  // gone).
  void Free(uint32_t id);
  // The caller no longer needs the channel: an open one is closed and
  // forgotten when the server's CLOSE arrives; a closed or failed one is
  // forgotten now.
  void Release(uint32_t id);

  // A global request (RFC 4254 section 4), e.g. keepalive@openssh.com,
  // with its request-specific data. With want_reply, returns a token for
  // TakeGlobalReply() (0 without).
  absl::StatusOr<uint64_t> SendGlobalRequest(absl::string_view name,
                                             bool want_reply,
                                             const Bytes& extra = {});
  // The reply to the request of `token`, once it came (taken once).
  absl::optional<GlobalReply> TakeGlobalReply(uint64_t token);
  // The reply will not be collected: it is dropped when it comes.
  void AbandonGlobalReply(uint64_t token);

  // Handles one connection-range message (80-127).
  absl::Status Handle(ByteView msg);
  static bool Owns(uint8_t msg_type) {
    return msg_type >= 80 && msg_type <= 127;
  }

  // The channel, or null for an unknown id.
  const Channel* Find(uint32_t id) const;
  size_t open_channels() const { return channels_.size(); }

 private:
  Channel* Mutable(uint32_t id);
  absl::StatusOr<uint32_t> Open(absl::string_view type, const Bytes& extra);
  absl::Status Request(uint32_t id, absl::string_view type, const Bytes& extra,
                       bool want_reply = true);
  absl::Status HandleChannelRequest(Channel& c, ByteView body);
  absl::Status HandleServerOpen(ByteView body);
  absl::Status HandleGlobalReply(bool success, ByteView data);
  // Where a server's CHANNEL_OPEN of `origin` goes, or why not: the queue
  // to append its id to.
  absl::StatusOr<std::deque<uint32_t>*> IncomingQueue(
      const IncomingOrigin& origin);
  // A WINDOW_ADJUST of `add` bytes (the caller keeps the total <= 2^32-1).
  absl::Status SendWindowAdjust(Channel& c, uint32_t add);
  // Sends one once half the window was consumed (read or dropped).
  void MaybeReopenWindow(Channel& c);
  absl::Status SendClose(Channel& c);
  void MaybeForget(Channel& c);

  transport::Transport* t_;
  bool enabled_ = false;
  std::map<uint32_t, std::unique_ptr<Channel>> channels_;
  uint32_t next_id_ = 0;
  // Our global requests awaiting replies, oldest first (token; 0 for one
  // whose reply is dropped), and the replies not yet taken.
  std::deque<uint64_t> global_pending_;
  std::map<uint64_t, GlobalReply> global_replies_;
  uint64_t next_token_ = 1;
  bool accept_agent_ = false;
  std::deque<uint32_t> new_agent_channels_;
  bool x11_requested_ = false;
  std::deque<uint32_t> x11_channels_;
  struct Forward {
    std::string address;
    uint32_t requested_port = 0;
    uint64_t reply_token = 0;  // 0 once answered
    absl::optional<absl::StatusOr<uint32_t>> result;
    size_t backlog = 0;
    std::deque<uint32_t> waiting;
  };
  std::map<uint64_t, Forward> forwards_;
};

}  // namespace parley::channel

#endif  // PARLEY_CORE_CHANNEL_CONNECTION_H_
