// ssh_config parsing and the command's options: Host patterns, first value
// wins, -o, algorithm list edits, path tokens, and bad input refused with
// FILE:LINE.
#include "tools/cli/ssh_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/cli/options.h"

namespace parley::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SshConfigTest, HostPatterns) {
  struct Case {
    std::vector<std::string> patterns;
    const char* host;
    bool want;
  };
  const Case cases[] = {
      {{"*"}, "a.example", true},
      {{"*.example"}, "db.example", true},
      {{"*.example"}, "example", false},
      {{"db?"}, "db1", true},
      {{"db?"}, "db10", false},
      {{"DB1"}, "db1", true},
      {{"*", "!bastion"}, "bastion", false},
      {{"*", "!bastion"}, "web", true},
      {{"!bastion"}, "web", false},  // only a negation matches nothing
      {{"a*b*c*d*e*f*g*h*i*"}, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(HostMatches(c.patterns, c.host), c.want) << c.host;
  }
}

TEST(SshConfigTest, FirstValueWinsAndSectionsSelect) {
  const char* text =
      "# global\n"
      "ConnectTimeout 7\n"
      "Host db*  !db9\n"
      "  HostName=10.0.0.5\n"
      "  Port 2222   # trailing comment\n"
      "  IdentityFile ~/.ssh/db_key\n"
      "Host *\n"
      "  Port 22\n"
      "  User \"ops team\"\n"
      "  IdentityFile %d/.ssh/id_ed25519\n"
      "  StrictHostKeyChecking accept-new\n"
      "  Compression yes\n"
      "Match user root\n"
      "  Port 1\n";
  auto config = ParseSshConfig(text, "cfg");
  ASSERT_TRUE(config.ok()) << config.status();
  Options o;
  std::vector<std::string> warnings;
  ASSERT_TRUE(ApplyConfig(&o, *config, "db1", &warnings).ok());
  EXPECT_EQ(o.hostname, "10.0.0.5");
  EXPECT_EQ(o.port, 2222);
  EXPECT_EQ(o.user, "ops team");
  EXPECT_EQ(o.connect_timeout, 7);
  EXPECT_EQ(o.strict_host_key_checking, "accept-new");
  EXPECT_THAT(o.identity_files,
              ElementsAre("~/.ssh/db_key", "%d/.ssh/id_ed25519"));
  EXPECT_THAT(warnings, ElementsAre(HasSubstr("cfg:13: Match"),
                                    HasSubstr("cfg:12: option compression")));
  Options other;
  warnings.clear();
  ASSERT_TRUE(ApplyConfig(&other, *config, "db9", &warnings).ok());
  EXPECT_EQ(other.port, 22);
  EXPECT_FALSE(other.hostname.has_value());
}

TEST(SshConfigTest, CommandLineComesFirst) {
  Options o;
  std::vector<std::string> warnings;
  ASSERT_TRUE(ApplyDashO(&o, "Port=2200", &warnings).ok());
  ASSERT_TRUE(ApplyDashO(&o, "BatchMode yes", &warnings).ok());
  ASSERT_TRUE(ApplyDashO(&o, "Tunnel=yes", &warnings).ok());
  EXPECT_THAT(warnings, ElementsAre(HasSubstr("tunnel is not supported")));
  auto config = ParseSshConfig("Port 22\nBatchMode no\n", "cfg");
  ASSERT_TRUE(config.ok());
  ASSERT_TRUE(ApplyConfig(&o, *config, "h", &warnings).ok());
  EXPECT_EQ(o.port, 2200);
  EXPECT_EQ(o.batch_mode, true);
}

TEST(SshConfigTest, RefusesBadInput) {
  struct Case {
    std::string text;
    const char* why;
  };
  const Case cases[] = {
      {"Port\n", "cfg:1: port has no value"},
      {"\nUser \"unterminated\n", "cfg:2: unterminated quote"},
      {std::string(kMaxConfigLine + 1, 'a'), "cfg:1: line too long"},
      {std::string("User a\0b", 8), "NUL"},
      {std::string(kMaxConfigBytes + 1, '#'), "larger than"},
      {"=value\n", "no keyword"},
  };
  for (const Case& c : cases) {
    auto config = ParseSshConfig(c.text, "cfg");
    ASSERT_FALSE(config.ok()) << c.why;
    EXPECT_THAT(config.status().message(), HasSubstr(c.why));
  }
  Options o;
  std::vector<std::string> w;
  for (const char* bad :
       {"Port=0", "Port=http", "BatchMode=maybe", "StrictHostKeyChecking=no",
        "PreferredAuthentications=gssapi-with-mic", "ConnectTimeout=-1",
        "Host x"}) {
    EXPECT_EQ(ApplyDashO(&o, bad, &w).code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(SshConfigTest, AlgorithmListEdits) {
  const std::vector<std::string> d = {"a", "b", "c"};
  EXPECT_THAT(ResolveAlgorithms("x,y", d), ElementsAre("x", "y"));
  EXPECT_THAT(ResolveAlgorithms("+x,a", d), ElementsAre("a", "b", "c", "x"));
  EXPECT_THAT(ResolveAlgorithms("-b", d), ElementsAre("a", "c"));
  EXPECT_THAT(ResolveAlgorithms("^c,x", d), ElementsAre("c", "x", "a", "b"));
  EXPECT_THAT(ResolveAlgorithms("", d), ElementsAre("a", "b", "c"));
}

TEST(SshConfigTest, PathTokens) {
  setenv("HOME", "/home/me", 1);
  EXPECT_EQ(ExpandPath("~/.ssh/%r@%h:%p", "bob", "db1", 2222),
            "/home/me/.ssh/bob@db1:2222");
  EXPECT_EQ(ExpandPath("%d/x%%y%q", "", "", 22), "/home/me/x%y%q");
}

}  // namespace
}  // namespace parley::cli
