// Unit tests of the client transport engine (parley::transport::Transport)
// against FakeServer, an in-memory SSH server built from Parley's pieces:
// every key exchange method, host key type and cipher/MAC class, strict KEX,
// guessed packets, host key checks, DISCONNECT, rekeying from either side,
// EXT_INFO, and hostile input (tampered MACs, oversized lengths, messages in
// the wrong state, odd version exchanges).
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "backends/openssl/openssl_provider.h"
#include "core/crypto/dh_groups.h"
#include "core/crypto/ssh_aead.h"
#include "core/crypto/ssh_keys.h"
#include "core/transport/messages.h"
#include "core/transport/transport.h"
#include "core/wire/writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/transport/fake_server.h"

// The largest single allocation while tracking is on: proves a hostile
// packet length never turns into an allocation of that size. The
// replacements are kept out of line so that GCC, once it inlines a delete,
// does not see malloc/free paired with operator new (-Wmismatched-new-delete
// under -O1/-O2, e.g. --config=asan).
namespace {
std::atomic<bool> g_track_allocations{false};
std::atomic<size_t> g_largest_allocation{0};
}  // namespace

__attribute__((noinline)) void* operator new(std::size_t n) {
  if (g_track_allocations.load(std::memory_order_relaxed)) {
    size_t prev = g_largest_allocation.load(std::memory_order_relaxed);
    while (n > prev && !g_largest_allocation.compare_exchange_weak(prev, n)) {
    }
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void operator delete(void* p) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace parley::transport {
namespace {

using ::parley::transport::testing::FakeServer;
using ::parley::transport::testing::FakeServerOptions;
using ::parley::transport::testing::Pump;
using ::parley::transport::testing::PumpOnce;
using ::parley::transport::testing::Stage;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

#define ASSERT_OK(expr)                \
  do {                                 \
    const absl::Status ok_s_ = (expr); \
    ASSERT_TRUE(ok_s_.ok()) << ok_s_;  \
  } while (0)

class AllocationWatch {
 public:
  AllocationWatch() {
    g_largest_allocation = 0;
    g_track_allocations = true;
  }
  ~AllocationWatch() { g_track_allocations = false; }
  size_t largest() const { return g_largest_allocation.load(); }
};

std::shared_ptr<const crypto::CryptoProvider> Provider() {
  static const auto* const kProvider =
      new std::shared_ptr<const crypto::CryptoProvider>(
          crypto::openssl_backend::NewOpenSslProvider());
  return *kProvider;
}

// Host keys, generated once per (type, index) for the whole binary.
const crypto::PrivateKey& HostKey(crypto::KeyType type, int index = 0) {
  static auto* const cache =
      new std::map<std::pair<int, int>, crypto::PrivateKey>();
  const std::pair<int, int> id(static_cast<int>(type), index);
  auto it = cache->find(id);
  if (it == cache->end()) {
    absl::StatusOr<crypto::PrivateKey> k = Provider()->GenerateKey(type, 2048);
    EXPECT_TRUE(k.ok()) << k.status();
    it =
        cache->emplace(id, k.ok() ? *std::move(k) : crypto::PrivateKey()).first;
  }
  return it->second;
}

std::vector<crypto::PrivateKey> AllHostKeys() {
  return {HostKey(crypto::KeyType::kEd25519),
          HostKey(crypto::KeyType::kEcdsaP256),
          HostKey(crypto::KeyType::kEcdsaP384),
          HostKey(crypto::KeyType::kEcdsaP521), HostKey(crypto::KeyType::kRsa)};
}

// An upper-layer message carrying a sequence number: 94 || uint32 n || fill.
Bytes AppMsg(uint32_t n, size_t size = 24) {
  Bytes m;
  wire::Writer w(&m);
  w.WriteU8(kMsgChannelData);
  w.WriteU32(n);
  while (m.size() < size)
    m.push_back(static_cast<uint8_t>('a' + m.size() % 26));
  return m;
}

uint32_t MsgNumber(const Bytes& m) {
  if (m.size() < 5 || m[0] != kMsgChannelData) return 0xffffffff;
  return uint32_t{m[1]} << 24 | uint32_t{m[2]} << 16 | uint32_t{m[3]} << 8 |
         uint32_t{m[4]};
}

std::vector<uint32_t> Range(uint32_t n) {
  std::vector<uint32_t> v;
  for (uint32_t i = 0; i < n; ++i) v.push_back(i);
  return v;
}

std::string ParamName(std::string s) {
  for (char& c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

class EngineTest : public ::testing::Test {
 protected:
  TransportOptions ClientOptions() {
    TransportOptions o;
    o.provider = Provider();
    o.verify_host_key = [this](const HostKeyInfo& hk) {
      verified_.push_back(hk);
      return verify_result_;
    };
    o.on_debug = [this](bool, const std::string& msg) {
      debug_messages_.push_back(msg);
    };
    return o;
  }

  FakeServerOptions ServerOptions() {
    FakeServerOptions o;
    o.provider = Provider();
    o.host_keys = {HostKey(crypto::KeyType::kEd25519)};
    return o;
  }

  // Creates and starts both sides, without moving any byte.
  void Start(TransportOptions c, FakeServerOptions s) {
    client_ = std::make_unique<Transport>(std::move(c));
    server_ = std::make_unique<FakeServer>(std::move(s));
    ASSERT_OK(client_->Start());
    ASSERT_OK(server_->Start());
  }

  void Connect(TransportOptions c, FakeServerOptions s, size_t chunk = 0) {
    Start(std::move(c), std::move(s));
    Pump(*client_, *server_, chunk);
  }

  void ExpectEstablished() {
    EXPECT_TRUE(client_->error().ok()) << client_->error();
    EXPECT_TRUE(server_->error().ok()) << server_->error();
    EXPECT_EQ(client_->state(), Transport::State::kEstablished)
        << Transport::StateName(client_->state());
    EXPECT_EQ(server_->state(), FakeServer::State::kEstablished)
        << FakeServer::StateName(server_->state());
    EXPECT_TRUE(client_->established());
    EXPECT_FALSE(client_->session_id().empty());
    EXPECT_EQ(client_->session_id(), server_->session_id());
  }

  // Sends `n` numbered messages each way and checks they arrive in order.
  void ExpectMessagesFlow(uint32_t n = 3, size_t size = 24) {
    for (uint32_t i = 0; i < n; ++i) {
      ASSERT_OK(client_->Send(AppMsg(i, size)));
      ASSERT_OK(server_->Send(AppMsg(i, size)));
    }
    Pump(*client_, *server_);
    std::vector<uint32_t> at_client, at_server;
    Drain(&at_client, &at_server);
    EXPECT_EQ(at_client, Range(n));
    EXPECT_EQ(at_server, Range(n));
  }

  void Drain(std::vector<uint32_t>* at_client,
             std::vector<uint32_t>* at_server) {
    Bytes m;
    while (client_->Receive(&m)) at_client->push_back(MsgNumber(m));
    while (server_->Receive(&m)) at_server->push_back(MsgNumber(m));
  }

  // Feeds all of the server's pending output to the client at once.
  absl::Status DeliverToClient() {
    Bytes out(server_->output().begin(), server_->output().end());
    server_->ConsumeOutput(out.size());
    return client_->Feed(out);
  }

  void ExpectClientSentDisconnect(uint32_t reason) {
    Pump(*client_, *server_);
    ASSERT_TRUE(server_->client_disconnect().has_value())
        << "no DISCONNECT from the client; server: " << server_->error();
    EXPECT_EQ(server_->client_disconnect()->reason, reason);
  }

  std::unique_ptr<Transport> client_;
  std::unique_ptr<FakeServer> server_;
  std::vector<HostKeyInfo> verified_;
  absl::Status verify_result_ = absl::OkStatus();
  std::vector<std::string> debug_messages_;
};

// ---------------------------------------------------------------------------
// Handshakes

class KexMethodTest : public EngineTest,
                      public ::testing::WithParamInterface<const char*> {};

// Each key exchange method completes against an independent server-side
// implementation (same H, same keys on both sides) and traffic flows.
TEST_P(KexMethodTest, Handshake) {
  TransportOptions c = ClientOptions();
  c.algorithms.kex = {GetParam()};
  FakeServerOptions s = ServerOptions();
  s.algorithms.kex = {GetParam()};  // the legacy ones only when named
  Connect(std::move(c), std::move(s));
  ExpectEstablished();
  EXPECT_EQ(client_->negotiated().kex, GetParam());
  EXPECT_EQ(server_->negotiated().kex, GetParam());
  EXPECT_EQ(client_->kex_count(), 1);
  EXPECT_EQ(server_->client_version(), kParleyVersion);
  EXPECT_EQ(client_->server_version(), "SSH-2.0-ParleyFakeServer_1.0");
  ExpectMessagesFlow();
}

INSTANTIATE_TEST_SUITE_P(
    AllMethods, KexMethodTest,
    ::testing::Values("curve25519-sha256", "curve25519-sha256@libssh.org",
                      "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
                      "ecdh-sha2-nistp521", "diffie-hellman-group14-sha256",
                      "diffie-hellman-group16-sha512",
                      "diffie-hellman-group18-sha512",
                      "diffie-hellman-group14-sha1",
                      "diffie-hellman-group-exchange-sha256",
                      "diffie-hellman-group-exchange-sha1"),
    [](const auto& info) { return ParamName(info.param); });

// Group exchange: a server's group outside what was asked (too small, too
// large, an even "prime", a generator of 1 or p-1) ends the exchange
// before anything is computed in it.
TEST_F(EngineTest, GroupExchangeRefusesBadGroups) {
  const crypto::ModpGroup& g14 =
      *crypto::FindModpGroup(crypto::KexGroup::kModp2048);
  const crypto::ModpGroup& g18 =
      *crypto::FindModpGroup(crypto::KexGroup::kModp8192);
  const Bytes p14(g14.prime.begin(), g14.prime.end());
  Bytes p18_bigger(g18.prime.begin(), g18.prime.end());
  p18_bigger.insert(p18_bigger.begin(), 1);             // 8193 bits
  const Bytes p_small(p14.begin(), p14.begin() + 128);  // 1024 bits
  Bytes even = p14;
  even.back() ^= 1;
  Bytes pm1 = p14;
  pm1.back() -= 1;
  const std::pair<Bytes, Bytes> kBad[] = {{p_small, Bytes{2}},
                                          {p18_bigger, Bytes{2}},
                                          {even, Bytes{2}},
                                          {p14, Bytes{1}},
                                          {p14, pm1}};
  for (const auto& group : kBad) {
    TransportOptions c = ClientOptions();
    c.algorithms.kex = {"diffie-hellman-group-exchange-sha256"};
    FakeServerOptions s = ServerOptions();
    s.algorithms.kex = c.algorithms.kex;
    s.gex_group = group;
    Connect(std::move(c), std::move(s));
    EXPECT_TRUE(client_->closed());
    EXPECT_EQ(KindOf(client_->error()), ErrorKind::kKeyExchange)
        << client_->error();
    EXPECT_FALSE(client_->established());
  }
}

class HostKeyTest : public EngineTest,
                    public ::testing::WithParamInterface<const char*> {};

// Each host key algorithm: the server signs H with the matching key, the
// client verifies it and hands the verified key to verify_host_key.
TEST_P(HostKeyTest, Handshake) {
  TransportOptions c = ClientOptions();
  c.algorithms.host_key = {GetParam()};
  FakeServerOptions s = ServerOptions();
  s.host_keys = AllHostKeys();
  s.algorithms.host_key = {GetParam()};
  Connect(std::move(c), std::move(s));
  ExpectEstablished();
  EXPECT_EQ(client_->negotiated().host_key, GetParam());
  ASSERT_EQ(verified_.size(), 1u);
  EXPECT_EQ(verified_[0].algorithm, GetParam());
  EXPECT_EQ(verified_[0].blob, server_->host_key_blob());
  EXPECT_EQ(client_->host_key().blob, server_->host_key_blob());
  crypto::SignatureAlgorithm alg;
  ASSERT_TRUE(crypto::SignatureAlgorithmFromName(GetParam(), &alg));
  EXPECT_EQ(client_->host_key().key.type, crypto::KeyTypeFor(alg));
  ExpectMessagesFlow();
}

INSTANTIATE_TEST_SUITE_P(
    AllHostKeys, HostKeyTest,
    ::testing::Values("ssh-ed25519", "ecdsa-sha2-nistp256",
                      "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                      "rsa-sha2-256", "rsa-sha2-512", "ssh-rsa"),
    [](const auto& info) { return ParamName(info.param); });

struct CipherCase {
  const char* cipher;
  const char* mac;  // "" for AEAD
};

class CipherTest : public EngineTest,
                   public ::testing::WithParamInterface<CipherCase> {
 protected:
  void ConnectWith(const CipherCase& cc) {
    TransportOptions c = ClientOptions();
    c.algorithms.cipher = {cc.cipher};
    if (*cc.mac != '\0') c.algorithms.mac = {cc.mac};
    FakeServerOptions s = ServerOptions();
    s.algorithms.cipher = c.algorithms.cipher;  // legacy ones when named
    if (*cc.mac != '\0') s.algorithms.mac = c.algorithms.mac;
    Connect(std::move(c), std::move(s));
  }
};

// Each packet protection class (AEAD, encrypt-then-MAC, encrypt-and-MAC)
// is negotiated by name and carries traffic both ways, including messages
// larger than a cipher block and empty-ish ones.
TEST_P(CipherTest, Handshake) {
  const CipherCase& cc = GetParam();
  ConnectWith(cc);
  ExpectEstablished();
  EXPECT_EQ(client_->negotiated().cipher_c2s, cc.cipher);
  EXPECT_EQ(client_->negotiated().cipher_s2c, cc.cipher);
  EXPECT_EQ(client_->negotiated().mac_c2s, cc.mac);
  EXPECT_EQ(client_->negotiated().mac_s2c, cc.mac);
  ExpectMessagesFlow(5, 5);
  ExpectMessagesFlow(5, 3000);
}

// A flipped bit in the MAC or tag of a packet fails closed with kDataLoss
// (MAC_ERROR sent), and so does a flipped bit in the encrypted payload.
TEST_P(CipherTest, TamperedPacketIsDataLoss) {
  const CipherCase& cc = GetParam();
  const crypto::SshCipherInfo* ci = crypto::FindSshCipher(cc.cipher);
  const crypto::SshMacInfo* mi = crypto::FindSshMac(cc.mac);
  ASSERT_NE(ci, nullptr);
  const size_t trailer = ci->tag_size != 0 ? ci->tag_size : mi->tag_size;
  for (size_t from_end : {size_t{1}, trailer, trailer + 20}) {
    SCOPED_TRACE(from_end);
    ConnectWith(cc);
    ExpectEstablished();
    ASSERT_OK(server_->Send(AppMsg(7, 100)));
    server_->CorruptOutput(from_end, 0x40);
    absl::Status s = DeliverToClient();
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_TRUE(client_->closed());
    EXPECT_EQ(client_->error().code(), absl::StatusCode::kDataLoss);
    Bytes m;
    EXPECT_FALSE(client_->Receive(&m));
    ExpectClientSentDisconnect(kDisconnectMacError);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Classes, CipherTest,
    ::testing::Values(CipherCase{"chacha20-poly1305@openssh.com", ""},
                      CipherCase{"aes256-gcm@openssh.com", ""},
                      CipherCase{"aes128-ctr", "hmac-sha2-256-etm@openssh.com"},
                      CipherCase{"aes256-ctr", "hmac-sha2-512"},
                      CipherCase{"aes192-ctr", "hmac-sha1"},
                      // Legacy, named: CBC with encrypt-and-MAC.
                      CipherCase{"aes128-cbc", "hmac-sha1-96"},
                      CipherCase{"aes256-cbc", "hmac-md5"},
                      CipherCase{"3des-cbc", "hmac-md5-96"}),
    [](const auto& info) {
      return ParamName(std::string(info.param.cipher) + "_" + info.param.mac);
    });

// The two directions negotiate independently and use their own keys: an
// AEAD server-to-client and a plain MAC client-to-server.
TEST_F(EngineTest, DirectionsNegotiateIndependently) {
  FakeServerOptions s = ServerOptions();
  s.edit_kexinit = [](KexInit* k, int) {
    k->cipher_c2s = {"aes128-ctr"};
    k->mac_c2s = {"hmac-sha2-256"};
    k->cipher_s2c = {"chacha20-poly1305@openssh.com"};
  };
  Connect(ClientOptions(), std::move(s));
  ExpectEstablished();
  EXPECT_EQ(client_->negotiated().cipher_c2s, "aes128-ctr");
  EXPECT_EQ(client_->negotiated().mac_c2s, "hmac-sha2-256");
  EXPECT_EQ(client_->negotiated().cipher_s2c, "chacha20-poly1305@openssh.com");
  EXPECT_EQ(client_->negotiated().mac_s2c, "");
  ExpectMessagesFlow();
}

// Byte-at-a-time delivery (version line, packets split anywhere) makes no
// difference to the handshake or to traffic.
TEST_F(EngineTest, HandshakeOneByteAtATime) {
  FakeServerOptions s = ServerOptions();
  s.pre_version = "banner\r\n";
  s.server_sig_algs = {"ssh-ed25519"};
  Connect(ClientOptions(), std::move(s), /*chunk=*/1);
  ExpectEstablished();
  EXPECT_THAT(client_->server_sig_algs(), ElementsAre("ssh-ed25519"));
  for (uint32_t i = 0; i < 4; ++i) ASSERT_OK(server_->Send(AppMsg(i)));
  Pump(*client_, *server_, 1);
  std::vector<uint32_t> at_client, at_server;
  Drain(&at_client, &at_server);
  EXPECT_EQ(at_client, Range(4));
}

// Messages sent before the first key exchange finished are held, then sent
// under the new keys in order (nothing goes out in the clear).
TEST_F(EngineTest, MessagesSentDuringHandshakeAreHeldAndDelivered) {
  Start(ClientOptions(), ServerOptions());
  for (uint32_t i = 0; i < 3; ++i) ASSERT_OK(client_->Send(AppMsg(i)));
  Pump(*client_, *server_);
  ExpectEstablished();
  std::vector<uint32_t> at_client, at_server;
  Drain(&at_client, &at_server);
  EXPECT_EQ(at_server, Range(3));
}

// No common algorithm: the client fails naming the slot, and tells the
// server KEY_EXCHANGE_FAILED.
TEST_F(EngineTest, NoCommonCipherFailsNamingTheSlot) {
  TransportOptions c = ClientOptions();
  c.algorithms.cipher = {"aes128-ctr"};
  FakeServerOptions s = ServerOptions();
  s.algorithms.cipher = {"aes256-gcm@openssh.com"};
  Start(std::move(c), std::move(s));
  ASSERT_FALSE(DeliverToClient().ok());
  EXPECT_TRUE(client_->closed());
  EXPECT_EQ(client_->error().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(client_->error().message()),
              HasSubstr("client-to-server cipher"));
  ExpectClientSentDisconnect(kDisconnectKeyExchangeFailed);
}

// Client states from Start() to established, and Send() after close.
TEST_F(EngineTest, StatesAndSendAfterClose) {
  TransportOptions c = ClientOptions();
  Transport idle(ClientOptions());
  EXPECT_EQ(idle.state(), Transport::State::kIdle);
  EXPECT_EQ(idle.Feed(AsBytes("x")).code(),
            absl::StatusCode::kFailedPrecondition);
  Start(std::move(c), ServerOptions());
  EXPECT_EQ(client_->state(), Transport::State::kVersion);
  EXPECT_EQ(client_->Start().code(), absl::StatusCode::kFailedPrecondition);
  Pump(*client_, *server_);
  ExpectEstablished();
  client_->Disconnect(kDisconnectByApplication, "bye");
  EXPECT_TRUE(client_->closed());
  EXPECT_EQ(client_->error().code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(client_->Send(AppMsg(1)).ok());
  ExpectClientSentDisconnect(kDisconnectByApplication);
  ASSERT_TRUE(server_->client_disconnect().has_value());
  EXPECT_EQ(server_->client_disconnect()->description, "disconnected: bye");
}

// ---------------------------------------------------------------------------
// Strict KEX

// With strict KEX on both sides the sequence numbers restart at zero after
// NEWKEYS in both directions: the first packet under the new keys is
// numbered 0 in the client's UNIMPLEMENTED reply, and the client's own
// packets verify at the server with its counters reset.
TEST_F(EngineTest, StrictKexResetsSequenceNumbers) {
  FakeServerOptions s = ServerOptions();
  s.on_stage = [](FakeServer& srv, Stage stage) {
    if (stage == Stage::kAfterNewKeys && srv.kex_count() == 0) {
      ASSERT_OK(srv.SendPacket(Bytes{15, 1, 2, 3}));
    }
  };
  Connect(ClientOptions(), std::move(s));
  ExpectEstablished();
  EXPECT_TRUE(client_->negotiated().strict_kex);
  EXPECT_TRUE(server_->strict());
  EXPECT_THAT(server_->unimplemented(), ElementsAre(0u));
  EXPECT_EQ(server_->receive_sequence(), 1u);  // just the UNIMPLEMENTED
  ExpectMessagesFlow();
  // Still in step after a strict rekey (the reset applies to every NEWKEYS).
  ASSERT_OK(client_->Rekey());
  Pump(*client_, *server_);
  ExpectEstablished();
  EXPECT_EQ(server_->send_sequence(), 0u);
  EXPECT_EQ(server_->receive_sequence(), 0u);
  ExpectMessagesFlow();
}

// Without strict KEX the counters run on from the unencrypted packets:
// KEXINIT (0), KEX reply (1), NEWKEYS (2), so the unknown message is 3.
TEST_F(EngineTest, WithoutStrictKexSequenceNumbersContinue) {
  FakeServerOptions s = ServerOptions();
  s.strict_kex = false;
  s.on_stage = [](FakeServer& srv, Stage stage) {
    if (stage == Stage::kAfterNewKeys && srv.kex_count() == 0) {
      ASSERT_OK(srv.SendPacket(Bytes{15}));
    }
  };
  Connect(ClientOptions(), std::move(s));
  ExpectEstablished();
  EXPECT_FALSE(client_->negotiated().strict_kex);
  EXPECT_THAT(server_->unimplemented(), ElementsAre(3u));
  ExpectMessagesFlow();
}

struct StrictCase {
  const char* name;
  Stage stage;
  uint8_t type;  // IGNORE, DEBUG or UNIMPLEMENTED
};

void InjectAt(const StrictCase& sc, FakeServer& srv, Stage stage) {
  if (stage != sc.stage || srv.kex_count() != 0) return;
  switch (sc.type) {
    case kMsgIgnore:
      ASSERT_OK(srv.SendIgnore("padding"));
      break;
    case kMsgDebug:
      ASSERT_OK(srv.SendDebug(true, "hello from the server"));
      break;
    default:
      ASSERT_OK(srv.SendPacket(Bytes{kMsgUnimplemented, 0, 0, 0, 0}));
  }
}

class StrictViolationTest : public EngineTest,
                            public ::testing::WithParamInterface<StrictCase> {};

// Under strict KEX a transport message before or inside the initial key
// exchange (so KEXINIT is not first, or something other than KEX messages
// arrives) closes the client with an error naming strict KEX, and the
// server is told PROTOCOL_ERROR.
TEST_P(StrictViolationTest, ClosesTheClient) {
  const StrictCase sc = GetParam();
  FakeServerOptions s = ServerOptions();
  s.on_stage = [sc](FakeServer& srv, Stage stage) { InjectAt(sc, srv, stage); };
  Connect(ClientOptions(), std::move(s));
  EXPECT_TRUE(client_->closed());
  EXPECT_EQ(client_->error().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(client_->error().message()), HasSubstr("strict KEX"));
  EXPECT_EQ(client_->kex_count(), 0);
  ASSERT_TRUE(server_->client_disconnect().has_value());
  ExpectClientSentDisconnect(kDisconnectProtocolError);
}

// The same message from a server that does not offer strict KEX is fine.
TEST_P(StrictViolationTest, AcceptedWithoutStrictServer) {
  const StrictCase sc = GetParam();
  FakeServerOptions s = ServerOptions();
  s.strict_kex = false;
  s.on_stage = [sc](FakeServer& srv, Stage stage) { InjectAt(sc, srv, stage); };
  Connect(ClientOptions(), std::move(s));
  ExpectEstablished();
  EXPECT_FALSE(client_->negotiated().strict_kex);
  ExpectMessagesFlow();
}

// ... and from a strict server when the client turned strict KEX off.
TEST_P(StrictViolationTest, AcceptedWithoutStrictClient) {
  const StrictCase sc = GetParam();
  TransportOptions c = ClientOptions();
  c.strict_kex = false;
  FakeServerOptions s = ServerOptions();
  s.on_stage = [sc](FakeServer& srv, Stage stage) { InjectAt(sc, srv, stage); };
  Connect(std::move(c), std::move(s));
  ExpectEstablished();
  EXPECT_FALSE(client_->negotiated().strict_kex);
  EXPECT_THAT(server_->client_kexinit().kex,
              Not(::testing::Contains(std::string(kStrictKexClient))));
  if (sc.type == kMsgDebug) {
    EXPECT_THAT(debug_messages_, ElementsAre("hello from the server"));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, StrictViolationTest,
    ::testing::Values(
        StrictCase{"IgnoreBeforeKexInit", Stage::kBeforeKexInit, kMsgIgnore},
        StrictCase{"DebugBeforeKexInit", Stage::kBeforeKexInit, kMsgDebug},
        StrictCase{"UnimplementedBeforeKexInit", Stage::kBeforeKexInit,
                   kMsgUnimplemented},
        StrictCase{"IgnoreAfterKexInit", Stage::kAfterKexInit, kMsgIgnore},
        StrictCase{"DebugBeforeKexReply", Stage::kBeforeKexReply, kMsgDebug},
        StrictCase{"IgnoreBeforeNewKeys", Stage::kBeforeNewKeys, kMsgIgnore}),
    [](const auto& info) { return std::string(info.param.name); });

// Strictness covers only the initial exchange: IGNORE and DEBUG after it,
// and inside a later rekey, are accepted (and DEBUG reaches on_debug).
TEST_F(EngineTest, StrictAllowsIgnoreAfterInitialKex) {
  FakeServerOptions s = ServerOptions();
  s.on_stage = [](FakeServer& srv, Stage stage) {
    if (srv.kex_count() == 1 && stage == Stage::kBeforeKexReply) {
      ASSERT_OK(srv.SendIgnore("in rekey"));
      ASSERT_OK(srv.SendDebug(false, "rekeying"));
    }
  };
  Connect(ClientOptions(), std::move(s));
  ExpectEstablished();
  ASSERT_OK(server_->SendIgnore("x"));
  ASSERT_OK(server_->SendDebug(true, "after kex"));
  ASSERT_OK(server_->Rekey());
  Pump(*client_, *server_);
  ExpectEstablished();
  EXPECT_EQ(client_->kex_count(), 2);
  EXPECT_THAT(debug_messages_, ElementsAre("after kex", "rekeying"));
}

// ---------------------------------------------------------------------------
// first_kex_packet_follows

// A wrong guess (the server's preferred KEX method is not the one
// negotiated) makes the client skip exactly the guessed packet.
TEST_F(EngineTest, WrongKexGuessPacketIsSkipped) {
  FakeServerOptions s = ServerOptions();
  s.algorithms.kex = {"ecdh-sha2-nistp256", "curve25519-sha256"};
  s.guessed_packet = Bytes{kMsgKexEcdhInit, 0xde, 0xad, 0xbe, 0xef};
  Connect(ClientOptions(), std::move(s));
  ExpectEstablished();
  EXPECT_EQ(client_->negotiated().kex, "curve25519-sha256");
  ExpectMessagesFlow();
}

// The same for a wrong host-key algorithm guess; the bogus packet here
// looks like a KEX reply.
TEST_F(EngineTest, WrongHostKeyGuessPacketIsSkipped) {
  FakeServerOptions s = ServerOptions();
  s.host_keys = {HostKey(crypto::KeyType::kEcdsaP256),
                 HostKey(crypto::KeyType::kEd25519)};
  s.algorithms.kex = {"curve25519-sha256"};
  s.guessed_packet = Bytes{kMsgKexEcdhReply, 0, 0, 0, 1, 'x'};
  Connect(ClientOptions(), std::move(s));
  ExpectEstablished();
  EXPECT_EQ(client_->negotiated().host_key, "ssh-ed25519");
  ExpectMessagesFlow();
}

// A right guess: the next KEX packet is used, not skipped (here the real
// reply, as a responder cannot send it earlier).
TEST_F(EngineTest, RightGuessIsNotSkipped) {
  FakeServerOptions s = ServerOptions();
  s.algorithms.kex = {"curve25519-sha256"};
  s.edit_kexinit = [](KexInit* k, int) { k->first_kex_packet_follows = true; };
  Connect(ClientOptions(), std::move(s));
  ExpectEstablished();
}

// RFC 4253 section 7: the guess is wrong when "server and client have
// different preferred algorithm", i.e. the first names of the two KEX (or
// host key) lists differ (OpenSSH: proposals_match()). Here the client
// prefers curve25519 and the server's only (so preferred) method is
// nistp256: nistp256 is negotiated, yet the guess counts as wrong and the
// guessed packet must be skipped.
TEST_F(EngineTest, GuessIsWrongWhenPreferredMethodsDiffer) {
  TransportOptions c = ClientOptions();
  c.algorithms.kex = {"curve25519-sha256", "ecdh-sha2-nistp256"};
  FakeServerOptions s = ServerOptions();
  s.algorithms.kex = {"ecdh-sha2-nistp256"};
  s.guessed_packet = Bytes{kMsgKexEcdhReply, 0, 0, 0, 1, 'x'};
  Connect(std::move(c), std::move(s));
  ExpectEstablished();
  EXPECT_EQ(client_->negotiated().kex, "ecdh-sha2-nistp256");
}

// ---------------------------------------------------------------------------
// Host key

class BadSignatureTest : public EngineTest,
                         public ::testing::WithParamInterface<const char*> {};

// H signed with a different key than K_S: the client fails before NEWKEYS
// with kUnauthenticated, tells the server KEY_EXCHANGE_FAILED, and
// verify_host_key is never called (the signature is checked first).
TEST_P(BadSignatureTest, FailsBeforeNewKeys) {
  crypto::SignatureAlgorithm alg;
  ASSERT_TRUE(crypto::SignatureAlgorithmFromName(GetParam(), &alg));
  TransportOptions c = ClientOptions();
  c.algorithms.host_key = {GetParam()};
  FakeServerOptions s = ServerOptions();
  s.host_keys = AllHostKeys();
  s.algorithms.host_key = {GetParam()};
  s.signing_key_override = HostKey(crypto::KeyTypeFor(alg), /*index=*/1);
  Connect(std::move(c), std::move(s));
  EXPECT_TRUE(client_->closed());
  EXPECT_EQ(client_->error().code(), absl::StatusCode::kUnauthenticated)
      << client_->error();
  EXPECT_THAT(std::string(client_->error().message()), HasSubstr("signature"));
  EXPECT_TRUE(verified_.empty());
  EXPECT_FALSE(client_->established());
  EXPECT_EQ(server_->kex_count(), 0);  // no NEWKEYS reached the server
  ASSERT_TRUE(server_->client_disconnect().has_value());
  ExpectClientSentDisconnect(kDisconnectKeyExchangeFailed);
}

INSTANTIATE_TEST_SUITE_P(
    AllHostKeys, BadSignatureTest,
    ::testing::Values("ssh-ed25519", "ecdsa-sha2-nistp256",
                      "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                      "rsa-sha2-256", "rsa-sha2-512", "ssh-rsa"),
    [](const auto& info) { return ParamName(info.param); });

// A valid signature by the right key but with another algorithm than the
// negotiated one (rsa-sha2-256 or ssh-rsa for rsa-sha2-512) is refused.
TEST_F(EngineTest, SignatureAlgorithmMustMatchNegotiated) {
  for (crypto::SignatureAlgorithm wrong :
       {crypto::SignatureAlgorithm::kRsaSha256,
        crypto::SignatureAlgorithm::kRsaSha1}) {
    TransportOptions c = ClientOptions();
    c.algorithms.host_key = {"rsa-sha2-512"};
    FakeServerOptions s = ServerOptions();
    s.host_keys = {HostKey(crypto::KeyType::kRsa)};
    s.signature_algorithm_override = wrong;
    Connect(std::move(c), std::move(s));
    EXPECT_TRUE(client_->closed());
    EXPECT_EQ(client_->error().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_TRUE(verified_.empty());
  }
}

// verify_host_key saying no: the client fails with exactly that status and
// queues DISCONNECT HOST_KEY_NOT_VERIFIABLE (9), without sending NEWKEYS.
TEST_F(EngineTest, HostKeyRejectedByCallback) {
  verify_result_ = absl::PermissionDeniedError("host key not in known_hosts");
  Start(ClientOptions(), ServerOptions());
  // Run until the client fails, then look at what it queued.
  for (int i = 0; i < 100 && !client_->closed(); ++i) {
    if (client_->has_output()) {
      Bytes out(client_->output().begin(), client_->output().end());
      client_->ConsumeOutput(out.size());
      ASSERT_OK(server_->Feed(out));
    }
    (void)DeliverToClient();
  }
  ASSERT_TRUE(client_->closed());
  // Exactly that status, with the kind that says where it started.
  EXPECT_EQ(client_->error().code(), verify_result_.code());
  EXPECT_EQ(client_->error().message(), verify_result_.message());
  EXPECT_EQ(KindOf(client_->error()), ErrorKind::kHostKeyRejected);
  ASSERT_EQ(verified_.size(), 1u);
  EXPECT_EQ(verified_[0].blob, server_->host_key_blob());
  EXPECT_EQ(verified_[0].algorithm, "ssh-ed25519");
  EXPECT_TRUE(client_->has_output());
  ExpectClientSentDisconnect(kDisconnectHostKeyNotVerifiable);
  EXPECT_EQ(server_->kex_count(), 0);
  ASSERT_TRUE(server_->client_disconnect().has_value());
  EXPECT_THAT(server_->client_disconnect()->description,
              HasSubstr("known_hosts"));
}

// A KEX reply whose K_S is not of the negotiated type (ECDSA key for
// ssh-ed25519) is refused before any signature check.
TEST_F(EngineTest, HostKeyOfWrongTypeRefused) {
  FakeServerOptions s = ServerOptions();
  s.on_stage = [](FakeServer& srv, Stage stage) {
    if (stage != Stage::kBeforeKexReply) return;
    Bytes reply;
    wire::Writer w(&reply);
    w.WriteU8(kMsgKexEcdhReply);
    w.WriteString(ByteView(crypto::EncodePublicKeyBlob(
        HostKey(crypto::KeyType::kEcdsaP256).public_key)));
    w.WriteString(ByteView(Bytes(32, 9)));
    w.WriteString(ByteView(Bytes(8, 1)));
    ASSERT_OK(srv.SendPacket(reply));
  };
  Connect(ClientOptions(), std::move(s));
  EXPECT_TRUE(client_->closed());
  EXPECT_THAT(std::string(client_->error().message()),
              HasSubstr("not of the negotiated type"));
  EXPECT_TRUE(verified_.empty());
  ExpectClientSentDisconnect(kDisconnectKeyExchangeFailed);
}

// An invalid ephemeral public value (not a curve25519 point of the right
// size; an out-of-range DH value) fails the key exchange.
TEST_F(EngineTest, InvalidServerPublicValueRefused) {
  for (const char* kex : {"curve25519-sha256", "ecdh-sha2-nistp256",
                          "diffie-hellman-group14-sha256"}) {
    SCOPED_TRACE(kex);
    const bool dh = std::string(kex).rfind("diffie", 0) == 0;
    TransportOptions c = ClientOptions();
    c.algorithms.kex = {kex};
    FakeServerOptions s = ServerOptions();
    s.on_stage = [dh](FakeServer& srv, Stage stage) {
      if (stage != Stage::kBeforeKexReply) return;
      Bytes reply;
      wire::Writer w(&reply);
      w.WriteU8(kMsgKexEcdhReply);
      w.WriteString(ByteView(crypto::EncodePublicKeyBlob(
          HostKey(crypto::KeyType::kEd25519).public_key)));
      if (dh) {
        w.WriteMpint(ByteView(Bytes{1}));  // f = 1
      } else {
        w.WriteString(ByteView(Bytes(31, 9)));
      }
      w.WriteString(ByteView(Bytes(8, 1)));
      ASSERT_OK(srv.SendPacket(reply));
    };
    Connect(std::move(c), std::move(s));
    EXPECT_TRUE(client_->closed());
    EXPECT_EQ(client_->error().code(), absl::StatusCode::kInvalidArgument)
        << client_->error();
    EXPECT_TRUE(verified_.empty());
    ExpectClientSentDisconnect(kDisconnectKeyExchangeFailed);
  }
}

// ---------------------------------------------------------------------------
// DISCONNECT from the server

// After the handshake: the reason code and text surface in error() and
// server_disconnect(); control characters are escaped in error(); the
// client does not answer and refuses further use.
TEST_F(EngineTest, ServerDisconnectAfterHandshake) {
  Connect(ClientOptions(), ServerOptions());
  ExpectEstablished();
  ASSERT_OK(server_->SendDisconnect(kDisconnectByApplication,
                                    "going down\x1b[2J now"));
  EXPECT_FALSE(DeliverToClient().ok());
  EXPECT_TRUE(client_->closed());
  EXPECT_EQ(client_->error().code(), absl::StatusCode::kUnavailable);
  const std::string msg(client_->error().message());
  EXPECT_THAT(msg, HasSubstr("BY_APPLICATION"));
  EXPECT_THAT(msg, HasSubstr("(11)"));
  EXPECT_THAT(msg, HasSubstr("going down"));
  EXPECT_THAT(msg, Not(HasSubstr("\x1b")));
  ASSERT_TRUE(client_->server_disconnect().has_value());
  EXPECT_EQ(client_->server_disconnect()->reason, 11u);
  EXPECT_EQ(client_->server_disconnect()->description, "going down\x1b[2J now");
  EXPECT_FALSE(client_->has_output());
  EXPECT_FALSE(client_->Send(AppMsg(1)).ok());
  EXPECT_EQ(client_->Feed(AsBytes("more")), client_->error());
}

// During the key exchange (in the clear, between KEXINIT and the reply).
TEST_F(EngineTest, ServerDisconnectDuringKex) {
  FakeServerOptions s = ServerOptions();
  s.on_stage = [](FakeServer& srv, Stage stage) {
    if (stage == Stage::kBeforeKexReply) {
      ASSERT_OK(srv.SendDisconnect(kDisconnectTooManyConnections, "busy"));
    }
  };
  Connect(ClientOptions(), std::move(s));
  EXPECT_TRUE(client_->closed());
  ASSERT_TRUE(client_->server_disconnect().has_value());
  EXPECT_EQ(client_->server_disconnect()->reason,
            kDisconnectTooManyConnections);
  EXPECT_EQ(client_->server_disconnect()->description, "busy");
  EXPECT_THAT(std::string(client_->error().message()),
              HasSubstr("TOO_MANY_CONNECTIONS"));
  EXPECT_TRUE(verified_.empty());
}

// A huge description is cut to 1024 bytes in server_disconnect().
TEST_F(EngineTest, ServerDisconnectDescriptionIsBounded) {
  Connect(ClientOptions(), ServerOptions());
  ASSERT_OK(server_->SendDisconnect(kDisconnectProtocolError,
                                    std::string(100000, 'z')));
  EXPECT_FALSE(DeliverToClient().ok());
  ASSERT_TRUE(client_->server_disconnect().has_value());
  EXPECT_EQ(client_->server_disconnect()->description, std::string(1024, 'z'));
}

// A truncated DISCONNECT is a protocol error, not a clean disconnect.
TEST_F(EngineTest, TruncatedDisconnectIsProtocolError) {
  Connect(ClientOptions(), ServerOptions());
  ASSERT_OK(server_->SendPacket(Bytes{kMsgDisconnect, 0, 0}));
  EXPECT_FALSE(DeliverToClient().ok());
  EXPECT_TRUE(client_->closed());
  EXPECT_FALSE(client_->server_disconnect().has_value());
  EXPECT_EQ(client_->error().code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------
// Rekeying

// Server-initiated rekey in the middle of two message streams: the server
// holds its messages from its KEXINIT to its NEWKEYS, the client holds its
// own during the exchange, and every message arrives once, in order.
TEST_F(EngineTest, ServerRekeyMidStream) {
  Connect(ClientOptions(), ServerOptions());
  ExpectEstablished();
  const Bytes sid(client_->session_id().begin(), client_->session_id().end());
  std::vector<uint32_t> at_client, at_server;
  for (uint32_t i = 0; i < 10; ++i) {
    ASSERT_OK(server_->Send(AppMsg(i)));
    ASSERT_OK(client_->Send(AppMsg(i)));
  }
  ASSERT_OK(server_->Rekey());
  for (uint32_t i = 10; i < 20; ++i) {
    ASSERT_OK(server_->Send(AppMsg(i)));
    ASSERT_OK(client_->Send(AppMsg(i)));
    PumpOnce(*client_, *server_, 61);  // interleave with the exchange
    ASSERT_OK(client_->Send(AppMsg(100 + i)));
    Drain(&at_client, &at_server);
  }
  Pump(*client_, *server_);
  Drain(&at_client, &at_server);
  ExpectEstablished();
  EXPECT_EQ(client_->kex_count(), 2);
  EXPECT_EQ(server_->kex_count(), 2);
  EXPECT_EQ(client_->session_id(), ByteView(sid));
  EXPECT_EQ(at_client, Range(20));
  std::vector<uint32_t> want = Range(10);
  for (uint32_t i = 10; i < 20; ++i) {
    want.push_back(i);
    want.push_back(100 + i);
  }
  EXPECT_EQ(at_server, want);
  // The re-exchange presents the same key; it is not verified again.
  EXPECT_EQ(verified_.size(), 1u);
}

// Client-initiated rekey with Rekey(): a second key exchange, same session
// id and host key, traffic continues.
TEST_F(EngineTest, ClientRekey) {
  Connect(ClientOptions(), ServerOptions());
  ExpectEstablished();
  const Bytes sid(client_->session_id().begin(), client_->session_id().end());
  ASSERT_OK(client_->Rekey());
  EXPECT_EQ(client_->state(), Transport::State::kKexInit);
  ASSERT_OK(client_->Rekey());  // no-op while one runs
  ASSERT_OK(client_->Send(AppMsg(0)));
  ASSERT_OK(server_->Send(AppMsg(0)));  // sent before it sees our KEXINIT
  Pump(*client_, *server_);
  ExpectEstablished();
  EXPECT_EQ(client_->kex_count(), 2);
  EXPECT_EQ(server_->kex_count(), 2);
  EXPECT_EQ(client_->session_id(), ByteView(sid));
  EXPECT_EQ(verified_.size(), 1u);
  std::vector<uint32_t> at_client, at_server;
  Drain(&at_client, &at_server);
  EXPECT_EQ(at_client, Range(1));
  EXPECT_EQ(at_server, Range(1));
  ExpectMessagesFlow();
}

// Both sides send KEXINIT at the same time: one exchange, not two.
TEST_F(EngineTest, SimultaneousRekey) {
  Connect(ClientOptions(), ServerOptions());
  ASSERT_OK(client_->Rekey());
  ASSERT_OK(server_->Rekey());
  Pump(*client_, *server_);
  ExpectEstablished();
  EXPECT_EQ(client_->kex_count(), 2);
  EXPECT_EQ(server_->kex_count(), 2);
  ExpectMessagesFlow();
}

// Rekeys started from both sides at arbitrary points of two busy streams,
// with partial deliveries that split packets (and KEX messages) anywhere:
// nothing is lost, duplicated or reordered, in every protection mode.
TEST_P(CipherTest, RekeysFromBothSidesKeepStreamsIntact) {
  ConnectWith(GetParam());
  ExpectEstablished();
  std::vector<uint32_t> at_client, at_server;
  int rekeys_started = 0;
  constexpr uint32_t kCount = 400;
  for (uint32_t i = 0; i < kCount; ++i) {
    ASSERT_OK(client_->Send(AppMsg(i, 10 + i % 50)));
    ASSERT_OK(server_->Send(AppMsg(i, 10 + (i * 7) % 90)));
    if (i % 40 == 5 && server_->state() == FakeServer::State::kEstablished) {
      ASSERT_OK(server_->Rekey());
      ++rekeys_started;
    }
    if (i % 40 == 25 && client_->state() == Transport::State::kEstablished) {
      ASSERT_OK(client_->Rekey());
      ++rekeys_started;
    }
    PumpOnce(*client_, *server_, 150 + (i * 37) % 200);
    Drain(&at_client, &at_server);
    ASSERT_FALSE(client_->closed()) << client_->error();
    ASSERT_FALSE(server_->closed()) << server_->error();
  }
  Pump(*client_, *server_);
  Drain(&at_client, &at_server);
  ExpectEstablished();
  EXPECT_EQ(at_client, Range(kCount));
  EXPECT_EQ(at_server, Range(kCount));
  EXPECT_GE(rekeys_started, 10);
  EXPECT_GE(client_->kex_count(), 10);
  EXPECT_EQ(client_->kex_count(), server_->kex_count());
}

// rekey_bytes: sending past the limit starts a rekey by itself; messages
// queued during it go out afterwards, in order.
TEST_F(EngineTest, RekeyBytesLimitOnSend) {
  TransportOptions c = ClientOptions();
  c.rekey_bytes = 16 * 1024;
  Connect(std::move(c), ServerOptions());
  ExpectEstablished();
  std::vector<uint32_t> at_client, at_server;
  for (uint32_t i = 0; i < 100; ++i) {
    ASSERT_OK(client_->Send(AppMsg(i, 1000)));
    if (i % 3 == 0) Pump(*client_, *server_);
  }
  Pump(*client_, *server_);
  Drain(&at_client, &at_server);
  ExpectEstablished();
  EXPECT_EQ(at_server, Range(100));
  // ~100 KB at 16 KiB per key set.
  EXPECT_GE(client_->kex_count(), 5);
  EXPECT_EQ(server_->kex_count(), client_->kex_count());
}

// rekey_bytes also counts received bytes.
TEST_F(EngineTest, RekeyBytesLimitOnReceive) {
  TransportOptions c = ClientOptions();
  c.rekey_bytes = 16 * 1024;
  Connect(std::move(c), ServerOptions());
  std::vector<uint32_t> at_client, at_server;
  for (uint32_t i = 0; i < 100; ++i) {
    ASSERT_OK(server_->Send(AppMsg(i, 1000)));
    if (i % 3 == 0) Pump(*client_, *server_);
  }
  Pump(*client_, *server_);
  Drain(&at_client, &at_server);
  ExpectEstablished();
  EXPECT_EQ(at_client, Range(100));
  EXPECT_GE(client_->kex_count(), 5);
}

// Without strict KEX, IGNORE before KEXINIT is legal, but not without end:
// a server that sends more than limits.packets_before_keys packets before
// the first exchange completes is refused (the review's 200,000 IGNOREs).
TEST_F(EngineTest, EndlessIgnoreBeforeKexInitIsRefused) {
  TransportOptions c = ClientOptions();
  c.strict_kex = false;
  c.limits.packets_before_keys = 100;
  FakeServerOptions s = ServerOptions();
  s.on_stage = [](FakeServer& srv, Stage stage) {
    if (stage != Stage::kBeforeKexInit) return;
    for (int i = 0; i < 200; ++i) ASSERT_OK(srv.SendIgnore("stalling"));
  };
  Start(std::move(c), std::move(s));
  absl::Status st = DeliverToClient();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("more than 100 packets before the first key exchange"));
  ExpectClientSentDisconnect(kDisconnectProtocolError);
}

// ... while the same number of IGNOREs below the limit is accepted.
TEST_F(EngineTest, IgnoreBeforeKexInitBelowTheLimitIsAccepted) {
  TransportOptions c = ClientOptions();
  c.strict_kex = false;
  c.limits.packets_before_keys = 100;
  FakeServerOptions s = ServerOptions();
  s.on_stage = [](FakeServer& srv, Stage stage) {
    if (stage != Stage::kBeforeKexInit) return;
    for (int i = 0; i < 90; ++i) ASSERT_OK(srv.SendIgnore("slow"));
  };
  Connect(std::move(c), std::move(s));
  ExpectEstablished();
}

// RFC 4253 section 6.4: new keys before the sequence number wraps. Past
// limits.rekey_packets received packets the client starts a re-exchange...
TEST_F(EngineTest, RekeyAfterPacketLimitOnReceive) {
  TransportOptions c = ClientOptions();
  c.limits.rekey_packets = 50;
  Connect(std::move(c), ServerOptions());
  ExpectEstablished();
  for (int i = 0; i < 60; ++i) ASSERT_OK(server_->SendIgnore());
  Pump(*client_, *server_);
  ExpectEstablished();
  EXPECT_EQ(client_->kex_count(), 2);
}

// ... also counting what it sends ...
TEST_F(EngineTest, RekeyAfterPacketLimitOnSend) {
  TransportOptions c = ClientOptions();
  c.limits.rekey_packets = 50;
  Connect(std::move(c), ServerOptions());
  std::vector<uint32_t> at_client, at_server;
  for (uint32_t i = 0; i < 120; ++i) {
    ASSERT_OK(client_->Send(AppMsg(i, 10)));
    if (i % 10 == 0) Pump(*client_, *server_);
  }
  Pump(*client_, *server_);
  Drain(&at_client, &at_server);
  ExpectEstablished();
  EXPECT_EQ(at_server, Range(120));
  EXPECT_GE(client_->kex_count(), 3);
}

// ... and a server that keeps sending under the old keys, never answering
// the re-exchange, until its sequence number has wrapped is refused.
TEST_F(EngineTest, SequenceWrapWithoutKeyExchangeIsRefused) {
  TransportOptions c = ClientOptions();
  c.limits.rekey_packets = 50;
  Connect(std::move(c), ServerOptions());
  ExpectEstablished();
  for (int i = 0; i < 120; ++i) ASSERT_OK(server_->SendIgnore());
  absl::Status st = DeliverToClient();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("wrapped without a key exchange"));
  EXPECT_TRUE(client_->closed());
}

// rekey_interval: once it has passed, the next activity starts a rekey.
TEST_F(EngineTest, RekeyInterval) {
  TransportOptions c = ClientOptions();
  c.rekey_interval = std::chrono::seconds(1);
  Connect(std::move(c), ServerOptions());
  ExpectEstablished();
  // The transport never reads the clock: time is what the caller says.
  const TimePoint start;  // the keys came at time zero too
  client_->set_now(start);
  ASSERT_OK(client_->Send(AppMsg(0)));
  EXPECT_EQ(client_->state(), Transport::State::kEstablished);
  client_->set_now(start + std::chrono::milliseconds(1100));
  ASSERT_OK(client_->Send(AppMsg(1)));
  EXPECT_EQ(client_->state(), Transport::State::kKexInit);
  Pump(*client_, *server_);
  ExpectEstablished();
  EXPECT_EQ(client_->kex_count(), 2);
  std::vector<uint32_t> at_client, at_server;
  Drain(&at_client, &at_server);
  EXPECT_EQ(at_server, Range(2));
}

// A server that sends an upper-layer message after its own rekey KEXINIT
// (before its NEWKEYS) breaks RFC 4253 section 7.1: the client fails.
TEST_F(EngineTest, ApplicationMessageInsideServerRekeyRefused) {
  Connect(ClientOptions(), ServerOptions());
  ASSERT_OK(server_->Rekey());
  ASSERT_OK(server_->SendPacket(AppMsg(1)));
  EXPECT_FALSE(DeliverToClient().ok());
  EXPECT_TRUE(client_->closed());
  EXPECT_THAT(std::string(client_->error().message()),
              HasSubstr("during key exchange"));
  Bytes m;
  EXPECT_FALSE(client_->Receive(&m));
}

// A re-exchange must present the host key of the first exchange (as OpenSSH
// requires): a changed key fails closed without asking the verifier again.
TEST_F(EngineTest, HostKeyChangeOnRekeyFailsClosed) {
  TransportOptions c = ClientOptions();
  c.verify_host_key = [this](const HostKeyInfo& hk) {
    verified_.push_back(hk);
    return absl::OkStatus();
  };
  FakeServerOptions s = ServerOptions();
  s.host_keys = {HostKey(crypto::KeyType::kEd25519),
                 HostKey(crypto::KeyType::kEcdsaP256)};
  s.edit_kexinit = [](KexInit* k, int kex_count) {
    if (kex_count == 1) k->host_key = {"ecdsa-sha2-nistp256"};
  };
  Connect(std::move(c), std::move(s));
  ExpectEstablished();
  ASSERT_OK(server_->Rekey());
  Pump(*client_, *server_);
  EXPECT_EQ(verified_.size(), 1u);
  EXPECT_TRUE(client_->closed());
  EXPECT_EQ(client_->error().code(), absl::StatusCode::kUnauthenticated);
  ExpectClientSentDisconnect(kDisconnectHostKeyNotVerifiable);
}

// A rekey whose negotiation fails (the server now offers only a cipher the
// client does not) closes with KEY_EXCHANGE_FAILED.
TEST_F(EngineTest, RekeyNegotiationFailure) {
  TransportOptions c = ClientOptions();
  c.algorithms.cipher = {"aes128-ctr", "aes256-ctr"};
  FakeServerOptions s = ServerOptions();
  s.edit_kexinit = [](KexInit* k, int kex_count) {
    if (kex_count == 1) k->cipher_s2c = {"aes128-gcm@openssh.com"};
  };
  Connect(std::move(c), std::move(s));
  ExpectEstablished();
  ASSERT_OK(server_->Rekey());
  Pump(*client_, *server_);
  EXPECT_TRUE(client_->closed());
  EXPECT_EQ(client_->error().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(client_->error().message()),
              HasSubstr("server-to-client cipher"));
  ExpectClientSentDisconnect(kDisconnectKeyExchangeFailed);
}

// RFC 4253 section 7.1 allows transport-layer generic messages (1 to 19,
// except SERVICE_REQUEST/ACCEPT) between KEXINIT and NEWKEYS, and section
// 11.4 wants UNIMPLEMENTED for unrecognised ones (OpenSSH's
// kex_protocol_error does so outside a strict initial KEX). An unknown
// message 15 from the server during a rekey must not end the connection.
TEST_F(EngineTest, UnknownTransportMessageDuringRekeyGetsUnimplemented) {
  Connect(ClientOptions(), ServerOptions());
  ExpectEstablished();
  ASSERT_OK(server_->Rekey());
  ASSERT_OK(server_->SendPacket(Bytes{15}));  // seq 1 (KEXINIT is 0)
  Pump(*client_, *server_);
  ExpectEstablished();
  EXPECT_EQ(client_->kex_count(), 2);
  EXPECT_THAT(server_->unimplemented(), ElementsAre(1u));
}

// Send() refuses a payload too large for one packet at once (the engine
// never closes for a caller error); during a key exchange the same payload
// must not be queued to kill the connection at NEWKEYS.
TEST_F(EngineTest, OversizedSendDuringKexIsRefusedAtOnce) {
  Start(ClientOptions(), ServerOptions());
  const Bytes big(kMaxPacketLength + 100, kMsgChannelData);
  EXPECT_EQ(client_->Send(big).code(), absl::StatusCode::kInvalidArgument);
  Pump(*client_, *server_);
  ExpectEstablished();
}

// The established-state half of the above holds today.
TEST_F(EngineTest, OversizedSendWhenEstablishedIsRefused) {
  Connect(ClientOptions(), ServerOptions());
  const Bytes big(kMaxPacketLength + 100, kMsgChannelData);
  EXPECT_EQ(client_->Send(big).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(client_->closed());
  ExpectMessagesFlow();
}

// A second KEXINIT inside a key exchange is refused.
TEST_F(EngineTest, SecondKexInitRefused) {
  FakeServerOptions s = ServerOptions();
  s.on_stage = [](FakeServer& srv, Stage stage) {
    if (stage != Stage::kBeforeKexReply) return;
    KexInit k;
    k.kex = {"curve25519-sha256"};
    k.host_key = {"ssh-ed25519"};
    k.cipher_c2s = k.cipher_s2c = {"aes128-ctr"};
    k.mac_c2s = k.mac_s2c = {"hmac-sha2-256"};
    k.compression_c2s = k.compression_s2c = {"none"};
    ASSERT_OK(srv.SendPacket(k.Encode()));
  };
  Connect(ClientOptions(), std::move(s));
  EXPECT_TRUE(client_->closed());
  EXPECT_THAT(std::string(client_->error().message()),
              HasSubstr("second KEXINIT"));
}

// NEWKEYS before the KEX reply is refused.
TEST_F(EngineTest, EarlyNewKeysRefused) {
  FakeServerOptions s = ServerOptions();
  s.on_stage = [](FakeServer& srv, Stage stage) {
    if (stage == Stage::kAfterKexInit) {
      ASSERT_OK(srv.SendPacket(Bytes{kMsgNewKeys}));
    }
  };
  Connect(ClientOptions(), std::move(s));
  EXPECT_TRUE(client_->closed());
  EXPECT_THAT(std::string(client_->error().message()),
              HasSubstr("unexpected NEWKEYS"));
}

// ---------------------------------------------------------------------------
// EXT_INFO

// server-sig-algs from the EXT_INFO that follows the server's first
// NEWKEYS is parsed into server_sig_algs(); ext-info-c was offered.
TEST_F(EngineTest, ExtInfoServerSigAlgs) {
  FakeServerOptions s = ServerOptions();
  s.server_sig_algs = {"ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512",
                       "rsa-sha2-256"};
  Connect(ClientOptions(), std::move(s));
  ExpectEstablished();
  EXPECT_THAT(server_->client_kexinit().kex,
              ::testing::Contains(std::string(kExtInfoClient)));
  EXPECT_THAT(client_->server_sig_algs(),
              ElementsAre("ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512",
                          "rsa-sha2-256"));
}

// Other extensions around it are skipped; without EXT_INFO the list is
// empty.
TEST_F(EngineTest, ExtInfoWithSeveralExtensions) {
  Connect(ClientOptions(), ServerOptions());
  EXPECT_TRUE(client_->server_sig_algs().empty());
  ASSERT_OK(server_->SendExtInfo({{"no-flow-control", "p"},
                                  {"server-sig-algs", "ssh-ed25519,,x"},
                                  {"delay-compression", "none"}}));
  ASSERT_OK(DeliverToClient());
  EXPECT_THAT(client_->server_sig_algs(), ElementsAre("ssh-ed25519", "x"));
}

// server-sig-algs is bounded: at most 64 names, none over 64 characters.
TEST_F(EngineTest, ExtInfoListIsBounded) {
  Connect(ClientOptions(), ServerOptions());
  std::string algs = std::string(65, 'L');
  for (int i = 0; i < 100; ++i) absl::StrAppend(&algs, ",alg", i);
  ASSERT_OK(server_->SendExtInfo({{"server-sig-algs", algs}}));
  ASSERT_OK(DeliverToClient());
  ASSERT_EQ(client_->server_sig_algs().size(), 64u);
  EXPECT_EQ(client_->server_sig_algs().front(), "alg0");
  EXPECT_EQ(client_->server_sig_algs().back(), "alg63");
}

// EXT_INFO before NEWKEYS, or with a count its packet cannot hold, fails.
TEST_F(EngineTest, MalformedOrMisplacedExtInfoRefused) {
  FakeServerOptions s = ServerOptions();
  s.on_stage = [](FakeServer& srv, Stage stage) {
    if (stage == Stage::kBeforeNewKeys) {
      ASSERT_OK(srv.SendExtInfo({{"server-sig-algs", "ssh-ed25519"}}));
    }
  };
  Connect(ClientOptions(), std::move(s));
  EXPECT_TRUE(client_->closed());
  EXPECT_THAT(std::string(client_->error().message()), HasSubstr("EXT_INFO"));

  Connect(ClientOptions(), ServerOptions());
  ASSERT_OK(server_->SendPacket(Bytes{kMsgExtInfo, 0xff, 0xff, 0xff, 0xff}));
  AllocationWatch watch;
  EXPECT_FALSE(DeliverToClient().ok());
  EXPECT_LT(watch.largest(), size_t{1} << 20);
  EXPECT_TRUE(client_->closed());
  EXPECT_THAT(std::string(client_->error().message()), HasSubstr("count"));
}

// RFC 8308 section 2.4 lets a server send EXT_INFO right before
// USERAUTH_SUCCESS. If the client has just started a rekey (its KEXINIT not
// yet read by the server), that EXT_INFO is legal, like any message the
// server sends before it sees our KEXINIT.
TEST_F(EngineTest, ExtInfoAcceptedWhileOurRekeyIsPending) {
  Connect(ClientOptions(), ServerOptions());
  ASSERT_OK(client_->Rekey());
  ASSERT_OK(server_->SendExtInfo({{"server-sig-algs", "rsa-sha2-512"}}));
  ASSERT_OK(server_->Send(Bytes{kMsgUserauthSuccess}));
  Pump(*client_, *server_);
  ExpectEstablished();
  EXPECT_EQ(client_->kex_count(), 2);
  EXPECT_THAT(client_->server_sig_algs(), ElementsAre("rsa-sha2-512"));
  Bytes m;
  ASSERT_TRUE(client_->Receive(&m));
  EXPECT_EQ(m, Bytes{kMsgUserauthSuccess});
}

// RFC 8308 section 2.4: EXT_INFO never after authentication.
TEST_F(EngineTest, ExtInfoAfterAuthenticationRefused) {
  Connect(ClientOptions(), ServerOptions());
  ASSERT_OK(server_->Send(Bytes{kMsgUserauthSuccess}));
  ASSERT_OK(DeliverToClient());
  ASSERT_OK(server_->SendExtInfo({{"server-sig-algs", "rsa-sha2-512"}}));
  EXPECT_FALSE(DeliverToClient().ok());
  EXPECT_TRUE(client_->closed());
  EXPECT_THAT(std::string(client_->error().message()),
              HasSubstr("EXT_INFO after authentication"));
  EXPECT_EQ(KindOf(client_->error()), ErrorKind::kProtocol);
  ExpectClientSentDisconnect(kDisconnectProtocolError);
}

// A late EXT_INFO must be followed at once by USERAUTH_SUCCESS, and comes
// at most once.
TEST_F(EngineTest, LateExtInfoMustPrecedeUserauthSuccess) {
  // (An IGNORE first, so that the EXT_INFO is not the first packet after
  // the server's NEWKEYS, where it is always allowed.)
  Connect(ClientOptions(), ServerOptions());
  ASSERT_OK(server_->SendIgnore());
  ASSERT_OK(server_->SendExtInfo({{"server-sig-algs", "ssh-ed25519"}}));
  ASSERT_OK(server_->Send(AppMsg(1)));
  EXPECT_FALSE(DeliverToClient().ok());
  EXPECT_THAT(std::string(client_->error().message()),
              HasSubstr("followed by USERAUTH_SUCCESS"));

  Connect(ClientOptions(), ServerOptions());
  ASSERT_OK(server_->SendIgnore());
  ASSERT_OK(server_->SendExtInfo({{"server-sig-algs", "ssh-ed25519"}}));
  ASSERT_OK(DeliverToClient());
  ASSERT_OK(server_->SendExtInfo({{"server-sig-algs", "ssh-ed25519"}}));
  // A second one is not USERAUTH_SUCCESS either.
  EXPECT_FALSE(DeliverToClient().ok());
  EXPECT_THAT(std::string(client_->error().message()),
              HasSubstr("followed by USERAUTH_SUCCESS"));
}

// Without verify_host_key, the host-key decision is asynchronous: the
// client pauses before NEWKEYS (nothing under the new keys is processed)
// until ResolveHostKey().
TEST_F(EngineTest, AsynchronousHostKeyDecision) {
  TransportOptions c = ClientOptions();
  c.verify_host_key = nullptr;
  Connect(std::move(c), ServerOptions());
  ASSERT_TRUE(client_->host_key_pending());
  EXPECT_EQ(client_->state(), Transport::State::kHostKeyCheck);
  ASSERT_NE(client_->pending_host_key(), nullptr);
  EXPECT_EQ(client_->pending_host_key()->blob, server_->host_key_blob());
  EXPECT_FALSE(client_->established());
  // Messages sent meanwhile are held, not sent in the clear.
  ASSERT_OK(client_->Send(AppMsg(7)));
  Pump(*client_, *server_);
  EXPECT_EQ(server_->kex_count(), 0);
  ASSERT_OK(client_->ResolveHostKey(absl::OkStatus()));
  Pump(*client_, *server_);
  ExpectEstablished();
  std::vector<uint32_t> at_client, at_server;
  Drain(&at_client, &at_server);
  EXPECT_EQ(at_server, std::vector<uint32_t>{7});
  EXPECT_EQ(client_->ResolveHostKey(absl::OkStatus()).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(EngineTest, AsynchronousHostKeyRejection) {
  TransportOptions c = ClientOptions();
  c.verify_host_key = nullptr;
  Connect(std::move(c), ServerOptions());
  ASSERT_TRUE(client_->host_key_pending());
  EXPECT_FALSE(
      client_->ResolveHostKey(absl::UnauthenticatedError("not trusted")).ok());
  EXPECT_TRUE(client_->closed());
  EXPECT_EQ(KindOf(client_->error()), ErrorKind::kHostKeyRejected);
  ExpectClientSentDisconnect(kDisconnectHostKeyNotVerifiable);
}

// While the decision is pending, input is buffered only up to a bound.
TEST_F(EngineTest, InputWhileHostKeyPendingIsBounded) {
  TransportOptions c = ClientOptions();
  c.verify_host_key = nullptr;
  c.limits.paused_input_cap = 4096;
  Connect(std::move(c), ServerOptions());
  ASSERT_TRUE(client_->host_key_pending());
  EXPECT_TRUE(client_->accepting_input());
  Bytes junk(4096, 0);
  ASSERT_OK(client_->Feed(junk));
  EXPECT_FALSE(client_->accepting_input());
  Bytes more(4 * 4096, 0);
  absl::Status s = client_->Feed(more);
  EXPECT_EQ(KindOf(s), ErrorKind::kResourceLimit) << s;
  EXPECT_TRUE(client_->closed());
}

// A server that floods requests needing replies (here unknown messages,
// each answered with UNIMPLEMENTED) while it reads nothing: above the
// high-water mark the client stops accepting input; past the hard cap it
// fails cleanly instead of queueing without limit.
TEST_F(EngineTest, RepliesToAPeerThatDoesNotReadAreBounded) {
  TransportOptions c = ClientOptions();
  c.limits.output_high_water = 16 * 1024;
  c.limits.output_hard_cap = 64 * 1024;
  Connect(std::move(c), ServerOptions());
  ExpectEstablished();
  size_t sent = 0;
  while (client_->accepting_input() && sent < 100000) {
    for (int i = 0; i < 16; ++i) ASSERT_OK(server_->SendPacket(Bytes{15}));
    sent += 16;
    ASSERT_OK(DeliverToClient());
  }
  EXPECT_FALSE(client_->accepting_input());
  EXPECT_GE(client_->queued_bytes(), size_t{16 * 1024});
  EXPECT_EQ(client_->send_room(), 0u);
  // A driver that ignores accepting_input() runs into the hard cap.
  absl::Status s;
  for (int round = 0; round < 1000 && s.ok(); ++round) {
    for (int i = 0; i < 64; ++i) ASSERT_OK(server_->SendPacket(Bytes{15}));
    s = DeliverToClient();
  }
  EXPECT_EQ(KindOf(s), ErrorKind::kResourceLimit) << s;
  EXPECT_TRUE(client_->closed());
  EXPECT_LE(client_->queued_bytes(), size_t{64 * 1024 + 64 * 64});
}

// ---------------------------------------------------------------------------
// Hostile packets

// Packet lengths over the 256 KiB limit fail at once, from the first bytes
// of the packet, with no allocation of the claimed size; so do lengths too
// small or not block-aligned. Checked in the clear (before any keys).
TEST_F(EngineTest, BadPacketLengthBeforeKeys) {
  for (uint32_t len :
       {0xffffffffu, 0x7ffffff8u, kMaxPacketLength + 4, 0u, 4u, 13u}) {
    SCOPED_TRACE(len);
    FakeServerOptions s = ServerOptions();
    s.on_stage = [len](FakeServer& srv, Stage stage) {
      if (stage != Stage::kBeforeKexInit) return;
      Bytes raw{static_cast<uint8_t>(len >> 24),
                static_cast<uint8_t>(len >> 16), static_cast<uint8_t>(len >> 8),
                static_cast<uint8_t>(len)};
      raw.resize(64, 4);
      srv.SendRaw(raw);
    };
    Start(ClientOptions(), std::move(s));
    AllocationWatch watch;
    absl::Status st = DeliverToClient();
    EXPECT_LT(watch.largest(), size_t{64} << 10);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
    EXPECT_TRUE(client_->closed());
    ExpectClientSentDisconnect(kDisconnectProtocolError);
  }
}

// A length right at the limit is legal: the client waits for the rest and
// buffers only what actually arrived.
TEST_F(EngineTest, PacketAtLengthLimitIsBufferedLazily) {
  FakeServerOptions s = ServerOptions();
  s.on_stage = [](FakeServer& srv, Stage stage) {
    if (stage != Stage::kBeforeKexInit) return;
    const uint32_t len = kMaxPacketLength - 4;
    Bytes raw{static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
              static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len), 4};
    raw.resize(1000, kMsgIgnore);
    srv.SendRaw(raw);
  };
  Start(ClientOptions(), std::move(s));
  AllocationWatch watch;
  ASSERT_OK(DeliverToClient());
  EXPECT_LT(watch.largest(), size_t{64} << 10);
  EXPECT_FALSE(client_->closed());
  EXPECT_EQ(client_->state(), Transport::State::kKexInit);
}

class LengthUnderKeysTest : public EngineTest,
                            public ::testing::WithParamInterface<CipherCase> {};

// The same under keys, for the modes whose length field travels in clear
// (AES-GCM, -etm): a hostile length fails before the MAC is even checked,
// without a large allocation.
TEST_P(LengthUnderKeysTest, OversizedLengthRefused) {
  TransportOptions c = ClientOptions();
  c.algorithms.cipher = {GetParam().cipher};
  if (*GetParam().mac != '\0') c.algorithms.mac = {GetParam().mac};
  Connect(std::move(c), ServerOptions());
  ExpectEstablished();
  Bytes raw{0xff, 0xff, 0xff, 0xf0};
  raw.resize(100, 0);
  server_->SendRaw(raw);
  AllocationWatch watch;
  absl::Status st = DeliverToClient();
  EXPECT_LT(watch.largest(), size_t{64} << 10);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("exceeds"));
  EXPECT_TRUE(client_->closed());
  ExpectClientSentDisconnect(kDisconnectProtocolError);
}

INSTANTIATE_TEST_SUITE_P(
    ClearLength, LengthUnderKeysTest,
    ::testing::Values(CipherCase{"aes128-gcm@openssh.com", ""},
                      CipherCase{"aes256-ctr",
                                 "hmac-sha2-512-etm@openssh.com"}),
    [](const auto& info) {
      return ParamName(std::string(info.param.cipher) + "_" + info.param.mac);
    });

// Bad padding_length values and an empty payload are malformed packets.
TEST_F(EngineTest, BadPaddingAndEmptyPayloadRefused) {
  const Bytes cases[] = {
      // length 12, padding 3 (< 4)
      {0, 0, 0, 12, 3, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
      // length 12, padding 12 (> length - 1)
      {0, 0, 0, 12, 12, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
      // length 12, padding 11: empty payload
      {0, 0, 0, 12, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
  };
  for (const Bytes& raw : cases) {
    FakeServerOptions s = ServerOptions();
    s.on_stage = [raw](FakeServer& srv, Stage stage) {
      if (stage == Stage::kBeforeKexInit) srv.SendRaw(raw);
    };
    Start(ClientOptions(), std::move(s));
    EXPECT_EQ(DeliverToClient().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(client_->closed());
  }
}

// An application message before NEWKEYS (here after the KEX reply, or
// before anything) is refused: nothing reaches Receive().
TEST_F(EngineTest, ApplicationMessageBeforeNewKeysRefused) {
  for (Stage at :
       {Stage::kBeforeNewKeys, Stage::kBeforeKexInit, Stage::kAfterKexInit}) {
    SCOPED_TRACE(testing::StageName(at));
    FakeServerOptions s = ServerOptions();
    s.on_stage = [at](FakeServer& srv, Stage stage) {
      if (stage == at && srv.kex_count() == 0) {
        ASSERT_OK(srv.SendPacket(AppMsg(1)));
      }
    };
    Connect(ClientOptions(), std::move(s));
    EXPECT_TRUE(client_->closed());
    EXPECT_EQ(client_->kex_count(), 0);
    EXPECT_THAT(std::string(client_->error().message()),
                HasSubstr("during key exchange"));
    Bytes m;
    EXPECT_FALSE(client_->Receive(&m));
    ASSERT_TRUE(server_->client_disconnect().has_value());
    ExpectClientSentDisconnect(kDisconnectProtocolError);
  }
}

// established() is documented as "true once the first key exchange has
// completed", so it must stay false until the server's NEWKEYS arrived, and
// after an initial exchange that failed before it.
TEST_F(EngineTest, EstablishedOnlyAfterServerNewKeys) {
  size_t reply_end = 0;
  FakeServerOptions s = ServerOptions();
  s.on_stage = [&reply_end](FakeServer& srv, Stage stage) {
    if (stage != Stage::kBeforeNewKeys) return;
    reply_end = srv.output().size();
    ASSERT_OK(srv.SendPacket(AppMsg(1)));  // hostile: before NEWKEYS
  };
  Start(ClientOptions(), std::move(s));
  ASSERT_OK(DeliverToClient());  // version + KEXINIT
  Bytes out(client_->output().begin(), client_->output().end());
  client_->ConsumeOutput(out.size());
  ASSERT_OK(server_->Feed(out));  // server answers: reply, NEWKEYS
  ASSERT_GT(reply_end, 0u);
  Bytes reply(server_->output().begin(), server_->output().begin() + reply_end);
  server_->ConsumeOutput(reply_end);
  ASSERT_OK(client_->Feed(reply));
  EXPECT_EQ(client_->state(), Transport::State::kNewKeys);
  EXPECT_EQ(client_->kex_count(), 0);
  EXPECT_FALSE(client_->established());
  // And a failure before the server's NEWKEYS leaves it false.
  EXPECT_FALSE(DeliverToClient().ok());
  EXPECT_TRUE(client_->closed());
  EXPECT_FALSE(client_->established());
}

// After the handshake an unknown transport message gets UNIMPLEMENTED, and
// KEX method messages outside a key exchange are refused.
TEST_F(EngineTest, UnknownAndOutOfPlaceMessages) {
  Connect(ClientOptions(), ServerOptions());
  ASSERT_OK(server_->SendPacket(Bytes{9}));
  ASSERT_OK(server_->SendPacket(Bytes{kMsgIgnore, 0, 0, 0, 0}));
  ASSERT_OK(server_->SendPacket(Bytes{19, 1}));
  Pump(*client_, *server_);
  EXPECT_FALSE(client_->closed()) << client_->error();
  EXPECT_THAT(server_->unimplemented(), ElementsAre(0u, 2u));
  ASSERT_OK(server_->SendPacket(Bytes{kMsgKexEcdhReply, 0}));
  EXPECT_FALSE(DeliverToClient().ok());
  EXPECT_THAT(std::string(client_->error().message()),
              HasSubstr("unexpected key exchange message 31"));
}

// ---------------------------------------------------------------------------
// Version exchange

// Banner lines (CR LF or bare LF, empty ones too) before the version line
// are skipped; the version line is kept without CR LF.
TEST_F(EngineTest, BannerLinesBeforeVersion) {
  FakeServerOptions s = ServerOptions();
  s.pre_version = "Welcome to the fake server\r\nno CR here\n\r\n   \r\n";
  s.version = "SSH-2.0-Fake_2.0 with comments";
  Connect(ClientOptions(), std::move(s));
  ExpectEstablished();
  EXPECT_EQ(client_->server_version(), "SSH-2.0-Fake_2.0 with comments");
  ExpectMessagesFlow();
}

// Hostile identifications fail closed: a NUL byte, an over-long version
// line, a control character in it, an over-long banner line, too many
// banner lines, too many bytes before the version.
TEST_F(EngineTest, HostileVersionExchangeRefused) {
  std::string many_lines, many_bytes;
  for (int i = 0; i < 1100; ++i) many_lines += "x\r\n";
  for (int i = 0; i < 100; ++i) many_bytes += std::string(700, 'j') + "\r\n";
  const struct {
    std::string pre_version, version;
    const char* error;
  } cases[] = {
      {std::string("banner\0\r\n", 9), "SSH-2.0-ok", "NUL"},
      {"", "SSH-2.0-" + std::string(300, 'v'), "exceeds 255"},
      {"", "SSH-2.0-bad\abell", "control character"},
      {std::string(9000, 'j'), "SSH-2.0-ok", "over-long line"},
      {many_lines, "SSH-2.0-ok", "too many lines"},
      {many_bytes, "SSH-2.0-ok", "64 KiB"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.error);
    FakeServerOptions s = ServerOptions();
    s.pre_version = c.pre_version;
    s.version = c.version;
    Start(ClientOptions(), std::move(s));
    EXPECT_FALSE(DeliverToClient().ok());
    EXPECT_TRUE(client_->closed());
    EXPECT_EQ(client_->error().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(client_->error().message()), HasSubstr(c.error));
  }
}

// SSH-1.99 (SSH-2 compatible) is accepted; its string goes into H as is.
TEST_F(EngineTest, Ssh199Accepted) {
  FakeServerOptions s = ServerOptions();
  s.version = "SSH-1.99-Compat";
  Connect(ClientOptions(), std::move(s));
  ExpectEstablished();
  EXPECT_EQ(client_->server_version(), "SSH-1.99-Compat");
}

// An SSH-1.5 server is refused (even after banner lines), with
// PROTOCOL_VERSION_NOT_SUPPORTED queued for it.
TEST_F(EngineTest, Ssh15Refused) {
  FakeServerOptions s = ServerOptions();
  s.pre_version = "hello\r\n";
  s.version = "SSH-1.5-OldServer";
  Start(ClientOptions(), std::move(s));
  absl::Status st = DeliverToClient();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_TRUE(client_->closed());
  EXPECT_THAT(std::string(client_->error().message()),
              HasSubstr("unsupported protocol version"));
  EXPECT_FALSE(client_->established());
}

}  // namespace
}  // namespace parley::transport
