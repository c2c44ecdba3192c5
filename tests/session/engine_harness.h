// In-memory harness for the session engine (core/session/engine.h): the
// engine talks to FakeServer (tests/transport), a real SSH transport in the
// server role, and the test scripts the server's upper layers (userauth,
// connection) message by message. Time is a fake clock the test advances;
// nothing sleeps.
//
//   EngineHarness h;
//   h.Connect();                              // KEX done, host key accepted
//   ASSERT_TRUE(h.engine().AuthKeyboardInteractive("alice", &r, {},
//   h.now()).ok()); h.Pump(); h.ExpectServiceRequest();
//   h.ServerSend(ServiceAccept());
//   ...
#ifndef PARLEY_TESTS_SESSION_ENGINE_HARNESS_H_
#define PARLEY_TESTS_SESSION_ENGINE_HARNESS_H_

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/types/optional.h"
#include "core/auth/kbdint.h"
#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/crypto/provider.h"
#include "core/session/engine.h"
#include "tests/transport/fake_server.h"

namespace parley::session::testing {

// The OpenSSL backend, linked in (no module loading in unit tests).
std::shared_ptr<const crypto::CryptoProvider> TestProvider();
// An Ed25519 key generated once per process.
const crypto::PrivateKey& TestKey();

// --- Server-side messages -----------------------------------------------
Bytes ServiceAccept();
Bytes UserauthFailure(const std::vector<std::string>& methods,
                      bool partial = false);
Bytes UserauthSuccess();
Bytes UserauthBanner(const std::string& text);
Bytes InfoRequest(const std::string& name, const std::string& instruction,
                  const std::vector<std::pair<std::string, bool>>& prompts);
Bytes PkOk(const std::string& algorithm, ByteView blob);
Bytes GlobalRequest(const std::string& name, bool want_reply);
// A server CHANNEL_OPEN: forwarded-tcpip for 127.0.0.1:8080, others with
// the originator 127.0.0.1:4242 (x11's data).
Bytes ServerChannelOpen(const std::string& type, uint32_t sender);
Bytes OpenConfirmation(uint32_t recipient, uint32_t sender, uint32_t window,
                       uint32_t max_packet = 32768);
Bytes WindowAdjust(uint32_t recipient, uint32_t add);
Bytes ChannelData(uint32_t recipient, const std::string& data);
Bytes ChannelEof(uint32_t recipient);
Bytes ChannelClose(uint32_t recipient);
Bytes ChannelSuccess(uint32_t recipient);
Bytes ExitStatus(uint32_t recipient, uint32_t status);
Bytes ExtInfo(const std::string& server_sig_algs);

// --- Client messages, decoded --------------------------------------------
struct UserauthRequest {
  std::string user, service, method;
  Bytes rest;  // method-specific fields
};
absl::optional<UserauthRequest> ParseUserauthRequest(const Bytes& msg);
// INFO_RESPONSE answers, or nullopt if `msg` is not one.
absl::optional<std::vector<std::string>> ParseInfoResponse(const Bytes& msg);

class EngineHarness {
 public:
  struct Options {
    transport::TransportLimits limits;
    // Null: every host key is accepted at once.
    HostKeyCheck check_host_key;
    std::chrono::seconds keepalive_interval{0};
    int keepalive_count_max = 3;
  };
  EngineHarness();
  explicit EngineHarness(Options options);
  ~EngineHarness();

  // Starts both sides and runs the key exchange (and the host-key
  // decision, if it is synchronous).
  void Connect();

  Engine& engine() { return *engine_; }
  transport::testing::FakeServer& server() { return *server_; }
  TimePoint now() const { return now_; }
  // Advances the fake clock and lets the engine see it.
  void Advance(std::chrono::milliseconds d);
  // Sets the clock without pumping (a responder "taking time").
  void SetNow(TimePoint t) { now_ = t; }

  // Moves bytes both ways and pumps the engine until nothing moves.
  // `deliver_client_output` false drops what the client sends instead (a
  // server that reads but never answers).
  void Pump(bool deliver_client_output = true);
  // Feeds the server's pending output to the engine without taking the
  // engine's output (a server that sends but does not read).
  void DeliverToClientOnly();

  // The server's side of the conversation.
  void ServerSend(const Bytes& msg);
  // The next upper-layer message the client sent (empty if none).
  Bytes NextClientMessage();
  // All client messages not yet taken.
  std::vector<Bytes> ClientMessages();
  // The service request and its acceptance, then the next USERAUTH_REQUEST.
  absl::optional<UserauthRequest> AcceptServiceAndReadRequest();
  // Drives a keyboard-interactive login to success with `responder`
  // answering one password round; authenticated afterwards.
  void Authenticate();

 private:
  Options options_;
  TimePoint now_ = TimePoint() + std::chrono::hours(24);
  std::unique_ptr<transport::testing::FakeServer> server_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace parley::session::testing

#endif  // PARLEY_TESTS_SESSION_ENGINE_HARNESS_H_
