#include "core/client/session.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/crypto/backend_loader.h"
#include "core/transport/messages.h"

namespace parley::client {

Session::Session(int fd, std::shared_ptr<const crypto::CryptoProvider> provider,
                 std::unique_ptr<transport::Transport> t,
                 std::chrono::milliseconds timeout)
    : fd_(fd),
      provider_(std::move(provider)),
      transport_(std::move(t)),
      driver_(fd, transport_.get()),
      auth_(transport_.get()),
      connection_(transport_.get()),
      timeout_(timeout) {}

Session::~Session() {
  // The transport (and the objects it made) goes before the provider, whose
  // module may be unloaded with it.
  transport_.reset();
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<std::unique_ptr<Session>> Session::Connect(
    const std::string& host, uint16_t port, SessionOptions options) {
  std::shared_ptr<const crypto::CryptoProvider> provider = options.provider;
  if (provider == nullptr) {
    PARLEY_ASSIGN_OR_RETURN(provider, crypto::LoadDefaultCryptoBackend());
  }
  transport::TransportOptions topts;
  topts.provider = provider;
  topts.algorithms = options.algorithms;
  topts.verify_host_key = options.verify_host_key;
  topts.rekey_bytes = options.rekey_bytes;
  topts.strict_kex = options.strict_kex;
  auto t = std::make_unique<transport::Transport>(std::move(topts));
  PARLEY_RETURN_IF_ERROR(t->Start());
  PARLEY_ASSIGN_OR_RETURN(int fd,
                          transport::ConnectTcp(host, port, options.timeout));
  std::unique_ptr<Session> s(
      new Session(fd, std::move(provider), std::move(t), options.timeout));
  transport::Transport* tp = s->transport_.get();
  PARLEY_RETURN_IF_ERROR(s->RunUntil([tp] { return tp->established(); }));
  return s;
}

absl::Status Session::Dispatch() {
  Bytes msg;
  while (transport_->Receive(&msg)) {
    const uint8_t t = msg[0];
    absl::Status s;
    if (auth::UserAuth::Owns(t)) {
      s = auth_.Handle(msg);
    } else if (channel::Connection::Owns(t)) {
      s = connection_.Handle(msg);
    } else {
      s = absl::InvalidArgumentError(absl::StrCat("unexpected message ", t));
    }
    if (!s.ok()) {
      transport_->Disconnect(transport::kDisconnectProtocolError, s.message());
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status Session::RunUntil(const std::function<bool()>& done) {
  absl::Status dispatch_error;
  absl::Status s = driver_.RunUntil(
      [&] {
        dispatch_error = Dispatch();
        return !dispatch_error.ok() || done();
      },
      Deadline());
  if (!dispatch_error.ok()) return dispatch_error;
  return s;
}

absl::StatusOr<auth::AuthOutcome> Session::WaitAuth() {
  PARLEY_RETURN_IF_ERROR(RunUntil(
      [this] { return auth_.outcome().kind != auth::AuthOutcome::kPending; }));
  return auth_.outcome();
}

absl::StatusOr<auth::AuthOutcome> Session::AuthNone(const std::string& user) {
  PARLEY_RETURN_IF_ERROR(auth_.StartNone(user));
  return WaitAuth();
}

absl::StatusOr<auth::AuthOutcome> Session::AuthPassword(const std::string& user,
                                                        ByteView password) {
  PARLEY_RETURN_IF_ERROR(auth_.StartPassword(user, password));
  return WaitAuth();
}

absl::StatusOr<auth::AuthOutcome> Session::AuthKeyboardInteractive(
    const std::string& user, auth::Responder& responder,
    const auth::KbdIntOptions& options) {
  auth::KbdIntLogin login(&auth_, &responder, options);
  PARLEY_RETURN_IF_ERROR(login.Start(user, auth::Clock::now()));
  while (true) {
    absl::StatusOr<auth::KbdIntLogin::Wait> wait;
    bool responder_waiting = false;
    auto step = [&] {
      wait = login.Poll(auth::Clock::now());
      if (!wait.ok() || *wait == auth::KbdIntLogin::Wait::kNone) return true;
      if (*wait == auth::KbdIntLogin::Wait::kResponder) {
        responder_waiting = true;
        return true;
      }
      return false;
    };
    PARLEY_RETURN_IF_ERROR(RunUntil(step));
    if (!wait.ok()) return wait.status();
    if (*wait == auth::KbdIntLogin::Wait::kNone) return login.outcome();
    if (responder_waiting) {
      // Keep the connection serviced while the responder works.
      (void)driver_.RunUntil(
          [] { return false; },
          transport::Clock::now() + std::chrono::milliseconds(20));
      PARLEY_RETURN_IF_ERROR(Dispatch());
      if (transport_->closed()) return transport_->error();
    }
  }
}

absl::StatusOr<auth::AuthOutcome> Session::AuthPublicKey(
    const std::string& user, const crypto::PrivateKey& key) {
  PARLEY_RETURN_IF_ERROR(
      auth_.StartPublicKey(user, key, auth_.ChoosePublicKeyAlgorithm(key)));
  return WaitAuth();
}

absl::StatusOr<ExecResult> Session::Exec(const std::string& command,
                                         ByteView stdin_data) {
  if (!auth_.authenticated()) {
    return absl::FailedPreconditionError("not authenticated");
  }
  PARLEY_ASSIGN_OR_RETURN(uint32_t id, connection_.OpenSession());
  auto chan = [this, id] { return connection_.Find(id); };
  PARLEY_RETURN_IF_ERROR(RunUntil(
      [&] { return chan()->state != channel::Channel::State::kOpening; }));
  if (chan()->state != channel::Channel::State::kOpen) {
    std::string why = chan()->open_failure;
    connection_.Free(id);
    return absl::UnavailableError(
        absl::StrCat("server refused the session channel: ", why));
  }
  PARLEY_RETURN_IF_ERROR(connection_.Exec(id, command));
  PARLEY_RETURN_IF_ERROR(RunUntil(
      [&] { return !chan()->replies.empty() || chan()->close_received; }));
  if (chan()->replies.empty() || !chan()->replies.front()) {
    connection_.Free(id);
    return absl::UnavailableError("server refused to run the command");
  }
  chan()->replies.pop_front();
  size_t sent = 0;
  ExecResult result;
  uint8_t buf[64 * 1024];
  auto drain = [&] {
    size_t n;
    while ((n = connection_.Read(id, false, buf, sizeof(buf))) > 0) {
      result.stdout_data.insert(result.stdout_data.end(), buf, buf + n);
    }
    while ((n = connection_.Read(id, true, buf, sizeof(buf))) > 0) {
      result.stderr_data.insert(result.stderr_data.end(), buf, buf + n);
    }
  };
  PARLEY_RETURN_IF_ERROR(RunUntil([&] {
    channel::Channel* c = chan();
    drain();
    if (c->state == channel::Channel::State::kOpen && !c->eof_sent) {
      if (sent < stdin_data.size()) {
        auto n = connection_.Write(id, stdin_data.subspan(sent), false);
        if (n.ok()) sent += *n;
      }
      if (sent == stdin_data.size()) (void)connection_.SendEof(id);
    }
    return c->close_received;
  }));
  drain();
  result.exit_status = chan()->exit_status;
  result.exit_signal = chan()->exit_signal;
  connection_.Free(id);
  return result;
}

void Session::Disconnect(const std::string& description) {
  transport_->Disconnect(transport::kDisconnectByApplication, description);
  (void)driver_.Flush(transport::Clock::now() + std::chrono::seconds(1));
}

}  // namespace parley::client
