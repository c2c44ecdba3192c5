// A client connection to an SSH agent: OpenSSH's ssh-agent, gpg-agent,
// a forwarded agent. Blocking calls with a time limit (an agent may ask its
// user to confirm a signature); run them off the session's thread
// (AgentSigner does).
#ifndef PARLEY_CORE_AGENT_CLIENT_H_
#define PARLEY_CORE_AGENT_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/agent/protocol.h"
#include "core/base/bytes.h"

namespace parley::agent {

// The agent socket to use: `configured` (IdentityAgent: a path, "none" to
// use no agent, "SSH_AUTH_SOCK" or "$VAR" for a variable), else
// $SSH_AUTH_SOCK. Empty: no agent.
std::string AgentSocketPath(const std::string& configured = "");

class AgentClient {
 public:
  // Connects to the agent listening on the Unix socket `path`.
  // kUnavailable naming the path when nothing listens there.
  static absl::StatusOr<std::unique_ptr<AgentClient>> Connect(
      const std::string& path,
      std::chrono::milliseconds timeout = std::chrono::seconds(60));
  ~AgentClient();
  AgentClient(const AgentClient&) = delete;
  AgentClient& operator=(const AgentClient&) = delete;

  absl::StatusOr<std::vector<Identity>> ListIdentities();
  // The signature blob; the agent's refusal is kFailedPrecondition.
  absl::StatusOr<Bytes> Sign(ByteView key_blob, ByteView data, uint32_t flags);
  // Sends a framed request and returns the answer's body (type and
  // contents), at most kMaxMessage bytes. Also what agent forwarding relays.
  absl::StatusOr<Bytes> Call(ByteView request);

  const std::string& path() const { return path_; }

 private:
  AgentClient(int fd, std::string path, std::chrono::milliseconds timeout)
      : fd_(fd), path_(std::move(path)), timeout_(timeout) {}
  int fd_;
  std::string path_;
  std::chrono::milliseconds timeout_;
};

}  // namespace parley::agent

#endif  // PARLEY_CORE_AGENT_CLIENT_H_
