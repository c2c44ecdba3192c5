#include "core/transport/version.h"

#include <string>

#include "gtest/gtest.h"

namespace parley::transport {
namespace {

absl::Status FeedAll(VersionExchange* v, const std::string& s,
                     size_t* consumed) {
  return v->Feed(AsBytes(s), consumed);
}

TEST(VersionTest, ParsesWithBannerLinesAndLeavesTheRest) {
  VersionExchange v;
  size_t used = 0;
  std::string in = "hello\r\nworld\nSSH-2.0-OpenSSH_9.2p1 Debian-2\r\nBINARY";
  ASSERT_TRUE(FeedAll(&v, in, &used).ok());
  ASSERT_TRUE(v.done());
  EXPECT_EQ(v.server_version(), "SSH-2.0-OpenSSH_9.2p1 Debian-2");
  EXPECT_EQ(in.substr(used), "BINARY");
  EXPECT_EQ(v.pre_version_lines(), 2u);
  EXPECT_EQ(SoftwareVersion(v.server_version()), "OpenSSH_9.2p1");
}

TEST(VersionTest, ByteAtATime) {
  VersionExchange v;
  std::string in = "SSH-1.99-Compat\r\n";
  for (char c : in) {
    size_t used;
    ASSERT_TRUE(
        v.Feed(ByteView(reinterpret_cast<const uint8_t*>(&c), 1), &used).ok());
  }
  EXPECT_TRUE(v.done());
  EXPECT_EQ(v.server_version(), "SSH-1.99-Compat");
}

TEST(VersionTest, BadIdentifications) {
  const std::string cases[] = {
      "SSH-1.5-OldServer\r\n",
      "SSH-2.0-" + std::string(250, 'a') + "\r\n",
      std::string("SSH-2.0-x\0y\r\n", 13),
      "SSH-2.0-a\x01"
      "b\r\n",
      std::string(70000, 'x'),
      std::string(2000 * 2, '\n'),
  };
  for (const std::string& c : cases) {
    VersionExchange v;
    size_t used;
    EXPECT_FALSE(FeedAll(&v, c, &used).ok()) << c.substr(0, 20);
    EXPECT_FALSE(v.done());
  }
}

TEST(VersionTest, LongestAllowedLine) {
  VersionExchange v;
  size_t used;
  std::string line = "SSH-2.0-" + std::string(255 - 2 - 8, 'a');
  ASSERT_EQ(line.size() + 2, 255u);
  ASSERT_TRUE(FeedAll(&v, line + "\r\n", &used).ok());
  EXPECT_TRUE(v.done());
}

}  // namespace
}  // namespace parley::transport
