// A channel's byte stream relayed to a local descriptor: what ProxyJump
// and `ssh -W` do with a direct-tcpip channel. The descriptor is one end
// of a socketpair whose other end carries another session (a jump host's
// tunnel), or any stream socket. Non-blocking and bounded: Step() moves
// what the channel window and the descriptor take now, holding at most one
// chunk in each direction; end of file and close pass through both ways.
#ifndef PARLEY_CORE_SESSION_STREAM_RELAY_H_
#define PARLEY_CORE_SESSION_STREAM_RELAY_H_

#include <cstdint>

#include "core/base/bytes.h"
#include "core/channel/connection.h"

namespace parley::session {

class StreamRelay {
 public:
  // Takes ownership of `fd` (made non-blocking) for channel `id`.
  StreamRelay(uint32_t id, int fd);
  ~StreamRelay();
  StreamRelay(const StreamRelay&) = delete;
  StreamRelay& operator=(const StreamRelay&) = delete;

  // Moves bytes both ways; false once the relay is over (the channel
  // closed, or both directions ended): the caller then drops it, which
  // closes the descriptor and releases the channel.
  bool Step(channel::Connection& connection);

  int fd() const { return fd_; }
  uint32_t channel() const { return id_; }
  // What to wait for on fd(): readable (when the channel can take more),
  // writable (when bytes for it wait).
  bool wants_read() const;
  bool wants_write() const { return !to_fd_.empty(); }
  uint32_t* registered() { return &registered_; }  // for the event loop

 private:
  uint32_t id_;
  int fd_;
  uint32_t registered_ = 0;
  Bytes to_fd_;               // from the channel, not yet written to fd
  Bytes from_fd_;             // from fd, not yet taken by the channel
  bool fd_eof_ = false;       // fd said end of file
  bool eof_sent_ = false;     // CHANNEL_EOF sent for it
  bool fd_shut_ = false;      // the channel's EOF passed on (SHUT_WR)
  bool channel_open_ = true;  // the channel can still take data
};

}  // namespace parley::session

#endif  // PARLEY_CORE_SESSION_STREAM_RELAY_H_
