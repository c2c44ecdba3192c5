// Many SSH sessions on one thread: an epoll event loop that drives session
// engines over non-blocking sockets, with per-operation deadlines and
// completion callbacks. This is what the fan-out command and the
// concurrency benchmarks use.
//
//   auto loop = *client::EventLoop::New();
//   for (const std::string& host : hosts) {
//     client::AsyncSession::Connect(*loop, host, 22, options,
//         [&](client::AsyncSession& s, absl::Status connected) {
//           if (!connected.ok()) return;        // the session closes itself
//           s.AuthKeyboardInteractive(user, responder, {},
//               [&](client::AsyncSession& s, auto outcome) {
//                 s.Exec("uptime", {}, [&](client::AsyncSession& s,
//                                          auto result) { ...; s.Close(); });
//               });
//         });
//   }
//   loop->Run();   // returns when every session has closed
//
// Why epoll and not Boost.Asio: the engine is already socketless and says
// what it waits for (socket directions, a wake descriptor, a deadline), so
// the loop is a thin epoll_wait over those; Asio would add its own reactor
// and handler machinery around the same calls, heavy templates in every
// translation unit that includes it, and a second way to express waits.
//
// Threading: everything runs on the thread that calls Run(); callbacks run
// there too. Responders and signers that answer later wake the loop through
// their waker from any thread. No thread per session.
#ifndef PARLEY_CORE_CLIENT_EVENT_LOOP_H_
#define PARLEY_CORE_CLIENT_EVENT_LOOP_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/auth/kbdint_login.h"
#include "core/auth/responder.h"
#include "core/auth/signer.h"
#include "core/base/clock.h"
#include "core/client/session.h"
#include "core/net/tcp.h"
#include "core/session/engine.h"
#include "core/session/exec.h"
#include "core/session/socket_driver.h"
#include "core/session/stream_relay.h"

namespace parley::client {

class AsyncSession;

class EventLoop {
 public:
  static absl::StatusOr<std::unique_ptr<EventLoop>> New();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs until every session has closed, or Stop() was called.
  absl::Status Run();
  // Waits at most `timeout` for something to happen and handles it.
  absl::Status RunOnce(std::chrono::milliseconds timeout);
  // Makes Run() return after the current round (callable from callbacks).
  void Stop() { stop_ = true; }
  size_t sessions() const { return sessions_.size(); }

 private:
  friend class AsyncSession;
  EventLoop(int epoll_fd) : epoll_fd_(epoll_fd) {}
  void Add(std::unique_ptr<AsyncSession> s);
  void Watch(AsyncSession* s, int fd, uint32_t events, uint32_t* registered);
  void Unwatch(int fd, uint32_t* registered);
  void Schedule(AsyncSession* s, absl::optional<TimePoint> at);
  void Reap();

  int epoll_fd_;
  bool stop_ = false;
  std::vector<std::unique_ptr<AsyncSession>> sessions_;
  std::set<std::pair<TimePoint, AsyncSession*>> timers_;
};

// One session of an EventLoop. Created by Connect(); owned by the loop,
// freed after Close() (or after a failure once no operation remains).
// Operations run one after the other in the order they were started; each
// is bounded by SessionOptions::timeout and completes through its callback
// on the loop thread.
class AsyncSession {
 public:
  template <typename T>
  using Done = std::function<void(AsyncSession&, absl::StatusOr<T>)>;

  // Resolves `host`, connects without blocking, completes the key exchange
  // and the host-key check; then `on_connected` runs (with an error if any
  // step failed, after which the session closes itself).
  static AsyncSession* Connect(
      EventLoop& loop, const std::string& host, uint16_t port,
      SessionOptions options,
      std::function<void(AsyncSession&, absl::Status)> on_connected);

  // The same over a stream already connected to the server: `fd` (owned
  // from now on, made non-blocking) is, for example, one end of a tunnel that
  // another session opened with OpenTunnel() -- a jump host.
  static AsyncSession* ConnectOver(
      EventLoop& loop, int fd, const std::string& host, uint16_t port,
      SessionOptions options,
      std::function<void(AsyncSession&, absl::Status)> on_connected);

  ~AsyncSession();

  void AuthNone(const std::string& user, Done<auth::AuthOutcome> done);
  void AuthPassword(const std::string& user, SecureBuffer password,
                    Done<auth::AuthOutcome> done);
  // `responder` is kept alive by the session until the attempt ends.
  void AuthKeyboardInteractive(const std::string& user,
                               std::shared_ptr<auth::Responder> responder,
                               auth::KbdIntOptions options,
                               Done<auth::AuthOutcome> done);
  void AuthPublicKey(const std::string& user,
                     std::shared_ptr<auth::Signer> signer,
                     Done<auth::AuthOutcome> done);
  void Exec(const std::string& command, session::ExecOptions options,
            Done<session::ExecResult> done);
  // Asks the server to connect to `host`:`port` (a direct-tcpip channel,
  // RFC 4254 section 7.2) and relays that stream to one end of a
  // socketpair; `done` gets the other end (the caller's to own and close)
  // once the server has opened the channel. The relay lives until either
  // side closes, or this session does.
  void OpenTunnel(const std::string& host, uint16_t port, Done<int> done);

  // Sends DISCONNECT (if connected) and frees the session at the end of
  // the loop's round. Pending operations complete with kCancelled.
  void Close();

  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }
  session::Engine& engine() { return *engine_; }
  bool connected() const { return phase_ == Phase::kReady; }

 private:
  friend class EventLoop;
  enum class Phase { kConnecting, kHandshake, kReady, kClosed };
  struct Operation {
    // Starts the operation on the engine (false: it failed at once and
    // completed through its callback).
    std::function<absl::Status()> start;
    // True once finished; then `complete` runs.
    std::function<bool()> poll;
    std::function<void(absl::Status)> fail;
    TimePoint deadline{};
    bool started = false;
  };

  AsyncSession(EventLoop& loop, std::string host, uint16_t port,
               SessionOptions options);
  // A new session owned by `loop`, its connect deadline set.
  static AsyncSession* Create(
      EventLoop& loop, const std::string& host, uint16_t port,
      SessionOptions options,
      std::function<void(AsyncSession&, absl::Status)> on_connected);
  void Enqueue(Operation op);
  void EnqueueAuth(std::function<absl::Status()> start,
                   Done<auth::AuthOutcome> done,
                   std::shared_ptr<void> keep_alive);
  void Process(TimePoint now);
  void ProcessConnect(TimePoint now);
  void TryNextAddress(TimePoint now);
  void RunOperations(TimePoint now);
  void FailAll(const absl::Status& why);
  void UpdateWatch();
  void StepRelays();
  absl::optional<TimePoint> NextWake() const;
  void CloseSocket();

  EventLoop& loop_;
  std::string host_;
  uint16_t port_;
  SessionOptions options_;
  std::function<void(AsyncSession&, absl::Status)> on_connected_;
  Phase phase_ = Phase::kConnecting;
  bool closing_ = false;
  TimePoint connect_deadline_{};

  std::vector<std::unique_ptr<session::StreamRelay>> relays_;
  std::vector<net::Address> addresses_;
  size_t next_address_ = 0;
  int fd_ = -1;
  uint32_t fd_events_ = 0;  // registered with epoll (0: not registered)
  uint32_t wake_events_ = 0;
  int wake_fd_ = -1;
  absl::Status last_connect_error_;

  std::unique_ptr<session::Engine> engine_;
  std::unique_ptr<session::SocketDriver> driver_;
  std::deque<Operation> ops_;
  absl::optional<TimePoint> scheduled_;
};

}  // namespace parley::client

#endif  // PARLEY_CORE_CLIENT_EVENT_LOOP_H_
