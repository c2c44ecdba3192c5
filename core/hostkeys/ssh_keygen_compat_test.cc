// Checks Parley's known_hosts handling against the system's ssh-keygen:
// lines hashed by `ssh-keygen -H` are found by CheckHostKey, lines written
// by FormatKnownHostsLine are found by `ssh-keygen -F`, and fingerprints
// equal `ssh-keygen -lf`'s.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/base/shell_quote.h"
#include "core/crypto/ssh_keys.h"
#include "core/hostkeys/known_hosts.h"
#include "core/hostkeys/test_util.h"
#include "gtest/gtest.h"

namespace parley::hostkeys {
namespace {

using testing::Provider;

constexpr char kSshKeygen[] = "/usr/bin/ssh-keygen";

// Runs `command` through the shell; returns its exit status (-1 if it did
// not exit normally).
int RunShell(const std::string& command) {
  const int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

class SshKeygenCompatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kSshKeygen, X_OK) != 0) {
      GTEST_SKIP() << kSshKeygen << " is not available";
    }
    dir_ = testing::NewTempDir();
  }

  // Generates a key with ssh-keygen and returns its public blob.
  Bytes GenerateKey(absl::string_view type_args, absl::string_view name) {
    const std::string key = absl::StrCat(dir_, "/", name);
    EXPECT_EQ(RunShell(absl::StrCat(kSshKeygen, " -q ", type_args,
                                    " -N '' -C test -f ", ShellQuote(key),
                                    " </dev/null >/dev/null 2>&1")),
              0);
    const std::string pub = testing::ReadFileOrDie(key + ".pub");
    std::vector<std::string> fields =
        absl::StrSplit(absl::StripAsciiWhitespace(pub), ' ');
    EXPECT_GE(fields.size(), 2u) << pub;
    std::string blob;
    EXPECT_TRUE(fields.size() >= 2 && absl::Base64Unescape(fields[1], &blob));
    return Bytes(blob.begin(), blob.end());
  }

  HostKeyResult Check(const KnownHostsFile& file, absl::string_view host,
                      uint16_t port, const Bytes& key) {
    absl::StatusOr<HostKeyCheck> check =
        CheckHostKey(file, Provider(), host, port, key);
    EXPECT_TRUE(check.ok()) << check.status();
    return check.ok() ? check->result : HostKeyResult::kUnknown;
  }

  std::string dir_;
};

// The fingerprints Parley shows (host-key prompts, host-key= in responder
// specs) are the ones `ssh-keygen -lf` prints, for every key type.
TEST_F(SshKeygenCompatTest, FingerprintsMatchSshKeygen) {
  const struct {
    const char* args;
    const char* name;
  } kKeys[] = {{"-t ed25519", "fp_ed"},
               {"-t ecdsa -b 256", "fp_ec256"},
               {"-t ecdsa -b 384", "fp_ec384"},
               {"-t ecdsa -b 521", "fp_ec521"},
               {"-t rsa -b 2048", "fp_rsa"}};
  for (const auto& k : kKeys) {
    SCOPED_TRACE(k.args);
    const Bytes blob = GenerateKey(k.args, k.name);
    const std::string out_path = absl::StrCat(dir_, "/", k.name, ".lf");
    ASSERT_EQ(RunShell(absl::StrCat(
                  kSshKeygen, " -l -E sha256 -f ",
                  ShellQuote(absl::StrCat(dir_, "/", k.name, ".pub")), " >",
                  ShellQuote(out_path), " 2>&1")),
              0);
    // "256 SHA256:... test (ED25519)"
    const std::vector<std::string> fields = absl::StrSplit(
        absl::StripAsciiWhitespace(testing::ReadFileOrDie(out_path)), ' ');
    ASSERT_GE(fields.size(), 2u);
    absl::StatusOr<std::string> ours =
        crypto::FingerprintSha256(Provider(), blob);
    ASSERT_TRUE(ours.ok()) << ours.status();
    EXPECT_EQ(*ours, fields[1]);
  }
}

TEST_F(SshKeygenCompatTest, FindsLinesHashedBySshKeygen) {
  const Bytes ed = GenerateKey("-t ed25519", "ed");
  const Bytes ec = GenerateKey("-t ecdsa -b 256", "ec");
  const std::string path = dir_ + "/known_hosts";
  testing::WriteFileOrDie(
      path, absl::StrCat(
                testing::Line("example.com,[example.org]:2222,192.0.2.7", ed),
                "\n", testing::Line("ec.example", ec), "\n"));
  ASSERT_EQ(RunShell(absl::StrCat(kSshKeygen, " -H -f ", ShellQuote(path),
                                  " >/dev/null 2>&1")),
            0);

  absl::StatusOr<KnownHostsFile> file = LoadKnownHosts(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE(file->bad_lines.empty())
      << file->bad_lines[0].line_number << ": " << file->bad_lines[0].reason;
  // ssh-keygen -H writes one hashed line per name.
  ASSERT_EQ(file->entries.size(), 4u) << testing::ReadFileOrDie(path);
  for (const KnownHostsEntry& e : file->entries) {
    EXPECT_TRUE(e.hashed.has_value());
  }
  EXPECT_FALSE(absl::StrContains(testing::ReadFileOrDie(path), "example"));

  EXPECT_EQ(Check(*file, "example.com", 22, ed), HostKeyResult::kKnown);
  EXPECT_EQ(Check(*file, "EXAMPLE.com", 22, ed), HostKeyResult::kKnown);
  EXPECT_EQ(Check(*file, "example.org", 2222, ed), HostKeyResult::kKnown);
  EXPECT_EQ(Check(*file, "192.0.2.7", 22, ed), HostKeyResult::kKnown);
  EXPECT_EQ(Check(*file, "ec.example", 22, ec), HostKeyResult::kKnown);
  EXPECT_EQ(Check(*file, "example.org", 22, ed), HostKeyResult::kUnknown);
  EXPECT_EQ(Check(*file, "example.net", 22, ed), HostKeyResult::kUnknown);
  EXPECT_EQ(Check(*file, "example.com", 22, ec), HostKeyResult::kUnknown);
  EXPECT_EQ(
      Check(*file, "ec.example", 22, GenerateKey("-t ecdsa -b 256", "e2")),
      HostKeyResult::kChanged);
}

TEST_F(SshKeygenCompatTest, SshKeygenFindsOurLines) {
  const Bytes ed = GenerateKey("-t ed25519", "ed");
  const std::string path = dir_ + "/known_hosts";
  for (bool hash : {true, false}) {
    for (uint16_t port : {22, 2200}) {
      absl::StatusOr<std::string> line =
          FormatKnownHostsLine("host.example", port, ed, hash, Provider());
      ASSERT_TRUE(line.ok()) << line.status();
      testing::WriteFileOrDie(path, "");
      ASSERT_TRUE(AppendKnownHostsLine(path, *line).ok());
      const std::string name = HostPortName("host.example", port);
      const std::string other =
          HostPortName("host.example", static_cast<uint16_t>(port + 1));
      EXPECT_EQ(
          RunShell(absl::StrCat(kSshKeygen, " -F ", ShellQuote(name), " -f ",
                                ShellQuote(path), " >/dev/null 2>&1")),
          0)
          << *line;
      EXPECT_NE(
          RunShell(absl::StrCat(kSshKeygen, " -F ", ShellQuote(other), " -f ",
                                ShellQuote(path), " >/dev/null 2>&1")),
          0)
          << *line;
    }
  }
}

}  // namespace
}  // namespace parley::hostkeys
