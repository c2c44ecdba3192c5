// The SSH agent protocol (draft-miller-ssh-agent), client side: the
// messages a client sends and the answers it reads. Pure functions over
// bytes, bounded, with every malformed answer a clear error.
//
// A message on the socket is uint32 length || byte type || contents
// (draft-miller-ssh-agent section 3). Parley asks for identities
// (SSH_AGENTC_REQUEST_IDENTITIES) and signatures (SSH_AGENTC_SIGN_REQUEST,
// with the rsa-sha2 flags of section 5.3).
#ifndef PARLEY_CORE_AGENT_PROTOCOL_H_
#define PARLEY_CORE_AGENT_PROTOCOL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/crypto/algorithms.h"

namespace parley::agent {

// Message numbers (draft-miller-ssh-agent section 6.1).
inline constexpr uint8_t kFailure = 5;
inline constexpr uint8_t kSuccess = 6;
inline constexpr uint8_t kRequestIdentities = 11;
inline constexpr uint8_t kIdentitiesAnswer = 12;
inline constexpr uint8_t kSignRequest = 13;
inline constexpr uint8_t kSignResponse = 14;
// Sign flags (section 5.3).
inline constexpr uint32_t kRsaSha2_256 = 2;
inline constexpr uint32_t kRsaSha2_512 = 4;

// The largest message accepted, as OpenSSH's agent (256 KiB).
inline constexpr size_t kMaxMessage = 256 * 1024;
// The most identities read from one answer.
inline constexpr size_t kMaxIdentities = 2048;

struct Identity {
  Bytes key_blob;
  std::string comment;  // as the agent has it (usually UTF-8)
};

// A whole message: length prefix, type, contents.
Bytes Frame(uint8_t type, ByteView contents);
Bytes RequestIdentities();
// `flags` from SignFlags().
Bytes SignRequest(ByteView key_blob, ByteView data, uint32_t flags);
// The flags that make an agent sign with `alg` (0 but for rsa-sha2).
uint32_t SignFlags(crypto::SignatureAlgorithm alg);

// Parse a message body (after the length prefix: type and contents).
// kFailedPrecondition for SSH_AGENT_FAILURE (the agent refused), kDataLoss
// for anything malformed or unexpected.
absl::StatusOr<std::vector<Identity>> ParseIdentitiesAnswer(ByteView message);
// The signature blob of a SSH_AGENT_SIGN_RESPONSE.
absl::StatusOr<Bytes> ParseSignResponse(ByteView message);

}  // namespace parley::agent

#endif  // PARLEY_CORE_AGENT_PROTOCOL_H_
