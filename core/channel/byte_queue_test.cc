#include <cstdint>
#include <string>

#include "core/channel/connection.h"
#include "gtest/gtest.h"

namespace parley::channel {
namespace {

ByteView View(const std::string& s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

std::string Take(ByteQueue& q, size_t max) {
  std::string out(max, '\0');
  out.resize(q.Take(reinterpret_cast<uint8_t*>(&out[0]), max));
  return out;
}

TEST(ByteQueueTest, KeepsOrderAcrossChunksOfEverySize) {
  ByteQueue q;
  std::string all;
  // Small appends coalesce; large ones (a full packet) stand alone.
  for (int i = 0; i < 200; ++i) {
    const std::string piece(i % 7 == 0 ? 40000 : 1 + i % 50,
                            static_cast<char>('a' + i % 26));
    q.Append(View(piece));
    all += piece;
  }
  EXPECT_EQ(q.size(), all.size());
  std::string got;
  size_t step = 1;
  while (!q.empty()) {
    got += Take(q, step);
    step = step * 3 % 70001 + 1;
  }
  EXPECT_EQ(got, all);
  EXPECT_EQ(q.size(), 0u);
}

TEST(ByteQueueTest, TakeWithoutABufferDrops) {
  ByteQueue q;
  q.Append(View("hello world"));
  EXPECT_EQ(q.Take(nullptr, 6), 6u);
  EXPECT_EQ(Take(q, 100), "world");
  EXPECT_EQ(q.Take(nullptr, 10), 0u);
  q.Append(View(""));
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace parley::channel
