// Interoperability with AsyncSSH (Debian's python3-asyncssh), a second
// independent SSH server implementation: a subset of the algorithm matrix,
// with both crypto backends, checking host key, password auth, exec output,
// stdin round trip and exit status.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/client/session.h"
#include "core/crypto/ssh_keys.h"
#include "core/hostkeys/host_key_policy.h"
#include "gtest/gtest.h"
#include "tests/crypto/backend_fixture.h"
#include "tests/interop/asyncssh_server.h"

namespace parley::testing {
namespace {

struct Case {
  std::string backend;
  std::string host_key_type;  // AsyncSSH key type
  std::string kex;
  std::string cipher;
  std::string mac;  // "-" for AEAD
};

std::string Name(const ::testing::TestParamInfo<Case>& info) {
  std::string n = absl::StrCat(info.param.backend, "_", info.param.kex, "_",
                               info.param.cipher, "_", info.param.mac, "_",
                               info.param.host_key_type);
  for (char& c : n) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return n;
}

class AsyncSshInteropTest : public ::testing::TestWithParam<Case> {};

TEST_P(AsyncSshInteropTest, LoginExecAndStdin) {
  const Case& c = GetParam();
  AsyncSshServer server("tests/interop/asyncssh_server.py");
  ASSERT_TRUE(server.Start({c.host_key_type, c.kex, c.cipher, c.mac}).ok());
  const std::string kh = ::testing::TempDir() + "/asyncssh_known_hosts_" +
                         std::to_string(getpid());
  std::ofstream(kh) << server.known_hosts_line() << "\n";

  client::SessionOptions options;
  options.provider = crypto::testing::MustLoad(c.backend);
  ASSERT_NE(options.provider, nullptr);
  options.algorithms.kex = {c.kex};
  options.algorithms.cipher = {c.cipher};
  if (c.mac != "-") options.algorithms.mac = {c.mac};
  hostkeys::HostKeyVerifyOptions hk;
  hk.known_hosts_files = {kh};
  const crypto::CryptoProvider* p = options.provider.get();
  const uint16_t port = server.port();
  options.verify_host_key = [&](const transport::HostKeyInfo& info) {
    return hostkeys::VerifyHostKey(hk, *p, "127.0.0.1", port, info.blob);
  };
  options.timeout = std::chrono::seconds(20);
  auto s = client::Session::Connect("127.0.0.1", port, options);
  ASSERT_TRUE(s.ok()) << s.status();
  const auto& n = (*s)->transport().negotiated();
  EXPECT_EQ(n.kex, c.kex);
  EXPECT_EQ(n.cipher_c2s, c.cipher);
  EXPECT_EQ(n.cipher_s2c, c.cipher);
  if (c.mac != "-") {
    EXPECT_EQ(n.mac_s2c, c.mac);
  }

  auto bad = (*s)->AuthPassword("alice", AsBytes("wrong"));
  ASSERT_TRUE(bad.ok()) << bad.status();
  EXPECT_EQ(bad->kind, auth::AuthOutcome::kFailure);
  auto good = (*s)->AuthPassword("alice", AsBytes("secret"));
  ASSERT_TRUE(good.ok()) << good.status();
  ASSERT_EQ(good->kind, auth::AuthOutcome::kSuccess);

  auto echo = (*s)->Exec("echo héllo wörld");
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ(AsString(echo->stdout_data), "héllo wörld\n");
  EXPECT_EQ(echo->exit_status, 0u);

  auto fail = (*s)->Exec("fail");
  ASSERT_TRUE(fail.ok()) << fail.status();
  EXPECT_EQ(AsString(fail->stderr_data), "oops\n");
  EXPECT_EQ(fail->exit_status, 3u);

  Bytes input(300000);
  for (size_t i = 0; i < input.size(); ++i)
    input[i] = static_cast<uint8_t>(i * 7);
  auto cat = (*s)->Exec("cat", input);
  ASSERT_TRUE(cat.ok()) << cat.status();
  EXPECT_EQ(cat->stdout_data.size(), input.size());
  EXPECT_TRUE(cat->stdout_data == input);
  (*s)->Disconnect("done");
}

std::vector<Case> Cases() {
  std::vector<Case> out;
  for (const char* backend : {"openssl", "cryptopp"}) {
    out.push_back({backend, "ssh-ed25519", "curve25519-sha256",
                   "chacha20-poly1305@openssh.com", "-"});
    out.push_back({backend, "ecdsa-sha2-nistp256", "ecdh-sha2-nistp256",
                   "aes128-gcm@openssh.com", "-"});
    out.push_back({backend, "ecdsa-sha2-nistp521", "ecdh-sha2-nistp521",
                   "aes256-ctr", "hmac-sha2-512-etm@openssh.com"});
    out.push_back({backend, "ssh-rsa", "diffie-hellman-group14-sha256",
                   "aes128-ctr", "hmac-sha2-256"});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Matrix, AsyncSshInteropTest,
                         ::testing::ValuesIn(Cases()), Name);

}  // namespace
}  // namespace parley::testing
