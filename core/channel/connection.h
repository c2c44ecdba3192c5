// The SSH connection protocol (RFC 4254) for a client: session channels
// (exec, shell, env, pty-req, data both ways with flow control, EOF, CLOSE,
// exit-status and exit-signal) and global requests, as an engine on a
// Transport. Several channels may be open on one session.
#ifndef PARLEY_CORE_CHANNEL_CONNECTION_H_
#define PARLEY_CORE_CHANNEL_CONNECTION_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

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

struct ExitSignal {
  std::string name;  // without "SIG"
  bool core_dumped = false;
  std::string message;
};

// Received channel data not yet read by the application: appended at the
// back, read from the front without moving the rest.
class ByteQueue {
 public:
  void Append(ByteView b) {
    if (start_ > 0 && start_ == data_.size()) {
      data_.clear();
      start_ = 0;
    }
    data_.insert(data_.end(), b.begin(), b.end());
  }
  size_t size() const { return data_.size() - start_; }
  bool empty() const { return size() == 0; }
  ByteView view() const { return ByteView(data_).subspan(start_); }
  void Consume(size_t n) {
    start_ += n < size() ? n : size();
    if (start_ == data_.size()) {
      data_.clear();
      start_ = 0;
    } else if (start_ > (1u << 20) && start_ > data_.size() / 2) {
      data_.erase(data_.begin(), data_.begin() + start_);
      start_ = 0;
    }
  }

 private:
  Bytes data_;
  size_t start_ = 0;
};

struct Channel {
  enum class State { kOpening, kOpen, kOpenFailed, kClosed };
  uint32_t local_id = 0;
  uint32_t remote_id = 0;
  State state = State::kOpening;
  std::string open_failure;  // reason when kOpenFailed
  uint64_t remote_window = 0;
  uint32_t remote_max_packet = 0;
  uint64_t local_window = kLocalWindow;  // what the server may still send
  uint64_t consumed = 0;  // delivered since our last WINDOW_ADJUST
  ByteQueue stdout_data;
  ByteQueue stderr_data;
  bool eof_received = false;
  bool eof_sent = false;
  bool close_received = false;
  bool close_sent = false;
  absl::optional<uint32_t> exit_status;
  absl::optional<ExitSignal> exit_signal;
  // Replies to our want-reply channel requests, in order: true = success.
  std::deque<bool> replies;
  int replies_pending = 0;
};

class Connection {
 public:
  explicit Connection(transport::Transport* t) : t_(t) {}

  // Sends CHANNEL_OPEN "session"; returns the local channel id.
  absl::StatusOr<uint32_t> OpenSession();
  // Channel requests with want_reply = true (answer via Channel::replies).
  absl::Status Exec(uint32_t id, absl::string_view command);
  absl::Status Shell(uint32_t id);
  absl::Status Subsystem(uint32_t id, absl::string_view name);
  absl::Status SetEnv(uint32_t id, absl::string_view name,
                      absl::string_view value);
  absl::Status RequestPty(uint32_t id, absl::string_view term, uint32_t cols,
                          uint32_t rows);
  // Sends as much of `data` as the server's window allows; returns the number
  // of bytes taken (0 when the window is closed: wait for WINDOW_ADJUST).
  absl::StatusOr<size_t> Write(uint32_t id, ByteView data, bool stderr_stream);
  absl::Status SendEof(uint32_t id);
  absl::Status Close(uint32_t id);
  // Takes up to `max` received bytes and re-opens our window as needed.
  size_t Read(uint32_t id, bool stderr_stream, uint8_t* out, size_t max);
  // Forgets a closed channel.
  void Free(uint32_t id);

  // Handles one connection-range message (80-127).
  absl::Status Handle(ByteView msg);
  static bool Owns(uint8_t msg_type) {
    return msg_type >= 80 && msg_type <= 127;
  }

  Channel* Find(uint32_t id);
  size_t open_channels() const { return channels_.size(); }

 private:
  absl::Status Request(uint32_t id, absl::string_view type, const Bytes& extra);
  absl::Status HandleChannelRequest(Channel& c, ByteView body);
  absl::StatusOr<Channel*> ForMessage(uint32_t id, const char* what);

  transport::Transport* t_;
  std::map<uint32_t, std::unique_ptr<Channel>> channels_;
  uint32_t next_id_ = 0;
};

}  // namespace parley::channel

#endif  // PARLEY_CORE_CHANNEL_CONNECTION_H_
