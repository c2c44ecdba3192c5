// The parley command as operators use it: fan-out over 42 destinations on
// two sshd servers (two of them bad: a closed port, a user who cannot log
// in), every host's output and result checked, and the wall time compared
// with a sequential run; ssh_config files (-F) and -o, BatchMode, and -v
// showing each phase.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/sshd/sshd_test_macros.h"
#include "tests/sshd/subprocess.h"

namespace parley::testing {
namespace {

namespace fs = std::filesystem;
constexpr int kUsersPerServer = 20;

std::string UserName(int i) { return absl::StrFormat("u%02d", i); }

// A port nothing listens on: bound, then closed.
int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class ParleyFanoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (int s = 0; s < 2; ++s) {
      SshdOptions so;
      for (int i = 0; i < kUsersPerServer; ++i) {
        so.users.push_back({UserName(i), "pw", {}, ""});
      }
      so.users.push_back({"mallory", "other", {}, ""});
      so.extra_config = {"PasswordAuthentication no"};
      servers_.push_back(std::make_unique<SshdServer>(so));
    }
  }

  // Both servers' host keys in one known_hosts file.
  std::string KnownHosts() {
    const fs::path path = dir_ / "known_hosts";
    std::ofstream out(path);
    for (auto& s : servers_) {
      std::ifstream in(s->known_hosts_path());
      out << in.rdbuf();
    }
    return path.string();
  }

  // `log`: stdout and stderr go there instead (kept when it hangs).
  absl::StatusOr<SubprocessResult> Parley(
      std::vector<std::string> args,
      std::map<std::string, std::string> env = {},
      const std::string& log = "") {
    args.insert(args.begin(), "tools/cli/parley");
    SubprocessOptions o;
    if (!log.empty()) o.output_file = log;
    o.env = std::move(env);
    o.env["HOME"] = dir_.string();
    const std::string here = fs::current_path().string();
    o.env["PARLEY_BACKEND_PATH"] =
        here + "/backends/openssl:" + here + "/backends/cryptopp";
    return RunSubprocess(args, o, absl::Seconds(log.empty() ? 120 : 40));
  }

  fs::path dir_;
  std::vector<std::unique_ptr<SshdServer>> servers_;
};

TEST_F(ParleyFanoutTest, FortyHostsTwoBadOnes) {
  for (auto& s : servers_) PARLEY_START_SSHD_OR_SKIP(*s);
  const std::string known_hosts = KnownHosts();
  std::string good, all;
  std::vector<std::string> dests;
  for (auto& s : servers_) {
    for (int i = 0; i < kUsersPerServer; ++i) {
      dests.push_back(absl::StrCat(UserName(i), "@127.0.0.1:", s->port()));
      absl::StrAppend(&good, dests.back(), "\n");
    }
  }
  const std::string closed = absl::StrCat("127.0.0.1:", ClosedPort());
  const std::string refused =
      absl::StrCat("mallory@127.0.0.1:", servers_[0]->port());
  all =
      absl::StrCat("# the fleet\n", good, closed, "  # down\n", refused, "\n");
  std::ofstream(dir_ / "all") << all;
  std::ofstream(dir_ / "good") << good;
  const std::map<std::string, std::string> env = {{"PARLEY_PASSWORD", "pw"}};

  auto t0 = std::chrono::steady_clock::now();
  auto r = Parley(
      {"--known-hosts", known_hosts, "--hosts", (dir_ / "all").string(),
       "--parallel", "12", "echo", "hi-$USER;", "echo", "err-$USER", ">&2"},
      env);
  const double parallel_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  ASSERT_TRUE(r.ok()) << r.status();
  // Two hosts could not connect or log in: 255.
  EXPECT_EQ(r->exit_code, 255) << r->DebugString();
  for (const std::string& d : dests) {
    const std::string user = d.substr(0, d.find('@'));
    EXPECT_TRUE(
        absl::StrContains(r->stdout_text, absl::StrCat(d, ": hi-", user, "\n")))
        << d << "\n"
        << r->stdout_text;
    EXPECT_TRUE(absl::StrContains(r->stderr_text,
                                  absl::StrCat(d, ": err-", user, "\n")))
        << d;
    EXPECT_TRUE(absl::StrContains(
        r->stderr_text, absl::StrCat("parley: ", d, ": exit status 0")))
        << d;
  }
  // Exactly one output line per good host, and none from the bad ones.
  EXPECT_EQ(std::vector<std::string>(
                absl::StrSplit(r->stdout_text, '\n', absl::SkipEmpty()))
                .size(),
            dests.size());
  EXPECT_TRUE(absl::StrContains(r->stderr_text, "42 hosts in"))
      << r->stderr_text;
  EXPECT_TRUE(absl::StrContains(r->stderr_text,
                                "40 ok, 0 with a failed command, 2 could not "
                                "connect or log in"))
      << r->stderr_text;
  EXPECT_TRUE(absl::StrContains(r->stderr_text, "FAILED (connect)"));
  EXPECT_TRUE(absl::StrContains(r->stderr_text, "FAILED (login)"));
  EXPECT_FALSE(absl::StrContains(r->stderr_text, "pw\n"));

  // The same 40 hosts one at a time, for the comparison.
  t0 = std::chrono::steady_clock::now();
  auto seq = Parley({"--known-hosts", known_hosts, "--hosts",
                     (dir_ / "good").string(), "--parallel", "1", "true"},
                    env);
  const double sequential_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(seq->exit_code, 0) << seq->DebugString();
  std::cout << absl::StrFormat(
      "fan-out: 42 destinations (40 logins) with --parallel 12: %.2f s; the "
      "40 logins one at a time: %.2f s (%.1fx)\n",
      parallel_s, sequential_s, sequential_s / parallel_s);

  // A command failing on one host only: exit 1.
  std::ofstream(dir_ / "two") << dests[0] << "\n" << dests[1] << "\n";
  auto one_fails =
      Parley({"--known-hosts", known_hosts, "--hosts", (dir_ / "two").string(),
              "test", "$USER", "=", "u00"},
             env);
  ASSERT_TRUE(one_fails.ok());
  EXPECT_EQ(one_fails->exit_code, 1) << one_fails->DebugString();
}

TEST_F(ParleyFanoutTest, SshConfigDashOBatchModeAndVerbose) {
  SshdServer& server = *servers_[0];
  PARLEY_START_SSHD_OR_SKIP(server);
  const std::string config = (dir_ / "config").string();
  std::ofstream(config) << "Host lab\n"
                           "  HostName 127.0.0.1\n"
                           "  Port "
                        << server.port()
                        << "\n"
                           "  User u07\n"
                           "  UserKnownHostsFile "
                        << server.known_hosts_path().string()
                        << "\n"
                           "  Compression yes\n"
                           "Host *\n"
                           "  Port 1\n";
  fs::permissions(config, fs::perms::owner_read | fs::perms::owner_write);
  const std::map<std::string, std::string> env = {{"PARLEY_PASSWORD", "pw"}};
  auto r = Parley({"-F", config, "-v", "lab", "echo", "$USER"}, env);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->DebugString() << server.LogTail(20);
  EXPECT_EQ(r->stdout_text, "u07\n");
  // Unknown options are named; -v shows the phases, never the password.
  for (const char* seen :
       {"option compression is not supported", "connecting to 127.0.0.1",
        "connected: SSH-2.0-OpenSSH", "host key ", "the server takes: ",
        "keyboard-interactive round 1: 1 prompt(s); \"Password: \" (password)",
        "keyboard-interactive: accepted", "done: exit status 0"}) {
    EXPECT_TRUE(absl::StrContains(r->stderr_text, seen)) << seen << "\n"
                                                         << r->stderr_text;
  }
  EXPECT_FALSE(absl::StrContains(r->stderr_text, "pw\n"));
  EXPECT_FALSE(absl::StrContains(r->stderr_text, "SSH_MSG_"));
  // -vvv adds every packet's type and size.
  r = Parley({"-F", config, "-vvv", "lab", "true"}, env);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->DebugString();
  for (const char* seen :
       {"sent SSH_MSG_KEXINIT (", "received SSH_MSG_KEXINIT (",
        "received SSH_MSG_USERAUTH_INFO_REQUEST (",
        "sent SSH_MSG_USERAUTH_INFO_RESPONSE (",
        "received SSH_MSG_USERAUTH_SUCCESS (",
        "received SSH_MSG_CHANNEL_CLOSE ("}) {
    EXPECT_TRUE(absl::StrContains(r->stderr_text, seen)) << seen << "\n"
                                                         << r->stderr_text;
  }
  // -o comes before the file: a wrong port wins and the connection fails.
  r = Parley({"-F", config, "-o", "Port=1", "lab", "true"}, env);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 255);
  EXPECT_TRUE(
      absl::StrContains(r->stderr_text, "cannot connect to 127.0.0.1 port 1"))
      << r->stderr_text;
  // BatchMode: no password, nobody asked (even with a forced askpass).
  const std::string askpass = (dir_ / "askpass").string();
  std::ofstream(askpass) << "#!/bin/sh\necho asked >> " << dir_.string()
                         << "/asked\necho pw\n";
  fs::permissions(askpass, fs::perms::owner_all);
  r = Parley({"-F", config, "-o", "BatchMode=yes", "lab", "true"},
             {{"SSH_ASKPASS", askpass}, {"SSH_ASKPASS_REQUIRE", "force"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 255) << r->DebugString();
  EXPECT_FALSE(fs::exists(dir_ / "asked"));
  // A malformed config line is an error naming the file and line.
  std::ofstream(dir_ / "bad") << "Host x\n  Port\n";
  r = Parley({"-F", (dir_ / "bad").string(), "x", "true"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 255);
  EXPECT_TRUE(absl::StrContains(r->stderr_text, "bad:2: port has no value"))
      << r->stderr_text;
}

// Host-key policies from the command line: an unknown host is refused
// under strict checking (the message names the file), accept-new records
// it (OpenSSH's "Permanently added" warning) and strict checking then
// accepts it; a changed key is refused under both, naming the line.
TEST_F(ParleyFanoutTest, KnownHostsPolicies) {
  for (auto& s : servers_) PARLEY_START_SSHD_OR_SKIP(*s);
  SshdServer& server = *servers_[0];
  const std::string kh = (dir_ / "kh").string();
  const std::map<std::string, std::string> env = {{"PARLEY_PASSWORD", "pw"}};
  const std::vector<std::string> dest = {"-p", std::to_string(server.port()),
                                         "u01@127.0.0.1", "true"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), dest.begin(), dest.end());
    return Parley(args, env);
  };
  auto r = with({"-o", "UserKnownHostsFile=" + kh});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 255);
  EXPECT_TRUE(absl::StrContains(r->stderr_text, "not known")) << r->stderr_text;
  EXPECT_TRUE(absl::StrContains(r->stderr_text, kh)) << r->stderr_text;
  EXPECT_FALSE(fs::exists(kh));
  r = with({"-o", "UserKnownHostsFile=" + kh, "-o",
            "StrictHostKeyChecking=accept-new"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->DebugString();
  EXPECT_TRUE(absl::StrContains(r->stderr_text, "Permanently added"))
      << r->stderr_text;
  r = with({"-o", "UserKnownHostsFile=" + kh});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->DebugString();
  // The other server's keys under this one's name: a changed host.
  {
    std::ifstream in(servers_[1]->known_hosts_path());
    std::string other((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    const std::string from = absl::StrCat("[127.0.0.1]:", servers_[1]->port());
    const std::string to = absl::StrCat("[127.0.0.1]:", server.port());
    for (size_t at = other.find(from); at != std::string::npos;
         at = other.find(from, at + to.size())) {
      other.replace(at, from.size(), to);
    }
    std::ofstream(kh) << other;
  }
  for (const char* policy : {"yes", "accept-new"}) {
    r = with({"-o", "UserKnownHostsFile=" + kh, "-o",
              std::string("StrictHostKeyChecking=") + policy});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->exit_code, 255) << policy;
    EXPECT_TRUE(absl::StrContains(r->stderr_text,
                                  "REMOTE HOST IDENTIFICATION HAS CHANGED"))
        << policy << ": " << r->stderr_text;
    EXPECT_TRUE(absl::StrContains(r->stderr_text, kh + ":")) << r->stderr_text;
  }
}

// -J: through a jump host to a second sshd, each asking a password and a
// TOTP code (MFA on both), each host key checked; a jump host that refuses
// the login ends the run with its reason.
TEST_F(ParleyFanoutTest, JumpHostWithMfaOnBoth) {
  constexpr char kSeedHex[] = "3132333435363738393031323334353637383930";
  std::vector<std::unique_ptr<SshdServer>> hosts;
  for (int i = 0; i < 2; ++i) {
    SshdOptions so;
    so.users.push_back({"alice", "pw", {}, kSeedHex});
    so.pam_stack = PamStack::kPasswordThenTotp;
    so.extra_config = {"PasswordAuthentication no"};
    if (i == 0) so.log_level = "DEBUG1";  // logs the direct-tcpip request
    hosts.push_back(std::make_unique<SshdServer>(so));
  }
  for (auto& h : hosts) PARLEY_START_SSHD_OR_SKIP(*h);
  servers_ = std::move(hosts);
  const std::string known_hosts = KnownHosts();
  const std::string secret = (dir_ / "totp").string();
  std::ofstream(secret) << "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n";
  fs::permissions(secret, fs::perms::owner_read | fs::perms::owner_write);
  // pam_oath takes codes two steps ahead: the second login uses the next
  // step's code at once.
  const std::string otp =
      absl::StrCat("otp:secret-file=", secret,
                   ",state-file=", (dir_ / "step").string(), ",skew=2");
  const std::string jump =
      absl::StrCat("alice@127.0.0.1:", servers_[0]->port());
  auto r = Parley({"-vvv", "-o", "UserKnownHostsFile=" + known_hosts, "-o",
                   "BatchMode=yes", "--responder", otp, "-J", jump, "-p",
                   std::to_string(servers_[1]->port()), "alice@127.0.0.1",
                   "echo", "via-jump"},
                  {{"PARLEY_PASSWORD", "pw"}}, (dir_ / "jump.log").string());
  {
    std::ifstream in(dir_ / "jump.log");
    std::string text((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    ASSERT_TRUE(r.ok()) << r.status() << "\n" << text;
    r->stdout_text = text;  // stdout and stderr, in order
    r->stderr_text = text;
  }
  EXPECT_EQ(r->exit_code, 0) << r->DebugString() << servers_[0]->LogTail(30)
                             << servers_[1]->LogTail(30);
  EXPECT_TRUE(absl::StrContains(r->stdout_text, "\nvia-jump\n"));
  // Both hosts asked for both factors, and the jump host opened the tunnel.
  for (const char* seen :
       {"jump host alice@127.0.0.1:", "keyboard-interactive round 2",
        "by parley.responder.otp", "the jump host's tunnel is open"}) {
    EXPECT_TRUE(absl::StrContains(r->stderr_text, seen)) << seen << "\n"
                                                         << r->stderr_text;
  }
  EXPECT_TRUE(servers_[0]->WaitForLog("direct-tcpip").ok())
      << servers_[0]->LogTail(40);
  for (auto& s : servers_) {
    EXPECT_TRUE(
        s->WaitForLog("Accepted keyboard-interactive/pam for alice").ok());
  }
  // A jump host that refuses the login: its reason, exit 255, and the
  // destination never reached.
  auto refused =
      Parley({"-o", "UserKnownHostsFile=" + known_hosts, "-o", "BatchMode=yes",
              "--responder", otp, "-J",
              absl::StrCat("mallory@127.0.0.1:", servers_[0]->port()), "-p",
              std::to_string(servers_[1]->port()), "alice@127.0.0.1", "true"},
             {{"PARLEY_PASSWORD", "pw"}});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->exit_code, 255) << refused->DebugString();
  EXPECT_TRUE(
      absl::StrContains(refused->stderr_text, "jump host mallory@127.0.0.1:"))
      << refused->stderr_text;
}

}  // namespace
}  // namespace parley::testing
