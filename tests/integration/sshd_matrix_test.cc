// The algorithm matrix against a real OpenSSH 9.2 sshd: every key exchange x
// every host-key algorithm x every cipher (x every MAC for the non-AEAD
// ciphers) x both crypto backends. Each cell pins one algorithm per slot on
// our side, checks the host key against known_hosts (strict), logs in with a
// password, runs a command, compares stdout, stderr and exit status, and
// asserts the negotiated names.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/client/session.h"
#include "core/hostkeys/host_key_policy.h"
#include "gtest/gtest.h"
#include "tests/crypto/backend_fixture.h"
#include "tests/sshd/sshd_test_macros.h"

namespace parley::testing {
namespace {

struct Cell {
  std::string backend, kex, host_key, cipher, mac;
};

const char* const kKex[] = {"curve25519-sha256",
                            "curve25519-sha256@libssh.org",
                            "ecdh-sha2-nistp256",
                            "ecdh-sha2-nistp384",
                            "ecdh-sha2-nistp521",
                            "diffie-hellman-group14-sha256",
                            "diffie-hellman-group16-sha512",
                            "diffie-hellman-group18-sha512"};
const char* const kHostKeys[] = {"ssh-ed25519",         "ecdsa-sha2-nistp256",
                                 "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                                 "rsa-sha2-256",        "rsa-sha2-512"};
const char* const kAead[] = {"chacha20-poly1305@openssh.com",
                             "aes128-gcm@openssh.com",
                             "aes256-gcm@openssh.com"};
const char* const kCtr[] = {"aes128-ctr", "aes192-ctr", "aes256-ctr"};
const char* const kMacs[] = {"hmac-sha2-256-etm@openssh.com",
                             "hmac-sha2-512-etm@openssh.com",
                             "hmac-sha1-etm@openssh.com",
                             "hmac-sha2-256",
                             "hmac-sha2-512",
                             "hmac-sha1"};

std::vector<Cell> AllCells() {
  std::vector<Cell> cells;
  for (const char* backend : {"openssl", "cryptopp"}) {
    for (const char* kex : kKex) {
      for (const char* hk : kHostKeys) {
        for (const char* c : kAead) cells.push_back({backend, kex, hk, c, ""});
        for (const char* c : kCtr) {
          for (const char* m : kMacs) cells.push_back({backend, kex, hk, c, m});
        }
      }
    }
  }
  return cells;
}

std::string CellName(const ::testing::TestParamInfo<Cell>& info) {
  const Cell& c = info.param;
  std::string n = absl::StrCat(c.backend, "_", c.kex, "_", c.host_key, "_",
                               c.cipher, c.mac.empty() ? "" : "_", c.mac);
  for (char& ch : n) {
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return n;
}

class SshdMatrixTest : public ::testing::TestWithParam<Cell> {
 protected:
  // One sshd per test process (the suite is sharded across processes).
  static void SetUpTestSuite() {
    SshdOptions options;
    options.users.push_back({"alice", "secret", {}, ""});
    server_ = new SshdServer(options);
    start_status_ = new absl::Status(server_->Start());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete start_status_;
    server_ = nullptr;
  }

  static SshdServer* server_;
  static absl::Status* start_status_;
};

SshdServer* SshdMatrixTest::server_ = nullptr;
absl::Status* SshdMatrixTest::start_status_ = nullptr;

TEST_P(SshdMatrixTest, LoginAndExec) {
  if (absl::IsFailedPrecondition(*start_status_) && geteuid() != 0) {
    GTEST_SKIP() << "hermetic sshd unavailable: " << *start_status_;
  }
  ASSERT_TRUE(start_status_->ok()) << *start_status_;
  const Cell& c = GetParam();
  client::SessionOptions options;
  options.provider = crypto::testing::MustLoad(c.backend);
  ASSERT_NE(options.provider, nullptr);
  options.algorithms.kex = {c.kex};
  options.algorithms.host_key = {c.host_key};
  options.algorithms.cipher = {c.cipher};
  if (!c.mac.empty()) options.algorithms.mac = {c.mac};
  hostkeys::HostKeyVerifyOptions hk;
  hk.known_hosts_files = {server_->known_hosts_path().string()};
  const crypto::CryptoProvider* p = options.provider.get();
  const uint16_t port = static_cast<uint16_t>(server_->port());
  int verified = 0;
  options.verify_host_key = [&](const transport::HostKeyInfo& info) {
    ++verified;
    return hostkeys::VerifyHostKey(hk, *p, "127.0.0.1", port, info.blob);
  };
  auto s = client::Session::Connect("127.0.0.1", port, options);
  ASSERT_TRUE(s.ok()) << s.status() << "\n" << server_->LogTail(10);
  const transport::Negotiated& n = (*s)->transport().negotiated();
  EXPECT_EQ(n.kex, c.kex);
  EXPECT_EQ(n.host_key, c.host_key);
  EXPECT_EQ(n.cipher_c2s, c.cipher);
  EXPECT_EQ(n.cipher_s2c, c.cipher);
  EXPECT_EQ(n.mac_c2s, c.mac);
  EXPECT_EQ(n.mac_s2c, c.mac);
  EXPECT_TRUE(n.strict_kex);
  EXPECT_EQ(verified, 1);

  auto auth = (*s)->AuthPassword("alice", AsBytes("secret"));
  ASSERT_TRUE(auth.ok()) << auth.status();
  ASSERT_EQ(auth->kind, auth::AuthOutcome::kSuccess);
  auto r = (*s)->Exec("echo out-$((6*7)); echo err >&2; exit 7");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(AsString(r->stdout_data), "out-42\n");
  EXPECT_EQ(AsString(r->stderr_data), "err\n");
  EXPECT_EQ(r->exit_status, 7u);
  (*s)->Disconnect("done");
}

INSTANTIATE_TEST_SUITE_P(Matrix, SshdMatrixTest,
                         ::testing::ValuesIn(AllCells()), CellName);

}  // namespace
}  // namespace parley::testing
