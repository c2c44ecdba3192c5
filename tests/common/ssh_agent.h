// OpenSSH's ssh-agent for tests: started in the foreground on a private
// socket, keys added with ssh-add, killed with the object.
#ifndef PARLEY_TESTS_COMMON_SSH_AGENT_H_
#define PARLEY_TESTS_COMMON_SSH_AGENT_H_

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "tests/sshd/subprocess.h"

namespace parley::testing {

class SshAgent {
 public:
  ~SshAgent() {
    process_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Starts ssh-agent with its socket in a fresh folder under /tmp (a Unix
  // socket path must be short); `env` is added to its environment
  // (SOFTHSM2_CONF for token keys: its PKCS#11 helper inherits it).
  absl::Status Start(const std::map<std::string, std::string>& env = {}) {
    char templ[] = "/tmp/parley-agent-XXXXXX";
    if (::mkdtemp(templ) == nullptr) {
      return absl::InternalError("mkdtemp failed");
    }
    dir_ = templ;
    socket_ = dir_ + "/agent.sock";
    SubprocessOptions o;
    o.env = env;
    auto p = Subprocess::Spawn({"ssh-agent", "-D", "-a", socket_}, o);
    if (!p.ok()) return p.status();
    process_ = *std::move(p);
    for (int i = 0; i < 100; ++i) {
      if (std::filesystem::exists(socket_)) return absl::OkStatus();
      ::usleep(20000);
    }
    return absl::DeadlineExceededError("ssh-agent did not create its socket");
  }

  // ssh-add ARGS... against this agent; its result.
  absl::StatusOr<SubprocessResult> Add(
      std::vector<std::string> args,
      std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), "ssh-add");
    SubprocessOptions o;
    o.env = std::move(env);
    o.env["SSH_AUTH_SOCK"] = socket_;
    return RunSubprocess(args, o, absl::Seconds(30));
  }

  const std::string& socket() const { return socket_; }

 private:
  std::string dir_;
  std::string socket_;
  std::unique_ptr<Subprocess> process_;
};

// Makes an unencrypted OpenSSH key of `type` ("ed25519", "ecdsa", "rsa")
// at `path` with comment `comment`.
inline absl::Status MakeKeyFile(const std::string& type,
                                const std::string& path,
                                const std::string& comment) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".pub");
  auto r = RunSubprocess(
      {"ssh-keygen", "-q", "-t", type, "-N", "", "-C", comment, "-f", path});
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return absl::InternalError(r->DebugString());
  return absl::OkStatus();
}

// The authorized_keys line ("TYPE BASE64") of a public-key blob.
inline std::string KeyLine(const std::vector<uint8_t>& blob) {
  const uint32_t n = blob.size() >= 4
                         ? (uint32_t{blob[0]} << 24 | uint32_t{blob[1]} << 16 |
                            uint32_t{blob[2]} << 8 | blob[3])
                         : 0;
  const std::string type(
      blob.begin() + 4,
      blob.begin() + 4 + std::min<size_t>(n, blob.size() - 4));
  return type + " " +
         absl::Base64Escape(absl::string_view(
             reinterpret_cast<const char*>(blob.data()), blob.size()));
}

}  // namespace parley::testing

#endif  // PARLEY_TESTS_COMMON_SSH_AGENT_H_
