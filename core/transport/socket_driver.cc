#include "core/transport/socket_driver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace parley::transport {
namespace {

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - Clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 60000 ? 60000 : static_cast<int>(left.count());
}

}  // namespace

absl::StatusOr<int> ConnectTcp(const std::string& host, uint16_t port,
                               std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string host_only = host;
  if (host_only.size() > 2 && host_only.front() == '[' &&
      host_only.back() == ']') {
    host_only = host_only.substr(1, host_only.size() - 2);
  }
  // A numeric address needs no resolver (AI_ADDRCONFIG would make glibc
  // query the kernel's interface list on every connection).
  in6_addr probe;
  const bool numeric = inet_pton(AF_INET, host_only.c_str(), &probe) == 1 ||
                       inet_pton(AF_INET6, host_only.c_str(), &probe) == 1;
  hints.ai_flags = numeric ? AI_NUMERICHOST : AI_ADDRCONFIG;
  const std::string service = std::to_string(port);
  int rc = getaddrinfo(host_only.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    return absl::NotFoundError(
        absl::StrCat("cannot resolve ", host, ": ", gai_strerror(rc)));
  }
  const Clock::time_point deadline = Clock::now() + timeout;
  std::string last_error = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd =
        socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
               ai->ai_protocol);
    if (fd < 0) {
      last_error = strerror(errno);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      freeaddrinfo(res);
      return fd;
    }
    if (errno == EINPROGRESS) {
      pollfd pfd{fd, POLLOUT, 0};
      int n;
      do {
        n = poll(&pfd, 1, RemainingMs(deadline));
      } while (n < 0 && errno == EINTR);
      int err = 0;
      socklen_t len = sizeof(err);
      if (n == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
          err == 0) {
        freeaddrinfo(res);
        return fd;
      }
      last_error = n == 0 ? "timed out" : strerror(err != 0 ? err : errno);
    } else {
      last_error = strerror(errno);
    }
    close(fd);
  }
  freeaddrinfo(res);
  return absl::UnavailableError(absl::StrCat("cannot connect to ", host,
                                             " port ", port, ": ", last_error));
}

absl::Status SocketDriver::Pump() {
  wants_ = kWaitNone;
  // Write first: queued output may be what the peer waits for.
  while (t_->has_output()) {
    ByteView out = t_->output();
    ssize_t n = send(fd_, out.data(), out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      t_->ConsumeOutput(static_cast<size_t>(n));
      bytes_written_ += static_cast<uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      wants_ |= kWaitWrite;
      break;
    }
    return absl::UnavailableError(
        absl::StrCat("send failed: ", strerror(errno)));
  }
  if (t_->closed()) return t_->error();
  if (eof_) return absl::UnavailableError("connection closed by the server");
  uint8_t buf[64 * 1024];
  for (int i = 0; i < 16; ++i) {
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      bytes_read_ += static_cast<uint64_t>(n);
      absl::Status s = t_->Feed(ByteView(buf, static_cast<size_t>(n)));
      if (!s.ok()) {
        // Let a queued DISCONNECT go out before reporting.
        if (t_->has_output()) {
          ByteView out = t_->output();
          (void)send(fd_, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        return s;
      }
      if (static_cast<size_t>(n) < sizeof(buf)) break;
      continue;
    }
    if (n == 0) {
      // Report the close on the next call, after the caller has looked at
      // what this call delivered (an exit status, a DISCONNECT...).
      eof_ = true;
      return absl::OkStatus();
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wants_ |= kWaitRead;
      break;
    }
    return absl::UnavailableError(
        absl::StrCat("recv failed: ", strerror(errno)));
  }
  if (t_->has_output()) wants_ |= kWaitWrite;
  if (wants_ == kWaitNone) wants_ = kWaitRead;
  return absl::OkStatus();
}

absl::Status SocketDriver::RunUntil(const std::function<bool()>& done,
                                    Clock::time_point deadline) {
  while (true) {
    absl::Status s = Pump();
    if (!s.ok()) return s;
    if (done()) {
      // Leave nothing queued behind a finished step if it can go now.
      if (t_->has_output() && !eof_) (void)Pump();
      return absl::OkStatus();
    }
    if (eof_) continue;  // the next Pump() reports the close
    if (t_->has_output() && !(wants_ & kWaitWrite)) continue;
    const int ms = RemainingMs(deadline);
    if (ms == 0) {
      return absl::DeadlineExceededError("timed out waiting for the server");
    }
    pollfd pfd{fd_, 0, 0};
    if (wants_ & kWaitRead) pfd.events |= POLLIN;
    if (wants_ & kWaitWrite) pfd.events |= POLLOUT;
    int n = poll(&pfd, 1, ms);
    if (n < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", strerror(errno)));
    }
  }
}

absl::Status SocketDriver::Flush(Clock::time_point deadline) {
  return RunUntil([this] { return !t_->has_output(); }, deadline);
}

}  // namespace parley::transport
