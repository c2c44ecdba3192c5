// Wakers: how code that answers later (a responder waiting for a push
// approval, a smartcard signing, an application deciding about a host key)
// tells the thread driving an engine that it is ready.
//
// The driver owns a WakeSource and hands out Waker copies. Wake() is
// thread-safe and async-signal-safe (an atomic store and a write(2) to an
// eventfd); it may be called after the engine is gone (it then does
// nothing useful, but is safe). The driver either polls fd() -- readable
// once woken -- next to its sockets, or checks TakeWake() between steps.
//
//   WakeSource source;
//   Waker w = source.waker();          // give to the responder
//   ... in another thread: w.Wake();
//   ... driver: poll({socket, source.fd()}); if (source.TakeWake()) Pump();
#ifndef PARLEY_CORE_BASE_WAKER_H_
#define PARLEY_CORE_BASE_WAKER_H_

#include <atomic>
#include <memory>

namespace parley {

namespace internal {
struct WakeState;
}  // namespace internal

class Waker {
 public:
  // A waker that wakes nothing.
  Waker() = default;
  // Marks the source woken and makes its descriptor readable.
  void Wake() const;
  bool valid() const { return state_ != nullptr; }

 private:
  friend class WakeSource;
  explicit Waker(std::shared_ptr<internal::WakeState> s)
      : state_(std::move(s)) {}
  std::shared_ptr<internal::WakeState> state_;
};

class WakeSource {
 public:
  WakeSource();
  ~WakeSource();
  WakeSource(const WakeSource&) = delete;
  WakeSource& operator=(const WakeSource&) = delete;

  Waker waker() const { return Waker(state_); }
  // A descriptor that is readable while woken (created on first use; -1 if
  // the system has no descriptor left, in which case drivers must rely on
  // TakeWake() and their deadlines).
  int fd();
  // True if Wake() was called since the last call; clears the state.
  bool TakeWake();
  // True if woken, without clearing.
  bool woken() const;

 private:
  std::shared_ptr<internal::WakeState> state_;
};

}  // namespace parley

#endif  // PARLEY_CORE_BASE_WAKER_H_
