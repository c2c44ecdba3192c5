// Socket I/O for a Transport engine: TCP connect (IPv4 and IPv6) and the
// drivers that move bytes between a socket and the engine.
//
// - Blocking: RunUntil() polls until a condition holds or a deadline passes.
// - Non-blocking: Pump() does the I/O possible right now and reports which
//   direction to wait for (the libssh2 EAGAIN model); a caller that gets
//   "would block" polls for wants() and calls again.
#ifndef PARLEY_CORE_TRANSPORT_SOCKET_DRIVER_H_
#define PARLEY_CORE_TRANSPORT_SOCKET_DRIVER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/transport/transport.h"

namespace parley::transport {

using Clock = std::chrono::steady_clock;

// Resolves `host` (name or address, IPv4 or IPv6) and connects to the first
// address that answers within `timeout`. Returns a connected, non-blocking
// socket (the caller owns it).
absl::StatusOr<int> ConnectTcp(const std::string& host, uint16_t port,
                               std::chrono::milliseconds timeout);

// Directions to wait for (bit set), as libssh2_session_block_directions().
enum WaitFor : int { kWaitNone = 0, kWaitRead = 1, kWaitWrite = 2 };

class SocketDriver {
 public:
  // `fd` must be non-blocking; it is not owned.
  SocketDriver(int fd, Transport* transport) : fd_(fd), t_(transport) {}

  // Writes what the transport has queued and feeds it what the socket has,
  // without blocking. OK means progress may have been made; wants() tells
  // what to wait for before calling again. Errors: the transport's, or
  // kUnavailable when the peer closed the connection.
  absl::Status Pump();
  int wants() const { return wants_; }

  // Pumps, blocking in poll(), until `done()` returns true (OK), the
  // transport fails (its error), or `deadline` passes (kDeadlineExceeded).
  absl::Status RunUntil(const std::function<bool()>& done,
                        Clock::time_point deadline);
  // Flushes queued output (blocking until the deadline).
  absl::Status Flush(Clock::time_point deadline);

  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  int fd_;
  Transport* t_;
  int wants_ = kWaitNone;
  bool eof_ = false;
  uint64_t bytes_read_ = 0;
  uint64_t bytes_written_ = 0;
};

}  // namespace parley::transport

#endif  // PARLEY_CORE_TRANSPORT_SOCKET_DRIVER_H_
