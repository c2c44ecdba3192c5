#include "core/base/waker.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace parley {
namespace internal {

struct WakeState {
  std::atomic<bool> woken{false};
  std::atomic<int> fd{-1};
  ~WakeState() {
    const int f = fd.load();
    if (f >= 0) close(f);
  }
};

}  // namespace internal

void Waker::Wake() const {
  if (state_ == nullptr) return;
  // The flag first, then the descriptor: a driver that creates the
  // descriptor concurrently checks the flag after publishing it, so no wake
  // is lost.
  state_->woken.store(true);
  const int fd = state_->fd.load();
  if (fd >= 0) {
    const uint64_t one = 1;
    (void)!write(fd, &one, sizeof(one));
  }
}

WakeSource::WakeSource() : state_(std::make_shared<internal::WakeState>()) {}

WakeSource::~WakeSource() = default;

int WakeSource::fd() {
  int fd = state_->fd.load();
  if (fd >= 0) return fd;
  fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return -1;
  state_->fd.store(fd);
  // A wake that came before the descriptor existed must still be seen.
  if (state_->woken.load()) {
    const uint64_t one = 1;
    (void)!write(fd, &one, sizeof(one));
  }
  return fd;
}

bool WakeSource::TakeWake() {
  const bool was = state_->woken.exchange(false);
  const int fd = state_->fd.load();
  if (was && fd >= 0) {
    uint64_t v;
    (void)!read(fd, &v, sizeof(v));
  }
  return was;
}

bool WakeSource::woken() const { return state_->woken.load(); }

}  // namespace parley
