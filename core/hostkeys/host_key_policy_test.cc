#include "core/hostkeys/host_key_policy.h"

#include <sys/stat.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/ssh_keys.h"
#include "core/hostkeys/test_util.h"
#include "gtest/gtest.h"

namespace parley::hostkeys {
namespace {

using testing::Ed25519Blob;
using testing::Line;
using testing::Provider;

class HostKeyPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::NewTempDir();
    path_ = dir_ + "/known_hosts";
    options_.known_hosts_files = {path_};
    options_.on_warning = [this](absl::string_view w) {
      warnings_.emplace_back(w);
    };
  }

  absl::Status Verify(absl::string_view host, uint16_t port, const Bytes& key,
                      HostKeyCheck* check = nullptr) {
    return VerifyHostKey(options_, Provider(), host, port, key, check);
  }

  std::string Fingerprint(const Bytes& key) {
    return *crypto::FingerprintSha256(Provider(), key);
  }

  const Bytes key_ = Ed25519Blob(1);
  const Bytes other_ = Ed25519Blob(2);
  std::string dir_;
  std::string path_;
  HostKeyVerifyOptions options_;
  std::vector<std::string> warnings_;
};

TEST_F(HostKeyPolicyTest, StrictIsTheDefault) {
  EXPECT_EQ(HostKeyVerifyOptions().policy, HostKeyPolicy::kStrict);
}

TEST_F(HostKeyPolicyTest, StrictAcceptsKnown) {
  testing::WriteFileOrDie(path_, Line("example.com", key_) + "\n");
  HostKeyCheck check;
  EXPECT_TRUE(Verify("example.com", 22, key_, &check).ok());
  EXPECT_EQ(check.result, HostKeyResult::kKnown);
}

TEST_F(HostKeyPolicyTest, StrictRefusesUnknown) {
  testing::WriteFileOrDie(path_, Line("other.example", key_) + "\n");
  absl::Status s = Verify("example.com", 22, key_);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(
      absl::StrContains(s.message(), "Host key for example.com not known"))
      << s;
  EXPECT_TRUE(absl::StrContains(s.message(), path_)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), Fingerprint(key_))) << s;
  EXPECT_EQ(testing::ReadFileOrDie(path_), Line("other.example", key_) + "\n");

  // A missing file is an empty one: still unknown, still refused.
  options_.known_hosts_files = {dir_ + "/absent"};
  EXPECT_EQ(Verify("example.com", 22, key_).code(),
            absl::StatusCode::kUnauthenticated);
  options_.known_hosts_files.clear();
  s = Verify("example.com", 22, key_);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StrContains(s.message(), "no known_hosts file")) << s;
}

TEST_F(HostKeyPolicyTest, StrictRefusesChangedWithFileAndLine) {
  testing::WriteFileOrDie(
      path_, absl::StrCat("# header\n", Line("example.com", key_), "\n"));
  HostKeyCheck check;
  absl::Status s = Verify("example.com", 22, other_, &check);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(check.result, HostKeyResult::kChanged);
  EXPECT_TRUE(
      absl::StrContains(s.message(), "REMOTE HOST IDENTIFICATION HAS CHANGED"))
      << s;
  EXPECT_TRUE(absl::StrContains(s.message(), path_ + ":2")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), Fingerprint(other_))) << s;
}

// A host known only with keys of other types is treated as changed, under
// strict checking and accept-new alike, and nothing is recorded: what
// OpenSSH 9.2's ssh does ("REMOTE HOST IDENTIFICATION HAS CHANGED!",
// offending ECDSA key, nothing appended; checked against a real sshd
// offering ed25519 to a client knowing its ecdsa key).
TEST_F(HostKeyPolicyTest, ANewKeyTypeForAKnownHostIsAChange) {
  const Bytes ec = testing::EcdsaP256Blob(5);
  const std::string before = Line("example.com", ec) + "\n";
  testing::WriteFileOrDie(path_, before);
  for (HostKeyPolicy policy :
       {HostKeyPolicy::kStrict, HostKeyPolicy::kAcceptNew}) {
    options_.policy = policy;
    HostKeyCheck check;
    absl::Status s = Verify("example.com", 22, key_, &check);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(check.result, HostKeyResult::kUnknown);
    EXPECT_TRUE(absl::StrContains(s.message(),
                                  "REMOTE HOST IDENTIFICATION HAS CHANGED"))
        << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "other types")) << s;
    EXPECT_TRUE(absl::StrContains(s.message(),
                                  "ecdsa-sha2-nistp256 at " + path_ + ":1"))
        << s;
    EXPECT_EQ(testing::ReadFileOrDie(path_), before);
  }
  EXPECT_TRUE(warnings_.empty());
  // The application's callback still decides for itself.
  options_.policy = HostKeyPolicy::kCallback;
  int asked = 0;
  options_.callback = [&](const HostKeyPrompt& p) {
    ++asked;
    EXPECT_EQ(p.check.other_types.size(), 1u);
    return HostKeyDecision::kAccept;
  };
  EXPECT_TRUE(Verify("example.com", 22, key_).ok());
  EXPECT_EQ(asked, 1);
}

TEST_F(HostKeyPolicyTest, RevokedAlwaysFails) {
  testing::WriteFileOrDie(
      path_, absl::StrCat(Line("example.com", key_), "\n", "@revoked ",
                          Line("*", key_), "\n"));
  bool asked = false;
  for (HostKeyPolicy policy :
       {HostKeyPolicy::kStrict, HostKeyPolicy::kAcceptNew,
        HostKeyPolicy::kCallback}) {
    options_.policy = policy;
    options_.callback = [&](const HostKeyPrompt&) {
      asked = true;
      return HostKeyDecision::kAcceptAndRemember;
    };
    absl::Status s = Verify("example.com", 22, key_);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_TRUE(absl::StrContains(s.message(), "REVOKED")) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), path_ + ":2")) << s;
  }
  EXPECT_FALSE(asked);
}

TEST_F(HostKeyPolicyTest, AcceptNewAppendsThenKnows) {
  options_.policy = HostKeyPolicy::kAcceptNew;
  ASSERT_TRUE(Verify("example.com", 2222, key_).ok());
  EXPECT_EQ(testing::ReadFileOrDie(path_),
            "[example.com]:2222 ssh-ed25519 " + testing::Base64(key_) + "\n");
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_TRUE(absl::StrContains(warnings_[0], "Permanently added"));

  // Now known, also under strict checking, and nothing more is written.
  options_.policy = HostKeyPolicy::kStrict;
  HostKeyCheck check;
  EXPECT_TRUE(Verify("example.com", 2222, key_, &check).ok());
  EXPECT_EQ(check.result, HostKeyResult::kKnown);
  EXPECT_EQ(check.lines[0].Location(), path_ + ":1");

  // A different key for the same host is still refused.
  options_.policy = HostKeyPolicy::kAcceptNew;
  absl::Status s = Verify("example.com", 2222, other_);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StrContains(s.message(), path_ + ":1")) << s;
  EXPECT_EQ(testing::ReadFileOrDie(path_),
            "[example.com]:2222 ssh-ed25519 " + testing::Base64(key_) + "\n");
}

TEST_F(HostKeyPolicyTest, AcceptNewHashed) {
  options_.policy = HostKeyPolicy::kAcceptNew;
  options_.hash_new_entries = true;
  ASSERT_TRUE(Verify("Example.com", 22, key_).ok());
  const std::string text = testing::ReadFileOrDie(path_);
  EXPECT_TRUE(absl::StartsWith(text, "|1|")) << text;
  EXPECT_FALSE(absl::StrContains(text, "example")) << text;
  options_.policy = HostKeyPolicy::kStrict;
  EXPECT_TRUE(Verify("example.com", 22, key_).ok());
  EXPECT_EQ(Verify("example.com", 22, other_).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(HostKeyPolicyTest, AcceptNewWriteFailureFailsClosed) {
  options_.policy = HostKeyPolicy::kAcceptNew;
  options_.known_hosts_files = {dir_ + "/no/such/dir/known_hosts"};
  absl::Status s = Verify("example.com", 22, key_);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "cannot record")) << s;
}

TEST_F(HostKeyPolicyTest, Callback) {
  testing::WriteFileOrDie(path_, Line("known.example", key_) + "\n");
  options_.policy = HostKeyPolicy::kCallback;
  std::vector<HostKeyPrompt> prompts;
  HostKeyDecision answer = HostKeyDecision::kReject;
  options_.callback = [&](const HostKeyPrompt& p) {
    prompts.push_back(p);
    return answer;
  };

  // Known: accepted without asking.
  EXPECT_TRUE(Verify("known.example", 22, key_).ok());
  EXPECT_TRUE(prompts.empty());

  // Unknown, rejected.
  absl::Status s = Verify("new.example", 2200, key_);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StrContains(s.message(), "rejected by the application"))
      << s;
  ASSERT_EQ(prompts.size(), 1u);
  EXPECT_EQ(prompts[0].host, "new.example");
  EXPECT_EQ(prompts[0].port, 2200);
  EXPECT_EQ(prompts[0].key_type, "ssh-ed25519");
  EXPECT_EQ(prompts[0].fingerprint, Fingerprint(key_));
  EXPECT_EQ(prompts[0].check.result, HostKeyResult::kUnknown);
  EXPECT_EQ(prompts[0].check.host_port, "[new.example]:2200");

  // Unknown, accepted once: nothing written.
  answer = HostKeyDecision::kAccept;
  EXPECT_TRUE(Verify("new.example", 2200, key_).ok());
  EXPECT_EQ(testing::ReadFileOrDie(path_), Line("known.example", key_) + "\n");

  // Changed, shown as changed with the offending line; accepting it does
  // not record it.
  answer = HostKeyDecision::kAcceptAndRemember;
  EXPECT_TRUE(Verify("known.example", 22, other_).ok());
  EXPECT_EQ(prompts.back().check.result, HostKeyResult::kChanged);
  EXPECT_EQ(prompts.back().check.lines[0].Location(), path_ + ":1");
  EXPECT_EQ(testing::ReadFileOrDie(path_), Line("known.example", key_) + "\n");

  // Unknown, remembered: appended, then known without asking.
  EXPECT_TRUE(Verify("new.example", 2200, key_).ok());
  const size_t asked = prompts.size();
  options_.policy = HostKeyPolicy::kStrict;
  EXPECT_TRUE(Verify("new.example", 2200, key_).ok());
  EXPECT_EQ(prompts.size(), asked);
}

TEST_F(HostKeyPolicyTest, MisuseAndErrors) {
  options_.policy = HostKeyPolicy::kCallback;
  EXPECT_EQ(Verify("example.com", 22, key_).code(),
            absl::StatusCode::kFailedPrecondition);
  options_.policy = HostKeyPolicy::kAcceptNew;
  options_.known_hosts_files.clear();
  EXPECT_EQ(Verify("example.com", 22, key_).code(),
            absl::StatusCode::kFailedPrecondition);

  options_.policy = HostKeyPolicy::kStrict;
  options_.known_hosts_files = {path_};
  EXPECT_EQ(Verify("example.com", 22, Bytes{1, 2}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Verify("bad host", 22, key_).code(),
            absl::StatusCode::kInvalidArgument);

  // An unreadable known_hosts file fails the check instead of being skipped.
  options_.known_hosts_files = {dir_};
  absl::Status s = Verify("example.com", 22, key_);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(HostKeyPolicyTest, WarnsAboutBadLines) {
  testing::WriteFileOrDie(path_, absl::StrCat("garbage\n", "h ssh-dss AAAA\n",
                                              Line("example.com", key_), "\n"));
  EXPECT_TRUE(Verify("example.com", 22, key_).ok());
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(warnings_[0], path_ + ":1: ")) << warnings_[0];
}

// Host certificates made by ssh-keygen: trusted through a @cert-authority
// line for the host; refused when the CA line's host does not match and
// the plain key is unknown, and when the certified key or the CA is
// @revoked; the certificate's own plain key still works as a plain key.
TEST_F(HostKeyPolicyTest, HostCertificatesThroughTheirCa) {
  if (std::system("test -x /usr/bin/ssh-keygen") != 0) {
    GTEST_SKIP() << "ssh-keygen is not available";
  }
  const std::string cmd =
      "cd '" + dir_ +
      "' && ssh-keygen -q -t ed25519 -N '' -C '' -f ca && ssh-keygen -q -t "
      "ed25519 -N '' -C '' -f host && ssh-keygen -q -s ca -h -I h -n "
      "host.example -V -5m:+1h host.pub >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto read_line = [&](const std::string& name) {
    std::string text = testing::ReadFileOrDie(dir_ + "/" + name);
    return text.substr(0, text.find('\n'));
  };
  auto blob_of = [](const std::string& line) {
    const size_t a = line.find(' ') + 1;
    std::string b64 = line.substr(a, line.find(' ', a) - a);
    std::string raw;
    EXPECT_TRUE(absl::Base64Unescape(b64, &raw));
    return Bytes(raw.begin(), raw.end());
  };
  const std::string ca = read_line("ca.pub"), host = read_line("host.pub");
  const Bytes cert = blob_of(read_line("host-cert.pub"));
  const Bytes plain = blob_of(host);

  testing::WriteFileOrDie(path_, "@cert-authority *.example " + ca + "\n");
  EXPECT_TRUE(Verify("host.example", 22, cert).ok());
  // Another host name: the CA's certificate does not name it.
  absl::Status s = Verify("www.example", 22, cert);
  EXPECT_TRUE(absl::IsUnauthenticated(s)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "not valid for")) << s;
  // A CA line for other hosts: the plain key is checked, and unknown.
  testing::WriteFileOrDie(path_, "@cert-authority *.other " + ca + "\n");
  EXPECT_TRUE(absl::IsUnauthenticated(Verify("host.example", 22, cert)));
  testing::WriteFileOrDie(path_, "host.example " + host + "\n");
  EXPECT_TRUE(Verify("host.example", 22, cert).ok());
  EXPECT_TRUE(Verify("host.example", 22, plain).ok());
  // Revoked: the certified key, or the CA.
  for (const std::string& revoked : {host, ca}) {
    testing::WriteFileOrDie(path_, "@cert-authority *.example " + ca +
                                       "\n@revoked * " + revoked + "\n");
    s = Verify("host.example", 22, cert);
    EXPECT_TRUE(absl::IsUnauthenticated(s)) << s;
    EXPECT_TRUE(absl::StrContains(s.message(), "revoked")) << s;
  }
  // Outside its validity window.
  options_.now = [] { return uint64_t{1000}; };
  testing::WriteFileOrDie(path_, "@cert-authority *.example " + ca + "\n");
  s = Verify("host.example", 22, cert);
  EXPECT_TRUE(absl::StrContains(s.message(), "not yet valid")) << s;
}

}  // namespace
}  // namespace parley::hostkeys
