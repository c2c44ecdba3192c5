#include "core/session/engine.h"

#include "absl/strings/str_cat.h"
#include "core/auth/publickey_login.h"
#include "core/base/status_macros.h"
#include "core/crypto/ssh_keys.h"
#include "core/transport/messages.h"

namespace parley::session {

void HostKeyTicket::Resolve(absl::Status decision) const {
  if (state_ == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->decision.has_value()) return;
    state_->decision = std::move(decision);
  }
  state_->waker.Wake();
}

HostKeyCheck SyncHostKeyCheck(
    std::function<absl::Status(const transport::HostKeyInfo&)> verify) {
  return [verify = std::move(verify)](
             const transport::HostKeyInfo& key,
             HostKeyTicket) -> absl::optional<absl::Status> {
    return verify(key);
  };
}

Engine::Engine(EngineOptions options) : options_(std::move(options)) {
  transport::TransportOptions t;
  t.provider = options_.provider;
  t.algorithms = options_.algorithms;
  t.client_version = options_.client_version;
  t.rekey_bytes = options_.rekey_bytes;
  t.rekey_interval = options_.rekey_interval;
  t.strict_kex = options_.strict_kex;
  t.limits = options_.limits;
  t.on_debug = options_.on_debug;
  t.on_ignore = options_.on_ignore;
  t.on_disconnect = options_.on_disconnect;
  t.on_packet = options_.on_packet;
  // verify_host_key stays null: the engine decides asynchronously.
  transport_ = std::make_unique<transport::Transport>(std::move(t));
  userauth_ = std::make_unique<auth::UserAuth>(transport_.get());
  connection_ = std::make_unique<channel::Connection>(transport_.get());
  if (!options_.forward_agent.empty()) {
    EnableAgentForwarding(options_.forward_agent);
  }
}

Engine::~Engine() {
  if (attempt_ != nullptr) attempt_->Abort();
}

absl::Status Engine::Start(TimePoint now) {
  last_heard_ = now;
  if (options_.provider == nullptr || !options_.check_host_key) {
    return Error(ErrorKind::kBadUse,
                 absl::InvalidArgumentError(
                     "a session needs a crypto provider and a host key check"));
  }
  transport_->set_now(now);
  return transport_->Start();
}

absl::Status Engine::error() const {
  return transport_->closed() ? transport_->error() : absl::OkStatus();
}

absl::Status Engine::Feed(ByteView data, TimePoint now) {
  if (transport_->closed()) return transport_->error();
  transport_->set_now(now);
  if (!data.empty()) {
    last_heard_ = now;
    keepalives_unanswered_ = 0;
  }
  (void)transport_->Feed(data);
  Step(now);
  return error();
}

void Engine::FeedEof(TimePoint now) {
  if (!transport_->closed()) {
    (void)transport_->Abort(
        Error(ErrorKind::kConnectionClosed,
              absl::UnavailableError("connection closed by the server")),
        0);
  }
  Step(now);
}

void Engine::FailIo(absl::Status error) {
  if (!transport_->closed()) {
    (void)transport_->Abort(
        WithDefaultKind(ErrorKind::kRecvFailed, std::move(error)), 0);
  }
  if (attempt_ != nullptr) {
    attempt_->Abort();
    FinishAttempt(transport_->error());
  }
}

absl::Status Engine::Pump(TimePoint now) {
  if (!transport_->closed()) (void)transport_->Tick(now);
  Keepalive(now);
  Step(now);
  return error();
}

absl::optional<TimePoint> Engine::NextKeepalive() const {
  if (options_.keepalive_interval.count() <= 0 || transport_->closed() ||
      !userauth_->authenticated()) {
    return absl::nullopt;
  }
  return last_heard_ +
         options_.keepalive_interval * (keepalives_unanswered_ + 1);
}

void Engine::Keepalive(TimePoint now) {
  const absl::optional<TimePoint> due = NextKeepalive();
  if (!due.has_value() || now < *due) return;
  if (keepalives_unanswered_ >= options_.keepalive_count_max) {
    (void)transport_->Abort(
        Error(ErrorKind::kDeadline,
              absl::DeadlineExceededError(absl::StrCat(
                  "the server answered none of ", keepalives_unanswered_,
                  " keepalives (ServerAliveInterval ",
                  options_.keepalive_interval.count(),
                  " s): the connection is dropped"))),
        transport::kDisconnectConnectionLost);
    return;
  }
  ++keepalives_unanswered_;
  // Any reply (or any other message) counts as an answer: the reply itself
  // is not collected.
  absl::StatusOr<uint64_t> token =
      connection_->SendGlobalRequest("keepalive@openssh.com", true);
  if (token.ok()) connection_->AbandonGlobalReply(*token);
}

void Engine::Step(TimePoint now) {
  const bool woken = wake_.TakeWake();
  if (!transport_->closed()) {
    CheckHostKey();
    Dispatch();
    if (agent_forwarding_ != nullptr && userauth_->authenticated()) {
      agent_forwarding_->Step(*connection_);
    }
  }
  AdvanceAttempt(now, woken);
}

void Engine::CheckHostKey() {
  if (!transport_->host_key_pending()) return;
  const transport::HostKeyInfo* key = transport_->pending_host_key();
  if (!host_key_asked_) {
    host_key_asked_ = true;
    ticket_.state_ = std::make_shared<HostKeyTicket::State>();
    ticket_.state_->waker = wake_.waker();
    absl::optional<absl::Status> now = options_.check_host_key(*key, ticket_);
    if (now.has_value()) ticket_.Resolve(*std::move(now));
  }
  absl::optional<absl::Status> decision;
  {
    std::lock_guard<std::mutex> lock(ticket_.state_->mu);
    decision = ticket_.state_->decision;
  }
  if (!decision.has_value()) return;
  (void)transport_->ResolveHostKey(*std::move(decision));
}

void Engine::EnableAgentForwarding(std::string socket) {
  if (agent_forwarding_ != nullptr &&
      agent_forwarding_->socket_path() == socket) {
    return;
  }
  agent_forwarding_ =
      std::make_unique<AgentForwarding>(std::move(socket), wake_.waker());
  connection_->set_accept_agent_channels(true);
}

const std::string& Engine::host_key_fingerprint() {
  if (fingerprint_.empty() && transport_->established()) {
    absl::StatusOr<std::string> f = crypto::FingerprintSha256(
        *options_.provider, transport_->host_key().blob);
    if (f.ok()) fingerprint_ = *std::move(f);
  }
  return fingerprint_;
}

void Engine::Dispatch() {
  Bytes msg;
  while (!transport_->closed() && transport_->Receive(&msg)) {
    const uint8_t t = msg[0];
    absl::Status s;
    if (auth::UserAuth::Owns(t) && !userauth_->authenticated()) {
      s = userauth_->Handle(msg);
      if (s.ok() && userauth_->authenticated()) connection_->set_enabled(true);
    } else if (channel::Connection::Owns(t) && userauth_->authenticated()) {
      s = connection_->Handle(msg);
    } else {
      // Connection messages before authentication and authentication
      // messages after it are out of place (OpenSSH's client disconnects
      // too).
      s = absl::InvalidArgumentError(
          absl::StrCat("unexpected message ", t,
                       userauth_->authenticated() ? " after authentication"
                                                  : " before authentication"));
    }
    if (!s.ok()) {
      (void)transport_->Abort(WithDefaultKind(ErrorKind::kProtocol, s),
                              transport::kDisconnectProtocolError);
    }
  }
}

auth::AttemptContext Engine::Context() {
  auth::AttemptContext c;
  c.host = options_.host;
  c.port = options_.port;
  c.host_key_fingerprint = host_key_fingerprint();
  c.waker = wake_.waker();
  return c;
}

absl::Status Engine::BeginAttempt(std::unique_ptr<auth::AuthAttempt> attempt,
                                  TimePoint now) {
  if (transport_->closed()) return transport_->error();
  if (!transport_->established()) {
    return Error(ErrorKind::kBadUse,
                 absl::FailedPreconditionError(
                     "authentication before the key exchange completed"));
  }
  if (attempt_ != nullptr) {
    return Error(ErrorKind::kBadUse,
                 absl::FailedPreconditionError(
                     absl::StrCat("a ", attempt_->method(),
                                  " authentication attempt is in progress")));
  }
  // A cancel only ever applies to the attempt running when it is made.
  cancel_.store(false);
  auth_result_.reset();
  transport_->set_now(now);
  absl::Status s = attempt->Start(now);
  if (!s.ok()) {
    return absl::IsFailedPrecondition(s)
               ? WithDefaultKind(ErrorKind::kBadUse, s)
           : error().ok() ? s
                          : error();
  }
  attempt_ = std::move(attempt);
  attempt_wait_ = auth::AttemptWait::kReady;
  AdvanceAttempt(now, false);
  return absl::OkStatus();
}

absl::Status Engine::AuthNone(std::string user, TimePoint now) {
  return BeginAttempt(auth::NewNoneAttempt(userauth_.get(), std::move(user)),
                      now);
}

absl::Status Engine::AuthPassword(std::string user, SecureBuffer password,
                                  TimePoint now) {
  return BeginAttempt(auth::NewPasswordAttempt(userauth_.get(), std::move(user),
                                               std::move(password)),
                      now);
}

absl::Status Engine::AuthPasswordChange(std::string user,
                                        SecureBuffer old_password,
                                        SecureBuffer new_password,
                                        TimePoint now) {
  return BeginAttempt(auth::NewPasswordChangeAttempt(
                          userauth_.get(), std::move(user),
                          std::move(old_password), std::move(new_password)),
                      now);
}

absl::Status Engine::AuthPublicKey(std::string user,
                                   std::shared_ptr<auth::Signer> signer,
                                   TimePoint now) {
  return BeginAttempt(
      std::make_unique<auth::PublicKeyLogin>(userauth_.get(), std::move(signer),
                                             std::move(user), Context()),
      now);
}

absl::Status Engine::AuthHostbased(std::string user,
                                   std::shared_ptr<auth::Signer> host_key,
                                   auth::HostbasedIdentity identity,
                                   TimePoint now) {
  return BeginAttempt(std::make_unique<auth::PublicKeyLogin>(
                          userauth_.get(), std::move(host_key), std::move(user),
                          Context(), std::move(identity)),
                      now);
}

absl::Status Engine::AuthKeyboardInteractive(std::string user,
                                             auth::Responder* responder,
                                             auth::KbdIntOptions options,
                                             TimePoint now) {
  if (responder == nullptr) {
    return Error(ErrorKind::kBadUse,
                 absl::InvalidArgumentError(
                     "keyboard-interactive login without a responder"));
  }
  return BeginAttempt(std::make_unique<auth::KbdIntLogin>(
                          userauth_.get(), responder, std::move(user),
                          std::move(options), Context()),
                      now);
}

void Engine::Cancel() {
  cancel_.store(true);
  wake_.waker().Wake();
}

void Engine::AbandonAuth(TimePoint now) {
  if (attempt_ != nullptr) {
    Cancel();
    (void)Pump(now);
  }
  auth_result_.reset();
}

void Engine::FinishAttempt(absl::StatusOr<auth::AuthOutcome> result) {
  attempt_.reset();
  attempt_wait_ = auth::AttemptWait::kDone;
  auth_result_ = std::move(result);
}

void Engine::AdvanceAttempt(TimePoint now, bool woken) {
  if (attempt_ == nullptr) return;
  if (transport_->closed()) {
    attempt_->Abort();
    FinishAttempt(transport_->error());
    return;
  }
  if (cancel_.exchange(false)) {
    attempt_->Abort();
    FinishAttempt(Error(ErrorKind::kCancelled,
                        absl::CancelledError(absl::StrCat(
                            attempt_->method(), " authentication cancelled"))));
    return;
  }
  if (woken) attempt_->Woken();
  absl::StatusOr<auth::AttemptWait> w = attempt_->Poll(now);
  if (!w.ok()) {
    // The transport's own failure explains more than its echo.
    FinishAttempt(transport_->closed() ? transport_->error() : w.status());
    return;
  }
  attempt_wait_ = *w;
  if (*w == auth::AttemptWait::kDone) {
    auth::AuthOutcome outcome = userauth_->outcome();
    FinishAttempt(std::move(outcome));
  }
}

absl::StatusOr<auth::AuthOutcome> Engine::TakeAuthResult() {
  if (!auth_result_.has_value()) {
    return Error(ErrorKind::kBadUse,
                 absl::FailedPreconditionError("no authentication result"));
  }
  absl::StatusOr<auth::AuthOutcome> r = *std::move(auth_result_);
  auth_result_.reset();
  return r;
}

unsigned Engine::wants() const {
  if (transport_->closed()) {
    return transport_->has_output() ? kWantWrite : kWantNothing;
  }
  unsigned w = kWantNothing;
  if (transport_->accepting_input()) w |= kWantRead;
  if (transport_->has_output()) w |= kWantWrite;
  if (attempt_ != nullptr) {
    switch (attempt_wait_) {
      case auth::AttemptWait::kResponder:
        w |= kWantResponder;
        break;
      case auth::AttemptWait::kSigner:
        w |= kWantSigner;
        break;
      case auth::AttemptWait::kReady:
        w |= kWantPump;
        break;
      default:
        break;
    }
  }
  if (transport_->host_key_pending()) w |= kWantHostKey;
  if (agent_forwarding_ != nullptr && agent_forwarding_->busy()) {
    w |= kWantAgent;
  }
  if (wake_.woken()) w |= kWantPump;
  return w;
}

absl::optional<TimePoint> Engine::next_deadline() const {
  absl::optional<TimePoint> d = transport_->next_deadline();
  if (absl::optional<TimePoint> k = NextKeepalive();
      k.has_value() && (!d.has_value() || *k < *d)) {
    d = k;
  }
  if (attempt_ != nullptr) {
    absl::optional<TimePoint> a = attempt_->deadline();
    if (a.has_value() && (!d.has_value() || *a < *d)) d = a;
  }
  return d;
}

void Engine::Disconnect(uint32_t reason, absl::string_view description) {
  transport_->Disconnect(reason, description);
  if (attempt_ != nullptr) {
    attempt_->Abort();
    FinishAttempt(transport_->error());
  }
}

}  // namespace parley::session
