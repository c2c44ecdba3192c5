// The session engine: one SSH client session (transport, user
// authentication with the attempt in progress, and the connection layer)
// that never touches a socket and never reads the clock. Bytes go in with
// Feed(), out through output(); Pump(now) advances timers and asynchronous
// work; wants() and next_deadline() say what the engine waits for.
//
// Every API drives this one engine: the blocking C++ session
// (core/client/session.h), the event loop that runs many sessions on one
// thread (core/client/event_loop.h), the libssh2-compatible C API
// (core/capi), and in-memory tests and fuzzers.
//
//   Engine e(options);
//   e.Start(now);
//   loop:
//     write e.output() to the socket, ConsumeOutput(n)
//     if (e.wants() & kWantRead) e.Feed(received, now)   // or FeedEof(now)
//     e.Pump(now)                                         // timers, wakes
//     wait for the socket (read/write), e.wake_fd() (kWantWake), or
//     e.next_deadline(); kWantPump means: call Pump() again at once
//
// Asynchronous decisions: the host-key check, keyboard-interactive
// responders and publickey signers may each answer later. They are handed a
// waker; when it fires, the driver sees wake_fd() readable (or
// wake_source().woken()) and calls Pump(), which resumes them. Nothing is
// polled on a timer.
//
// Errors carry an ErrorKind (core/base/error.h) from where they start; once
// the engine failed, error() says why and every later call reports it.
// Memory is bounded: see transport::TransportLimits; drivers honour
// kWantRead (which is off while the peer does not read what we send).
//
// Not thread-safe, except Cancel() and the wakers, which any thread may use.
#ifndef PARLEY_CORE_SESSION_ENGINE_H_
#define PARLEY_CORE_SESSION_ENGINE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/optional.h"
#include "core/auth/attempt.h"
#include "core/auth/kbdint_login.h"
#include "core/auth/responder.h"
#include "core/auth/signer.h"
#include "core/auth/userauth.h"
#include "core/base/clock.h"
#include "core/base/error.h"
#include "core/base/secure_buffer.h"
#include "core/base/waker.h"
#include "core/channel/connection.h"
#include "core/crypto/provider.h"
#include "core/session/agent_forwarding.h"
#include "core/transport/transport.h"

namespace parley::session {

// The application's answer to an asynchronous host-key check: thread-safe,
// first answer wins.
class HostKeyTicket {
 public:
  HostKeyTicket() = default;
  void Accept() const { Resolve(absl::OkStatus()); }
  // `why` should say which key was refused and why; kHostKeyRejected is
  // attached.
  void Reject(absl::Status why) const { Resolve(std::move(why)); }

 private:
  friend class Engine;
  struct State {
    std::mutex mu;
    absl::optional<absl::Status> decision;
    Waker waker;
  };
  void Resolve(absl::Status decision) const;
  std::shared_ptr<State> state_;
};

// Decides about the server's host key once it proved it holds the key and
// before any credential is sent: OK trusts it, an error refuses it, nullopt
// means "later" (the application answers through the ticket, from any
// thread).
using HostKeyCheck = std::function<absl::optional<absl::Status>(
    const transport::HostKeyInfo& key, HostKeyTicket ticket)>;
// A synchronous check as a HostKeyCheck.
HostKeyCheck SyncHostKeyCheck(
    std::function<absl::Status(const transport::HostKeyInfo&)> verify);

struct EngineOptions {
  std::shared_ptr<const crypto::CryptoProvider> provider;  // required
  // Algorithms to offer; empty lists take the provider's defaults.
  crypto::AlgorithmLists algorithms;
  std::string client_version = transport::kParleyVersion;
  uint64_t rekey_bytes = 0;
  std::chrono::seconds rekey_interval{0};
  bool strict_kex = true;
  transport::TransportLimits limits;
  // The server as the application named it (for responders and messages).
  std::string host;
  uint16_t port = 22;
  HostKeyCheck check_host_key;  // required
  // The local agent's socket to forward to channels that ask for it
  // (ExecOptions::forward_agent, libssh2_channel_request_auth_agent); empty:
  // no agent forwarding.
  std::string forward_agent;
  // SSH_MSG_DEBUG text (untrusted: sanitise to display).
  std::function<void(bool always_display, const std::string&)> on_debug;
  // SSH_MSG_IGNORE data and the server's DISCONNECT (TransportOptions).
  std::function<void(const std::string&)> on_ignore;
  std::function<void(uint32_t reason, const std::string&)> on_disconnect;
  // Every packet's type and size (transport::TransportOptions::on_packet).
  std::function<void(bool sent, uint8_t type, size_t size)> on_packet;
  // OpenSSH's ServerAliveInterval / ServerAliveCountMax: after this long
  // without hearing from the server (once authenticated), send a
  // keepalive@openssh.com request that wants a reply; when `count_max` of
  // them in a row go unanswered, the connection fails (kDeadline). Zero:
  // off.
  std::chrono::seconds keepalive_interval{0};
  int keepalive_count_max = 3;
};

// What the engine waits for (bits of Engine::wants()).
enum Want : unsigned {
  kWantNothing = 0,
  kWantRead = 1,       // bytes from the server
  kWantWrite = 2,      // output() is not empty
  kWantResponder = 4,  // a responder that will answer later (wake_fd())
  kWantSigner = 8,     // a signer that will sign later (wake_fd())
  kWantHostKey = 16,   // the application's host-key decision (wake_fd())
  kWantPump = 32,      // more work now: call Pump() again with a fresh `now`
  kWantAgent = 64,     // a forwarded agent request is with the local agent
  // Any of the asynchronous decisions: poll wake_fd().
  kWantWake = kWantResponder | kWantSigner | kWantHostKey | kWantAgent,
};

class Engine {
 public:
  explicit Engine(EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues the version line and KEXINIT. Errors: kBadUse (options), or
  // kUnsupported (no usable algorithm in a slot).
  absl::Status Start(TimePoint now);

  // ---- Bytes
  ByteView output() const { return transport_->output(); }
  void ConsumeOutput(size_t n) { transport_->ConsumeOutput(n); }
  bool has_output() const { return transport_->has_output(); }
  // Processes bytes from the server (messages are dispatched and the
  // attempt in progress advanced). An error is the engine's error().
  absl::Status Feed(ByteView data, TimePoint now);
  // The server closed the connection.
  void FeedEof(TimePoint now);
  // The driver's socket failed (an error with kSendFailed, kRecvFailed...).
  void FailIo(absl::Status error);
  // Advances timers (deadlines, rekey) and asynchronous work (wakes).
  absl::Status Pump(TimePoint now);

  // ---- Waiting
  unsigned wants() const;
  // When Pump() must run even if nothing else happens.
  absl::optional<TimePoint> next_deadline() const;
  // Readable while woken (for poll/epoll); -1 if no descriptor could be
  // made (then rely on wake_source().woken() and deadlines).
  int wake_fd() { return wake_.fd(); }
  WakeSource& wake_source() { return wake_; }

  // ---- State
  // Keys in place and the host key accepted.
  bool established() const { return transport_->established(); }
  bool closed() const { return transport_->closed(); }
  // Why the engine stopped (OK while it runs).
  absl::Status error() const;
  const transport::Transport& transport() const { return *transport_; }
  transport::Transport& transport() { return *transport_; }
  const crypto::CryptoProvider& provider() const { return *options_.provider; }
  const EngineOptions& options() const { return options_; }
  // The host key's "SHA256:..." fingerprint once known ("" before).
  const std::string& host_key_fingerprint();

  // ---- Authentication: one attempt at a time. Each Auth* starts an
  // attempt; auth_done() tells when its result is ready, TakeAuthResult()
  // takes it: the server's answer (success, partial success with the
  // methods left, failure, a password-change request) or an error
  // (kCancelled, kDeadline, kRoundLimit, the signer's, the transport's).
  absl::Status AuthNone(std::string user, TimePoint now);
  absl::Status AuthPassword(std::string user, SecureBuffer password,
                            TimePoint now);
  absl::Status AuthPasswordChange(std::string user, SecureBuffer old_password,
                                  SecureBuffer new_password, TimePoint now);
  absl::Status AuthPublicKey(std::string user,
                             std::shared_ptr<auth::Signer> signer,
                             TimePoint now);
  // Host-based authentication: `host_key` signs for `identity`.
  absl::Status AuthHostbased(std::string user,
                             std::shared_ptr<auth::Signer> host_key,
                             auth::HostbasedIdentity identity, TimePoint now);
  // `responder` must outlive the attempt.
  absl::Status AuthKeyboardInteractive(std::string user,
                                       auth::Responder* responder,
                                       auth::KbdIntOptions options,
                                       TimePoint now);
  bool auth_in_progress() const { return attempt_ != nullptr; }
  bool auth_done() const { return auth_result_.has_value(); }
  absl::StatusOr<auth::AuthOutcome> TakeAuthResult();
  // Cancels the attempt in progress (thread-safe; wakes the driver). A
  // cancel with no attempt running is forgotten when the next one starts.
  void Cancel();
  // The caller gave up on the attempt (its own deadline passed): it is
  // cancelled now and its result dropped; nothing more is sent for it.
  void AbandonAuth(TimePoint now);
  bool authenticated() const { return userauth_->authenticated(); }
  // Keyboard-interactive rounds of the last keyboard-interactive attempt.
  int kbdint_rounds() const { return userauth_->rounds(); }
  const std::vector<std::string>& banners() const {
    return userauth_->banners();
  }
  const std::vector<std::string>& methods_left() const {
    return userauth_->methods_left();
  }

  // ---- Connection layer (channels open once authenticated)
  channel::Connection& connection() { return *connection_; }
  const channel::Connection& connection() const { return *connection_; }

  // Relays forwarded agent channels to the agent at `socket` from now on
  // (what EngineOptions::forward_agent does from the start).
  void EnableAgentForwarding(std::string socket);
  bool agent_forwarding() const { return agent_forwarding_ != nullptr; }

  // Sends DISCONNECT and closes (kLocalDisconnect).
  void Disconnect(uint32_t reason, absl::string_view description);

 private:
  absl::Status BeginAttempt(std::unique_ptr<auth::AuthAttempt> attempt,
                            TimePoint now);
  auth::AttemptContext Context();
  void Step(TimePoint now);
  void CheckHostKey();
  void Dispatch();
  void AdvanceAttempt(TimePoint now, bool woken);
  void FinishAttempt(absl::StatusOr<auth::AuthOutcome> result);

  EngineOptions options_;
  std::unique_ptr<transport::Transport> transport_;
  std::unique_ptr<auth::UserAuth> userauth_;
  std::unique_ptr<channel::Connection> connection_;
  // Keepalives: when the server was last heard, how many went unanswered.
  TimePoint last_heard_{};
  int keepalives_unanswered_ = 0;
  void Keepalive(TimePoint now);
  absl::optional<TimePoint> NextKeepalive() const;
  WakeSource wake_;

  // Host-key decision.
  bool host_key_asked_ = false;
  HostKeyTicket ticket_;
  std::string fingerprint_;

  // Authentication attempt in progress and the last result.
  std::unique_ptr<auth::AuthAttempt> attempt_;
  auth::AttemptWait attempt_wait_ = auth::AttemptWait::kDone;
  absl::optional<absl::StatusOr<auth::AuthOutcome>> auth_result_;
  std::atomic<bool> cancel_{false};

  std::unique_ptr<AgentForwarding> agent_forwarding_;
};

}  // namespace parley::session

#endif  // PARLEY_CORE_SESSION_ENGINE_H_
