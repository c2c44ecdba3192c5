// Fault injection through whole libssh2-API sessions against the test
// server: allocation failure at every allocation of a login and command in
// turn, both as std::bad_alloc from operator new and as NULL from the
// allocation hooks given to libssh2_session_init_ex; the connection reset
// in each phase; a server that moves one byte per send(). Every case must end
// in a clean error (or, where the failure was absorbed, a clean success), free
// the session without a leak, and never crash or hang.
#include <libssh2.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/transport/messages.h"
#include "core/wire/reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/hostile/hostile_server.h"
#include "tests/hostile/libssh2_client.h"
#include "tests/session/engine_harness.h"

namespace parley::hostile {
namespace {

namespace st = session::testing;

// Logs in (one keyboard-interactive round) and runs a command.
void GoodServer(ServerConnection& c) {
  if (c.Handshake() && c.Login(kPassword)) c.ServeCommand("hello");
}

ClientOptions Session() {
  ClientOptions o;
  o.exec = "true";
  o.timeout_ms = 5000;
  return o;
}

bool Succeeded(const Outcome& out) {
  return out.handshake_rc == 0 && out.auth_rc == 0 && out.channel_rc == 0 &&
         out.output == "hello";
}

class FaultsTest : public ::testing::Test {
 protected:
  // A clean run: how many allocations a session makes. Run twice so that
  // one-time initialisation (backend module, static tables) is done.
  static Outcome Baseline() {
    Outcome out;
    for (int i = 0; i < 2; ++i) {
      HostileServer server(GoodServer);
      out = RunClient(server.port(), Session());
    }
    EXPECT_TRUE(Succeeded(out)) << out.error;
    EXPECT_EQ(out.live_after, 0);
    return out;
  }

  // Checks one faulted run's outcome.
  static void ExpectClean(const Outcome& out, size_t nth) {
    SCOPED_TRACE(testing::Message() << "failing allocation " << nth);
    // Either some call reported the failure, or the failure was absorbed
    // and the whole session still worked.
    const bool failed =
        out.handshake_rc != 0 || out.auth_rc != 0 || out.channel_rc != 0;
    if (!failed) {
      EXPECT_EQ(out.output, "hello");
    } else {
      EXPECT_FALSE(out.error.empty());
    }
    EXPECT_EQ(out.live_after, 0) << "bytes leaked";
    // A failure ends the session at once (it is broken, nothing more is
    // sent): never a wait for the 5 s timeout.
    EXPECT_LT(out.took, std::chrono::milliseconds(2000))
        << out.handshake_rc << "/" << out.auth_rc << "/" << out.channel_rc
        << " " << out.error;
  }
};

TEST_F(FaultsTest, EveryOperatorNewFailure) {
  const Outcome base = Baseline();
  ASSERT_GT(base.allocations, 100u);
  size_t failed = 0, runs = 0;
  for (size_t nth = 1; nth <= base.allocations; ++nth) {
    HostileServer server(GoodServer);
    ClientOptions o = Session();
    o.fail_allocation = nth;
    const Outcome out = RunClient(server.port(), o);
    ExpectClean(out, nth);
    ++runs;
    if (!Succeeded(out)) ++failed;
    if (HasFailure()) break;
  }
  // Almost every allocation matters: most failures must surface.
  EXPECT_GT(failed, runs / 2);
  std::printf(
      "%zu allocations per session; %zu failures injected, %zu "
      "surfaced as errors\n",
      base.allocations, runs, failed);
}

TEST_F(FaultsTest, EveryHookAllocationFailure) {
  const Outcome base = Baseline();
  ASSERT_GT(base.hook_allocations, 0u);
  for (size_t nth = 1; nth <= base.hook_allocations; ++nth) {
    HostileServer server(GoodServer);
    ClientOptions o = Session();
    o.fail_hook_allocation = nth;
    const Outcome out = RunClient(server.port(), o);
    ExpectClean(out, nth);
    // Every hook allocation is something the program asked for: it fails
    // the session, or (parley_session_crypto_backend's copy of the name,
    // which the client only records) returns NULL.
    EXPECT_TRUE(!Succeeded(out) || out.backend.empty())
        << "hook allocation " << nth;
    if (HasFailure()) break;
  }
  std::printf("%zu hook allocations per session, each failed once\n",
              base.hook_allocations);
}

// The connection is reset (TCP RST) at each point of a session.
class ResetTest : public ::testing::TestWithParam<int> {};

TEST_P(ResetTest, CleanErrorNoLeak) {
  const int phase = GetParam();
  HostileServer server([phase](ServerConnection& c) {
    if (phase == 0) {  // mid key exchange: after the client's KEXINIT
      if (c.HandshakeUntil(transport::testing::Stage::kBeforeKexReply)) {
        c.Reset();
      }
      return;
    }
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    if (phase == 1) {  // mid-auth: the request read, no answer
      c.Reset();
      return;
    }
    if (!c.AskPassword() || !c.Send(st::UserauthSuccess())) return;
    if (!c.Read()) return;  // the channel open
    c.Reset();              // mid-channel
  });
  // Let the first run do one-time initialisation.
  static const bool warm = [] {
    HostileServer s(GoodServer);
    RunClient(s.port(), Session());
    return true;
  }();
  (void)warm;
  const Outcome out = RunClient(server.port(), Session());
  const int rc = phase == 0   ? out.handshake_rc
                 : phase == 1 ? out.auth_rc
                              : out.channel_rc;
  EXPECT_THAT(
      rc, ::testing::AnyOf(LIBSSH2_ERROR_SOCKET_RECV, LIBSSH2_ERROR_SOCKET_SEND,
                           LIBSSH2_ERROR_SOCKET_DISCONNECT))
      << out.error;
  EXPECT_EQ(out.rounds, phase >= 2 ? 1 : 0);
  EXPECT_EQ(out.live_after, 0);
  EXPECT_LT(out.took, std::chrono::milliseconds(2000));
}

std::string PhaseName(const ::testing::TestParamInfo<int>& info) {
  return info.param == 0   ? "MidKex"
         : info.param == 1 ? "MidAuth"
                           : "MidChannel";
}

INSTANTIATE_TEST_SUITE_P(Phases, ResetTest, ::testing::Values(0, 1, 2),
                         PhaseName);

// Every byte of the server's side in its own send(): the client reads one
// byte, then meets EAGAIN, all through a whole session.
TEST(OneByteTest, WholeSessionOneBytePerRead) {
  HostileServer server([](ServerConnection& c) {
    c.set_one_byte_per_send(std::chrono::microseconds(50));
    GoodServer(c);
  });
  ClientOptions o = Session();
  o.timeout_ms = 20000;
  const Outcome out = RunClient(server.port(), o);
  EXPECT_TRUE(Succeeded(out)) << out.error;
  EXPECT_EQ(out.rounds, 1);
}

}  // namespace
}  // namespace parley::hostile
