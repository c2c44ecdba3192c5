// A blocking SSH client session: TCP connection, transport, user
// authentication and channels, driven by one socket driver. This is the
// layer the C++ API, the libssh2-compatible C API and the tools build on.
//
// Every blocking call takes the session's timeout as its deadline.
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
#include "core/auth/userauth.h"
#include "core/channel/connection.h"
#include "core/transport/socket_driver.h"
#include "core/transport/transport.h"

namespace parley::client {

struct SessionOptions {
  // The crypto backend; null loads the default ($PARLEY_CRYPTO or openssl).
  std::shared_ptr<const crypto::CryptoProvider> provider;
  crypto::AlgorithmLists algorithms;  // empty lists: backend defaults
  // Host key check (e.g. known_hosts); required.
  std::function<absl::Status(const transport::HostKeyInfo&)> verify_host_key;
  std::chrono::milliseconds timeout{30000};
  uint64_t rekey_bytes = 0;
  bool strict_kex = true;
};

struct ExecResult {
  Bytes stdout_data;
  Bytes stderr_data;
  absl::optional<uint32_t> exit_status;
  absl::optional<channel::ExitSignal> exit_signal;
};

class Session {
 public:
  // Connects over TCP (IPv4 or IPv6) and completes the key exchange.
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
  // (see KbdIntLogin). A responder that asks to retry later is polled every
  // 20 ms while the network is pumped.
  absl::StatusOr<auth::AuthOutcome> AuthKeyboardInteractive(
      const std::string& user, auth::Responder& responder,
      const auth::KbdIntOptions& options = {});
  // Public key (RFC 4252 section 7), signature algorithm chosen with the
  // server's server-sig-algs.
  absl::StatusOr<auth::AuthOutcome> AuthPublicKey(
      const std::string& user, const crypto::PrivateKey& key);
  bool authenticated() const { return auth_.authenticated(); }

  // Runs `command` on a new session channel, sends `stdin_data` followed by
  // EOF, and collects everything until the channel closes.
  absl::StatusOr<ExecResult> Exec(const std::string& command,
                                  ByteView stdin_data = {});

  // Pumps the connection (blocking) until `done()` holds.
  absl::Status RunUntil(const std::function<bool()>& done);
  // Sends DISCONNECT (by application) and flushes it.
  void Disconnect(const std::string& description);

  transport::Transport& transport() { return *transport_; }
  channel::Connection& connection() { return connection_; }
  auth::UserAuth& userauth() { return auth_; }
  transport::SocketDriver& driver() { return driver_; }
  const crypto::CryptoProvider& provider() const { return *provider_; }

 private:
  Session(int fd, std::shared_ptr<const crypto::CryptoProvider> provider,
          std::unique_ptr<transport::Transport> t,
          std::chrono::milliseconds timeout);
  // Routes received messages to the userauth and connection layers.
  absl::Status Dispatch();
  transport::Clock::time_point Deadline() const {
    return transport::Clock::now() + timeout_;
  }
  absl::StatusOr<auth::AuthOutcome> WaitAuth();

  int fd_;
  std::shared_ptr<const crypto::CryptoProvider> provider_;
  std::unique_ptr<transport::Transport> transport_;
  transport::SocketDriver driver_;
  auth::UserAuth auth_;
  channel::Connection connection_;
  std::chrono::milliseconds timeout_;
};

}  // namespace parley::client

#endif  // PARLEY_CORE_CLIENT_SESSION_H_
