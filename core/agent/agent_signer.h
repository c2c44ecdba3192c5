// The keys an SSH agent holds, as auth::Signer: the login engine offers
// them like any key, and the agent makes the signature -- on a worker
// thread (BackgroundSigner), so that an agent asking its user to confirm
// never stalls the session. RSA keys sign with rsa-sha2-512 or -256 (the
// agent's sign flags); a signature made with another algorithm than asked
// for is an error, not something to send.
#ifndef PARLEY_CORE_AGENT_AGENT_SIGNER_H_
#define PARLEY_CORE_AGENT_AGENT_SIGNER_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/agent/protocol.h"
#include "core/auth/signer.h"

namespace parley::agent {

struct AgentKey {
  std::shared_ptr<auth::Signer> signer;
  std::string comment;
};

// A signer for `identity` of the agent at `socket_path`; kUnimplemented for
// a key type Parley cannot use (certificates, security keys).
absl::StatusOr<AgentKey> NewAgentSigner(
    const std::string& socket_path, const Identity& identity,
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Every usable key of the agent at `socket_path`, in the agent's order.
// Keys of other types are skipped; their comments go to `skipped`.
absl::StatusOr<std::vector<AgentKey>> AgentSigners(
    const std::string& socket_path,
    std::vector<std::string>* skipped = nullptr);

}  // namespace parley::agent

#endif  // PARLEY_CORE_AGENT_AGENT_SIGNER_H_
