// Drives one publickey attempt (RFC 4252 section 7) with a Signer: an
// optional query without signature first (for keys whose signing is costly
// or asks the user), then the signed request. With a HostbasedIdentity it
// is a hostbased attempt instead (section 9: the client host's key signs,
// no query). Signing may finish later
// (kRetryLater and a wake), so a slow token or agent never blocks the
// thread that drives the session.
#ifndef PARLEY_CORE_AUTH_PUBLICKEY_LOGIN_H_
#define PARLEY_CORE_AUTH_PUBLICKEY_LOGIN_H_

#include <memory>
#include <string>

#include "absl/types/optional.h"
#include "core/auth/attempt.h"
#include "core/auth/signer.h"
#include "core/auth/userauth.h"

namespace parley::auth {

class PublicKeyLogin : public AuthAttempt {
 public:
  PublicKeyLogin(UserAuth* auth, std::shared_ptr<Signer> signer,
                 std::string user, AttemptContext context = {},
                 absl::optional<HostbasedIdentity> hostbased = absl::nullopt);

  absl::Status Start(TimePoint now) override;
  // kDone when the server answered the signed request, or refused the key
  // at the query (outcome kFailure / kPartialSuccess: the key was not
  // accepted). Errors: the signer's, or the transport's.
  absl::StatusOr<AttemptWait> Poll(TimePoint now) override;
  void Woken() override { woken_ = true; }
  absl::optional<TimePoint> deadline() const override;
  void Abort() override;
  const char* method() const override {
    return hostbased_.has_value() ? "hostbased" : "publickey";
  }

  crypto::SignatureAlgorithm algorithm() const { return algorithm_; }
  // Whether the server answered a query with PK_OK.
  bool key_accepted_at_query() const { return accepted_at_query_; }

 private:
  enum class State { kQuery, kSign, kWaitSigner, kWaitServer, kFinished };
  absl::StatusOr<AttemptWait> SignAndSend(TimePoint now);

  UserAuth* auth_;
  std::shared_ptr<Signer> signer_;
  std::string user_;
  AttemptContext context_;
  absl::optional<HostbasedIdentity> hostbased_;
  State state_ = State::kFinished;
  crypto::SignatureAlgorithm algorithm_ = crypto::SignatureAlgorithm::kEd25519;
  SignRequest request_;
  bool woken_ = false;
  absl::optional<TimePoint> retry_at_;
  bool accepted_at_query_ = false;
};

}  // namespace parley::auth

#endif  // PARLEY_CORE_AUTH_PUBLICKEY_LOGIN_H_
