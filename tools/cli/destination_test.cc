// Destinations and hosts files: what parses, and bad lines refused with
// FILE:LINE.
#include "tools/cli/destination.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace parley::cli {
namespace {

using ::testing::HasSubstr;

TEST(DestinationTest, ParsesDestinations) {
  auto d = ParseDestination("ops@db1.example:2222", true);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->user, "ops");
  EXPECT_EQ(d->host, "db1.example");
  EXPECT_EQ(d->port, 2222);
  EXPECT_EQ(d->as_written, "ops@db1.example:2222");
  d = ParseDestination("[::1]:22", true);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->host, "::1");
  EXPECT_EQ(d->port, 22);
  d = ParseDestination("fe80::1", true);  // several colons: no port
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->host, "fe80::1");
  EXPECT_FALSE(d->port.has_value());
  d = ParseDestination("a@b@host", false);  // the last @ splits
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->user, "a@b");
  EXPECT_EQ(d->host, "host");
  d = ParseDestination("host:22", false);  // no port on the command line
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->host, "host:22");
  for (const char* bad : {"", "@host", "user@", "host:0", "host:70000",
                          "host:x", "[::1", "[::1]x", "a b", "a/b"}) {
    EXPECT_FALSE(ParseDestination(bad, true).ok()) << bad;
  }
}

TEST(DestinationTest, ParsesHostsFiles) {
  auto hosts = ParseHostsFile(
      "# fleet\n\nweb1\n  ops@web2:2200   # the second\nweb3:22\n", "h");
  ASSERT_TRUE(hosts.ok()) << hosts.status();
  ASSERT_EQ(hosts->size(), 3u);
  EXPECT_EQ((*hosts)[1].as_written, "ops@web2:2200");
  EXPECT_EQ((*hosts)[1].port, 2200);
  auto bad = ParseHostsFile("web1\nweb2:http\n", "h");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("h:2:"));
  EXPECT_FALSE(ParseHostsFile("# nothing\n", "h").ok());
  std::string many;
  for (size_t i = 0; i <= kMaxHosts; ++i) many += "h\n";
  EXPECT_EQ(ParseHostsFile(many, "h").status().code(),
            absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace parley::cli
