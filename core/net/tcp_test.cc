// Resolving, connecting on loopback, and naming a socket's peer.
#include "core/net/tcp.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace parley::net {
namespace {

// A listening loopback socket; returns its port.
int Listen(uint16_t* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  EXPECT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

TEST(TcpTest, ConnectsAndNamesThePeer) {
  uint16_t port = 0;
  const int listener = Listen(&port);
  absl::StatusOr<int> fd =
      ConnectTcp("127.0.0.1", port, std::chrono::seconds(5));
  ASSERT_TRUE(fd.ok()) << fd.status();
  auto peer = PeerAddress(*fd);
  ASSERT_TRUE(peer.ok()) << peer.status();
  EXPECT_EQ(peer->first, "127.0.0.1");
  EXPECT_EQ(peer->second, port);
  ::close(*fd);
  ::close(listener);
}

TEST(TcpTest, APeerThatIsNotIpIsUnavailable) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  EXPECT_EQ(PeerAddress(sv[0]).status().code(), absl::StatusCode::kUnavailable);
  ::close(sv[0]);
  ::close(sv[1]);
  EXPECT_EQ(PeerAddress(-1).status().code(), absl::StatusCode::kUnavailable);
}

TEST(TcpTest, ResolvesNumericAddressesWithoutTheResolver) {
  auto v6 = Resolve("[::1]", 22);
  ASSERT_TRUE(v6.ok()) << v6.status();
  ASSERT_EQ(v6->size(), 1u);
  EXPECT_EQ((*v6)[0].family, AF_INET6);
  auto v4 = Resolve("192.0.2.1", 22);
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ((*v4)[0].family, AF_INET);
}

TEST(TcpTest, AClosedPortIsAConnectError) {
  uint16_t port = 0;
  const int listener = Listen(&port);
  ::close(listener);  // nobody listens there now
  absl::StatusOr<int> fd =
      ConnectTcp("127.0.0.1", port, std::chrono::seconds(5));
  EXPECT_FALSE(fd.ok());
}

}  // namespace
}  // namespace parley::net
