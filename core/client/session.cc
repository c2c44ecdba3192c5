#include "core/client/session.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/crypto/backend_loader.h"
#include "core/net/tcp.h"
#include "core/transport/messages.h"

namespace parley::client {

absl::StatusOr<session::EngineOptions> MakeEngineOptions(
    const SessionOptions& options, const std::string& host, uint16_t port) {
  session::EngineOptions e;
  e.provider = options.provider;
  if (e.provider == nullptr) {
    PARLEY_ASSIGN_OR_RETURN(e.provider, crypto::LoadDefaultCryptoBackend());
  }
  e.algorithms = options.algorithms;
  e.rekey_bytes = options.rekey_bytes;
  e.strict_kex = options.strict_kex;
  e.limits = options.limits;
  e.on_debug = options.on_debug;
  e.on_packet = options.on_packet;
  e.keepalive_interval = options.keepalive_interval;
  e.keepalive_count_max = options.keepalive_count_max;
  e.forward_agent = options.forward_agent;
  e.host = host;
  e.port = port;
  if (options.check_host_key) {
    e.check_host_key = options.check_host_key;
  } else if (options.verify_host_key) {
    e.check_host_key = session::SyncHostKeyCheck(options.verify_host_key);
  } else {
    return Error(ErrorKind::kBadUse,
                 absl::InvalidArgumentError(
                     "a session needs a host key check (verify_host_key)"));
  }
  return e;
}

Session::Session(int fd, std::unique_ptr<session::Engine> engine,
                 std::chrono::milliseconds timeout)
    : fd_(fd),
      engine_(std::move(engine)),
      driver_(fd, engine_.get()),
      timeout_(timeout) {}

Session::~Session() {
  // The engine (and the objects it made) goes before the provider it holds,
  // whose module may be unloaded with it.
  engine_.reset();
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<std::unique_ptr<Session>> Session::Connect(
    const std::string& host, uint16_t port, SessionOptions options) {
  PARLEY_ASSIGN_OR_RETURN(session::EngineOptions e,
                          MakeEngineOptions(options, host, port));
  auto engine = std::make_unique<session::Engine>(std::move(e));
  PARLEY_RETURN_IF_ERROR(engine->Start(Clock::now()));
  PARLEY_ASSIGN_OR_RETURN(int fd, net::ConnectTcp(host, port, options.timeout));
  std::unique_ptr<Session> s(
      new Session(fd, std::move(engine), options.timeout));
  session::Engine* ep = s->engine_.get();
  PARLEY_RETURN_IF_ERROR(s->RunUntil([ep] { return ep->established(); }));
  return s;
}

absl::Status Session::RunUntil(const std::function<bool()>& done) {
  return driver_.RunUntil(done, Deadline());
}

absl::StatusOr<auth::AuthOutcome> Session::WaitAuth(absl::Status started) {
  PARLEY_RETURN_IF_ERROR(started);
  session::Engine* e = engine_.get();
  absl::Status s = RunUntil([e] { return e->auth_done(); });
  if (!s.ok()) {
    // Timed out waiting: the attempt is abandoned (nothing more is sent).
    e->AbandonAuth(Clock::now());
    return s;
  }
  return e->TakeAuthResult();
}

absl::StatusOr<auth::AuthOutcome> Session::AuthNone(const std::string& user) {
  return WaitAuth(engine_->AuthNone(user, Clock::now()));
}

absl::StatusOr<auth::AuthOutcome> Session::AuthPassword(const std::string& user,
                                                        ByteView password) {
  return WaitAuth(
      engine_->AuthPassword(user, ToSecureBuffer(password), Clock::now()));
}

absl::StatusOr<auth::AuthOutcome> Session::AuthKeyboardInteractive(
    const std::string& user, auth::Responder& responder,
    const auth::KbdIntOptions& options) {
  return WaitAuth(engine_->AuthKeyboardInteractive(user, &responder, options,
                                                   Clock::now()));
}

absl::StatusOr<auth::AuthOutcome> Session::AuthPublicKey(
    const std::string& user, const crypto::PrivateKey& key) {
  return AuthPublicKey(user, std::make_shared<auth::KeySigner>(
                                 engine_->options().provider, key));
}

absl::StatusOr<auth::AuthOutcome> Session::AuthPublicKey(
    const std::string& user, std::shared_ptr<auth::Signer> signer) {
  return WaitAuth(
      engine_->AuthPublicKey(user, std::move(signer), Clock::now()));
}

absl::StatusOr<ExecResult> Session::Exec(const std::string& command,
                                         ByteView stdin_data) {
  if (!engine_->authenticated()) {
    return Error(ErrorKind::kBadUse,
                 absl::FailedPreconditionError("not authenticated"));
  }
  session::ExecOptions options;
  options.stdin_data.assign(stdin_data.begin(), stdin_data.end());
  options.forward_agent = engine_->agent_forwarding();
  session::ExecTask task(command, std::move(options));
  session::Engine* e = engine_.get();
  PARLEY_RETURN_IF_ERROR(RunUntil([&] { return task.Poll(*e); }));
  return task.TakeResult();
}

void Session::Disconnect(const std::string& description) {
  engine_->Disconnect(transport::kDisconnectByApplication, description);
  (void)driver_.Flush(Clock::now() + std::chrono::seconds(1));
}

}  // namespace parley::client
