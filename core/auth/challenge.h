// Challenge signing at the keyboard-interactive step: the server shows a
// nonce in a prompt, the client's smartcard signs it, the answer is the
// signature. The format is Parley's, documented in docs/CHALLENGE.md:
//
//   prompt   contains "parley-challenge:v1:" NONCE, NONCE being 22 to 128
//            characters of unpadded base64url (RFC 4648 section 5)
//   message  "parley-challenge:v1:" NONCE ":" USER (the login's user name)
//   answer   standard padded base64 (RFC 4648 section 4) of an
//            SSHSIG signature (OpenSSH's PROTOCOL.sshsig) over the message,
//            namespace "parley-challenge", hash "sha512"
//
// SSHSIG signs a domain-separated digest ("SSHSIG" magic and namespace
// first), so a challenge signature can never pass as an SSH userauth or
// host-key signature, and `ssh-keygen -Y check-novalidate -n
// parley-challenge` verifies answers too.
#ifndef PARLEY_CORE_AUTH_CHALLENGE_H_
#define PARLEY_CORE_AUTH_CHALLENGE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/base/bytes.h"
#include "core/crypto/provider.h"
#include "core/crypto/signature.h"

namespace parley::auth::challenge {

inline constexpr char kPrefix[] = "parley-challenge:v1:";
inline constexpr char kNamespace[] = "parley-challenge";
inline constexpr size_t kMinNonce = 22;  // 128 bits
inline constexpr size_t kMaxNonce = 128;
inline constexpr size_t kMaxAnswer = 16384;

// The nonce of the first challenge in `prompt`, if it carries one.
absl::optional<std::string> FindNonce(absl::string_view prompt);

// The message signed for `nonce` and `user`.
std::string Message(absl::string_view nonce, absl::string_view user);

// What the key signs: SSHSIG's signed data for `message_sha512`, the
// SHA-512 digest of Message().
Bytes SignedData(ByteView message_sha512);

// The answer for a signature blob (RFC 4253 section 6.6 encoding) made by
// the key with `public_key_blob` over SignedData().
std::string EncodeAnswer(ByteView public_key_blob, ByteView signature_blob);

struct Answer {
  Bytes public_key_blob;
  Bytes signature_blob;
};
// Parses an answer: bounded (kMaxAnswer), strict base64, the SSHSIG
// magic, version 1, our namespace and hash, nothing after the signature.
absl::StatusOr<Answer> ParseAnswer(absl::string_view answer);

// Verifies `answer` for `nonce` and `user`: a valid signature by one of
// `allowed` keys (ssh-rsa with SHA-1 refused). kPermissionDenied when the
// key is not allowed or the signature is wrong; kInvalidArgument for a
// malformed answer.
absl::Status Verify(const crypto::CryptoProvider& provider,
                    absl::string_view answer, absl::string_view nonce,
                    absl::string_view user,
                    const std::vector<crypto::PublicKey>& allowed);

// A fresh nonce: 32 random bytes as unpadded base64url (43 characters).
absl::StatusOr<std::string> NewNonce(const crypto::CryptoProvider& provider);

}  // namespace parley::auth::challenge

#endif  // PARLEY_CORE_AUTH_CHALLENGE_H_
