// The hostile-server suite: a real TCP server (hostile_server.h) completes
// a real key exchange and then misbehaves; the client is a libssh2 program
// using Parley's C API (libssh2_client.h). Every scenario asserts the exact
// outcome: the libssh2 error code and the class of its message, whether the
// keyboard-interactive callback ran, that no credential reached a server
// that should not have one, how long it took (no hang past a deadline) and
// the client's peak heap (no unbounded memory).
#include <libssh2.h>
#include <parley_libssh2.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "core/crypto/ssh_keys.h"
#include "core/transport/messages.h"
#include "core/wire/reader.h"
#include "core/wire/writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/hostile/hostile_server.h"
#include "tests/hostile/libssh2_client.h"
#include "tests/session/engine_harness.h"

namespace parley::hostile {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;
using transport::testing::FakeServer;
using transport::testing::FakeServerOptions;
using transport::testing::Stage;
namespace st = session::testing;
using namespace transport;  // message numbers

constexpr size_t kKiB = 1024;
constexpr size_t kMiB = 1024 * kKiB;
// What a login costs the client at most in these scenarios, floods
// included (the transport's own buffers are capped at 1 MiB high water).
constexpr size_t kLoginHeap = 4 * kMiB;
// No scenario without a deliberate wait may take longer.
constexpr Millis kPrompt(3000);

// Writes a message from a type byte and fields.
class Msg {
 public:
  explicit Msg(uint8_t type) : w_(&bytes_) { w_.WriteU8(type); }
  Msg& U32(uint32_t v) {
    w_.WriteU32(v);
    return *this;
  }
  Msg& Bool(bool v) {
    w_.WriteBool(v);
    return *this;
  }
  Msg& Str(absl::string_view s) {
    w_.WriteString(s);
    return *this;
  }
  Msg& Raw(absl::string_view s) {
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    return *this;
  }
  operator Bytes() const { return bytes_; }

 private:
  Bytes bytes_;
  wire::Writer w_;
};

ByteView View(absl::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// The client sent no answer and no password anywhere.
void ExpectNoCredentialSent(const ServerConnection& c) {
  EXPECT_FALSE(c.ClientSentType(kMsgUserauthInfoResponse));
  EXPECT_FALSE(c.ClientSent(kPassword));
  const std::string raw(c.raw_received().begin(), c.raw_received().end());
  EXPECT_EQ(raw.find(kPassword), std::string::npos);
}

// A server that logs the client in and answers `exec` with "hello" and
// exit status 0: the positive control.
void GoodServer(ServerConnection& c) {
  if (c.Handshake() && c.Login(kPassword)) c.ServeCommand("hello");
}

ClientOptions Exec() {
  ClientOptions o;
  o.exec = "true";
  return o;
}

// ---------------------------------------------------------------------------
// The positive controls: the same server, well behaved, under each cipher
// family the corruption scenarios use.

class GoodServerTest : public ::testing::TestWithParam<const char*> {};

TEST_P(GoodServerTest, LogsInAndRunsACommand) {
  HostileServer server(GoodServer);
  ClientOptions o = Exec();
  o.cipher = GetParam();
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.handshake_rc, 0) << out.error;
  EXPECT_EQ(out.auth_rc, 0) << out.error;
  EXPECT_EQ(out.channel_rc, 0) << out.error;
  EXPECT_EQ(out.output, "hello");
  EXPECT_EQ(out.exit_status, 0);
  EXPECT_EQ(out.rounds, 1);
  // BUILD runs the suite once per backend module.
  EXPECT_EQ(out.backend, std::getenv("PARLEY_CRYPTO"));
  EXPECT_LT(out.took, kPrompt);
  EXPECT_LT(out.peak_heap, kLoginHeap);
}

INSTANTIATE_TEST_SUITE_P(Ciphers, GoodServerTest,
                         ::testing::Values("chacha20-poly1305@openssh.com",
                                           "aes256-gcm@openssh.com",
                                           "aes128-ctr"));

// ---------------------------------------------------------------------------
// Version exchange

TEST(HostileVersionTest, EndlessBannerLines) {
  HostileServer server([](ServerConnection& c) {
    std::string lines;
    for (int i = 0; i < 1000; ++i) lines += "Welcome, welcome, welcome!\r\n";
    for (int i = 0; i < 200; ++i) {
      if (!c.SendRaw(View(lines))) break;  // the client gave up
    }
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.handshake_rc, LIBSSH2_ERROR_BANNER_RECV) << out.error;
  EXPECT_LT(out.took, kPrompt);
  EXPECT_LT(out.peak_heap, kLoginHeap);
}

TEST(HostileVersionTest, VersionLineWithoutEnd) {
  HostileServer server([](ServerConnection& c) {
    c.SendRaw(View("SSH-2.0-" + std::string(1 * kMiB, 'A')));
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.handshake_rc, LIBSSH2_ERROR_BANNER_RECV) << out.error;
  EXPECT_LT(out.took, kPrompt);
  EXPECT_LT(out.peak_heap, kLoginHeap);
}

TEST(HostileVersionTest, NotAnSshServer) {
  HostileServer server([](ServerConnection& c) {
    c.SendRaw(View("HTTP/1.1 400 Bad Request\r\n\r\n"));
    c.Close();
  });
  Outcome out = RunClient(server.port());
  // Lines before the version are legal; the end of the stream before it
  // is a disconnect, as libssh2 reports it.
  EXPECT_EQ(out.handshake_rc, LIBSSH2_ERROR_SOCKET_DISCONNECT) << out.error;
  EXPECT_LT(out.took, kPrompt);
}

TEST(HostileVersionTest, Ssh1OnlyServer) {
  HostileServer server([](ServerConnection& c) {
    c.SendRaw(View("SSH-1.5-OldServer\r\n"));
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.handshake_rc, LIBSSH2_ERROR_BANNER_RECV) << out.error;
  EXPECT_THAT(out.error, HasSubstr("1.5"));
}

TEST(HostileVersionTest, SilentServer) {
  HostileServer server([](ServerConnection& c) { c.WaitForClientClose(); });
  ClientOptions o;
  o.timeout_ms = 500;
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.handshake_rc, LIBSSH2_ERROR_TIMEOUT) << out.error;
  EXPECT_GE(out.took, Millis(450));
  EXPECT_LT(out.took, Millis(2000));
}

// ---------------------------------------------------------------------------
// Key exchange

TEST(HostileKexTest, OversizedPacketLengthBeforeKeys) {
  HostileServer server([](ServerConnection& c) {
    std::string raw = "SSH-2.0-Hostile\r\n";
    raw += std::string("\x7f\xff\xff\xf0", 4) + std::string(64, '\x05');
    c.SendRaw(View(raw));
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.handshake_rc, LIBSSH2_ERROR_KEX_FAILURE) << out.error;
  EXPECT_THAT(out.error, HasSubstr("length"));
  EXPECT_LT(out.took, kPrompt);
  EXPECT_LT(out.peak_heap, kLoginHeap);
}

TEST(HostileKexTest, BadPaddingBeforeKeys) {
  HostileServer server([](ServerConnection& c) {
    // packet_length 12, padding_length 200: more padding than packet.
    std::string raw = "SSH-2.0-Hostile\r\n";
    raw += std::string("\x00\x00\x00\x0c\xc8", 5) + std::string(11, '\x14');
    c.SendRaw(View(raw));
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.handshake_rc, LIBSSH2_ERROR_KEX_FAILURE) << out.error;
  EXPECT_THAT(out.error, HasSubstr("padding"));
}

TEST(HostileKexTest, StrictKexViolation) {
  FakeServerOptions s = DefaultServerOptions();
  s.on_stage = [](FakeServer& srv, Stage stage) {
    if (stage == Stage::kAfterKexInit) (void)srv.SendIgnore("sneaky");
  };
  HostileServer server(s, [](ServerConnection& c) {
    c.Handshake();
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.handshake_rc, LIBSSH2_ERROR_KEX_FAILURE) << out.error;
  EXPECT_THAT(out.error, HasSubstr("strict KEX"));
}

TEST(HostileKexTest, EndlessIgnoreBeforeKexInitWithoutStrictKex) {
  FakeServerOptions s = DefaultServerOptions();
  s.strict_kex = false;
  HostileServer server(s, [](ServerConnection& c) {
    c.SendRaw(View("SSH-2.0-Hostile\r\n"));
    for (int i = 0; i < 200000; ++i) {
      (void)c.server().SendIgnore("");
      if (i % 1000 == 999 && !c.Flush()) break;
    }
    c.WaitForClientClose();
  });
  ClientOptions o;
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.handshake_rc, LIBSSH2_ERROR_KEX_FAILURE) << out.error;
  EXPECT_THAT(out.error, HasSubstr("before the first key exchange"));
  EXPECT_LT(out.took, kPrompt);
  EXPECT_LT(out.peak_heap, kLoginHeap);
}

TEST(HostileKexTest, NewKeysTwice) {
  FakeServerOptions s = DefaultServerOptions();
  s.on_stage = [](FakeServer& srv, Stage stage) {
    if (stage == Stage::kAfterNewKeys) (void)srv.SendPacket(Bytes{kMsgNewKeys});
  };
  HostileServer server(s, [](ServerConnection& c) {
    c.Handshake();
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port());
  // The handshake call returns once keys are in place both ways; the
  // second NEWKEYS is the next packet and fails the next call.
  EXPECT_EQ(out.handshake_rc, 0) << out.error;
  EXPECT_EQ(out.auth_rc, LIBSSH2_ERROR_PROTO);
  EXPECT_THAT(out.error, HasSubstr("NEWKEYS"));
  EXPECT_EQ(out.rounds, 0);
}

// The reply carries a public value that is not a valid point or element.
class InvalidPublicValueTest : public ::testing::TestWithParam<const char*> {};

TEST_P(InvalidPublicValueTest, Refused) {
  const std::string kex = GetParam();
  const bool dh = absl::StartsWith(kex, "diffie-hellman");
  FakeServerOptions s = DefaultServerOptions();
  s.on_stage = [dh](FakeServer& srv, Stage stage) {
    if (stage != Stage::kBeforeKexReply) return;
    Bytes reply;
    wire::Writer w(&reply);
    w.WriteU8(kMsgKexEcdhReply);
    w.WriteString(
        ByteView(srv.host_key_blob().empty()
                     ? crypto::EncodePublicKeyBlob(st::TestKey().public_key)
                     : srv.host_key_blob()));
    if (dh) {
      w.WriteMpint(ByteView(Bytes{1}));  // f = 1
    } else {
      w.WriteString(ByteView(Bytes(32, 0)));  // the all-zero point
    }
    w.WriteString(ByteView(Bytes(8, 1)));
    (void)srv.SendPacket(reply);
  };
  HostileServer server(s, [](ServerConnection& c) {
    c.Handshake();
    c.WaitForClientClose();
  });
  ClientOptions o;
  o.kex = kex;
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.handshake_rc, LIBSSH2_ERROR_KEX_FAILURE) << out.error;
  EXPECT_EQ(out.auth_rc, 1);
}

INSTANTIATE_TEST_SUITE_P(Methods, InvalidPublicValueTest,
                         ::testing::Values("curve25519-sha256",
                                           "ecdh-sha2-nistp256",
                                           "diffie-hellman-group14-sha256"));

TEST(HostileKexTest, BadHostKeySignature) {
  FakeServerOptions s = DefaultServerOptions();
  s.signing_key_override =
      *st::TestProvider()->GenerateKey(crypto::KeyType::kEd25519, 0);
  std::atomic<bool> request_seen{false};
  HostileServer server(s, [&](ServerConnection& c) {
    c.Handshake();
    c.WaitForClientClose();
    request_seen = c.ClientSentType(kMsgServiceRequest);
    ExpectNoCredentialSent(c);
  });
  Outcome out = RunClient(server.port());
  server.Join();
  EXPECT_EQ(out.handshake_rc, LIBSSH2_ERROR_KEX_FAILURE) << out.error;
  EXPECT_THAT(out.error, HasSubstr("signature"));
  EXPECT_FALSE(request_seen);
}

// libssh2 leaves the host-key decision to the program; one that checks
// (libssh2_knownhost_checkp) sees a mismatch and sends nothing.
TEST(HostileKexTest, HostKeyMismatchSendsNothing) {
  const crypto::PrivateKey other =
      *st::TestProvider()->GenerateKey(crypto::KeyType::kEd25519, 0);
  HostileServer server([](ServerConnection& c) {
    c.Handshake();
    c.WaitForClientClose();
    EXPECT_TRUE(c.received().empty());
    ExpectNoCredentialSent(c);
  });
  ClientOptions o;
  const Bytes blob = crypto::EncodePublicKeyBlob(other.public_key);
  o.known_hosts = "[127.0.0.1]:" + std::to_string(server.port()) +
                  " ssh-ed25519 " +
                  absl::Base64Escape(std::string(blob.begin(), blob.end()));
  Outcome out = RunClient(server.port(), o);
  server.Join();
  EXPECT_EQ(out.handshake_rc, 0) << out.error;
  EXPECT_EQ(out.knownhost_check, LIBSSH2_KNOWNHOST_CHECK_MISMATCH);
  EXPECT_EQ(out.auth_rc, 1);
}

TEST(HostileKexTest, NoCommonCipher) {
  FakeServerOptions s = DefaultServerOptions();
  s.algorithms.cipher = {"aes128-ctr"};
  HostileServer server(s, [](ServerConnection& c) {
    c.Handshake();
    c.WaitForClientClose();
  });
  ClientOptions o;
  o.cipher = "chacha20-poly1305@openssh.com";
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.handshake_rc, LIBSSH2_ERROR_KEX_FAILURE) << out.error;
  EXPECT_THAT(out.error, HasSubstr("cipher"));
}

TEST(HostileKexTest, SlowLorisHandshakeMeetsTheTimeout) {
  HostileServer server([](ServerConnection& c) {
    (void)c.server().Start();
    c.Trickle(Millis(20), Millis(5000));
    c.WaitForClientClose();
  });
  ClientOptions o;
  o.timeout_ms = 1000;
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.handshake_rc, LIBSSH2_ERROR_TIMEOUT) << out.error;
  EXPECT_GE(out.took, Millis(950));
  EXPECT_LT(out.took, Millis(2500));
}

TEST(HostileKexTest, DisconnectMessageDuringKex) {
  FakeServerOptions s = DefaultServerOptions();
  s.on_stage = [](FakeServer& srv, Stage stage) {
    if (stage == Stage::kBeforeKexReply) {
      (void)srv.SendDisconnect(11, "go away \x1b[2J\x1b]0;owned\x07 now");
    }
  };
  HostileServer server(s, [](ServerConnection& c) {
    c.Handshake();
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.handshake_rc, LIBSSH2_ERROR_SOCKET_DISCONNECT) << out.error;
  EXPECT_THAT(out.error, HasSubstr("go away"));
  EXPECT_EQ(out.error.find('\x1b'), std::string::npos);
  EXPECT_EQ(out.error.find('\x07'), std::string::npos);
}

// ---------------------------------------------------------------------------
// The connection dies in the middle of a packet, in every phase.

struct CutCase {
  const char* name;
  Stage stage;       // the handshake point whose output is cut
  size_t drop;       // bytes of that output never sent
  int handshake_rc;  // libssh2_session_handshake's code
  int auth_rc;       // then the login's (1: not attempted)
};

class CutMidPacketTest : public ::testing::TestWithParam<CutCase> {};

TEST_P(CutMidPacketTest, CleanErrorAndNoCredential) {
  const CutCase cc = GetParam();
  HostileServer server([cc](ServerConnection& c) {
    if (c.HandshakeUntil(cc.stage)) c.CutAtStageAndClose(cc.drop);
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.handshake_rc, cc.handshake_rc) << out.error;
  if (cc.auth_rc == LIBSSH2_ERROR_SOCKET_DISCONNECT) {
    // The login's first packet may meet the closed socket (a send error)
    // or the end of the stream first.
    EXPECT_THAT(out.auth_rc, AnyOf(LIBSSH2_ERROR_SOCKET_DISCONNECT,
                                   LIBSSH2_ERROR_SOCKET_SEND))
        << out.error;
  } else {
    EXPECT_EQ(out.auth_rc, cc.auth_rc) << out.error;
  }
  EXPECT_EQ(out.rounds, 0);
  EXPECT_LT(out.took, kPrompt);
}

INSTANTIATE_TEST_SUITE_P(
    Phases, CutMidPacketTest,
    ::testing::Values(
        CutCase{"InVersionLine", Stage::kBeforeKexInit, 5,
                LIBSSH2_ERROR_SOCKET_DISCONNECT, 1},
        CutCase{"InKexInit", Stage::kAfterKexInit, 100,
                LIBSSH2_ERROR_SOCKET_DISCONNECT, 1},
        CutCase{"InKexReply", Stage::kBeforeNewKeys, 40,
                LIBSSH2_ERROR_SOCKET_DISCONNECT, 1},
        CutCase{"BeforeNewKeys", Stage::kBeforeNewKeys, 0,
                LIBSSH2_ERROR_SOCKET_DISCONNECT, 1},
        // The handshake ends at NEWKEYS; the EXT_INFO after it is cut.
        CutCase{"InFirstEncryptedPacket", Stage::kAfterNewKeys, 3, 0,
                LIBSSH2_ERROR_SOCKET_DISCONNECT}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(HostileCutTest, MidInfoRequest) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    (void)c.server().Send(st::InfoRequest("", "", {{"Password: ", false}}));
    c.SendAllButAndClose(10);
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.auth_rc, LIBSSH2_ERROR_SOCKET_DISCONNECT) << out.error;
  EXPECT_EQ(out.rounds, 0);
  EXPECT_LT(out.took, kPrompt);
}

TEST(HostileCutTest, MidChannelData) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.Login(kPassword)) return;
    uint32_t ch = 0;
    if (!c.AcceptSessionChannel(1 << 20, &ch) || !c.AcceptRequest(ch)) return;
    (void)c.server().Send(st::ChannelData(ch, std::string(3000, 'x')));
    c.SendAllButAndClose(1000);
  });
  Outcome out = RunClient(server.port(), Exec());
  EXPECT_EQ(out.auth_rc, 0) << out.error;
  EXPECT_EQ(out.channel_rc, LIBSSH2_ERROR_SOCKET_DISCONNECT) << out.error;
  EXPECT_TRUE(out.output.empty());
  EXPECT_LT(out.took, kPrompt);
}

// ---------------------------------------------------------------------------
// Packet protection

class CorruptTagTest
    : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

// The first packet under keys the client needs after the handshake (the
// SERVICE_ACCEPT) arrives with one bit of its MAC or tag flipped.
TEST_P(CorruptTagTest, IsAnIntegrityError) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake()) return;
    absl::optional<Bytes> req = c.Read();
    if (!req) return;
    (void)c.server().Send(st::ServiceAccept());
    c.server().CorruptOutput(1);
    c.Flush();
    c.WaitForClientClose();
    ExpectNoCredentialSent(c);
  });
  ClientOptions o;
  o.cipher = GetParam().first;
  o.mac = GetParam().second;
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.handshake_rc, 0) << out.error;
  EXPECT_EQ(out.auth_rc, LIBSSH2_ERROR_INVALID_MAC) << out.error;
  EXPECT_EQ(out.rounds, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Protections, CorruptTagTest,
    ::testing::Values(std::make_pair("chacha20-poly1305@openssh.com", ""),
                      std::make_pair("aes256-gcm@openssh.com", ""),
                      std::make_pair("aes128-ctr", "hmac-sha2-256"),
                      std::make_pair("aes256-ctr",
                                     "hmac-sha2-512-etm@openssh.com")));

// The encrypted length of a packet decrypts to garbage (a huge length):
// refused at once, before anything that size is buffered.
TEST(HostileProtectionTest, CorruptedEncryptedLength) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake()) return;
    if (!c.Read()) return;
    const size_t before = c.server().output().size();
    (void)c.server().Send(st::ServiceAccept());
    const size_t packet = c.server().output().size() - before;
    c.server().CorruptOutput(packet, 0x40);  // the length's top byte
    c.Flush();
    c.WaitForClientClose();
  });
  ClientOptions o;
  o.cipher = "aes128-ctr";
  o.mac = "hmac-sha2-256";
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.auth_rc, LIBSSH2_ERROR_PROTO) << out.error;
  EXPECT_LT(out.took, kPrompt);
  EXPECT_LT(out.peak_heap, kLoginHeap);
}

TEST(HostileProtectionTest, GarbageAfterKeys) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.Read()) return;
    c.SendRaw(View(std::string(4096, '\xa5')));
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port());
  EXPECT_THAT(out.auth_rc,
              AnyOf(LIBSSH2_ERROR_PROTO, LIBSSH2_ERROR_INVALID_MAC))
      << out.error;
  EXPECT_LT(out.took, kPrompt);
  EXPECT_LT(out.peak_heap, kLoginHeap);
}

// ---------------------------------------------------------------------------
// Keyboard-interactive: malformed INFO_REQUESTs. None reaches the callback
// and no answer leaves the client.

struct BadInfoRequest {
  const char* name;
  Bytes message;
};

class MalformedInfoRequestTest
    : public ::testing::TestWithParam<BadInfoRequest> {};

TEST_P(MalformedInfoRequestTest, RefusedBeforeTheCallback) {
  const Bytes message = GetParam().message;
  HostileServer server([message](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    c.Send(message);
    c.WaitForClientClose();
    ExpectNoCredentialSent(c);
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.auth_rc, LIBSSH2_ERROR_PROTO) << out.error;
  EXPECT_EQ(out.rounds, 0);
  EXPECT_FALSE(out.authenticated);
  EXPECT_LT(out.took, kPrompt);
  EXPECT_LT(out.peak_heap, kLoginHeap);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, MalformedInfoRequestTest,
    ::testing::Values(
        BadInfoRequest{"Empty", Msg(kMsgUserauthInfoRequest)},
        BadInfoRequest{"NameOnly", Msg(kMsgUserauthInfoRequest).Str("n")},
        BadInfoRequest{"NoPromptCount",
                       Msg(kMsgUserauthInfoRequest).Str("").Str("").Str("")},
        BadInfoRequest{"FewerPromptsThanCounted", Msg(kMsgUserauthInfoRequest)
                                                      .Str("")
                                                      .Str("")
                                                      .Str("")
                                                      .U32(2)
                                                      .Str("Password: ")
                                                      .Bool(false)},
        BadInfoRequest{"HugePromptCount", Msg(kMsgUserauthInfoRequest)
                                              .Str("")
                                              .Str("")
                                              .Str("")
                                              .U32(0xffffffff)},
        BadInfoRequest{"PromptLengthPastTheEnd", Msg(kMsgUserauthInfoRequest)
                                                     .Str("")
                                                     .Str("")
                                                     .Str("")
                                                     .U32(1)
                                                     .U32(0xfffffff0)
                                                     .Raw("Password")},
        BadInfoRequest{"PromptOver64KiB", Msg(kMsgUserauthInfoRequest)
                                              .Str("")
                                              .Str("")
                                              .Str("")
                                              .U32(1)
                                              .Str(std::string(200 * 1024, 'P'))
                                              .Bool(false)},
        BadInfoRequest{"NameLengthPastTheEnd",
                       Msg(kMsgUserauthInfoRequest).U32(0x7fffffff).Raw("x")},
        BadInfoRequest{"MissingEchoFlag", Msg(kMsgUserauthInfoRequest)
                                              .Str("")
                                              .Str("")
                                              .Str("")
                                              .U32(1)
                                              .Str("Password: ")},
        BadInfoRequest{"TrailingBytes", Msg(kMsgUserauthInfoRequest)
                                            .Str("")
                                            .Str("")
                                            .Str("")
                                            .U32(1)
                                            .Str("Password: ")
                                            .Bool(false)
                                            .Raw("junk")},
        BadInfoRequest{"TooManyPrompts",
                       [] {
                         Msg m(kMsgUserauthInfoRequest);
                         // Over kMaxPrompts (256), within a packet.
                         m.Str("").Str("").Str("").U32(20000);
                         for (int i = 0; i < 20000; ++i) m.Str("").Bool(false);
                         return Bytes(m);
                       }()}),
    [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------
// Keyboard-interactive: the conversation itself.

// An INFO_REQUEST after a password request: RFC 4252 makes message 60 a
// password change request there, so the INFO_REQUEST fields do not parse
// as one (trailing bytes): a protocol error, and never a prompt for the
// keyboard-interactive callback.
TEST(HostileAuthTest, InfoRequestWhenKeyboardInteractiveWasNotRequested) {
  std::atomic<bool> password_seen{false};
  HostileServer server([&](ServerConnection& c) {
    absl::optional<st::UserauthRequest> req;
    if (!c.Handshake() || !(req = c.AcceptServiceAndReadRequest())) return;
    password_seen = req->method == "password";
    c.Send(st::InfoRequest("", "", {{"Password: ", false}}));
    c.WaitForClientClose();
    EXPECT_FALSE(c.ClientSentType(kMsgUserauthInfoResponse));
  });
  ClientOptions o;
  o.password_method = true;
  Outcome out = RunClient(server.port(), o);
  server.Join();
  EXPECT_TRUE(password_seen);
  EXPECT_EQ(out.auth_rc, LIBSSH2_ERROR_PROTO) << out.error;
  EXPECT_EQ(out.rounds, 0);
  EXPECT_FALSE(out.authenticated);
}

// A well-formed password change request, and no change callback: the
// login ends as libssh2 ends it.
TEST(HostileAuthTest, PasswordChangeRequestWithoutACallback) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    c.Send(Msg(kMsgUserauthInfoRequest).Str("Change it now").Str(""));
    c.WaitForClientClose();
  });
  ClientOptions o;
  o.password_method = true;
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.auth_rc, LIBSSH2_ERROR_PASSWORD_EXPIRED) << out.error;
  EXPECT_FALSE(out.authenticated);
}

TEST(HostileAuthTest, SuccessWithARoundUnanswered) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    (void)c.server().Send(st::InfoRequest("", "", {{"Password: ", false}}));
    (void)c.server().Send(st::UserauthSuccess());
    c.Flush();
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port());
  server.Join();
  // The server's word decides: it let us in. A round still open when
  // SUCCESS is read is dropped: the callback is not asked (rounds 0) unless
  // it ran before SUCCESS arrived.
  EXPECT_EQ(out.auth_rc, 0) << out.error;
  EXPECT_TRUE(out.authenticated);
  EXPECT_LE(out.rounds, 1);
}

TEST(HostileAuthTest, UserauthSuccessBeforeAnyRequest) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.Read()) return;
    (void)c.server().Send(st::UserauthSuccess());
    (void)c.server().Send(st::ServiceAccept());
    c.Flush();
    c.WaitForClientClose();
    ExpectNoCredentialSent(c);
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.auth_rc, LIBSSH2_ERROR_PROTO) << out.error;
  EXPECT_FALSE(out.authenticated);
}

TEST(HostileAuthTest, ServiceAcceptForAnotherService) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.Read()) return;
    c.Send(Msg(kMsgServiceAccept).Str("ssh-connection"));
    c.WaitForClientClose();
    ExpectNoCredentialSent(c);
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.auth_rc, LIBSSH2_ERROR_PROTO) << out.error;
  EXPECT_EQ(out.rounds, 0);
}

TEST(HostileAuthTest, EndlessRoundsMeetTheRoundCap) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    for (int i = 0; i < 1000; ++i) {
      if (!c.AskPassword("Again: ")) break;
    }
    c.WaitForClientClose();
  });
  ClientOptions o;
  o.max_rounds = 5;
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.auth_rc, PARLEY_ERROR_ROUND_LIMIT) << out.error;
  EXPECT_EQ(out.rounds, 5);
  EXPECT_FALSE(out.authenticated);
  EXPECT_LT(out.took, kPrompt);
}

TEST(HostileAuthTest, EndlessEmptyRoundsMeetTheRoundCap) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    for (int i = 0; i < 1000; ++i) {
      if (!c.Send(st::InfoRequest("", "", {})) || !c.Read()) break;
    }
    c.WaitForClientClose();
  });
  ClientOptions o;
  o.max_rounds = 8;
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.auth_rc, PARLEY_ERROR_ROUND_LIMIT) << out.error;
  EXPECT_LE(out.rounds, 8);
  EXPECT_LT(out.took, kPrompt);
}

// Each round comes just inside the round deadline; the overall deadline
// ends the conversation (the "round every 59 s" server, time-scaled).
TEST(HostileAuthTest, RoundsJustInsideTheRoundDeadline) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    for (int i = 0; i < 20; ++i) {
      std::this_thread::sleep_for(Millis(250));
      if (!c.AskPassword("Again: ")) break;
    }
    c.WaitForClientClose();
  });
  ClientOptions o;
  o.max_rounds = 32;
  o.round_timeout_ms = 300;
  o.overall_timeout_ms = 1200;
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.auth_rc, PARLEY_ERROR_DEADLINE) << out.error;
  EXPECT_THAT(out.error, HasSubstr("deadline"));
  EXPECT_GE(out.rounds, 2);
  EXPECT_GE(out.took, Millis(1150));
  EXPECT_LT(out.took, Millis(2500));
}

TEST(HostileAuthTest, SlowLorisInfoRequestMeetsTheOverallDeadline) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    (void)c.server().Send(st::InfoRequest("", "", {{"Password: ", false}}));
    c.Trickle(Millis(50), Millis(4000));
    c.WaitForClientClose();
  });
  ClientOptions o;
  o.max_rounds = 32;
  o.overall_timeout_ms = 800;
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.auth_rc, PARLEY_ERROR_DEADLINE) << out.error;
  EXPECT_EQ(out.rounds, 0);
  EXPECT_LT(out.took, Millis(2000));
}

TEST(HostileAuthTest, SilentAfterTheRequestMeetsTheCallTimeout) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    c.WaitForClientClose();
  });
  ClientOptions o;
  o.timeout_ms = 700;
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.auth_rc, LIBSSH2_ERROR_TIMEOUT) << out.error;
  EXPECT_GE(out.took, Millis(650));
  EXPECT_LT(out.took, Millis(2500));
}

TEST(HostileAuthTest, FailureAfterTheAnswer) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    if (!c.AskPassword()) return;
    c.Send(st::UserauthFailure({"publickey", "keyboard-interactive"}));
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.auth_rc, LIBSSH2_ERROR_AUTHENTICATION_FAILED) << out.error;
  EXPECT_EQ(out.rounds, 1);
  EXPECT_FALSE(out.authenticated);
}

TEST(HostileAuthTest, BannerFloodIsBounded) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    const Bytes banner = st::UserauthBanner(std::string(1000, 'b'));
    for (int i = 0; i < 20000; ++i) {
      (void)c.server().Send(banner);
      if (i % 100 == 99 && !c.Flush()) return;
    }
    if (!c.AskPassword()) return;
    c.Send(st::UserauthSuccess());
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.auth_rc, 0) << out.error;
  EXPECT_LT(out.peak_heap, kLoginHeap);
}

class FloodDuringAuthTest : public ::testing::TestWithParam<uint8_t> {};

TEST_P(FloodDuringAuthTest, LoginStillWorksAndMemoryIsBounded) {
  const uint8_t type = GetParam();
  HostileServer server([type](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    for (int i = 0; i < 100000; ++i) {
      if (type == kMsgIgnore) {
        (void)c.server().SendIgnore("flood");
      } else {
        (void)c.server().SendDebug(false, "flood");
      }
      if (i % 1000 == 999 && !c.Flush()) return;
    }
    if (!c.AskPassword()) return;
    c.Send(st::UserauthSuccess());
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.auth_rc, 0) << out.error;
  EXPECT_LT(out.peak_heap, kLoginHeap);
}

INSTANTIATE_TEST_SUITE_P(Messages, FloodDuringAuthTest,
                         ::testing::Values(kMsgIgnore, kMsgDebug));

TEST(HostileAuthTest, GlobalRequestBeforeAuthentication) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    c.Send(st::GlobalRequest("keepalive@openssh.com", true));
    c.WaitForClientClose();
    ExpectNoCredentialSent(c);
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.auth_rc, LIBSSH2_ERROR_PROTO) << out.error;
  EXPECT_EQ(out.rounds, 0);
}

TEST(HostileAuthTest, ChannelOpenBeforeAuthentication) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    c.Send(st::ServerChannelOpen("x11", 3));
    c.WaitForClientClose();
    ExpectNoCredentialSent(c);
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.auth_rc, LIBSSH2_ERROR_PROTO) << out.error;
}

TEST(HostileAuthTest, ExtInfoRepeated) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.Read()) return;
    (void)c.server().SendExtInfo({{"server-sig-algs", "ssh-ed25519"}});
    c.Send(st::ServiceAccept());
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.auth_rc, LIBSSH2_ERROR_PROTO) << out.error;
  EXPECT_THAT(out.error, HasSubstr("EXT_INFO"));
}

TEST(HostileAuthTest, DisconnectDuringAuthIsEscaped) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    (void)c.server().SendDisconnect(2, "bye\x1b[31m\r\nfake prompt: ");
    c.Flush();
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.auth_rc, LIBSSH2_ERROR_SOCKET_DISCONNECT) << out.error;
  EXPECT_THAT(out.error, HasSubstr("bye"));
  EXPECT_EQ(out.error.find('\x1b'), std::string::npos);
  EXPECT_EQ(out.error.find('\r'), std::string::npos);
}

TEST(HostileAuthTest, ServerRekeyMidConversation) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    (void)c.server().Rekey();
    if (!c.AskPassword()) return;
    c.Send(st::UserauthSuccess());
    c.WaitForClientClose();
    EXPECT_EQ(c.server().kex_count(), 2);
  });
  Outcome out = RunClient(server.port());
  EXPECT_EQ(out.auth_rc, 0) << out.error;
  EXPECT_EQ(out.rounds, 1);
}

// libssh2_session_callback_set2: IGNORE and DEBUG reach their callbacks
// with the server's bytes, DISCONNECT with its reason and text.
TEST(HostileAuthTest, CallbacksSeeIgnoreDebugAndDisconnect) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    (void)c.server().SendIgnore("ignore-me");
    (void)c.server().SendDebug(true, "debug-me");
    (void)c.server().SendDisconnect(14, "no more methods");
    c.Flush();
    c.WaitForClientClose();
  });
  ClientOptions o;
  o.record_callbacks = true;
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.auth_rc, LIBSSH2_ERROR_SOCKET_DISCONNECT) << out.error;
  EXPECT_EQ(out.ignored, std::vector<std::string>{"ignore-me"});
  EXPECT_EQ(out.debugged, std::vector<std::string>{"debug-me"});
  EXPECT_EQ(out.disconnect_reason, 14);
  EXPECT_EQ(out.disconnect_message, "no more methods");
}

// A MACERROR callback that asks to ignore the bad packet is told, but the
// session still ends: a forged packet is never taken.
TEST(HostileProtectionTest, MacErrorCallbackCannotAcceptAForgedPacket) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.Read()) return;
    (void)c.server().Send(st::ServiceAccept());
    c.server().CorruptOutput(1);
    c.Flush();
    c.WaitForClientClose();
  });
  ClientOptions o;
  o.record_callbacks = true;
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.auth_rc, LIBSSH2_ERROR_INVALID_MAC) << out.error;
  EXPECT_EQ(out.mac_errors, 1);
  EXPECT_EQ(out.rounds, 0);
}

// ---------------------------------------------------------------------------
// Channels

TEST(HostileChannelTest, OpenFailure) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.Login(kPassword)) return;
    absl::optional<Bytes> open = c.Read();
    if (!open) return;
    wire::Reader r(ByteView(*open).subspan(1));
    absl::string_view type;
    uint32_t sender = 0;
    (void)r.ReadString(&type);
    (void)r.ReadU32(&sender);
    c.Send(Msg(kMsgChannelOpenFailure)
               .U32(sender)
               .U32(1)
               .Str("prohibited")
               .Str(""));
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port(), Exec());
  EXPECT_EQ(out.channel_rc, LIBSSH2_ERROR_CHANNEL_FAILURE) << out.error;
}

TEST(HostileChannelTest, WindowNeverOpened) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.Login(kPassword)) return;
    uint32_t ch = 0;
    if (!c.AcceptSessionChannel(0, &ch) || !c.AcceptRequest(ch)) return;
    c.WaitForClientClose();
  });
  ClientOptions o = Exec();
  o.write = "data the server never makes room for";
  o.timeout_ms = 700;
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.channel_rc, LIBSSH2_ERROR_TIMEOUT) << out.error;
  EXPECT_LT(out.took, Millis(2500));
}

// The server sends more than the window the client opened before the
// program reads anything (all of it ahead of the exec reply, so no window
// adjust can come first): refused, with the buffering bounded by the
// window.
TEST(HostileChannelTest, DataBeyondTheWindow) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.Login(kPassword)) return;
    uint32_t ch = 0, window = 0;
    if (!c.AcceptSessionChannel(1 << 20, &ch, &window)) return;
    while (absl::optional<Bytes> m = c.Read()) {
      if ((*m)[0] == kMsgChannelRequest) break;
    }
    const Bytes chunk = st::ChannelData(ch, std::string(32000, 'd'));
    for (uint64_t sent = 0; sent <= window; sent += 32000) {
      if (!c.Send(chunk)) return;
    }
    c.Send(st::ChannelSuccess(ch));
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port(), Exec());
  EXPECT_EQ(out.channel_rc, LIBSSH2_ERROR_PROTO) << out.error;
  EXPECT_THAT(out.error, HasSubstr("window"));
  EXPECT_TRUE(out.output.empty());
  EXPECT_LT(out.peak_heap, 12 * kMiB);  // the 8 MiB window, and no more
}

TEST(HostileChannelTest, DataAfterEof) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.Login(kPassword)) return;
    uint32_t ch = 0;
    if (!c.AcceptSessionChannel(1 << 20, &ch) || !c.AcceptRequest(ch)) return;
    c.Send(st::ChannelEof(ch));
    c.Send(st::ChannelData(ch, "after eof"));
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port(), Exec());
  EXPECT_EQ(out.channel_rc, LIBSSH2_ERROR_PROTO) << out.error;
  EXPECT_THAT(out.output, Not(HasSubstr("after eof")));
}

TEST(HostileChannelTest, WindowAdjustPastTwoToThe32) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.Login(kPassword)) return;
    uint32_t ch = 0;
    if (!c.AcceptSessionChannel(1 << 20, &ch) || !c.AcceptRequest(ch)) return;
    c.Send(st::WindowAdjust(ch, 0xfffffff0u));
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port(), Exec());
  EXPECT_EQ(out.channel_rc, LIBSSH2_ERROR_PROTO) << out.error;
}

TEST(HostileChannelTest, MessageForAnUnknownChannel) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.Login(kPassword)) return;
    uint32_t ch = 0;
    if (!c.AcceptSessionChannel(1 << 20, &ch) || !c.AcceptRequest(ch)) return;
    c.Send(st::ChannelData(ch + 1000, "who?"));
    c.WaitForClientClose();
  });
  Outcome out = RunClient(server.port(), Exec());
  EXPECT_EQ(out.channel_rc, LIBSSH2_ERROR_PROTO) << out.error;
}

// A channel the server opens unasked is refused; the session goes on.
TEST(HostileChannelTest, ServerChannelOpenIsRefused) {
  std::atomic<bool> refused{false};
  HostileServer server([&](ServerConnection& c) {
    if (!c.Handshake() || !c.Login(kPassword)) return;
    uint32_t ch = 0;
    if (!c.AcceptSessionChannel(1 << 20, &ch)) return;
    c.Send(st::ServerChannelOpen("forwarded-tcpip", 55));
    while (absl::optional<Bytes> m = c.Read()) {
      if ((*m)[0] == kMsgChannelRequest) break;
    }
    c.Send(st::ChannelSuccess(ch));
    c.Send(st::ChannelData(ch, "still here"));
    c.Send(st::ChannelEof(ch));
    c.Send(st::ChannelClose(ch));
    c.WaitForClientClose();
    refused = c.ClientSentType(kMsgChannelOpenFailure);
  });
  Outcome out = RunClient(server.port(), Exec());
  server.Join();
  EXPECT_EQ(out.channel_rc, 0) << out.error;
  EXPECT_EQ(out.output, "still here");
  EXPECT_TRUE(refused);
}

// After login, GLOBAL_REQUESTs with want-reply flood in while the server
// reads nothing: the client's replies pile up only to the transport's cap,
// then the call ends.
TEST(HostileChannelTest, GlobalRequestFloodWithoutReading) {
  HostileServer server([](ServerConnection& c) {
    if (!c.Handshake() || !c.Login(kPassword)) return;
    const Bytes req = st::GlobalRequest("flood@example.com", true);
    for (int i = 0; i < 400000; ++i) {
      (void)c.server().Send(req);
      if (i % 1000 == 999 && !c.Flush()) break;
    }
    c.Close();
  });
  ClientOptions o = Exec();
  o.timeout_ms = 2000;
  Outcome out = RunClient(server.port(), o);
  EXPECT_EQ(out.auth_rc, 0) << out.error;
  EXPECT_THAT(out.channel_rc, AnyOf(LIBSSH2_ERROR_ALLOC, LIBSSH2_ERROR_TIMEOUT,
                                    LIBSSH2_ERROR_SOCKET_DISCONNECT))
      << out.error;
  EXPECT_LT(out.peak_heap, 40 * kMiB);
  EXPECT_LT(out.took, Millis(8000));
}

}  // namespace
}  // namespace parley::hostile
