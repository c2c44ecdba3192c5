#include "core/net/tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/clock.h"
#include "core/base/error.h"

namespace parley::net {
namespace {

absl::Status ConnectError(absl::string_view what, int err) {
  return Error(ErrorKind::kConnectFailed,
               absl::UnavailableError(absl::StrCat(what, ": ", strerror(err))),
               err);
}

int RemainingMs(TimePoint deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - Clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 60000 ? 60000 : static_cast<int>(left.count());
}

}  // namespace

absl::StatusOr<std::vector<Address>> Resolve(const std::string& host,
                                             uint16_t port) {
  std::string host_only = host;
  if (host_only.size() > 2 && host_only.front() == '[' &&
      host_only.back() == ']') {
    host_only = host_only.substr(1, host_only.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // A numeric address needs no resolver (AI_ADDRCONFIG would make glibc
  // query the kernel's interface list on every connection).
  in6_addr probe;
  const bool numeric = inet_pton(AF_INET, host_only.c_str(), &probe) == 1 ||
                       inet_pton(AF_INET6, host_only.c_str(), &probe) == 1;
  hints.ai_flags = numeric ? AI_NUMERICHOST : AI_ADDRCONFIG;
  const std::string service = std::to_string(port);
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host_only.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    return Error(ErrorKind::kConnectFailed,
                 absl::NotFoundError(absl::StrCat("cannot resolve ", host, ": ",
                                                  gai_strerror(rc))));
  }
  std::vector<Address> out;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    Address a;
    std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
    a.length = ai->ai_addrlen;
    a.family = ai->ai_family;
    out.push_back(a);
  }
  freeaddrinfo(res);
  if (out.empty()) {
    return Error(ErrorKind::kConnectFailed,
                 absl::NotFoundError(absl::StrCat("no address for ", host)));
  }
  return out;
}

absl::StatusOr<int> StartConnect(const Address& address, bool* in_progress) {
  *in_progress = false;
  const int fd = socket(
      address.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP);
  if (fd < 0) return ConnectError("socket", errno);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address.storage),
              address.length) == 0) {
    return fd;
  }
  if (errno == EINPROGRESS) {
    *in_progress = true;
    return fd;
  }
  const int err = errno;
  close(fd);
  return ConnectError("connect", err);
}

absl::Status FinishConnect(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) return ConnectError("connect", err);
  return absl::OkStatus();
}

absl::StatusOr<int> ConnectTcp(const std::string& host, uint16_t port,
                               std::chrono::milliseconds timeout) {
  absl::StatusOr<std::vector<Address>> addresses = Resolve(host, port);
  if (!addresses.ok()) return addresses.status();
  const TimePoint deadline = Clock::now() + timeout;
  std::string last_error = "no address";
  int last_errno = 0;
  for (const Address& a : *addresses) {
    bool in_progress = false;
    absl::StatusOr<int> fd = StartConnect(a, &in_progress);
    if (!fd.ok()) {
      last_error = std::string(fd.status().message());
      last_errno = static_cast<int>(ErrorDetailOf(fd.status()).value_or(0));
      continue;
    }
    if (!in_progress) return fd;
    pollfd pfd{*fd, POLLOUT, 0};
    int n;
    do {
      n = poll(&pfd, 1, RemainingMs(deadline));
    } while (n < 0 && errno == EINTR);
    if (n == 1) {
      absl::Status done = FinishConnect(*fd);
      if (done.ok()) return fd;
      last_error = std::string(done.message());
      last_errno = static_cast<int>(ErrorDetailOf(done).value_or(0));
    } else {
      last_error = n == 0 ? "timed out" : strerror(errno);
      last_errno = n == 0 ? ETIMEDOUT : errno;
    }
    close(*fd);
  }
  return Error(
      ErrorKind::kConnectFailed,
      absl::UnavailableError(absl::StrCat("cannot connect to ", host, " port ",
                                          port, ": ", last_error)),
      last_errno);
}

absl::StatusOr<std::pair<std::string, uint16_t>> PeerAddress(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return absl::UnavailableError(
        absl::StrCat("getpeername: ", std::strerror(errno)));
  }
  if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) {
    return absl::UnavailableError("not an IP connection");
  }
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  const int rc =
      ::getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof(host),
                    port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
  if (rc != 0) return absl::UnavailableError(::gai_strerror(rc));
  return std::make_pair(std::string(host),
                        static_cast<uint16_t>(std::atoi(port)));
}

}  // namespace parley::net
