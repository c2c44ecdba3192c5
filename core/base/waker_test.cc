#include "core/base/waker.h"

#include <poll.h>

#include <thread>

#include "gtest/gtest.h"

namespace parley {
namespace {

bool Readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN) != 0;
}

TEST(WakerTest, WakeMakesTheDescriptorReadableUntilTaken) {
  WakeSource source;
  const int fd = source.fd();
  ASSERT_GE(fd, 0);
  EXPECT_FALSE(Readable(fd, 0));
  EXPECT_FALSE(source.TakeWake());
  source.waker().Wake();
  EXPECT_TRUE(source.woken());
  EXPECT_TRUE(Readable(fd, 0));
  EXPECT_TRUE(source.TakeWake());
  EXPECT_FALSE(Readable(fd, 0));
  EXPECT_FALSE(source.TakeWake());
}

TEST(WakerTest, WakeBeforeTheDescriptorExistsIsNotLost) {
  WakeSource source;
  Waker w = source.waker();
  w.Wake();
  EXPECT_TRUE(Readable(source.fd(), 0));
  EXPECT_TRUE(source.TakeWake());
}

TEST(WakerTest, WakeFromAnotherThreadWakesPoll) {
  WakeSource source;
  const int fd = source.fd();
  Waker w = source.waker();
  std::thread t([w] { w.Wake(); });
  EXPECT_TRUE(Readable(fd, 5000));
  t.join();
  EXPECT_TRUE(source.TakeWake());
}

TEST(WakerTest, WakerOutlivesItsSourceSafely) {
  Waker w;
  w.Wake();  // an empty waker does nothing
  EXPECT_FALSE(w.valid());
  {
    WakeSource source;
    (void)source.fd();
    w = source.waker();
  }
  EXPECT_TRUE(w.valid());
  w.Wake();  // the source is gone: nothing to wake, nothing breaks
}

}  // namespace
}  // namespace parley
