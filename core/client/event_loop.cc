#include "core/client/event_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "absl/strings/str_cat.h"
#include "core/base/error.h"
#include "core/base/status_macros.h"
#include "core/transport/messages.h"

namespace parley::client {
namespace {

constexpr int kMaxEvents = 256;

absl::Status Cancelled() {
  return Error(ErrorKind::kCancelled,
               absl::CancelledError("the session was closed"));
}

absl::Status TimedOut(absl::string_view what) {
  return Error(ErrorKind::kDeadline,
               absl::DeadlineExceededError(absl::StrCat("timed out ", what)));
}

}  // namespace

// ---------------------------------------------------------------------------
// EventLoop

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::New() {
  const int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("epoll_create1: ", strerror(errno)));
  }
  return std::unique_ptr<EventLoop>(new EventLoop(fd));
}

EventLoop::~EventLoop() {
  sessions_.clear();  // each closes its socket
  close(epoll_fd_);
}

void EventLoop::Add(std::unique_ptr<AsyncSession> s) {
  sessions_.push_back(std::move(s));
}

void EventLoop::Watch(AsyncSession* s, int fd, uint32_t events,
                      uint32_t* registered) {
  // `*registered` holds the events with bit 31 set once the descriptor is
  // in the epoll set.
  constexpr uint32_t kIn = 1u << 31;
  if ((*registered & kIn) != 0 && (*registered & ~kIn) == events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = s;
  const int op = (*registered & kIn) != 0 ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (epoll_ctl(epoll_fd_, op, fd, &ev) == 0) *registered = events | kIn;
}

void EventLoop::Unwatch(int fd, uint32_t* registered) {
  if (*registered != 0 && fd >= 0) {
    (void)epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  }
  *registered = 0;
}

void EventLoop::Schedule(AsyncSession* s, absl::optional<TimePoint> at) {
  if (s->scheduled_ == at) return;
  if (s->scheduled_.has_value()) timers_.erase({*s->scheduled_, s});
  s->scheduled_ = at;
  if (at.has_value()) timers_.insert({*at, s});
}

void EventLoop::Reap() {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    AsyncSession* s = it->get();
    if (s->phase_ != AsyncSession::Phase::kClosed) {
      ++it;
      continue;
    }
    Schedule(s, absl::nullopt);
    it = sessions_.erase(it);
  }
}

absl::Status EventLoop::Run() {
  stop_ = false;
  while (!stop_ && !sessions_.empty()) {
    PARLEY_RETURN_IF_ERROR(RunOnce(std::chrono::hours(1)));
  }
  return absl::OkStatus();
}

absl::Status EventLoop::RunOnce(std::chrono::milliseconds timeout) {
  TimePoint now = Clock::now();
  int64_t wait_ms = timeout.count();
  if (!timers_.empty()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          timers_.begin()->first - now)
                          .count();
    // Rounded up, so that the timer has passed when epoll_wait returns.
    wait_ms = std::min<int64_t>(wait_ms, std::max<int64_t>(0, left + 1));
  }
  epoll_event events[kMaxEvents];
  const int n =
      epoll_wait(epoll_fd_, events, kMaxEvents,
                 static_cast<int>(std::min<int64_t>(wait_ms, INT_MAX)));
  if (n < 0 && errno != EINTR) {
    return absl::InternalError(absl::StrCat("epoll_wait: ", strerror(errno)));
  }
  std::vector<AsyncSession*> ready;
  std::set<AsyncSession*> seen;
  for (int i = 0; i < n; ++i) {
    auto* s = static_cast<AsyncSession*>(events[i].data.ptr);
    if (seen.insert(s).second) ready.push_back(s);
  }
  now = Clock::now();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    AsyncSession* s = timers_.begin()->second;
    timers_.erase(timers_.begin());
    s->scheduled_.reset();
    if (seen.insert(s).second) ready.push_back(s);
  }
  for (AsyncSession* s : ready) s->Process(Clock::now());
  Reap();
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// AsyncSession

AsyncSession::AsyncSession(EventLoop& loop, std::string host, uint16_t port,
                           SessionOptions options)
    : loop_(loop),
      host_(std::move(host)),
      port_(port),
      options_(std::move(options)) {}

AsyncSession::~AsyncSession() {
  ops_.clear();  // their tasks still talk to the engine
  driver_.reset();
  engine_.reset();
  CloseSocket();
}

void AsyncSession::CloseSocket() {
  for (auto& r : relays_) loop_.Unwatch(r->fd(), r->registered());
  relays_.clear();  // their descriptors close: the far ends see EOF
  loop_.Unwatch(fd_, &fd_events_);
  loop_.Unwatch(wake_fd_, &wake_events_);
  wake_fd_ = -1;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

AsyncSession* AsyncSession::Create(
    EventLoop& loop, const std::string& host, uint16_t port,
    SessionOptions options,
    std::function<void(AsyncSession&, absl::Status)> on_connected) {
  std::unique_ptr<AsyncSession> owned(
      new AsyncSession(loop, host, port, std::move(options)));
  AsyncSession* s = owned.get();
  s->on_connected_ = std::move(on_connected);
  loop.Add(std::move(owned));
  s->connect_deadline_ = Clock::now() + s->options_.timeout;
  return s;
}

AsyncSession* AsyncSession::Connect(
    EventLoop& loop, const std::string& host, uint16_t port,
    SessionOptions options,
    std::function<void(AsyncSession&, absl::Status)> on_connected) {
  AsyncSession* s =
      Create(loop, host, port, std::move(options), std::move(on_connected));
  absl::StatusOr<std::vector<net::Address>> addresses =
      net::Resolve(host, port);
  if (!addresses.ok()) {
    s->last_connect_error_ = addresses.status();
  } else {
    s->addresses_ = *std::move(addresses);
  }
  // Everything, even an early failure, is reported from the loop.
  loop.Schedule(s, Clock::now());
  return s;
}

AsyncSession* AsyncSession::ConnectOver(
    EventLoop& loop, int fd, const std::string& host, uint16_t port,
    SessionOptions options,
    std::function<void(AsyncSession&, absl::Status)> on_connected) {
  AsyncSession* s =
      Create(loop, host, port, std::move(options), std::move(on_connected));
  // Connected already: ProcessConnect() starts the engine. The socket
  // driver needs a non-blocking descriptor.
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) (void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  s->fd_ = fd;
  loop.Schedule(s, Clock::now());
  return s;
}

void AsyncSession::TryNextAddress(TimePoint now) {
  while (next_address_ < addresses_.size()) {
    bool in_progress = false;
    absl::StatusOr<int> fd =
        net::StartConnect(addresses_[next_address_++], &in_progress);
    if (!fd.ok()) {
      last_connect_error_ = fd.status();
      continue;
    }
    fd_ = *fd;
    if (in_progress) {
      loop_.Watch(this, fd_, EPOLLOUT, &fd_events_);
      return;
    }
    ProcessConnect(now);
    return;
  }
  if (last_connect_error_.ok()) {
    last_connect_error_ =
        Error(ErrorKind::kConnectFailed,
              absl::UnavailableError(absl::StrCat("no address for ", host_)));
  }
  phase_ = Phase::kClosed;
  if (on_connected_) {
    auto cb = std::move(on_connected_);
    cb(*this, Error(ErrorKind::kConnectFailed,
                    absl::UnavailableError(absl::StrCat(
                        "cannot connect to ", host_, " port ", port_, ": ",
                        last_connect_error_.message()))));
  }
  Close();
}

void AsyncSession::ProcessConnect(TimePoint now) {
  if (fd_ < 0) {
    if (!addresses_.empty() || !last_connect_error_.ok()) {
      TryNextAddress(now);
    }
    return;
  }
  pollfd p{fd_, POLLOUT, 0};
  if (poll(&p, 1, 0) != 1) {
    if (now >= connect_deadline_) {
      last_connect_error_ = TimedOut("connecting");
      loop_.Unwatch(fd_, &fd_events_);
      close(fd_);
      fd_ = -1;
      next_address_ = addresses_.size();
      TryNextAddress(now);
    }
    return;
  }
  absl::Status connected = net::FinishConnect(fd_);
  if (!connected.ok()) {
    last_connect_error_ = connected;
    loop_.Unwatch(fd_, &fd_events_);
    close(fd_);
    fd_ = -1;
    TryNextAddress(now);
    return;
  }
  absl::StatusOr<session::EngineOptions> e =
      MakeEngineOptions(options_, host_, port_);
  absl::Status started = e.status();
  if (e.ok()) {
    engine_ = std::make_unique<session::Engine>(*std::move(e));
    started = engine_->Start(now);
  }
  if (!started.ok()) {
    phase_ = Phase::kClosed;
    if (on_connected_) {
      auto cb = std::move(on_connected_);
      cb(*this, started);
    }
    Close();
    return;
  }
  driver_ = std::make_unique<session::SocketDriver>(fd_, engine_.get());
  phase_ = Phase::kHandshake;
}

void AsyncSession::Process(TimePoint now) {
  if (phase_ == Phase::kClosed) return;
  if (phase_ == Phase::kConnecting) {
    ProcessConnect(now);
    if (phase_ == Phase::kConnecting) {
      UpdateWatch();
      return;
    }
    if (phase_ == Phase::kClosed) return;
  }
  (void)driver_->Step();
  if (phase_ == Phase::kHandshake) {
    absl::Status failed;
    if (engine_->established()) {
      phase_ = Phase::kReady;
      if (on_connected_) {
        auto cb = std::move(on_connected_);
        cb(*this, absl::OkStatus());
      }
    } else if (engine_->closed()) {
      failed = engine_->error();
    } else if (now >= connect_deadline_) {
      failed = TimedOut("waiting for the key exchange");
    }
    if (!failed.ok()) {
      if (on_connected_) {
        auto cb = std::move(on_connected_);
        cb(*this, failed);
      }
      Close();
      return;
    }
  }
  // Operations and I/O until neither makes progress: what the operations
  // queued goes out now, and whatever that Step() reads (a quick answer)
  // is seen by the operations at once -- nothing else would wake us for
  // bytes already read.
  for (int round = 0; round < 64 && phase_ == Phase::kReady; ++round) {
    RunOperations(Clock::now());
    if (phase_ == Phase::kClosed) return;
    StepRelays();
    if (!engine_->has_output() &&
        (engine_->wants() & session::kWantPump) == 0) {
      break;
    }
    const uint64_t read_before = driver_->bytes_read();
    (void)driver_->Step();
    if (driver_->bytes_read() == read_before &&
        (engine_->wants() & session::kWantPump) == 0) {
      RunOperations(Clock::now());  // the Step may still have pumped
      if (phase_ == Phase::kClosed) return;
      if (!engine_->has_output()) break;
    }
  }
  if (phase_ == Phase::kClosed) return;
  if (engine_->closed() && ops_.empty()) {
    Close();
    return;
  }
  UpdateWatch();
}

void AsyncSession::StepRelays() {
  for (auto it = relays_.begin(); it != relays_.end();) {
    session::StreamRelay& r = **it;
    if (r.Step(engine_->connection())) {
      ++it;
      continue;
    }
    loop_.Unwatch(r.fd(), r.registered());
    engine_->connection().Release(r.channel());
    it = relays_.erase(it);
  }
}

void AsyncSession::Enqueue(Operation op) {
  const bool idle = ops_.empty();
  ops_.push_back(std::move(op));
  // Started by the next Process(), which runs soon.
  if (idle && phase_ == Phase::kReady) loop_.Schedule(this, Clock::now());
}

void AsyncSession::RunOperations(TimePoint now) {
  while (!ops_.empty() && phase_ != Phase::kClosed) {
    // Out of the queue while it runs: its callback may add operations or
    // close the session (which fails and drops the queued ones).
    Operation op = std::move(ops_.front());
    ops_.pop_front();
    if (!op.started) {
      op.started = true;
      op.deadline = now + options_.timeout;
      absl::Status s = op.start();
      if (!s.ok()) {
        op.fail(s);
        continue;
      }
    }
    if (op.poll()) continue;  // finished: its callback ran
    if (now >= op.deadline) {
      op.fail(TimedOut("waiting for the server"));
      continue;
    }
    ops_.push_front(std::move(op));
    break;
  }
}

void AsyncSession::FailAll(const absl::Status& why) {
  std::deque<Operation> ops = std::move(ops_);
  ops_.clear();
  for (Operation& op : ops) op.fail(why);
}

absl::optional<TimePoint> AsyncSession::NextWake() const {
  absl::optional<TimePoint> at;
  auto earlier = [&at](absl::optional<TimePoint> t) {
    if (t.has_value() && (!at.has_value() || *t < *at)) at = t;
  };
  if (phase_ == Phase::kConnecting || phase_ == Phase::kHandshake) {
    earlier(connect_deadline_);
  }
  if (engine_ != nullptr) {
    earlier(engine_->next_deadline());
    if ((engine_->wants() & session::kWantPump) != 0) earlier(Clock::now());
  }
  if (!ops_.empty() && ops_.front().started) earlier(ops_.front().deadline);
  if (!ops_.empty() && !ops_.front().started && phase_ == Phase::kReady) {
    earlier(Clock::now());
  }
  return at;
}

void AsyncSession::UpdateWatch() {
  if (phase_ == Phase::kClosed) return;
  if (phase_ == Phase::kConnecting) {
    if (fd_ >= 0) loop_.Watch(this, fd_, EPOLLOUT, &fd_events_);
  } else {
    const int dirs = driver_->wait_directions();
    uint32_t events = 0;
    if (dirs & session::kWaitRead) events |= EPOLLIN;
    if (dirs & session::kWaitWrite) events |= EPOLLOUT;
    loop_.Watch(this, fd_, events, &fd_events_);
    // The wake descriptor, once something may wake us (a responder, a
    // signer, a host-key decision): most sessions never need one.
    if (wake_fd_ < 0 && (engine_->wants() & session::kWantWake) != 0) {
      wake_fd_ = engine_->wake_fd();
    }
    if (wake_fd_ >= 0) loop_.Watch(this, wake_fd_, EPOLLIN, &wake_events_);
    for (auto& r : relays_) {
      uint32_t ev = 0;
      if (r->wants_read()) ev |= EPOLLIN;
      if (r->wants_write()) ev |= EPOLLOUT;
      loop_.Watch(this, r->fd(), ev, r->registered());
    }
  }
  loop_.Schedule(this, NextWake());
}

void AsyncSession::Close() {
  if (closing_) return;
  closing_ = true;
  if (engine_ != nullptr && !engine_->closed()) {
    engine_->Disconnect(transport::kDisconnectByApplication, "closed");
    if (driver_ != nullptr)
      (void)driver_->Step();  // the DISCONNECT, if it fits
  }
  phase_ = Phase::kClosed;
  FailAll(Cancelled());
  CloseSocket();
  loop_.Schedule(this, absl::nullopt);
}

// --- Operations --------------------------------------------------------------

void AsyncSession::EnqueueAuth(std::function<absl::Status()> start,
                               Done<auth::AuthOutcome> done,
                               std::shared_ptr<void> keep_alive) {
  Operation op;
  op.start = std::move(start);
  // `keep_alive` (a responder) lives as long as the operation's closures.
  op.poll = [this, done, keep_alive] {
    if (!engine_->auth_done()) return false;
    done(*this, engine_->TakeAuthResult());
    return true;
  };
  op.fail = [this, done, keep_alive](absl::Status s) {
    if (engine_ != nullptr) engine_->AbandonAuth(Clock::now());
    done(*this, s);
  };
  Enqueue(std::move(op));
}

void AsyncSession::AuthNone(const std::string& user,
                            Done<auth::AuthOutcome> done) {
  EnqueueAuth([this, user] { return engine_->AuthNone(user, Clock::now()); },
              std::move(done), nullptr);
}

void AsyncSession::AuthPassword(const std::string& user, SecureBuffer password,
                                Done<auth::AuthOutcome> done) {
  auto pw = std::make_shared<SecureBuffer>(std::move(password));
  EnqueueAuth(
      [this, user, pw] {
        return engine_->AuthPassword(user, std::move(*pw), Clock::now());
      },
      std::move(done), nullptr);
}

void AsyncSession::AuthKeyboardInteractive(
    const std::string& user, std::shared_ptr<auth::Responder> responder,
    auth::KbdIntOptions options, Done<auth::AuthOutcome> done) {
  auth::Responder* r = responder.get();
  EnqueueAuth(
      [this, user, r, options] {
        return engine_->AuthKeyboardInteractive(user, r, options, Clock::now());
      },
      std::move(done), std::move(responder));
}

void AsyncSession::AuthPublicKey(const std::string& user,
                                 std::shared_ptr<auth::Signer> signer,
                                 Done<auth::AuthOutcome> done) {
  EnqueueAuth(
      [this, user, signer] {
        return engine_->AuthPublicKey(user, signer, Clock::now());
      },
      std::move(done), nullptr);
}

void AsyncSession::OpenTunnel(const std::string& host, uint16_t port,
                              Done<int> done) {
  auto id = std::make_shared<uint32_t>(0);
  Operation op;
  op.start = [this, host, port, id]() -> absl::Status {
    if (!engine_->authenticated()) {
      return Error(ErrorKind::kBadUse,
                   absl::FailedPreconditionError("not authenticated"));
    }
    absl::StatusOr<uint32_t> opened =
        engine_->connection().OpenDirectTcpip(host, port, "127.0.0.1", 0);
    if (!opened.ok()) return opened.status();
    *id = *opened;
    return absl::OkStatus();
  };
  op.poll = [this, id, done, host, port] {
    channel::Connection& conn = engine_->connection();
    const channel::Channel* c = conn.Find(*id);
    if (c != nullptr && c->state() == channel::Channel::State::kOpening &&
        !engine_->closed()) {
      return false;
    }
    if (c == nullptr || c->state() != channel::Channel::State::kOpen) {
      const std::string why = c != nullptr ? c->open_failure() : "";
      if (c != nullptr) conn.Release(*id);
      done(*this,
           engine_->closed()
               ? engine_->error()
               : Error(ErrorKind::kRefused,
                       absl::UnavailableError(absl::StrCat(
                           "the server would not connect to ", host, " port ",
                           port, why.empty() ? "" : ": ", why))));
      return true;
    }
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   pair) != 0) {
      conn.Release(*id);
      done(*this,
           absl::InternalError(absl::StrCat("socketpair: ", strerror(errno))));
      return true;
    }
    relays_.push_back(std::make_unique<session::StreamRelay>(*id, pair[0]));
    done(*this, pair[1]);
    return true;
  };
  op.fail = [this, id, done](absl::Status s) {
    if (*id != 0 && engine_ != nullptr) engine_->connection().Release(*id);
    done(*this, s);
  };
  Enqueue(std::move(op));
}

void AsyncSession::Exec(const std::string& command,
                        session::ExecOptions options,
                        Done<session::ExecResult> done) {
  auto task = std::make_shared<session::ExecTask>(command, std::move(options));
  Operation op;
  op.start = [this] {
    if (!engine_->authenticated()) {
      return Error(ErrorKind::kBadUse,
                   absl::FailedPreconditionError("not authenticated"));
    }
    return absl::OkStatus();
  };
  op.poll = [this, task, done] {
    if (!task->Poll(*engine_)) return false;
    done(*this, task->TakeResult());
    return true;
  };
  op.fail = [this, task, done](absl::Status s) { done(*this, s); };
  Enqueue(std::move(op));
}

}  // namespace parley::client
