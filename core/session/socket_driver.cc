#include "core/session/socket_driver.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <algorithm>
#include <climits>

#include "absl/strings/str_cat.h"
#include "core/base/error.h"
#include "core/base/status_macros.h"

namespace parley::session {
namespace {

// Reads per Step(), so one busy session cannot starve the others of an
// event loop.
constexpr int kMaxReadsPerStep = 16;
constexpr size_t kReadChunk = 64 * 1024;

}  // namespace

ssize_t SocketDriver::SendSome(const uint8_t* data, size_t size) {
  if (!io_.send) return send(fd_, data, size, MSG_NOSIGNAL);
  const ssize_t n = io_.send(fd_, data, size);
  if (n >= 0) return n;
  errno = static_cast<int>(-n);
  return -1;
}

ssize_t SocketDriver::RecvSome(uint8_t* buf, size_t size) {
  if (!io_.recv) return recv(fd_, buf, size, 0);
  const ssize_t n = io_.recv(fd_, buf, size);
  if (n >= 0) return n;
  errno = static_cast<int>(-n);
  return -1;
}

void SocketDriver::Write() {
  write_blocked_ = false;
  while (engine_->has_output()) {
    const ByteView out = engine_->output();
    const ssize_t n = SendSome(out.data(), out.size());
    if (n > 0) {
      engine_->ConsumeOutput(static_cast<size_t>(n));
      bytes_written_ += static_cast<uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      ++would_block_writes_;
      write_blocked_ = true;
      return;
    }
    const int err = n < 0 ? errno : EPIPE;
    engine_->FailIo(Error(
        ErrorKind::kSendFailed,
        absl::UnavailableError(absl::StrCat("send failed: ", strerror(err))),
        err));
    return;
  }
}

void SocketDriver::Read(TimePoint now) {
  uint8_t buf[kReadChunk];
  for (int i = 0; i < kMaxReadsPerStep; ++i) {
    if (eof_ || (engine_->wants() & kWantRead) == 0) return;
    const ssize_t n = RecvSome(buf, sizeof(buf));
    if (n > 0) {
      bytes_read_ += static_cast<uint64_t>(n);
      if (!engine_->Feed(ByteView(buf, static_cast<size_t>(n)), now).ok()) {
        return;
      }
      if (static_cast<size_t>(n) < sizeof(buf)) return;
      continue;
    }
    if (n == 0) {
      // Reported on the next Step(), after the caller has looked at what
      // this one delivered.
      eof_ = true;
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      ++would_block_reads_;
      return;
    }
    const int err = errno;
    engine_->FailIo(Error(
        ErrorKind::kRecvFailed,
        absl::UnavailableError(absl::StrCat("recv failed: ", strerror(err))),
        err));
    return;
  }
}

absl::Status SocketDriver::Step() {
  TimePoint now = Clock::now();
  // Write first: queued output may be what the peer waits for.
  Write();
  if (eof_ && !eof_reported_) {
    eof_reported_ = true;
    engine_->FeedEof(now);
  }
  if (!engine_->closed()) {
    Read(now);
    // A fresh time for every Pump(): what ran meanwhile (a responder that
    // answered during Feed()) must count against its deadlines.
    now = Clock::now();
    (void)engine_->Pump(now);
    // Work the engine can do at once (answers to send after a responder
    // returned) runs with a fresh time, so deadlines see how long it took.
    for (int i = 0; i < 64 && (engine_->wants() & kWantPump) != 0; ++i) {
      now = Clock::now();
      (void)engine_->Pump(now);
    }
    Write();
  } else if (engine_->has_output()) {
    Write();  // a DISCONNECT, if the socket takes it
  }
  wait_ = kWaitNone;
  const unsigned wants = engine_->wants();
  if ((wants & kWantRead) != 0 && !eof_) wait_ |= kWaitRead;
  if (engine_->has_output() && write_blocked_) wait_ |= kWaitWrite;
  return engine_->error();
}

absl::Status SocketDriver::Wait(int directions, bool with_wake,
                                absl::optional<TimePoint> until) {
  int ms = -1;
  if (until.has_value()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          *until - Clock::now())
                          .count();
    // Rounded up, so that the time has passed when poll() returns.
    ms = static_cast<int>(
        std::max<int64_t>(0, std::min<int64_t>(left + 1, INT_MAX)));
  }
  pollfd fds[2] = {};
  fds[0].fd = fd_;
  if (directions & kWaitRead) fds[0].events |= POLLIN;
  if (directions & kWaitWrite) fds[0].events |= POLLOUT;
  nfds_t nfds = 1;
  if (with_wake) {
    const int wake_fd = engine_->wake_fd();
    if (wake_fd >= 0) {
      fds[1].fd = wake_fd;
      fds[1].events = POLLIN;
      nfds = 2;
    }
    if (engine_->wake_source().woken()) return absl::OkStatus();
  }
  if (poll(fds, nfds, ms) < 0 && errno != EINTR) {
    const int err = errno;
    return Error(ErrorKind::kRecvFailed,
                 absl::InternalError(absl::StrCat("poll: ", strerror(err))),
                 err);
  }
  return absl::OkStatus();
}

absl::Status SocketDriver::RunUntil(const std::function<bool()>& done,
                                    absl::optional<TimePoint> deadline) {
  while (true) {
    absl::Status s = Step();
    if (done()) {
      if (engine_->has_output() && !engine_->closed()) Write();
      return absl::OkStatus();
    }
    if (!s.ok()) return s;
    if (eof_ && !eof_reported_) continue;  // the next Step() reports it
    if ((engine_->wants() & kWantPump) != 0) continue;
    if (engine_->has_output() && !write_blocked_) continue;
    if (deadline.has_value() && Clock::now() >= *deadline) {
      return Error(
          ErrorKind::kDeadline,
          absl::DeadlineExceededError("timed out waiting for the server"));
    }
    absl::optional<TimePoint> wake_at = engine_->next_deadline();
    if (deadline.has_value() &&
        (!wake_at.has_value() || *deadline < *wake_at)) {
      wake_at = deadline;
    }
    PARLEY_RETURN_IF_ERROR(Wait(wait_, /*with_wake=*/true, wake_at));
  }
}

absl::Status SocketDriver::Flush(TimePoint deadline) {
  while (engine_->has_output()) {
    Write();
    if (!engine_->has_output()) break;
    if (!write_blocked_) return engine_->error();  // the send failed
    if (Clock::now() >= deadline) {
      return Error(ErrorKind::kDeadline,
                   absl::DeadlineExceededError("timed out sending"));
    }
    PARLEY_RETURN_IF_ERROR(Wait(kWaitWrite, /*with_wake=*/false, deadline));
  }
  return absl::OkStatus();
}

}  // namespace parley::session
