// Transport behaviour against a real OpenSSH 9.2 sshd: rekeying under load,
// strict KEX, host-key failures that must fail closed before any credential
// is sent, DISCONNECT reasons surfaced, and the non-blocking driver.
#include <poll.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/client/session.h"
#include "core/hostkeys/host_key_policy.h"
#include "core/net/tcp.h"
#include "core/session/engine.h"
#include "core/session/socket_driver.h"
#include "core/transport/messages.h"
#include "gtest/gtest.h"
#include "tests/common/known_hosts_check.h"
#include "tests/crypto/backend_fixture.h"
#include "tests/sshd/sshd_test_macros.h"

namespace parley::testing {
namespace {

SshdOptions AliceOptions() {
  SshdOptions options;
  options.users.push_back({"alice", "secret", {}, ""});
  return options;
}

client::SessionOptions Options(const SshdServer& server,
                               const std::string& backend,
                               const std::string& known_hosts) {
  client::SessionOptions options;
  options.provider = crypto::testing::MustLoad(backend);
  options.verify_host_key = KnownHostsCheck(
      options.provider, known_hosts, static_cast<uint16_t>(server.port()));
  options.timeout = std::chrono::seconds(60);
  return options;
}

class SshdTransportTest : public ::testing::TestWithParam<std::string> {};

// 64 MiB each way through `cat` with the server rekeying every megabyte:
// nothing lost, duplicated or reordered across dozens of key exchanges.
TEST_P(SshdTransportTest, RekeyUnderLoad) {
  SshdOptions so = AliceOptions();
  so.extra_config = {"RekeyLimit 1M"};
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  client::SessionOptions options =
      Options(server, GetParam(), server.known_hosts_path().string());
  options.algorithms.cipher = {"aes128-gcm@openssh.com"};
  options.rekey_bytes = 8 << 20;  // and our side every 8 MiB
  auto s = client::Session::Connect("127.0.0.1", server.port(), options);
  ASSERT_TRUE(s.ok()) << s.status();
  auto auth = (*s)->AuthPassword("alice", AsBytes("secret"));
  ASSERT_TRUE(auth.ok() && auth->kind == auth::AuthOutcome::kSuccess);
  Bytes input(64 << 20);
  uint32_t x = 12345;
  for (auto& b : input) {
    x = x * 1103515245u + 12345u;
    b = static_cast<uint8_t>(x >> 24);
  }
  auto r = (*s)->Exec("cat", input);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_status, 0u);
  ASSERT_EQ(r->stdout_data.size(), input.size());
  EXPECT_TRUE(r->stdout_data == input);
  // 128 MiB at a 1 MiB server limit: many re-exchanges.
  EXPECT_GT((*s)->transport().kex_count(), 50);
  EXPECT_TRUE((*s)->transport().negotiated().strict_kex);
}

// Strict KEX ("kex-strict-c/s-v00@openssh.com") is negotiated with
// OpenSSH 9.2, and turning it off on our side is honoured.
TEST_P(SshdTransportTest, StrictKexNegotiated) {
  SshdServer server(AliceOptions());
  PARLEY_START_SSHD_OR_SKIP(server);
  for (bool strict : {true, false}) {
    client::SessionOptions options =
        Options(server, GetParam(), server.known_hosts_path().string());
    options.strict_kex = strict;
    auto s = client::Session::Connect("127.0.0.1", server.port(), options);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ((*s)->transport().negotiated().strict_kex, strict);
    EXPECT_FALSE((*s)->transport().server_sig_algs().empty());
    auto auth = (*s)->AuthPassword("alice", AsBytes("secret"));
    ASSERT_TRUE(auth.ok() && auth->kind == auth::AuthOutcome::kSuccess);
    auto r = (*s)->Exec("true");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_status, 0u);
  }
}

// Waits until sshd (LogLevel DEBUG1) logged the key exchange and our
// disconnect, then checks that no authentication request ever reached it.
void ExpectNoUserauthRequest(const SshdServer& server) {
  // Proof that the log is live and covers this connection...
  EXPECT_TRUE(server.WaitForLog("kex: algorithm:").ok());
  EXPECT_TRUE(server.WaitForLog("Received disconnect from").ok())
      << server.LogTail();
  // ...and that nothing authentication-related came before the end.
  EXPECT_EQ(server.ReadLog().find("userauth-request"), std::string::npos)
      << server.LogTail();
}

// An unknown host fails closed (strict policy) naming the file; the server
// never sees an authentication attempt.
TEST_P(SshdTransportTest, UnknownHostFailsClosed) {
  SshdOptions so = AliceOptions();
  so.log_level = "DEBUG1";
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  const std::string empty = server.work_dir().string() + "/empty_known_hosts";
  std::ofstream(empty) << "";
  auto s = client::Session::Connect("127.0.0.1", server.port(),
                                    Options(server, GetParam(), empty));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(s.status().message().find("not known"), std::string::npos)
      << s.status();
  EXPECT_NE(s.status().message().find("SHA256:"), std::string::npos);
  EXPECT_EQ(KindOf(s.status()), ErrorKind::kHostKeyRejected);
  ExpectNoUserauthRequest(server);
}

// A changed host key fails closed with the known_hosts file and line.
TEST_P(SshdTransportTest, ChangedHostKeyFailsClosed) {
  SshdOptions so = AliceOptions();
  so.log_level = "DEBUG1";
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  SshdOptions other_options = AliceOptions();
  SshdServer other(other_options);
  PARLEY_START_SSHD_OR_SKIP(other);
  // The other server's keys, listed under this server's port.
  std::string lines = other.known_hosts();
  const std::string from = absl::StrCat("[127.0.0.1]:", other.port());
  const std::string to = absl::StrCat("[127.0.0.1]:", server.port());
  for (size_t pos; (pos = lines.find(from)) != std::string::npos;) {
    lines.replace(pos, from.size(), to);
  }
  const std::string path = server.work_dir().string() + "/wrong_known_hosts";
  std::ofstream(path) << "# comment\n" << lines;
  client::SessionOptions options = Options(server, GetParam(), path);
  options.algorithms.host_key = {"ssh-ed25519"};
  auto s = client::Session::Connect("127.0.0.1", server.port(), options);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(s.status().message().find("CHANGED"), std::string::npos)
      << s.status();
  EXPECT_NE(s.status().message().find(path + ":"), std::string::npos)
      << s.status();
  ExpectNoUserauthRequest(server);
}

// A DISCONNECT from the server reaches the caller with reason and text.
TEST_P(SshdTransportTest, DisconnectReasonSurfaced) {
  SshdOptions so = AliceOptions();
  so.extra_config = {"MaxAuthTries 2"};
  SshdServer server(so);
  PARLEY_START_SSHD_OR_SKIP(server);
  auto s = client::Session::Connect(
      "127.0.0.1", server.port(),
      Options(server, GetParam(), server.known_hosts_path().string()));
  ASSERT_TRUE(s.ok()) << s.status();
  absl::Status last;
  for (int i = 0; i < 4 && last.ok(); ++i) {
    last = (*s)->AuthPassword("alice", AsBytes("wrong")).status();
  }
  ASSERT_FALSE(last.ok());
  const auto& info = (*s)->transport().server_disconnect();
  ASSERT_TRUE(info.has_value()) << last;
  EXPECT_EQ(info->reason, transport::kDisconnectProtocolError);
  EXPECT_NE(info->description.find("Too many authentication failures"),
            std::string::npos)
      << info->description;
  EXPECT_NE(last.message().find("Too many authentication failures"),
            std::string::npos)
      << last;
}

// The non-blocking driver: a full handshake and login of the session
// engine driven by SocketDriver::Step() and poll() on the directions it
// asks for; the socket really would block (recv returned EAGAIN).
TEST_P(SshdTransportTest, NonBlockingDriver) {
  SshdServer server(AliceOptions());
  PARLEY_START_SSHD_OR_SKIP(server);
  auto provider = crypto::testing::MustLoad(GetParam());
  const uint16_t port = static_cast<uint16_t>(server.port());
  session::EngineOptions eo;
  eo.provider = provider;
  eo.host = "127.0.0.1";
  eo.port = port;
  eo.check_host_key = session::SyncHostKeyCheck(
      KnownHostsCheck(provider, server.known_hosts_path().string(), port));
  session::Engine engine(eo);
  ASSERT_TRUE(engine.Start(Clock::now()).ok());
  auto fd = net::ConnectTcp("127.0.0.1", port, std::chrono::seconds(5));
  ASSERT_TRUE(fd.ok()) << fd.status();
  session::SocketDriver driver(*fd, &engine);
  bool started_auth = false;
  absl::optional<absl::StatusOr<auth::AuthOutcome>> result;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!result.has_value() && Clock::now() < deadline) {
    ASSERT_TRUE(driver.Step().ok()) << engine.error();
    if (engine.established() && !started_auth) {
      ASSERT_TRUE(engine
                      .AuthPassword("alice", ToSecureBuffer(AsBytes("secret")),
                                    Clock::now())
                      .ok());
      started_auth = true;
      continue;
    }
    if (engine.auth_done()) {
      result = engine.TakeAuthResult();
      break;
    }
    pollfd pfd{*fd, 0, 0};
    if (driver.wait_directions() & session::kWaitRead) pfd.events |= POLLIN;
    if (driver.wait_directions() & session::kWaitWrite) pfd.events |= POLLOUT;
    ASSERT_NE(pfd.events, 0);
    poll(&pfd, 1, 1000);
  }
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->ok()) << result->status();
  EXPECT_EQ((*result)->kind, auth::AuthOutcome::kSuccess);
  EXPECT_TRUE(engine.authenticated());
  EXPECT_GT(driver.would_block_reads(), 0u);
  close(*fd);
}

INSTANTIATE_TEST_SUITE_P(Backends, SshdTransportTest,
                         ::testing::Values("openssl", "cryptopp"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::testing
