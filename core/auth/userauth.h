// The ssh-userauth service (RFC 4252) as an engine on a Transport: service
// request, "none" (to learn the methods), "password" (RFC 4252 section 8,
// including the server's password-change request), "publickey" (query and
// signed request, RFC 4252 section 7), USERAUTH_BANNER and partial success.
// Keyboard-interactive (RFC 4256) builds on the same state machine. This
// layer sends requests and decodes answers; the attempts that need time
// (a responder, a signer) are driven by KbdIntLogin and PublicKeyLogin.
#ifndef PARLEY_CORE_AUTH_USERAUTH_H_
#define PARLEY_CORE_AUTH_USERAUTH_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/auth/kbdint.h"
#include "core/auth/signer.h"
#include "core/base/bytes.h"
#include "core/base/secure_buffer.h"
#include "core/crypto/signature.h"
#include "core/transport/transport.h"

namespace parley::auth {

enum class AuthState {
  kIdle,
  kServiceRequested,  // SERVICE_REQUEST sent
  kReady,             // service accepted; no method in flight
  kMethodInFlight,    // a USERAUTH_REQUEST awaits its answer
  kSucceeded,
};

// The outcome of one method attempt.
struct AuthOutcome {
  enum Kind {
    kPending,         // still waiting for the server
    kSuccess,         // USERAUTH_SUCCESS
    kPartialSuccess,  // this method was accepted; more are required
    kFailure,         // refused; `methods` says what may continue
    kPasswordChange,  // the server asks for a new password (RFC 4252 8)
    kInfoRequest,     // keyboard-interactive: answer `info` (RespondInfo)
    kPublicKeyOk,     // the server would accept the key queried (PK_OK)
  } kind = kPending;
  InfoRequest info;                  // for kInfoRequest
  std::vector<std::string> methods;  // methods that can continue
  std::string prompt;                // password change prompt
};

// Host-based authentication (RFC 4252 section 9): the client host, as the
// server should look it up, and the user on it it vouches for. Its key
// signs where a publickey login's user key would.
struct HostbasedIdentity {
  std::string host;
  std::string local_user;
};

class UserAuth {
 public:
  explicit UserAuth(transport::Transport* t) : t_(t) {}

  // Each Start* sends a request (after the service request, sent first when
  // needed). Then feed server messages with Handle() and read Outcome().
  absl::Status StartNone(absl::string_view user);
  absl::Status StartPassword(absl::string_view user, ByteView password);
  absl::Status StartPasswordChange(absl::string_view user,
                                   ByteView old_password,
                                   ByteView new_password);
  // RFC 4256: `submethods` is a comma-separated hint, usually empty.
  absl::Status StartKeyboardInteractive(absl::string_view user,
                                        absl::string_view submethods = "");
  // Answers the pending INFO_REQUEST: one response per prompt, sent in a
  // padded packet. The responses are not kept.
  absl::Status RespondInfo(const std::vector<SecureBuffer>& responses);
  // Publickey (RFC 4252 section 7): a query without signature, answered by
  // PK_OK (kPublicKeyOk) or FAILURE; and the signed request, whose
  // signature covers SignedData().
  // `certified`: key_blob is an OpenSSH certificate (the request names
  // the -cert-v01@openssh.com algorithm).
  absl::Status StartPublicKeyQuery(absl::string_view user,
                                   crypto::SignatureAlgorithm algorithm,
                                   ByteView key_blob, bool certified = false);
  // With `hostbased`, the same for a "hostbased" request (RFC 4252
  // section 9; there is no query).
  Bytes PublicKeySignedData(absl::string_view user,
                            crypto::SignatureAlgorithm algorithm,
                            ByteView key_blob,
                            const HostbasedIdentity* hostbased = nullptr,
                            bool certified = false) const;
  absl::Status StartPublicKeySigned(
      absl::string_view user, crypto::SignatureAlgorithm algorithm,
      ByteView key_blob, ByteView signature,
      const HostbasedIdentity* hostbased = nullptr, bool certified = false);
  // The signature algorithm for `signer` with this server: the first of
  // its algorithms that the server's server-sig-algs (RFC 8308) lists; for
  // RSA without such a list, rsa-sha2-256.
  crypto::SignatureAlgorithm ChoosePublicKeyAlgorithm(
      const Signer& signer) const;

  // Keyboard-interactive rounds received in the current attempt.
  int rounds() const { return rounds_; }

  // Handles one userauth-range message (6, 50-79). Returns
  // kInvalidArgument for a malformed or out-of-place message.
  absl::Status Handle(ByteView msg);
  // True for message numbers this layer owns.
  static bool Owns(uint8_t msg_type);

  const AuthOutcome& outcome() const { return outcome_; }
  AuthState state() const { return state_; }
  bool authenticated() const { return state_ == AuthState::kSucceeded; }
  // Banners received so far (untrusted text; sanitise before display).
  const std::vector<std::string>& banners() const { return banners_; }
  // The methods the server listed in its last FAILURE.
  const std::vector<std::string>& methods_left() const { return methods_; }

 private:
  absl::Status EnsureService();
  absl::Status SendRequest(const Bytes& body, bool secret);
  absl::Status SendPasswordRequest(absl::string_view user, ByteView password,
                                   const ByteView* new_password);
  absl::Status HandleFailure(ByteView body);

  transport::Transport* t_;
  AuthState state_ = AuthState::kIdle;
  std::string method_;  // in flight
  AuthOutcome outcome_;
  std::vector<std::string> banners_;
  std::vector<std::string> methods_;
  int rounds_ = 0;
  // A publickey query in flight: what PK_OK must echo.
  bool query_ = false;
  std::string query_algorithm_;
  Bytes query_blob_;
  // A request built before the service was accepted.
  SecureBuffer queued_;
  bool queued_secret_ = false;
};

// Pads requests that carry secrets so that their length tells nothing.
inline constexpr size_t kSecretPaddedSize = 256;

}  // namespace parley::auth

#endif  // PARLEY_CORE_AUTH_USERAUTH_H_
