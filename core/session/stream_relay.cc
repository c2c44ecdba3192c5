#include "core/session/stream_relay.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace parley::session {
namespace {

constexpr size_t kChunk = 32 * 1024;

}  // namespace

StreamRelay::StreamRelay(uint32_t id, int fd) : id_(id), fd_(fd) {
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags >= 0) (void)::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
}

StreamRelay::~StreamRelay() {
  if (fd_ >= 0) ::close(fd_);
}

bool StreamRelay::wants_read() const {
  return !fd_eof_ && channel_open_ && from_fd_.empty();
}

bool StreamRelay::Step(channel::Connection& connection) {
  const channel::Channel* c = connection.Find(id_);
  if (c == nullptr || c->state() == channel::Channel::State::kOpenFailed ||
      c->state() == channel::Channel::State::kClosed) {
    return false;
  }
  if (c->state() != channel::Channel::State::kOpen) return true;
  channel_open_ = !c->close_received() && !c->close_sent();
  // Channel -> descriptor.
  for (;;) {
    if (to_fd_.empty()) {
      to_fd_.resize(kChunk);
      const size_t n =
          connection.Read(id_, /*stderr_stream=*/false, to_fd_.data(), kChunk);
      to_fd_.resize(n);
      if (n == 0) break;
    }
    const ssize_t w = ::send(fd_, to_fd_.data(), to_fd_.size(), MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return false;  // the other side is gone
    }
    to_fd_.erase(to_fd_.begin(), to_fd_.begin() + w);
    if (!to_fd_.empty()) break;
  }
  (void)connection.Discard(id_, /*stderr_stream=*/true);
  if (to_fd_.empty() && c->eof_received() && !fd_shut_ &&
      c->readable(false) == 0) {
    ::shutdown(fd_, SHUT_WR);
    fd_shut_ = true;
  }
  // Descriptor -> channel.
  while (channel_open_ && !eof_sent_) {
    if (from_fd_.empty() && !fd_eof_) {
      from_fd_.resize(kChunk);
      const ssize_t r = ::recv(fd_, from_fd_.data(), kChunk, 0);
      if (r < 0) {
        from_fd_.clear();
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        fd_eof_ = true;  // an error ends the stream like end of file
      } else if (r == 0) {
        from_fd_.clear();
        fd_eof_ = true;
      } else {
        from_fd_.resize(static_cast<size_t>(r));
      }
    }
    if (!from_fd_.empty()) {
      absl::StatusOr<size_t> taken =
          connection.Write(id_, from_fd_, /*stderr_stream=*/false);
      if (!taken.ok()) return false;
      from_fd_.erase(from_fd_.begin(), from_fd_.begin() + *taken);
      if (!from_fd_.empty()) break;  // the window is full: wait
      continue;
    }
    if (fd_eof_) {
      if (!connection.SendEof(id_).ok()) return false;
      eof_sent_ = true;
    }
    break;
  }
  // Both directions over: close the channel.
  if (fd_shut_ && (eof_sent_ || !channel_open_)) {
    (void)connection.Close(id_);
    return false;
  }
  if (c->close_received() && to_fd_.empty()) return false;
  return true;
}

}  // namespace parley::session
