// The blocking C++ API: one SSH client session over TCP, driven by the
// session engine (core/session/engine.h) and the shared wait loop
// (SocketDriver::RunUntil). Every blocking call takes the session's
// timeout as its deadline.
//
//   client::SessionOptions options;
//   options.provider = *crypto::LoadCryptoBackend("openssl");
//   options.verify_host_key = ...;                 // e.g. known_hosts
//   auto s = client::Session::Connect(host, 22, options);
//   auth::PasswordResponder r(password);
//   auto outcome = (*s)->AuthKeyboardInteractive(user, r);
//   auto result = (*s)->Exec("uname -a");
//
// For many sessions on one thread, see event_loop.h.
#ifndef PARLEY_CORE_CLIENT_SESSION_H_
#define PARLEY_CORE_CLIENT_SESSION_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/optional.h"
#include "core/auth/kbdint_login.h"
#include "core/auth/responder.h"
#include "core/auth/signer.h"
#include "core/auth/userauth.h"
#include "core/channel/connection.h"
#include "core/session/engine.h"
#include "core/session/exec.h"
#include "core/session/socket_driver.h"

namespace parley::client {

struct SessionOptions {
  // The crypto backend; null loads the default ($PARLEY_CRYPTO or openssl),
  // shared by every session of the process.
  std::shared_ptr<const crypto::CryptoProvider> provider;
  crypto::AlgorithmLists algorithms;  // empty lists: backend defaults
  // Host key check (e.g. known_hosts): either a synchronous one, or
  // check_host_key, which may answer later. One of them is required.
  std::function<absl::Status(const transport::HostKeyInfo&)> verify_host_key;
  session::HostKeyCheck check_host_key;
  std::chrono::milliseconds timeout{30000};
  uint64_t rekey_bytes = 0;
  bool strict_kex = true;
  transport::TransportLimits limits;
  std::function<void(bool always_display, const std::string&)> on_debug;
  // Every packet's type and size, sent or received (for tracing).
  std::function<void(bool sent, uint8_t type, size_t size)> on_packet;
  // The local agent's socket (e.g. $SSH_AUTH_SOCK) to forward to every
  // command (ssh -A); empty: no agent forwarding.
  std::string forward_agent;
  // ServerAliveInterval / ServerAliveCountMax (session::EngineOptions).
  std::chrono::seconds keepalive_interval{0};
  int keepalive_count_max = 3;
};

// The engine options for `options` (the default backend loaded if none is
// given). Shared with the event loop.
absl::StatusOr<session::EngineOptions> MakeEngineOptions(
    const SessionOptions& options, const std::string& host, uint16_t port);

using ExecResult = session::ExecResult;

class Session {
 public:
  // Connects over TCP (IPv4 or IPv6) and completes the key exchange,
  // including the host-key check.
  static absl::StatusOr<std::unique_ptr<Session>> Connect(
      const std::string& host, uint16_t port, SessionOptions options);

  ~Session();

  // Authentication. Each returns the server's answer (success, partial
  // success with the methods that remain, or failure).
  absl::StatusOr<auth::AuthOutcome> AuthNone(const std::string& user);
  absl::StatusOr<auth::AuthOutcome> AuthPassword(const std::string& user,
                                                 ByteView password);
  // Keyboard-interactive with a responder (RFC 4256). Errors besides
  // transport failures: kCancelled, kDeadlineExceeded, kResourceExhausted
  // (see KbdIntLogin). A responder that asks to be called later wakes the
  // session through the challenge's waker; nothing is polled.
  absl::StatusOr<auth::AuthOutcome> AuthKeyboardInteractive(
      const std::string& user, auth::Responder& responder,
      const auth::KbdIntOptions& options = {});
  // Public key (RFC 4252 section 7) with a key in memory, or any signer
  // (agent, token); the signature algorithm is chosen with the server's
  // server-sig-algs.
  absl::StatusOr<auth::AuthOutcome> AuthPublicKey(
      const std::string& user, const crypto::PrivateKey& key);
  absl::StatusOr<auth::AuthOutcome> AuthPublicKey(
      const std::string& user, std::shared_ptr<auth::Signer> signer);
  bool authenticated() const { return engine_->authenticated(); }
  // Cancels the authentication in progress from any thread: the blocked
  // call returns kCancelled.
  void Cancel() { engine_->Cancel(); }

  // Runs `command` on a new session channel, sends `stdin_data` followed by
  // EOF, and collects everything until the channel closes.
  absl::StatusOr<ExecResult> Exec(const std::string& command,
                                  ByteView stdin_data = {});

  // Pumps the connection (blocking) until `done()` holds.
  absl::Status RunUntil(const std::function<bool()>& done);
  // Sends DISCONNECT (by application) and flushes it.
  void Disconnect(const std::string& description);

  session::Engine& engine() { return *engine_; }
  const transport::Transport& transport() const { return engine_->transport(); }
  channel::Connection& connection() { return engine_->connection(); }
  const std::vector<std::string>& banners() const { return engine_->banners(); }
  session::SocketDriver& driver() { return driver_; }
  const crypto::CryptoProvider& provider() const { return engine_->provider(); }

 private:
  Session(int fd, std::unique_ptr<session::Engine> engine,
          std::chrono::milliseconds timeout);
  TimePoint Deadline() const { return Clock::now() + timeout_; }
  absl::StatusOr<auth::AuthOutcome> WaitAuth(absl::Status started);

  int fd_;
  std::unique_ptr<session::Engine> engine_;
  session::SocketDriver driver_;
  std::chrono::milliseconds timeout_;
};

}  // namespace parley::client

#endif  // PARLEY_CORE_CLIENT_SESSION_H_
