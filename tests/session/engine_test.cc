// The session engine in memory, against FakeServer with a scripted upper
// layer: logins, asynchronous responders, signers and host-key decisions,
// deadlines on a fake clock, and hostile message sequences the old
// per-layer tests could not express (messages in the wrong state, EXT_INFO
// after authentication, a server CHANNEL_OPEN, window overflow, data after
// EOF, floods from a server that does not read, a stalled key exchange with
// a huge window).
#include "core/session/engine.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/auth/responder.h"
#include "core/auth/signer.h"
#include "core/base/error.h"
#include "core/crypto/ssh_keys.h"
#include "core/session/exec.h"
#include "core/session/stream_relay.h"
#include "core/transport/messages.h"
#include "core/wire/reader.h"
#include "core/wire/writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/session/engine_harness.h"

namespace parley::session::testing {
namespace {

using ::testing::HasSubstr;
using namespace ::parley::transport;  // NOLINT: message numbers

// Answers every prompt with "pw"; counts calls.
class CountingResponder : public auth::Responder {
 public:
  auth::ResponderStatus Respond(const auth::Challenge& c,
                                std::vector<SecureBuffer>* answers) override {
    ++calls;
    last = c;
    for (size_t i = 0; i < c.request.prompts.size(); ++i) {
      answers->push_back(ToSecureBuffer(AsBytes("pw")));
    }
    return auth::ResponderStatus::kAnswered;
  }
  int calls = 0;
  auth::Challenge last;
};

// Asks to be called later until told to answer; records aborts.
class LaterResponder : public auth::Responder {
 public:
  auth::ResponderStatus Respond(const auth::Challenge& c,
                                std::vector<SecureBuffer>* answers) override {
    ++calls;
    waker = c.waker;
    if (!ready) return auth::ResponderStatus::kRetryLater;
    for (size_t i = 0; i < c.request.prompts.size(); ++i) {
      answers->push_back(ToSecureBuffer(AsBytes("late")));
    }
    return auth::ResponderStatus::kAnswered;
  }
  void Abort() override { ++aborts; }
  int calls = 0;
  int aborts = 0;
  bool ready = false;
  Waker waker;
};

// Starts keyboard-interactive and answers the service request; returns
// after the client's USERAUTH_REQUEST was read.
void StartKbdInt(EngineHarness& h, auth::Responder* r,
                 auth::KbdIntOptions options = {}) {
  ASSERT_TRUE(
      h.engine().AuthKeyboardInteractive("alice", r, options, h.now()).ok());
  absl::optional<UserauthRequest> req = h.AcceptServiceAndReadRequest();
  ASSERT_TRUE(req.has_value());
  EXPECT_EQ(req->user, "alice");
  EXPECT_EQ(req->service, "ssh-connection");
  EXPECT_EQ(req->method, "keyboard-interactive");
}

Bytes PasswordRound() { return InfoRequest("", "", {{"Password: ", false}}); }

void ExpectFailedWith(EngineHarness& h, ErrorKind kind,
                      absl::string_view text) {
  EXPECT_TRUE(h.engine().closed());
  EXPECT_EQ(KindOf(h.engine().error()), kind) << h.engine().error();
  EXPECT_THAT(std::string(h.engine().error().message()), HasSubstr(text));
}

// The client told the server why it left.
void ExpectClientDisconnected(EngineHarness& h, uint32_t reason) {
  h.Pump();
  ASSERT_TRUE(h.server().client_disconnect().has_value());
  EXPECT_EQ(h.server().client_disconnect()->reason, reason);
}

// --- Logins ------------------------------------------------------------------

TEST(EngineTest, KeyboardInteractiveLogin) {
  EngineHarness h;
  h.Connect();
  ASSERT_TRUE(h.engine().established());
  CountingResponder r;
  StartKbdInt(h, &r);
  h.ServerSend(InfoRequest("Login", "Say the word", {{"Password: ", false}}));
  h.Pump();
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.last.request.name, "Login");
  EXPECT_EQ(r.last.round, 1);
  EXPECT_EQ(r.last.user, "alice");
  EXPECT_EQ(r.last.host, "fake.example");
  EXPECT_EQ(r.last.port, 2222);
  EXPECT_THAT(r.last.host_key_fingerprint, HasSubstr("SHA256:"));
  absl::optional<std::vector<std::string>> answers =
      ParseInfoResponse(h.NextClientMessage());
  ASSERT_TRUE(answers.has_value());
  EXPECT_EQ(*answers, std::vector<std::string>{"pw"});
  EXPECT_FALSE(h.engine().auth_done());
  h.ServerSend(UserauthSuccess());
  h.Pump();
  ASSERT_TRUE(h.engine().auth_done());
  absl::StatusOr<auth::AuthOutcome> o = h.engine().TakeAuthResult();
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->kind, auth::AuthOutcome::kSuccess);
  EXPECT_TRUE(h.engine().authenticated());
  EXPECT_TRUE(h.engine().connection().enabled());
}

TEST(EngineTest, PartialSuccessAndFailureAreOutcomes) {
  EngineHarness h;
  h.Connect();
  ASSERT_TRUE(h.engine()
                  .AuthPassword("alice", ToSecureBuffer(AsBytes("x")), h.now())
                  .ok());
  absl::optional<UserauthRequest> req = h.AcceptServiceAndReadRequest();
  ASSERT_TRUE(req.has_value());
  EXPECT_EQ(req->method, "password");
  h.ServerSend(UserauthFailure({"keyboard-interactive"}, /*partial=*/true));
  h.Pump();
  absl::StatusOr<auth::AuthOutcome> o = h.engine().TakeAuthResult();
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->kind, auth::AuthOutcome::kPartialSuccess);
  EXPECT_EQ(o->methods, std::vector<std::string>{"keyboard-interactive"});
  EXPECT_FALSE(h.engine().authenticated());
  // A second attempt on the same session.
  CountingResponder r;
  ASSERT_TRUE(
      h.engine().AuthKeyboardInteractive("alice", &r, {}, h.now()).ok());
  h.Pump();
  ASSERT_TRUE(ParseUserauthRequest(h.NextClientMessage()).has_value());
  h.ServerSend(UserauthFailure({"keyboard-interactive", "password"}));
  h.Pump();
  o = h.engine().TakeAuthResult();
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->kind, auth::AuthOutcome::kFailure);
  EXPECT_EQ(h.engine().methods_left().size(), 2u);
}

TEST(EngineTest, OneAttemptAtATime) {
  EngineHarness h;
  h.Connect();
  ASSERT_TRUE(h.engine().AuthNone("alice", h.now()).ok());
  absl::Status second = h.engine().AuthNone("alice", h.now());
  EXPECT_EQ(KindOf(second), ErrorKind::kBadUse);
  EXPECT_THAT(std::string(second.message()), HasSubstr("in progress"));
}

TEST(EngineTest, AuthenticationBeforeKeyExchangeIsBadUse) {
  EngineHarness h;
  ASSERT_TRUE(h.engine().Start(h.now()).ok());
  EXPECT_EQ(KindOf(h.engine().AuthNone("alice", h.now())), ErrorKind::kBadUse);
}

// --- Messages in the wrong state -------------------------------------------

TEST(EngineTest, UserauthSuccessWithNoRequestIsAProtocolError) {
  EngineHarness h;
  h.Connect();
  h.ServerSend(UserauthSuccess());  // nothing was asked
  h.Pump();
  ExpectFailedWith(h, ErrorKind::kProtocol, "unexpected USERAUTH_SUCCESS");
  EXPECT_FALSE(h.engine().authenticated());
  ExpectClientDisconnected(h, kDisconnectProtocolError);
}

TEST(EngineTest, InfoRequestWhenKeyboardInteractiveWasNotRequested) {
  EngineHarness h;
  h.Connect();
  ASSERT_TRUE(h.engine()
                  .AuthPassword("alice", ToSecureBuffer(AsBytes("x")), h.now())
                  .ok());
  ASSERT_TRUE(h.AcceptServiceAndReadRequest().has_value());
  // 60 during a password attempt is PASSWD_CHANGEREQ: a prompt and a
  // language tag; an INFO_REQUEST does not decode as one.
  h.ServerSend(PasswordRound());
  h.Pump();
  ExpectFailedWith(h, ErrorKind::kProtocol, "");
  ASSERT_TRUE(h.engine().auth_done());
  EXPECT_EQ(KindOf(h.engine().TakeAuthResult().status()), ErrorKind::kProtocol);
}

TEST(EngineTest, InfoRequestWithNoAttemptInFlight) {
  EngineHarness h;
  h.Connect();
  h.ServerSend(PasswordRound());
  h.Pump();
  ExpectFailedWith(h, ErrorKind::kProtocol, "message 60 while idle");
}

TEST(EngineTest, SecondInfoRequestBeforeTheFirstWasAnswered) {
  EngineHarness h;
  h.Connect();
  LaterResponder r;
  StartKbdInt(h, &r);
  h.ServerSend(PasswordRound());
  h.Pump();
  EXPECT_EQ(r.calls, 1);  // at work, answers later
  h.ServerSend(PasswordRound());
  h.Pump();
  ExpectFailedWith(h, ErrorKind::kProtocol, "before the previous one");
  EXPECT_EQ(r.aborts, 1);  // the responder at work was told
  EXPECT_TRUE(h.ClientMessages().empty());
}

TEST(EngineTest, UserauthFailureWithNoRequest) {
  EngineHarness h;
  h.Connect();
  h.ServerSend(UserauthFailure({"password"}));
  h.Pump();
  ExpectFailedWith(h, ErrorKind::kProtocol, "unexpected USERAUTH_FAILURE");
}

TEST(EngineTest, GlobalRequestBeforeAuthenticationIsAProtocolError) {
  EngineHarness h;
  h.Connect();
  h.ServerSend(GlobalRequest("keepalive@openssh.com", true));
  h.Pump();
  ExpectFailedWith(h, ErrorKind::kProtocol, "before authentication");
  ExpectClientDisconnected(h, kDisconnectProtocolError);
}

TEST(EngineTest, UserauthMessageAfterAuthenticationIsAProtocolError) {
  EngineHarness h;
  h.Connect();
  h.Authenticate();
  h.ServerSend(UserauthBanner("late banner"));
  h.Pump();
  ExpectFailedWith(h, ErrorKind::kProtocol, "after authentication");
}

TEST(EngineTest, GlobalRequestAfterAuthenticationIsRefusedPolitely) {
  EngineHarness h;
  h.Connect();
  h.Authenticate();
  h.ServerSend(GlobalRequest("hostkeys-00@openssh.com", false));
  h.ServerSend(GlobalRequest("keepalive@openssh.com", true));
  h.Pump();
  EXPECT_FALSE(h.engine().closed());
  const std::vector<Bytes> sent = h.ClientMessages();
  ASSERT_EQ(sent.size(), 1u);  // one reply, to the one that wanted it
  EXPECT_EQ(sent[0], Bytes{kMsgRequestFailure});
}

TEST(EngineTest, ExtInfoAgainAfterAuthentication) {
  EngineHarness h;
  h.Connect();
  h.Authenticate();
  h.ServerSend(ExtInfo("rsa-sha2-512"));
  h.Pump();
  ExpectFailedWith(h, ErrorKind::kProtocol, "EXT_INFO after authentication");
}

TEST(EngineTest, ExtInfoRightBeforeUserauthSuccessIsAccepted) {
  EngineHarness h;
  h.Connect();
  ASSERT_TRUE(h.engine().AuthNone("alice", h.now()).ok());
  ASSERT_TRUE(h.AcceptServiceAndReadRequest().has_value());
  h.ServerSend(ExtInfo("ssh-ed25519,rsa-sha2-256"));
  h.ServerSend(UserauthSuccess());
  h.Pump();
  EXPECT_FALSE(h.engine().closed()) << h.engine().error();
  EXPECT_TRUE(h.engine().authenticated());
  EXPECT_EQ(h.engine().transport().server_sig_algs().size(), 2u);
}

// ServerAliveInterval: silence after login brings keepalives; an answer
// (OpenSSH answers REQUEST_FAILURE) resets the count; a server that answers
// none of count_max fails the connection with kDeadline.
TEST(EngineTest, KeepalivesAfterSilenceAndAServerThatStopsAnswering) {
  EngineHarness::Options o;
  o.keepalive_interval = std::chrono::seconds(10);
  o.keepalive_count_max = 2;
  EngineHarness h(o);
  h.Connect();
  h.Authenticate();
  (void)h.ClientMessages();
  h.Advance(std::chrono::seconds(9));
  EXPECT_TRUE(h.ClientMessages().empty());
  ASSERT_TRUE(h.engine().next_deadline().has_value());
  h.Advance(std::chrono::seconds(2));
  std::vector<Bytes> sent = h.ClientMessages();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0][0], kMsgGlobalRequest);
  const std::string text(sent[0].begin(), sent[0].end());
  EXPECT_NE(text.find("keepalive@openssh.com"), std::string::npos);
  h.ServerSend(Bytes{kMsgRequestFailure});
  h.Pump();
  // Heard again: the next one comes a whole interval later.
  h.Advance(std::chrono::seconds(9));
  EXPECT_TRUE(h.ClientMessages().empty());
  // Silence: two unanswered keepalives, then the connection is dropped.
  h.Advance(std::chrono::seconds(2));
  EXPECT_EQ(h.ClientMessages().size(), 1u);
  h.Advance(std::chrono::seconds(10));
  EXPECT_EQ(h.ClientMessages().size(), 1u);
  EXPECT_FALSE(h.engine().closed());
  h.Advance(std::chrono::seconds(10));
  ExpectFailedWith(h, ErrorKind::kDeadline, "answered none of 2 keepalives");
}

// --- Channels
// ------------------------------------------------------------------

// Opens a session channel; the server's channel is 77 with `window`.
uint32_t OpenChannel(EngineHarness& h, uint32_t window = 1 << 20) {
  absl::StatusOr<uint32_t> id = h.engine().connection().OpenSession();
  EXPECT_TRUE(id.ok());
  h.Pump();
  const Bytes open = h.NextClientMessage();
  EXPECT_FALSE(open.empty());
  EXPECT_EQ(open.empty() ? 0 : open[0], kMsgChannelOpen);
  h.ServerSend(OpenConfirmation(*id, 77, window));
  h.Pump();
  EXPECT_TRUE(h.engine().connection().Find(*id)->open());
  return *id;
}

TEST(EngineTest, ChannelsOnlyAfterAuthentication) {
  EngineHarness h;
  h.Connect();
  EXPECT_EQ(KindOf(h.engine().connection().OpenSession().status()),
            ErrorKind::kBadUse);
}

// A server's CHANNEL_OPEN "forwarded-tcpip" (RFC 4254 section 7.2).
Bytes ForwardedTcpip(uint32_t sender, uint32_t port,
                     const std::string& address = "127.0.0.1") {
  Bytes m;
  wire::Writer w(&m);
  w.WriteU8(kMsgChannelOpen);
  w.WriteString(absl::string_view("forwarded-tcpip"));
  w.WriteU32(sender);
  w.WriteU32(65536);
  w.WriteU32(32768);
  w.WriteString(address);
  w.WriteU32(port);
  w.WriteString(absl::string_view("192.0.2.7"));
  w.WriteU32(50000);
  return m;
}

// The reason of an OPEN_FAILURE for `sender` (0 if the message is not one).
uint32_t OpenFailureReason(const Bytes& m, uint32_t sender) {
  if (m.empty() || m[0] != kMsgChannelOpenFailure) return 0;
  wire::Reader r(ByteView(m).subspan(1));
  uint32_t recipient = 0, reason = 0;
  if (!r.ReadU32(&recipient).ok() || !r.ReadU32(&reason).ok()) return 0;
  return recipient == sender ? reason : 0;
}

// A server CHANNEL_OPEN for nothing that was asked (a forward never
// requested, X11 never requested, an agent never forwarded, a type no
// client accepts) is refused with OPEN_FAILURE naming its own channel
// number; the session goes on.
TEST(EngineTest, ServerChannelOpenIsRefused) {
  EngineHarness h;
  h.Connect();
  h.Authenticate();
  const std::vector<Bytes> opens = {
      ServerChannelOpen("forwarded-tcpip", 0x12345678),
      ServerChannelOpen("x11", 0x12345678),
      ServerChannelOpen("auth-agent@openssh.com", 0x12345678),
      ServerChannelOpen("session", 0x12345678)};
  for (const Bytes& open : opens) {
    h.ServerSend(open);
    h.Pump();
    EXPECT_FALSE(h.engine().closed()) << h.engine().error();
    // 1: SSH_OPEN_ADMINISTRATIVELY_PROHIBITED.
    EXPECT_EQ(OpenFailureReason(h.NextClientMessage(), 0x12345678), 1u);
  }
  OpenChannel(h);  // still usable
  // A forwarded-tcpip open without its addresses breaks the protocol.
  Bytes truncated = ServerChannelOpen("forwarded-tcpip", 9);
  truncated.resize(truncated.size() - 8);
  h.ServerSend(truncated);
  h.Pump();
  EXPECT_TRUE(h.engine().closed());
}

// Remote forwarding: the tcpip-forward request, the port the server chose
// (port 0), connections queued up to the backlog and refused beyond it or
// for another port, the cancel (which closes what was not taken). Replies
// to global requests are matched in order, past an abandoned keepalive.
TEST(EngineTest, RemoteForwardGrantQueueAndCancel) {
  EngineHarness h;
  h.Connect();
  h.Authenticate();
  channel::Connection& conn = h.engine().connection();
  absl::StatusOr<uint64_t> keepalive =
      conn.SendGlobalRequest("keepalive@openssh.com", true);
  ASSERT_TRUE(keepalive.ok());
  conn.AbandonGlobalReply(*keepalive);
  absl::StatusOr<uint64_t> fwd = conn.RequestForward("127.0.0.1", 0, 2);
  ASSERT_TRUE(fwd.ok()) << fwd.status();
  absl::StatusOr<uint64_t> refused = conn.RequestForward("127.0.0.1", 22, 2);
  ASSERT_TRUE(refused.ok());
  h.Pump();
  std::vector<Bytes> sent = h.ClientMessages();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[1][0], kMsgGlobalRequest);
  EXPECT_NE(std::string(sent[1].begin(), sent[1].end()).find("tcpip-forward"),
            std::string::npos);
  EXPECT_FALSE(conn.ForwardResult(*fwd).has_value());
  h.ServerSend(Bytes{kMsgRequestFailure});  // the keepalive's
  Bytes grant{kMsgRequestSuccess};
  wire::Writer(&grant).WriteU32(5555);
  h.ServerSend(grant);
  h.ServerSend(Bytes{kMsgRequestFailure});
  h.Pump();
  ASSERT_TRUE(conn.ForwardResult(*fwd).has_value());
  ASSERT_TRUE(conn.ForwardResult(*fwd)->ok());
  EXPECT_EQ(**conn.ForwardResult(*fwd), 5555u);
  ASSERT_TRUE(conn.ForwardResult(*refused).has_value());
  EXPECT_EQ(KindOf(conn.ForwardResult(*refused)->status()),
            ErrorKind::kRefused);

  // Two wait, the third is refused (4: SSH_OPEN_RESOURCE_SHORTAGE), and
  // another port is not ours.
  for (uint32_t sender : {101u, 102u, 103u}) {
    h.ServerSend(ForwardedTcpip(sender, 5555));
  }
  h.ServerSend(ForwardedTcpip(104, 6666));
  h.Pump();
  sent = h.ClientMessages();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[0][0], kMsgChannelOpenConfirmation);
  EXPECT_EQ(sent[1][0], kMsgChannelOpenConfirmation);
  EXPECT_EQ(OpenFailureReason(sent[2], 103), 4u);
  EXPECT_EQ(OpenFailureReason(sent[3], 104), 1u);
  EXPECT_EQ(conn.ForwardWaiting(*fwd), 2u);
  absl::optional<uint32_t> first = conn.TakeForwarded(*fwd);
  ASSERT_TRUE(first.has_value());
  const channel::Channel* c = conn.Find(*first);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->open());
  EXPECT_EQ(c->origin().kind, channel::Incoming::kForwardedTcpip);
  EXPECT_EQ(c->origin().port, 5555u);
  EXPECT_EQ(c->origin().originator, "192.0.2.7");
  EXPECT_EQ(c->origin().originator_port, 50000u);

  // Cancelled: cancel-tcpip-forward for the granted port, and the channel
  // still waiting is closed.
  ASSERT_TRUE(conn.CancelForward(*fwd).ok());
  h.Pump();
  sent = h.ClientMessages();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0][0], kMsgChannelClose);
  EXPECT_EQ(sent[1][0], kMsgGlobalRequest);
  const std::string cancel(sent[1].begin(), sent[1].end());
  EXPECT_NE(cancel.find("cancel-tcpip-forward"), std::string::npos);
  EXPECT_NE(cancel.find(std::string("\0\0\x15\xb3", 4)), std::string::npos);
  EXPECT_FALSE(conn.ForwardResult(*fwd)->ok());  // forgotten
  h.ServerSend(ForwardedTcpip(105, 5555));
  h.Pump();
  EXPECT_EQ(OpenFailureReason(h.NextClientMessage(), 105), 1u);
  EXPECT_FALSE(h.engine().closed());
}

// A grant for port 0 must name the port: one without breaks the protocol.
TEST(EngineTest, RemoteForwardGrantWithoutPortFails) {
  EngineHarness h;
  h.Connect();
  h.Authenticate();
  ASSERT_TRUE(h.engine().connection().RequestForward("", 0, 1).ok());
  h.Pump();
  (void)h.ClientMessages();
  h.ServerSend(Bytes{kMsgRequestSuccess});
  h.Pump();
  EXPECT_TRUE(h.engine().closed());
}

// X11: after x11-req, the server's "x11" channels are confirmed and handed
// out with their originator.
TEST(EngineTest, X11ChannelsAfterTheRequest) {
  EngineHarness h;
  h.Connect();
  h.Authenticate();
  channel::Connection& conn = h.engine().connection();
  const uint32_t id = OpenChannel(h);
  ASSERT_TRUE(
      conn.RequestX11(id, false, "MIT-MAGIC-COOKIE-1", "00112233", 0).ok());
  h.Pump();
  const Bytes req = h.NextClientMessage();
  ASSERT_FALSE(req.empty());
  EXPECT_EQ(req[0], kMsgChannelRequest);
  EXPECT_NE(std::string(req.begin(), req.end()).find("x11-req"),
            std::string::npos);
  h.ServerSend(ServerChannelOpen("x11", 88));
  h.Pump();
  const Bytes confirm = h.NextClientMessage();
  ASSERT_FALSE(confirm.empty());
  EXPECT_EQ(confirm[0], kMsgChannelOpenConfirmation);
  std::vector<uint32_t> x11 = conn.TakeX11Channels();
  ASSERT_EQ(x11.size(), 1u);
  const channel::Channel* c = conn.Find(x11[0]);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->origin().kind, channel::Incoming::kX11);
  EXPECT_EQ(c->origin().originator, "127.0.0.1");
  EXPECT_EQ(c->origin().originator_port, 4242u);
  EXPECT_TRUE(conn.TakeX11Channels().empty());
}

// Agent forwarding: once asked for, the server's auth-agent@openssh.com
// channel is confirmed and its requests relayed to the local agent; an
// agent that cannot be reached answers SSH_AGENT_FAILURE (on a worker
// thread, which wakes the engine); a request longer than 256 KiB ends the
// channel.
// A direct-tcpip channel (what ProxyJump uses) relayed to a socketpair:
// bytes both ways, end of file both ways, and the close.
TEST(EngineTest, DirectTcpipChannelRelaysAStream) {
  EngineHarness h;
  h.Connect();
  h.Authenticate();
  channel::Connection& conn = h.engine().connection();
  EXPECT_EQ(
      conn.OpenDirectTcpip("db.internal", 0, "127.0.0.1", 0).status().code(),
      absl::StatusCode::kInvalidArgument);
  absl::StatusOr<uint32_t> id =
      conn.OpenDirectTcpip("db.internal", 5432, "127.0.0.1", 0);
  ASSERT_TRUE(id.ok()) << id.status();
  h.Pump();
  const Bytes open = h.NextClientMessage();
  ASSERT_FALSE(open.empty());
  EXPECT_EQ(open[0], kMsgChannelOpen);
  const std::string open_text(open.begin(), open.end());
  EXPECT_NE(open_text.find("direct-tcpip"), std::string::npos);
  EXPECT_NE(open_text.find("db.internal"), std::string::npos);
  h.ServerSend(OpenConfirmation(*id, 77, 1 << 20));
  h.Pump();
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
  StreamRelay relay(*id, pair[0]);
  // Server to descriptor.
  h.ServerSend(ChannelData(*id, "from the server"));
  h.Pump();
  EXPECT_TRUE(relay.Step(conn));
  char buf[64];
  ssize_t n = read(pair[1], buf, sizeof(buf));
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "from the server");
  // Descriptor to server.
  ASSERT_EQ(write(pair[1], "to the server", 13), 13);
  EXPECT_TRUE(relay.Step(conn));
  h.Pump();
  Bytes data = h.NextClientMessage();
  ASSERT_FALSE(data.empty());
  EXPECT_EQ(data[0], kMsgChannelData);
  EXPECT_NE(std::string(data.begin(), data.end()).find("to the server"),
            std::string::npos);
  // End of file from the descriptor: CHANNEL_EOF.
  ASSERT_EQ(shutdown(pair[1], SHUT_WR), 0);
  EXPECT_TRUE(relay.Step(conn));
  h.Pump();
  Bytes eof = h.NextClientMessage();
  ASSERT_FALSE(eof.empty());
  EXPECT_EQ(eof[0], kMsgChannelEof);
  // The server's EOF reaches the descriptor; with both ends done the relay
  // closes the channel.
  h.ServerSend(ChannelEof(*id));
  h.Pump();
  EXPECT_FALSE(relay.Step(conn));
  h.Pump();
  Bytes closed = h.NextClientMessage();
  ASSERT_FALSE(closed.empty());
  EXPECT_EQ(closed[0], kMsgChannelClose);
  EXPECT_EQ(read(pair[1], buf, sizeof(buf)), 0);
  ::close(pair[1]);
}

TEST(EngineTest, ForwardedAgentChannelsAreRelayed) {
  EngineHarness h;
  h.Connect();
  h.Authenticate();
  h.engine().EnableAgentForwarding("/nonexistent/parley-agent.sock");
  h.ServerSend(ServerChannelOpen("auth-agent@openssh.com", 77));
  h.Pump();
  const Bytes confirm = h.NextClientMessage();
  ASSERT_FALSE(confirm.empty());
  ASSERT_EQ(confirm[0], kMsgChannelOpenConfirmation);
  wire::Reader r(ByteView(confirm).subspan(1));
  uint32_t recipient = 0, local = 0;
  ASSERT_TRUE(r.ReadU32(&recipient).ok());
  ASSERT_TRUE(r.ReadU32(&local).ok());
  EXPECT_EQ(recipient, 77u);
  // SSH_AGENTC_REQUEST_IDENTITIES, in two pieces.
  h.ServerSend(ChannelData(local, std::string("\0\0\0", 3)));
  h.ServerSend(ChannelData(local, std::string("\x01\x0b", 2)));
  h.Pump();
  EXPECT_NE(h.engine().wants() & kWantAgent, 0u);
  Bytes answer;
  for (int i = 0; i < 500 && answer.empty(); ++i) {
    pollfd p = {h.engine().wake_fd(), POLLIN, 0};
    ::poll(&p, 1, 10);
    h.Pump();
    for (const Bytes& m : h.ClientMessages()) {
      if (!m.empty() && m[0] == kMsgChannelData) answer = m;
    }
  }
  ASSERT_FALSE(answer.empty());
  wire::Reader data(ByteView(answer).subspan(1));
  uint32_t to = 0;
  absl::string_view payload;
  ASSERT_TRUE(data.ReadU32(&to).ok());
  ASSERT_TRUE(data.ReadString(&payload).ok());
  EXPECT_EQ(to, 77u);
  EXPECT_EQ(payload, std::string("\0\0\0\x01\x05", 5));  // FAILURE
  EXPECT_EQ(h.engine().wants() & kWantAgent, 0u);
  // Not an agent conversation: the channel is closed.
  h.ServerSend(ChannelData(local, std::string("\x7f\xff\xff\xff", 4)));
  h.Pump();
  bool closed = false;
  for (const Bytes& m : h.ClientMessages()) {
    closed |= !m.empty() && m[0] == kMsgChannelClose;
  }
  EXPECT_TRUE(closed);
  EXPECT_FALSE(h.engine().closed()) << h.engine().error();
}

TEST(EngineTest, WindowAdjustPastTwoToThe32IsAProtocolError) {
  EngineHarness h;
  h.Connect();
  h.Authenticate();
  const uint32_t id = OpenChannel(h, 0xfffffff0u);
  h.ServerSend(WindowAdjust(id, 0x100));
  h.Pump();
  ExpectFailedWith(h, ErrorKind::kProtocol, "2^32");
}

TEST(EngineTest, DataBeyondTheWindowIsAProtocolError) {
  EngineHarness h;
  h.Connect();
  h.Authenticate();
  const uint32_t id = OpenChannel(h);
  // Our window is 8 MiB: send more without waiting for an adjust.
  const std::string chunk(32 * 1024, 'x');
  for (int i = 0; i < 8 * 32 + 1; ++i) h.ServerSend(ChannelData(id, chunk));
  h.Pump();
  ExpectFailedWith(h, ErrorKind::kProtocol, "more channel data than");
}

// Ignored stderr still re-opens the window: with no read to do it, a
// chatty stderr would otherwise close the window and stall the channel.
TEST(EngineTest, IgnoredExtendedDataReopensTheWindow) {
  EngineHarness h;
  h.Connect();
  h.Authenticate();
  const uint32_t id = OpenChannel(h);
  channel::Connection& conn = h.engine().connection();
  ASSERT_TRUE(conn.SetExtendedData(id, channel::ExtendedData::kIgnore).ok());
  const uint64_t window = conn.Find(id)->local_window();
  const std::string chunk(32 * 1024, 'e');
  Bytes stderr_msg;
  wire::Writer w(&stderr_msg);
  w.WriteU8(kMsgChannelExtendedData);
  w.WriteU32(id);
  w.WriteU32(1);  // SSH_EXTENDED_DATA_STDERR
  w.WriteString(chunk);
  // More than the whole window, which only works if it re-opens.
  for (uint64_t sent = 0; sent <= window; sent += chunk.size()) {
    h.ServerSend(stderr_msg);
    h.Pump();
  }
  EXPECT_FALSE(h.engine().closed());
  EXPECT_EQ(conn.Find(id)->readable(true), 0u);
  size_t adjusts = 0;
  for (const Bytes& m : h.ClientMessages()) {
    if (!m.empty() && m[0] == kMsgChannelWindowAdjust) ++adjusts;
  }
  EXPECT_GE(adjusts, 2u);
}

TEST(EngineTest, DataAfterEofIsAProtocolError) {
  EngineHarness h;
  h.Connect();
  h.Authenticate();
  const uint32_t id = OpenChannel(h);
  h.ServerSend(ChannelEof(id));
  h.ServerSend(ChannelData(id, "late"));
  h.Pump();
  ExpectFailedWith(h, ErrorKind::kProtocol, "channel data after EOF");
}

TEST(EngineTest, MessageForAnUnknownChannel) {
  EngineHarness h;
  h.Connect();
  h.Authenticate();
  h.ServerSend(ChannelData(9, "who?"));
  h.Pump();
  ExpectFailedWith(h, ErrorKind::kProtocol, "unknown channel 9");
}

TEST(EngineTest, ExecTaskRunsACommand) {
  EngineHarness h;
  h.Connect();
  h.Authenticate();
  ExecOptions options;
  options.stdin_data = Bytes{'i', 'n'};
  ExecTask task("echo hi", std::move(options));
  EXPECT_FALSE(task.Poll(h.engine()));
  h.Pump();
  const Bytes open = h.NextClientMessage();
  ASSERT_EQ(open[0], kMsgChannelOpen);
  h.ServerSend(OpenConfirmation(0, 77, 1 << 20));
  h.Pump();
  EXPECT_FALSE(task.Poll(h.engine()));
  h.Pump();
  const Bytes exec = h.NextClientMessage();
  ASSERT_EQ(exec[0], kMsgChannelRequest);
  h.ServerSend(ChannelSuccess(0));
  h.Pump();
  EXPECT_FALSE(task.Poll(h.engine()));  // sends stdin and EOF
  h.Pump();
  const std::vector<Bytes> sent = h.ClientMessages();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0][0], kMsgChannelData);
  EXPECT_EQ(sent[1][0], kMsgChannelEof);
  h.ServerSend(ChannelData(0, "hi\n"));
  h.ServerSend(ExitStatus(0, 3));
  h.ServerSend(ChannelEof(0));
  h.ServerSend(ChannelClose(0));
  h.Pump();
  EXPECT_TRUE(task.Poll(h.engine()));
  absl::StatusOr<ExecResult> r = task.TakeResult();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(AsString(r->stdout_data), "hi\n");
  EXPECT_EQ(r->exit_status, 3u);
  // The channel was given back.
  EXPECT_EQ(h.engine().connection().open_channels(), 0u);
}

// --- Deadlines on the fake clock
// ------------------------------------------------

// A responder that blocks longer than the round deadline (here it moves the
// fake clock, as real time would have moved): its answers are not sent.
TEST(EngineTest, SynchronousResponderSlowerThanTheRoundDeadline) {
  EngineHarness h;
  h.Connect();
  auth::FunctionResponder slow([&](const auth::Challenge& c,
                                   std::vector<SecureBuffer>* answers) {
    h.SetNow(h.now() + std::chrono::seconds(2));
    answers->assign(c.request.prompts.size(), ToSecureBuffer(AsBytes("pw")));
    return auth::ResponderStatus::kAnswered;
  });
  auth::KbdIntOptions options;
  options.round_timeout = std::chrono::seconds(1);
  StartKbdInt(h, &slow, options);
  h.ServerSend(PasswordRound());
  h.Pump();
  ASSERT_TRUE(h.engine().auth_done());
  absl::Status s = h.engine().TakeAuthResult().status();
  EXPECT_EQ(KindOf(s), ErrorKind::kDeadline) << s;
  EXPECT_TRUE(h.ClientMessages().empty());  // no INFO_RESPONSE
  EXPECT_FALSE(h.engine().closed());        // the session itself is fine
}

TEST(EngineTest, AsynchronousResponderMissesTheRoundDeadline) {
  EngineHarness h;
  h.Connect();
  LaterResponder r;
  auth::KbdIntOptions options;
  options.round_timeout = std::chrono::seconds(10);
  StartKbdInt(h, &r, options);
  h.ServerSend(PasswordRound());
  h.Pump();
  EXPECT_EQ(r.calls, 1);
  EXPECT_NE(h.engine().wants() & kWantWake, 0u);
  ASSERT_TRUE(h.engine().next_deadline().has_value());
  EXPECT_LE(*h.engine().next_deadline() - h.now(),
            std::chrono::milliseconds(10001));
  h.Advance(std::chrono::seconds(9));
  EXPECT_FALSE(h.engine().auth_done());
  h.Advance(std::chrono::seconds(2));
  ASSERT_TRUE(h.engine().auth_done());
  EXPECT_EQ(KindOf(h.engine().TakeAuthResult().status()), ErrorKind::kDeadline);
  EXPECT_EQ(r.aborts, 1);
  EXPECT_EQ(r.calls, 1);  // never polled
  EXPECT_TRUE(h.ClientMessages().empty());
}

// A server that sends each round 59 s after our answer, against a 60 s
// round deadline: the deadline counts the responder's time only.
TEST(EngineTest, RoundEvery59SecondsAgainstA60SecondDeadline) {
  EngineHarness h;
  h.Connect();
  CountingResponder r;
  auth::KbdIntOptions options;
  options.round_timeout = std::chrono::seconds(60);
  options.max_rounds = 10;
  StartKbdInt(h, &r, options);
  for (int round = 1; round <= 5; ++round) {
    h.Advance(std::chrono::seconds(59));
    h.ServerSend(PasswordRound());
    h.Pump();
    ASSERT_TRUE(ParseInfoResponse(h.NextClientMessage()).has_value())
        << "round " << round;
  }
  h.Advance(std::chrono::seconds(59));
  h.ServerSend(UserauthSuccess());
  h.Pump();
  absl::StatusOr<auth::AuthOutcome> o = h.engine().TakeAuthResult();
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->kind, auth::AuthOutcome::kSuccess);
  EXPECT_EQ(r.calls, 5);
}

// The overall deadline does count the server's time.
TEST(EngineTest, OverallDeadlineEndsASlowConversation) {
  EngineHarness h;
  h.Connect();
  CountingResponder r;
  auth::KbdIntOptions options;
  options.overall_timeout = std::chrono::seconds(120);
  StartKbdInt(h, &r, options);
  h.Advance(std::chrono::seconds(59));
  h.ServerSend(PasswordRound());
  h.Pump();
  h.Advance(std::chrono::seconds(59));
  h.ServerSend(PasswordRound());
  h.Pump();
  EXPECT_EQ(r.calls, 2);
  EXPECT_FALSE(h.engine().auth_done());
  ASSERT_TRUE(h.engine().next_deadline().has_value());
  h.Advance(std::chrono::seconds(2));  // 120 s since the start
  ASSERT_TRUE(h.engine().auth_done());
  EXPECT_EQ(KindOf(h.engine().TakeAuthResult().status()), ErrorKind::kDeadline);
}

TEST(EngineTest, RoundCap) {
  EngineHarness h;
  h.Connect();
  CountingResponder r;
  auth::KbdIntOptions options;
  options.max_rounds = 2;
  StartKbdInt(h, &r, options);
  for (int i = 0; i < 3; ++i) {
    h.ServerSend(PasswordRound());
    h.Pump();
  }
  ASSERT_TRUE(h.engine().auth_done());
  absl::Status s = h.engine().TakeAuthResult().status();
  EXPECT_EQ(KindOf(s), ErrorKind::kRoundLimit);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.calls, 2);
}

// --- Asynchronous decisions
// -------------------------------------------------------

TEST(EngineTest, ResponderAnswersLaterAfterAWake) {
  EngineHarness h;
  h.Connect();
  LaterResponder r;
  StartKbdInt(h, &r);
  h.ServerSend(PasswordRound());
  h.Pump();
  ASSERT_EQ(r.calls, 1);
  EXPECT_NE(h.engine().wants() & kWantWake, 0u);
  // Pumping without a wake does not ask again.
  h.Advance(std::chrono::seconds(5));
  EXPECT_EQ(r.calls, 1);
  // Woken from another thread: the wake descriptor becomes readable.
  const int fd = h.engine().wake_fd();
  ASSERT_GE(fd, 0);
  r.ready = true;
  std::thread([w = r.waker] { w.Wake(); }).join();
  EXPECT_TRUE(h.engine().wake_source().woken());
  (void)h.engine().Pump(h.now());
  h.Pump();
  EXPECT_EQ(r.calls, 2);
  absl::optional<std::vector<std::string>> answers =
      ParseInfoResponse(h.NextClientMessage());
  ASSERT_TRUE(answers.has_value());
  EXPECT_EQ(*answers, std::vector<std::string>{"late"});
}

// A responder that knows when it can answer (a one-time code valid from the
// next time step) asks to be asked again then: no wake needed, no polling
// before.
TEST(EngineTest, ResponderAsksToBeAskedAgainLater) {
  EngineHarness h;
  h.Connect();
  class NextStep : public auth::Responder {
   public:
    auth::ResponderStatus Respond(const auth::Challenge& c,
                                  std::vector<SecureBuffer>* answers) override {
      if (++calls == 1) return auth::ResponderStatus::kRetryLater;
      answers->assign(c.request.prompts.size(),
                      ToSecureBuffer(AsBytes("123456")));
      return auth::ResponderStatus::kAnswered;
    }
    std::chrono::milliseconds retry_after() const override {
      return std::chrono::seconds(7);
    }
    int calls = 0;
  } r;
  StartKbdInt(h, &r);
  h.ServerSend(PasswordRound());
  h.Pump();
  EXPECT_EQ(r.calls, 1);
  ASSERT_TRUE(h.engine().next_deadline().has_value());
  EXPECT_EQ(*h.engine().next_deadline() - h.now(), std::chrono::seconds(7));
  h.Advance(std::chrono::seconds(6));
  EXPECT_EQ(r.calls, 1);
  EXPECT_TRUE(h.ClientMessages().empty());
  h.Advance(std::chrono::seconds(1));
  EXPECT_EQ(r.calls, 2);
  absl::optional<std::vector<std::string>> answers =
      ParseInfoResponse(h.NextClientMessage());
  ASSERT_TRUE(answers.has_value());
  EXPECT_EQ(*answers, std::vector<std::string>{"123456"});
}

TEST(EngineTest, CancelFromAnotherThreadSendsNothing) {
  EngineHarness h;
  h.Connect();
  LaterResponder r;
  StartKbdInt(h, &r);
  h.ServerSend(PasswordRound());
  h.Pump();
  std::thread([&h] { h.engine().Cancel(); }).join();
  EXPECT_TRUE(h.engine().wake_source().woken());
  (void)h.engine().Pump(h.now());
  h.Pump();
  ASSERT_TRUE(h.engine().auth_done());
  absl::Status s = h.engine().TakeAuthResult().status();
  EXPECT_EQ(KindOf(s), ErrorKind::kCancelled);
  EXPECT_THAT(std::string(s.message()), HasSubstr("cancelled"));
  EXPECT_EQ(r.aborts, 1);
  EXPECT_TRUE(h.ClientMessages().empty());
  // A cancel with nothing running is forgotten by the next attempt.
  h.engine().Cancel();
  CountingResponder next;
  ASSERT_TRUE(
      h.engine().AuthKeyboardInteractive("alice", &next, {}, h.now()).ok());
  h.Pump();
  EXPECT_FALSE(h.engine().auth_done());
  ASSERT_TRUE(ParseUserauthRequest(h.NextClientMessage()).has_value());
}

TEST(EngineTest, HostKeyDecidedLaterFromAnotherThread) {
  EngineHarness::Options o;
  HostKeyTicket held;
  int asked = 0;
  o.check_host_key = [&](const transport::HostKeyInfo& key,
                         HostKeyTicket ticket) -> absl::optional<absl::Status> {
    ++asked;
    EXPECT_EQ(key.algorithm, "ssh-ed25519");
    held = ticket;
    return absl::nullopt;
  };
  EngineHarness h(o);
  h.Connect();
  EXPECT_EQ(asked, 1);
  EXPECT_FALSE(h.engine().established());
  EXPECT_NE(h.engine().wants() & kWantWake, 0u);
  EXPECT_EQ(KindOf(h.engine().AuthNone("alice", h.now())), ErrorKind::kBadUse);
  h.Advance(std::chrono::seconds(30));
  EXPECT_FALSE(h.engine().established());
  std::thread([held] { held.Accept(); }).join();
  (void)h.engine().Pump(h.now());
  h.Pump();
  EXPECT_TRUE(h.engine().established());
  EXPECT_EQ(asked, 1);
  h.Authenticate();
}

TEST(EngineTest, HostKeyRejectedLaterSendsNoCredential) {
  EngineHarness::Options o;
  HostKeyTicket held;
  o.check_host_key = [&](const transport::HostKeyInfo&,
                         HostKeyTicket ticket) -> absl::optional<absl::Status> {
    held = ticket;
    return absl::nullopt;
  };
  EngineHarness h(o);
  h.Connect();
  held.Reject(absl::UnauthenticatedError("not in known_hosts"));
  (void)h.engine().Pump(h.now());
  h.Pump();
  ExpectFailedWith(h, ErrorKind::kHostKeyRejected, "not in known_hosts");
  EXPECT_EQ(h.server().kex_count(), 0);
  EXPECT_TRUE(h.ClientMessages().empty());
  ExpectClientDisconnected(h, kDisconnectHostKeyNotVerifiable);
}

// A signer that asks first (query), then signs later after a wake.
class SlowSigner : public auth::Signer {
 public:
  SlowSigner() : key_(TestKey(), TestProvider()) {}
  const crypto::PublicKey& public_key() const override {
    return key_.public_key();
  }
  const Bytes& public_key_blob() const override {
    return key_.public_key_blob();
  }
  bool query_first() const override { return true; }
  absl::StatusOr<auth::SignResult> Sign(const auth::SignRequest& request,
                                        Bytes* signature) override {
    ++calls;
    signed_data = request.data;
    waker = request.waker;
    if (!ready) return auth::SignResult::kRetryLater;
    return key_.Sign(request, signature);
  }
  void Abort() override { ++aborts; }
  int calls = 0, aborts = 0;
  bool ready = false;
  Bytes signed_data;
  Waker waker;

 private:
  // KeySigner's constructor takes (provider, key).
  struct Key : auth::KeySigner {
    Key(const crypto::PrivateKey& k,
        std::shared_ptr<const crypto::CryptoProvider> p)
        : auth::KeySigner(std::move(p), k) {}
  } key_;
};

TEST(EngineTest, PublicKeyWithQueryAndAnAsynchronousSigner) {
  EngineHarness h;
  h.Connect();
  auto signer = std::make_shared<SlowSigner>();
  ASSERT_TRUE(h.engine().AuthPublicKey("alice", signer, h.now()).ok());
  absl::optional<UserauthRequest> query = h.AcceptServiceAndReadRequest();
  ASSERT_TRUE(query.has_value());
  ASSERT_EQ(query->method, "publickey");
  ASSERT_EQ(query->rest.at(0), 0);  // no signature: a query
  EXPECT_EQ(signer->calls, 0);      // nothing signed before the server agreed
  h.ServerSend(PkOk("ssh-ed25519", signer->public_key_blob()));
  h.Pump();
  EXPECT_EQ(signer->calls, 1);
  EXPECT_NE(h.engine().wants() & kWantWake, 0u);
  EXPECT_TRUE(h.ClientMessages().empty());
  signer->ready = true;
  signer->waker.Wake();
  (void)h.engine().Pump(h.now());
  h.Pump();
  absl::optional<UserauthRequest> req =
      ParseUserauthRequest(h.NextClientMessage());
  ASSERT_TRUE(req.has_value());
  // bool TRUE, algorithm, key blob, signature -- verified as a server would.
  wire::Reader r(req->rest);
  bool has_sig = false;
  absl::string_view alg;
  ByteView blob, sig;
  ASSERT_TRUE(r.ReadBool(&has_sig).ok());
  ASSERT_TRUE(r.ReadString(&alg).ok());
  ASSERT_TRUE(r.ReadString(&blob).ok());
  ASSERT_TRUE(r.ReadString(&sig).ok());
  ASSERT_TRUE(r.ExpectEnd().ok());
  EXPECT_TRUE(has_sig);
  EXPECT_EQ(alg, "ssh-ed25519");
  Bytes expected;
  wire::Writer w(&expected);
  w.WriteString(h.server().session_id());
  w.WriteU8(kMsgUserauthRequest);
  w.WriteString(absl::string_view("alice"));
  w.WriteString(absl::string_view("ssh-connection"));
  w.WriteString(absl::string_view("publickey"));
  w.WriteBool(true);
  w.WriteString(alg);
  w.WriteString(blob);
  EXPECT_EQ(signer->signed_data, expected);
  EXPECT_TRUE(crypto::VerifySshSignature(*TestProvider(), signer->public_key(),
                                         sig, expected, {})
                  .ok());
  h.ServerSend(UserauthSuccess());
  h.Pump();
  absl::StatusOr<auth::AuthOutcome> o = h.engine().TakeAuthResult();
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->kind, auth::AuthOutcome::kSuccess);
}

TEST(EngineTest, PublicKeyRefusedAtTheQueryIsNeverSigned) {
  EngineHarness h;
  h.Connect();
  auto signer = std::make_shared<SlowSigner>();
  ASSERT_TRUE(h.engine().AuthPublicKey("alice", signer, h.now()).ok());
  ASSERT_TRUE(h.AcceptServiceAndReadRequest().has_value());
  h.ServerSend(UserauthFailure({"keyboard-interactive"}));
  h.Pump();
  absl::StatusOr<auth::AuthOutcome> o = h.engine().TakeAuthResult();
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->kind, auth::AuthOutcome::kFailure);
  EXPECT_EQ(signer->calls, 0);
}

TEST(EngineTest, PkOkForAnotherKeyIsAProtocolError) {
  EngineHarness h;
  h.Connect();
  auto signer = std::make_shared<SlowSigner>();
  ASSERT_TRUE(h.engine().AuthPublicKey("alice", signer, h.now()).ok());
  ASSERT_TRUE(h.AcceptServiceAndReadRequest().has_value());
  h.ServerSend(PkOk("ssh-ed25519", Bytes{1, 2, 3}));
  h.Pump();
  ExpectFailedWith(h, ErrorKind::kProtocol, "not queried");
}

// --- Bounded memory
// ----------------------------------------------------------------

// A server that floods GLOBAL_REQUEST want-reply and reads nothing: at the
// high-water mark the engine stops wanting input; a driver that feeds it
// anyway runs into the hard cap and a clean kResourceLimit failure.
TEST(EngineTest, FloodOfRequestsFromAServerThatDoesNotRead) {
  EngineHarness::Options o;
  o.limits.output_high_water = 32 * 1024;
  o.limits.output_hard_cap = 256 * 1024;
  EngineHarness h(o);
  h.Connect();
  h.Authenticate();
  int sent = 0;
  while ((h.engine().wants() & kWantRead) != 0 && sent < 100000) {
    for (int i = 0; i < 64; ++i) {
      h.ServerSend(GlobalRequest("keepalive@openssh.com", true));
    }
    sent += 64;
    h.DeliverToClientOnly();
  }
  EXPECT_EQ(h.engine().wants() & kWantRead, 0u);
  EXPECT_FALSE(h.engine().closed());
  EXPECT_GE(h.engine().transport().queued_bytes(), size_t{32 * 1024});
  // Ignoring wants(): bounded by the hard cap, then a clean failure.
  for (int round = 0; round < 10000 && !h.engine().closed(); ++round) {
    for (int i = 0; i < 64; ++i) {
      h.ServerSend(GlobalRequest("keepalive@openssh.com", true));
    }
    h.DeliverToClientOnly();
  }
  ExpectFailedWith(h, ErrorKind::kResourceLimit, "does not read");
  EXPECT_LE(h.engine().transport().queued_bytes(), size_t{256 * 1024 + 8192});
}

// A window of 2^32 - 1 granted, then a key exchange that never completes:
// channel writes stop at the queue bound instead of buffering everything.
TEST(EngineTest, StalledKeyExchangeWithAHugeWindowBoundsWrites) {
  EngineHarness::Options o;
  o.limits.output_high_water = 256 * 1024;
  EngineHarness h(o);
  h.Connect();
  h.Authenticate();
  const uint32_t id = OpenChannel(h, 0xffffffffu);
  ASSERT_TRUE(h.server().Rekey().ok());
  h.Pump(/*deliver_client_output=*/false);  // the server never answers
  EXPECT_NE(h.engine().transport().state(),
            transport::Transport::State::kEstablished);
  const Bytes chunk(1 << 20, 'd');
  uint64_t taken = 0;
  for (int i = 0; i < 256; ++i) {  // 256 MiB offered
    absl::StatusOr<size_t> n = h.engine().connection().Write(id, chunk, false);
    ASSERT_TRUE(n.ok()) << n.status();
    taken += *n;
    h.Pump(/*deliver_client_output=*/false);
  }
  EXPECT_LE(taken, uint64_t{256 * 1024 + 64 * 1024});
  EXPECT_LE(h.engine().transport().queued_bytes(), size_t{256 * 1024 + 65536});
  EXPECT_FALSE(h.engine().closed());
}

// --- Typed errors
// ------------------------------------------------------------------

TEST(EngineTest, ServerDisconnectCarriesItsReason) {
  EngineHarness h;
  h.Connect();
  ASSERT_TRUE(
      h.server().SendDisconnect(kDisconnectTooManyConnections, "busy").ok());
  h.Pump();
  ExpectFailedWith(h, ErrorKind::kServerDisconnect, "busy");
  EXPECT_EQ(ErrorDetailOf(h.engine().error()),
            int64_t{kDisconnectTooManyConnections});
}

TEST(EngineTest, ConnectionClosedDuringAnAttempt) {
  EngineHarness h;
  h.Connect();
  CountingResponder r;
  StartKbdInt(h, &r);
  h.engine().FeedEof(h.now());
  ExpectFailedWith(h, ErrorKind::kConnectionClosed, "closed by the server");
  ASSERT_TRUE(h.engine().auth_done());
  EXPECT_EQ(KindOf(h.engine().TakeAuthResult().status()),
            ErrorKind::kConnectionClosed);
}

TEST(EngineTest, SocketErrorsKeepTheirKindAndErrno) {
  EngineHarness h;
  h.Connect();
  h.engine().FailIo(
      Error(ErrorKind::kSendFailed, absl::UnavailableError("send: EPIPE"), 32));
  ExpectFailedWith(h, ErrorKind::kSendFailed, "EPIPE");
  EXPECT_EQ(ErrorDetailOf(h.engine().error()), int64_t{32});
}

TEST(EngineTest, LocalDisconnect) {
  EngineHarness h;
  h.Connect();
  h.engine().Disconnect(kDisconnectByApplication, "bye");
  ExpectFailedWith(h, ErrorKind::kLocalDisconnect, "bye");
  ExpectClientDisconnected(h, kDisconnectByApplication);
}

}  // namespace
}  // namespace parley::session::testing
