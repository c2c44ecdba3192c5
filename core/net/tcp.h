// TCP connections for SSH sessions: name resolution (IPv4 and IPv6, no
// resolver query for numeric addresses) and connect, blocking with a
// timeout or non-blocking for event loops. Sockets are non-blocking,
// close-on-exec, with TCP_NODELAY.
//
// Errors carry ErrorKind::kConnectFailed (with errno where there is one).
#ifndef PARLEY_CORE_NET_TCP_H_
#define PARLEY_CORE_NET_TCP_H_

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace parley::net {

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = 0;
};

// The addresses of `host` ("example.org", "192.0.2.1", "2001:db8::1" or
// "[2001:db8::1]") for `port`, in the resolver's order.
absl::StatusOr<std::vector<Address>> Resolve(const std::string& host,
                                             uint16_t port);

// Connects to the first address that answers within `timeout`; returns the
// connected, non-blocking socket (the caller owns it).
absl::StatusOr<int> ConnectTcp(const std::string& host, uint16_t port,
                               std::chrono::milliseconds timeout);

// Starts a non-blocking connect to `address`: the socket, connected or in
// progress (wait until writable, then FinishConnect()).
absl::StatusOr<int> StartConnect(const Address& address, bool* in_progress);
// After the socket became writable: OK if the connection succeeded.
absl::Status FinishConnect(int fd);

// The numeric address ("192.0.2.1", "2001:db8::1") and port of the peer of
// connected socket `fd` (for a session given only a socket); kUnavailable
// for a socket that is not an IP connection.
absl::StatusOr<std::pair<std::string, uint16_t>> PeerAddress(int fd);

}  // namespace parley::net

#endif  // PARLEY_CORE_NET_TCP_H_
