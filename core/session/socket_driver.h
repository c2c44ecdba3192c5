// Runs a session engine over a non-blocking socket: the only place where
// engine bytes meet a file descriptor, and the one wait loop that blocking
// APIs share.
//
// - Step() does the I/O possible right now and lets the engine advance
//   (the libssh2 EAGAIN model: afterwards, wait_directions() says what the
//   socket must become ready for before progress can be made).
// - RunUntil() blocks in poll() -- on the socket, the engine's wake
//   descriptor and its deadlines -- until a condition holds or a deadline
//   passes. The blocking C++ session and the libssh2 C API both use it.
//
// Socket errors become engine errors with ErrorKind::kSendFailed or
// kRecvFailed and the errno; the peer closing the connection becomes
// kConnectionClosed, reported by the Step() after the one that delivered
// the last bytes (so the caller sees an exit status or a DISCONNECT first).
#ifndef PARLEY_CORE_SESSION_SOCKET_DRIVER_H_
#define PARLEY_CORE_SESSION_SOCKET_DRIVER_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/types/optional.h"
#include "core/base/clock.h"
#include "core/session/engine.h"

namespace parley::session {

// The calls that move bytes, replaceable by an application (libssh2's
// LIBSSH2_CALLBACK_SEND / _RECV): each returns the bytes moved, 0 for the
// peer's end of stream (receive), or -errno (-EAGAIN when it would
// block). Unset: send(2) with MSG_NOSIGNAL and recv(2). The driver still
// waits on the descriptor with poll().
struct SocketIo {
  std::function<ssize_t(int fd, const uint8_t* data, size_t size)> send;
  std::function<ssize_t(int fd, uint8_t* buf, size_t size)> recv;
};

// Socket directions (bit set), as libssh2_session_block_directions().
enum WaitFor : int { kWaitNone = 0, kWaitRead = 1, kWaitWrite = 2 };

class SocketDriver {
 public:
  // `fd` must be non-blocking; neither it nor the engine is owned.
  SocketDriver(int fd, Engine* engine) : fd_(fd), engine_(engine) {}

  int fd() const { return fd_; }
  Engine& engine() { return *engine_; }
  void set_io(SocketIo io) { io_ = std::move(io); }

  // Moves bytes both ways without blocking and lets the engine advance
  // (repeating while it has work it can do at once). Returns the engine's
  // error once it failed.
  absl::Status Step();
  // What to wait for before the next Step() can progress.
  int wait_directions() const { return wait_; }

  // Steps, blocking in poll(), until `done()` returns true (OK), the engine
  // fails (its error), or `deadline` passes (kDeadlineExceeded with
  // ErrorKind::kDeadline; the engine is not failed, so the operation can be
  // resumed). `done()` is checked before the engine's error: a result that
  // arrived just before the connection closed still counts.
  absl::Status RunUntil(const std::function<bool()>& done,
                        absl::optional<TimePoint> deadline);
  // Writes queued output (blocking until the deadline).
  absl::Status Flush(TimePoint deadline);

  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_written() const { return bytes_written_; }
  // How often the socket really would have blocked (recv or send returned
  // EAGAIN): for tests and statistics.
  uint64_t would_block_reads() const { return would_block_reads_; }
  uint64_t would_block_writes() const { return would_block_writes_; }

 private:
  void Write();
  void Read(TimePoint now);
  // The one place that blocks: poll() on the socket for `directions`, the
  // engine's wake descriptor (`with_wake`), until `until`.
  absl::Status Wait(int directions, bool with_wake,
                    absl::optional<TimePoint> until);

  // One send or recv through io_ or the system; -1 with errno set on error.
  ssize_t SendSome(const uint8_t* data, size_t size);
  ssize_t RecvSome(uint8_t* buf, size_t size);

  int fd_;
  Engine* engine_;
  SocketIo io_;
  int wait_ = kWaitNone;
  bool eof_ = false;
  bool eof_reported_ = false;
  bool write_blocked_ = false;
  uint64_t bytes_read_ = 0;
  uint64_t bytes_written_ = 0;
  uint64_t would_block_reads_ = 0;
  uint64_t would_block_writes_ = 0;
};

}  // namespace parley::session

#endif  // PARLEY_CORE_SESSION_SOCKET_DRIVER_H_
