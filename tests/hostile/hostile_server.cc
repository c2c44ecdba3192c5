#include "tests/hostile/hostile_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "core/transport/messages.h"
#include "core/wire/reader.h"

namespace parley::hostile {

using transport::testing::FakeServer;
using transport::testing::FakeServerOptions;
using Clock = std::chrono::steady_clock;

namespace {

int RemainingMs(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

FakeServerOptions DefaultServerOptions() {
  FakeServerOptions o;
  o.provider = session::testing::TestProvider();
  o.host_keys = {session::testing::TestKey()};
  o.server_sig_algs = {"ssh-ed25519", "rsa-sha2-256", "rsa-sha2-512"};
  return o;
}

namespace {

FakeServerOptions RecordingStages(
    FakeServerOptions options,
    std::vector<std::pair<transport::testing::Stage, size_t>>* log) {
  auto user = std::move(options.on_stage);
  options.on_stage = [user, log](FakeServer& s, transport::testing::Stage st) {
    if (user) user(s, st);
    log->emplace_back(st, s.output().size());
  };
  return options;
}

}  // namespace

ServerConnection::ServerConnection(int fd, FakeServerOptions options)
    : fd_(fd), server_(RecordingStages(std::move(options), &stages_)) {}

ServerConnection::~ServerConnection() {
  if (fd_ >= 0) close(fd_);
}

bool ServerConnection::Flush() {
  while (server_.has_output()) {
    if (fd_ < 0) return false;
    ByteView out = server_.output();
    const bool one = byte_gap_.count() >= 0;
    if (one && byte_gap_.count() > 0) std::this_thread::sleep_for(byte_gap_);
    const ssize_t n = send(fd_, out.data(), one ? 1 : out.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    server_.ConsumeOutput(static_cast<size_t>(n));
  }
  return true;
}

bool ServerConnection::SendRaw(ByteView bytes) {
  server_.SendRaw(bytes);
  return Flush();
}

bool ServerConnection::Send(const Bytes& payload) {
  if (!server_.Send(payload).ok()) return false;
  return Flush();
}

bool ServerConnection::ReadSome(Millis timeout) {
  if (fd_ < 0 || eof_) return false;
  pollfd p{fd_, POLLIN, 0};
  int r;
  do {
    r = poll(&p, 1, static_cast<int>(timeout.count()));
  } while (r < 0 && errno == EINTR);
  if (r <= 0) return false;
  uint8_t buf[16384];
  const ssize_t n = recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  raw_.insert(raw_.end(), buf, buf + n);
  // Errors close the server; a test inspects server().error().
  (void)server_.Feed(ByteView(buf, static_cast<size_t>(n)));
  TakeMessages();
  return true;
}

void ServerConnection::TakeMessages() {
  Bytes m;
  while (server_.Receive(&m)) received_.push_back(std::move(m));
}

bool ServerConnection::Handshake(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  if (server_.state() == FakeServer::State::kIdle && !server_.Start().ok()) {
    return false;
  }
  while (true) {
    if (!Flush() || server_.closed()) return false;
    if (server_.state() == FakeServer::State::kEstablished) return true;
    if (!ReadSome(Millis(RemainingMs(deadline)))) return false;
  }
}

bool ServerConnection::HandshakeUntil(transport::testing::Stage stage,
                                      Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  auto seen = [&] {
    for (const auto& [s, mark] : stages_) {
      if (s == stage) {
        stage_mark_ = mark;
        return true;
      }
    }
    return false;
  };
  if (server_.state() == FakeServer::State::kIdle && !server_.Start().ok()) {
    return false;
  }
  while (true) {
    if (seen()) return true;
    if (!Flush() || server_.closed()) return false;
    if (!ReadSome(Millis(RemainingMs(deadline)))) return seen();
  }
}

void ServerConnection::SendAllButAndClose(size_t drop) {
  ByteView out = server_.output();
  if (fd_ >= 0 && out.size() > drop) {
    (void)send(fd_, out.data(), out.size() - drop, MSG_NOSIGNAL);
  }
  Close();
}

void ServerConnection::CutAtStageAndClose(size_t drop) {
  ByteView out = server_.output();
  const size_t end = std::min(stage_mark_, out.size());
  if (fd_ >= 0 && end > drop) {
    (void)send(fd_, out.data(), end - drop, MSG_NOSIGNAL);
  }
  Close();
}

absl::optional<Bytes> ServerConnection::Read(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (next_ < received_.size()) return received_[next_++];
    Flush();
    if (server_.closed()) return absl::nullopt;
    if (!ReadSome(Millis(RemainingMs(deadline)))) {
      if (next_ < received_.size()) return received_[next_++];
      return absl::nullopt;
    }
  }
}

absl::optional<session::testing::UserauthRequest>
ServerConnection::AcceptServiceAndReadRequest() {
  absl::optional<Bytes> m = Read();
  if (!m || m->empty() || (*m)[0] != transport::kMsgServiceRequest) {
    return absl::nullopt;
  }
  if (!Send(session::testing::ServiceAccept())) return absl::nullopt;
  m = Read();
  if (!m) return absl::nullopt;
  return session::testing::ParseUserauthRequest(*m);
}

absl::optional<std::vector<std::string>> ServerConnection::AskPassword(
    const std::string& prompt) {
  if (!Send(session::testing::InfoRequest("", "", {{prompt, false}}))) {
    return absl::nullopt;
  }
  absl::optional<Bytes> m = Read();
  if (!m) return absl::nullopt;
  return session::testing::ParseInfoResponse(*m);
}

bool ServerConnection::Login(const std::string& expected) {
  absl::optional<session::testing::UserauthRequest> req =
      AcceptServiceAndReadRequest();
  if (!req || req->method != "keyboard-interactive") return false;
  absl::optional<std::vector<std::string>> answers = AskPassword();
  if (!answers || *answers != std::vector<std::string>{expected}) return false;
  return Send(session::testing::UserauthSuccess());
}

bool ServerConnection::AcceptSessionChannel(uint32_t window,
                                            uint32_t* client_channel,
                                            uint32_t* client_window) {
  absl::optional<Bytes> open = Read();
  if (!open || open->empty() || (*open)[0] != transport::kMsgChannelOpen) {
    return false;
  }
  wire::Reader r(ByteView(*open).subspan(1));
  absl::string_view type;
  uint32_t sender = 0, their_window = 0;
  if (!r.ReadString(&type).ok() || !r.ReadU32(&sender).ok() ||
      !r.ReadU32(&their_window).ok()) {
    return false;
  }
  if (client_channel != nullptr) *client_channel = sender;
  if (client_window != nullptr) *client_window = their_window;
  return Send(session::testing::OpenConfirmation(sender, 7, window));
}

bool ServerConnection::AcceptRequest(uint32_t client_channel) {
  while (absl::optional<Bytes> m = Read()) {
    if (!m->empty() && (*m)[0] == transport::kMsgChannelRequest) {
      return Send(session::testing::ChannelSuccess(client_channel));
    }
  }
  return false;
}

bool ServerConnection::ServeCommand(const std::string& output,
                                    uint32_t exit_status) {
  uint32_t ch = 0;
  if (!AcceptSessionChannel(1 << 20, &ch) || !AcceptRequest(ch)) return false;
  const bool sent = Send(session::testing::ChannelData(ch, output)) &&
                    Send(session::testing::ExitStatus(ch, exit_status)) &&
                    Send(session::testing::ChannelEof(ch)) &&
                    Send(session::testing::ChannelClose(ch));
  WaitForClientClose();
  return sent;
}

bool ServerConnection::Trickle(Millis gap, Millis budget) {
  const auto deadline = Clock::now() + budget;
  while (server_.has_output() && Clock::now() < deadline) {
    ByteView out = server_.output();
    const ssize_t n = send(fd_, out.data(), 1, MSG_NOSIGNAL);
    if (n <= 0) return false;
    server_.ConsumeOutput(1);
    // Drain what the client says meanwhile, so it never blocks on us.
    pollfd p{fd_, POLLIN, 0};
    const auto wake = Clock::now() + gap;
    while (Clock::now() < wake) {
      if (poll(&p, 1, RemainingMs(wake)) > 0) {
        uint8_t buf[4096];
        const ssize_t r = recv(fd_, buf, sizeof buf, 0);
        if (r <= 0) return false;  // the client gave up
        raw_.insert(raw_.end(), buf, buf + r);
      }
    }
  }
  return !server_.has_output();
}

bool ServerConnection::WaitForClientClose(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!eof_) {
    if (RemainingMs(deadline) == 0) return false;
    if (!ReadSome(Millis(RemainingMs(deadline))) && !eof_) {
      if (RemainingMs(deadline) == 0) return false;
      // A transport failure on our side still leaves the socket to drain.
      if (server_.closed()) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, RemainingMs(deadline)) <= 0) return false;
        uint8_t buf[4096];
        const ssize_t r = recv(fd_, buf, sizeof buf, 0);
        if (r <= 0) eof_ = true;
      }
    }
  }
  return true;
}

void ServerConnection::Reset() {
  if (fd_ < 0) return;
  linger l{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd_);
  fd_ = -1;
}

void ServerConnection::Close() {
  if (fd_ < 0) return;
  shutdown(fd_, SHUT_RDWR);
  close(fd_);
  fd_ = -1;
}

bool ServerConnection::ClientSent(const std::string& needle) const {
  for (const Bytes& m : received_) {
    const std::string s(m.begin(), m.end());
    if (s.find(needle) != std::string::npos) return true;
  }
  return false;
}

bool ServerConnection::ClientSentType(uint8_t type) const {
  return std::any_of(received_.begin(), received_.end(), [&](const Bytes& m) {
    return !m.empty() && m[0] == type;
  });
}

HostileServer::HostileServer(Script script)
    : HostileServer(DefaultServerOptions(), std::move(script)) {}

HostileServer::HostileServer(FakeServerOptions options, Script script) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sin;
  if (listen_fd_ < 0 ||
      bind(listen_fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0 ||
      listen(listen_fd_, 1) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sin), &len) != 0) {
    return;  // port() stays 0; the client's connect fails
  }
  port_ = ntohs(sin.sin_port);
  thread_ = std::thread([this, options = std::move(options),
                         script = std::move(script)]() mutable {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 20000) <= 0) return;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    // A client that stops reading must not hang the script for ever.
    timeval tv{15, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ServerConnection conn(fd, std::move(options));
    ran_ = true;
    script(conn);
  });
}

void HostileServer::Join() {
  if (thread_.joinable()) thread_.join();
}

HostileServer::~HostileServer() {
  Join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

}  // namespace parley::hostile
