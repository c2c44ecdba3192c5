#include "tests/session/engine_harness.h"

#include "backends/openssl/openssl_provider.h"
#include "core/transport/messages.h"
#include "core/wire/reader.h"
#include "core/wire/writer.h"
#include "gtest/gtest.h"

namespace parley::session::testing {

using namespace ::parley::transport;  // NOLINT: message numbers

std::shared_ptr<const crypto::CryptoProvider> TestProvider() {
  static const auto* const kProvider =
      new std::shared_ptr<const crypto::CryptoProvider>(
          crypto::openssl_backend::NewOpenSslProvider());
  return *kProvider;
}

const crypto::PrivateKey& TestKey() {
  static const auto* const kKey = [] {
    auto k = TestProvider()->GenerateKey(crypto::KeyType::kEd25519, 0);
    EXPECT_TRUE(k.ok());
    return new crypto::PrivateKey(k.ok() ? *k : crypto::PrivateKey());
  }();
  return *kKey;
}

Bytes ServiceAccept() {
  Bytes m;
  wire::Writer w(&m);
  w.WriteU8(kMsgServiceAccept);
  w.WriteString(absl::string_view("ssh-userauth"));
  return m;
}

Bytes UserauthFailure(const std::vector<std::string>& methods, bool partial) {
  Bytes m;
  wire::Writer w(&m);
  w.WriteU8(kMsgUserauthFailure);
  w.WriteNameList(methods);
  w.WriteBool(partial);
  return m;
}

Bytes UserauthSuccess() { return Bytes{kMsgUserauthSuccess}; }

Bytes UserauthBanner(const std::string& text) {
  Bytes m;
  wire::Writer w(&m);
  w.WriteU8(kMsgUserauthBanner);
  w.WriteString(text);
  w.WriteString(absl::string_view(""));
  return m;
}

Bytes InfoRequest(const std::string& name, const std::string& instruction,
                  const std::vector<std::pair<std::string, bool>>& prompts) {
  Bytes m;
  wire::Writer w(&m);
  w.WriteU8(kMsgUserauthInfoRequest);
  w.WriteString(name);
  w.WriteString(instruction);
  w.WriteString(absl::string_view(""));
  w.WriteU32(static_cast<uint32_t>(prompts.size()));
  for (const auto& p : prompts) {
    w.WriteString(p.first);
    w.WriteBool(p.second);
  }
  return m;
}

Bytes PkOk(const std::string& algorithm, ByteView blob) {
  Bytes m;
  wire::Writer w(&m);
  w.WriteU8(kMsgUserauthInfoRequest);  // 60 is PK_OK for publickey
  w.WriteString(algorithm);
  w.WriteString(blob);
  return m;
}

Bytes GlobalRequest(const std::string& name, bool want_reply) {
  Bytes m;
  wire::Writer w(&m);
  w.WriteU8(kMsgGlobalRequest);
  w.WriteString(name);
  w.WriteBool(want_reply);
  return m;
}

Bytes ServerChannelOpen(const std::string& type, uint32_t sender) {
  Bytes m;
  wire::Writer w(&m);
  w.WriteU8(kMsgChannelOpen);
  w.WriteString(type);
  w.WriteU32(sender);
  w.WriteU32(65536);
  w.WriteU32(32768);
  // x11's originator (RFC 4254 section 6.3.2); forwarded-tcpip's address
  // connected comes first (section 7.2).
  if (type == "forwarded-tcpip") {
    w.WriteString(absl::string_view("127.0.0.1"));
    w.WriteU32(8080);
  }
  w.WriteString(absl::string_view("127.0.0.1"));
  w.WriteU32(4242);
  return m;
}

Bytes OpenConfirmation(uint32_t recipient, uint32_t sender, uint32_t window,
                       uint32_t max_packet) {
  Bytes m;
  wire::Writer w(&m);
  w.WriteU8(kMsgChannelOpenConfirmation);
  w.WriteU32(recipient);
  w.WriteU32(sender);
  w.WriteU32(window);
  w.WriteU32(max_packet);
  return m;
}

Bytes WindowAdjust(uint32_t recipient, uint32_t add) {
  Bytes m;
  wire::Writer w(&m);
  w.WriteU8(kMsgChannelWindowAdjust);
  w.WriteU32(recipient);
  w.WriteU32(add);
  return m;
}

Bytes ChannelData(uint32_t recipient, const std::string& data) {
  Bytes m;
  wire::Writer w(&m);
  w.WriteU8(kMsgChannelData);
  w.WriteU32(recipient);
  w.WriteString(data);
  return m;
}

Bytes ChannelEof(uint32_t recipient) {
  Bytes m;
  wire::Writer w(&m);
  w.WriteU8(kMsgChannelEof);
  w.WriteU32(recipient);
  return m;
}

Bytes ChannelClose(uint32_t recipient) {
  Bytes m;
  wire::Writer w(&m);
  w.WriteU8(kMsgChannelClose);
  w.WriteU32(recipient);
  return m;
}

Bytes ChannelSuccess(uint32_t recipient) {
  Bytes m;
  wire::Writer w(&m);
  w.WriteU8(kMsgChannelSuccess);
  w.WriteU32(recipient);
  return m;
}

Bytes ExitStatus(uint32_t recipient, uint32_t status) {
  Bytes m;
  wire::Writer w(&m);
  w.WriteU8(kMsgChannelRequest);
  w.WriteU32(recipient);
  w.WriteString(absl::string_view("exit-status"));
  w.WriteBool(false);
  w.WriteU32(status);
  return m;
}

Bytes ExtInfo(const std::string& server_sig_algs) {
  Bytes m;
  wire::Writer w(&m);
  w.WriteU8(kMsgExtInfo);
  w.WriteU32(1);
  w.WriteString(absl::string_view("server-sig-algs"));
  w.WriteString(server_sig_algs);
  return m;
}

absl::optional<UserauthRequest> ParseUserauthRequest(const Bytes& msg) {
  if (msg.empty() || msg[0] != kMsgUserauthRequest) return absl::nullopt;
  wire::Reader r(ByteView(msg).subspan(1));
  absl::string_view user, service, method;
  if (!r.ReadString(&user).ok() || !r.ReadString(&service).ok() ||
      !r.ReadString(&method).ok()) {
    return absl::nullopt;
  }
  UserauthRequest req;
  req.user = std::string(user);
  req.service = std::string(service);
  req.method = std::string(method);
  req.rest.assign(r.rest().begin(), r.rest().end());
  return req;
}

absl::optional<std::vector<std::string>> ParseInfoResponse(const Bytes& msg) {
  if (msg.empty() || msg[0] != kMsgUserauthInfoResponse) return absl::nullopt;
  wire::Reader r(ByteView(msg).subspan(1));
  uint32_t n;
  if (!r.ReadU32(&n).ok()) return absl::nullopt;
  std::vector<std::string> out;
  for (uint32_t i = 0; i < n; ++i) {
    absl::string_view a;
    if (!r.ReadString(&a).ok()) return absl::nullopt;
    out.emplace_back(a);
  }
  if (!r.ExpectEnd().ok()) return absl::nullopt;
  return out;
}

EngineHarness::EngineHarness() : EngineHarness(Options()) {}

EngineHarness::EngineHarness(Options options) : options_(std::move(options)) {
  transport::testing::FakeServerOptions so;
  so.provider = TestProvider();
  so.host_keys = {TestKey()};
  server_ = std::make_unique<transport::testing::FakeServer>(std::move(so));
  EngineOptions eo;
  eo.provider = TestProvider();
  eo.host = "fake.example";
  eo.port = 2222;
  eo.limits = options_.limits;
  eo.keepalive_interval = options_.keepalive_interval;
  eo.keepalive_count_max = options_.keepalive_count_max;
  eo.check_host_key = options_.check_host_key
                          ? options_.check_host_key
                          : SyncHostKeyCheck([](const transport::HostKeyInfo&) {
                              return absl::OkStatus();
                            });
  engine_ = std::make_unique<Engine>(std::move(eo));
}

EngineHarness::~EngineHarness() = default;

void EngineHarness::Connect() {
  ASSERT_TRUE(engine_->Start(now_).ok());
  ASSERT_TRUE(server_->Start().ok());
  Pump();
}

void EngineHarness::Advance(std::chrono::milliseconds d) {
  now_ += d;
  (void)engine_->Pump(now_);
  Pump();
}

void EngineHarness::Pump(bool deliver_client_output) {
  for (int i = 0; i < 100000; ++i) {
    bool moved = false;
    if (engine_->has_output()) {
      const Bytes out(engine_->output().begin(), engine_->output().end());
      engine_->ConsumeOutput(out.size());
      if (deliver_client_output) (void)server_->Feed(out);
      moved = true;
    }
    if (server_->has_output() && (engine_->wants() & kWantRead) != 0) {
      const Bytes out(server_->output().begin(), server_->output().end());
      server_->ConsumeOutput(out.size());
      (void)engine_->Feed(out, now_);
      moved = true;
    }
    if ((engine_->wants() & kWantPump) != 0) {
      (void)engine_->Pump(now_);
      moved = true;
    }
    if (!moved) return;
  }
  ADD_FAILURE() << "the engine and the server never went quiet";
}

void EngineHarness::DeliverToClientOnly() {
  if (!server_->has_output()) return;
  const Bytes out(server_->output().begin(), server_->output().end());
  server_->ConsumeOutput(out.size());
  (void)engine_->Feed(out, now_);
}

void EngineHarness::ServerSend(const Bytes& msg) {
  ASSERT_TRUE(server_->Send(msg).ok());
}

Bytes EngineHarness::NextClientMessage() {
  Bytes m;
  if (!server_->Receive(&m)) return Bytes();
  return m;
}

std::vector<Bytes> EngineHarness::ClientMessages() {
  std::vector<Bytes> all;
  Bytes m;
  while (server_->Receive(&m)) all.push_back(m);
  return all;
}

absl::optional<UserauthRequest> EngineHarness::AcceptServiceAndReadRequest() {
  Pump();
  const Bytes service = NextClientMessage();
  EXPECT_FALSE(service.empty());
  if (service.empty() || service[0] != kMsgServiceRequest) return absl::nullopt;
  ServerSend(ServiceAccept());
  Pump();
  return ParseUserauthRequest(NextClientMessage());
}

void EngineHarness::Authenticate() {
  ASSERT_TRUE(engine_->AuthNone("alice", now_).ok());
  absl::optional<UserauthRequest> req = AcceptServiceAndReadRequest();
  ASSERT_TRUE(req.has_value());
  ASSERT_EQ(req->method, "none");
  ServerSend(UserauthSuccess());
  Pump();
  ASSERT_TRUE(engine_->auth_done());
  absl::StatusOr<auth::AuthOutcome> o = engine_->TakeAuthResult();
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->kind, auth::AuthOutcome::kSuccess);
  ASSERT_TRUE(engine_->authenticated());
}

}  // namespace parley::session::testing
