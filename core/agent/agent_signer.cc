#include "core/agent/agent_signer.h"

#include "absl/strings/str_cat.h"
#include "core/agent/client.h"
#include "core/auth/background_signer.h"
#include "core/crypto/ssh_keys.h"
#include "core/wire/reader.h"

namespace parley::agent {

absl::StatusOr<AgentKey> NewAgentSigner(const std::string& socket_path,
                                        const Identity& identity,
                                        std::chrono::milliseconds timeout) {
  absl::StatusOr<crypto::PublicKey> key =
      crypto::ParsePublicKeyBlob(identity.key_blob);
  if (!key.ok()) return key.status();
  const Bytes blob = identity.key_blob;
  auth::BackgroundSigner::SignFunction sign =
      [socket_path, blob, timeout](
          const Bytes& data,
          crypto::SignatureAlgorithm alg) -> absl::StatusOr<Bytes> {
    absl::StatusOr<std::unique_ptr<AgentClient>> agent =
        AgentClient::Connect(socket_path, timeout);
    if (!agent.ok()) return agent.status();
    absl::StatusOr<Bytes> signature =
        (*agent)->Sign(blob, data, SignFlags(alg));
    if (!signature.ok()) return signature.status();
    // The algorithm the agent used must be the one asked for (an old agent
    // ignores the rsa-sha2 flags and signs with ssh-rsa).
    wire::Reader r(*signature);
    absl::string_view name;
    if (!r.ReadString(&name).ok()) {
      return absl::DataLossError("the agent's signature is malformed");
    }
    if (name != crypto::SignatureAlgorithmName(alg)) {
      return absl::FailedPreconditionError(
          absl::StrCat("the agent signed with ", name, ", not ",
                       crypto::SignatureAlgorithmName(alg)));
    }
    return signature;
  };
  AgentKey out;
  out.comment = identity.comment;
  out.signer = std::make_shared<auth::BackgroundSigner>(
      *std::move(key), identity.key_blob,
      std::vector<crypto::SignatureAlgorithm>{}, std::move(sign));
  return out;
}

absl::StatusOr<std::vector<AgentKey>> AgentSigners(
    const std::string& socket_path, std::vector<std::string>* skipped) {
  absl::StatusOr<std::unique_ptr<AgentClient>> agent =
      AgentClient::Connect(socket_path);
  if (!agent.ok()) return agent.status();
  absl::StatusOr<std::vector<Identity>> ids = (*agent)->ListIdentities();
  if (!ids.ok()) return ids.status();
  std::vector<AgentKey> out;
  for (const Identity& id : *ids) {
    absl::StatusOr<AgentKey> k = NewAgentSigner(socket_path, id);
    if (!k.ok()) {
      if (skipped != nullptr) skipped->push_back(id.comment);
      continue;
    }
    out.push_back(*std::move(k));
  }
  return out;
}

}  // namespace parley::agent
