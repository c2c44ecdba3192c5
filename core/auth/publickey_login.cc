#include "core/auth/publickey_login.h"

#include "core/base/error.h"

namespace parley::auth {

PublicKeyLogin::PublicKeyLogin(UserAuth* auth, std::shared_ptr<Signer> signer,
                               std::string user, AttemptContext context,
                               absl::optional<HostbasedIdentity> hostbased)
    : auth_(auth),
      signer_(std::move(signer)),
      user_(std::move(user)),
      context_(std::move(context)),
      hostbased_(std::move(hostbased)) {}

absl::Status PublicKeyLogin::Start(TimePoint) {
  if (signer_ == nullptr) {
    return Error(ErrorKind::kBadUse,
                 absl::InvalidArgumentError("publickey login without a key"));
  }
  algorithm_ = auth_->ChoosePublicKeyAlgorithm(*signer_);
  if (crypto::KeyTypeFor(algorithm_) != signer_->public_key().type) {
    return Error(
        ErrorKind::kBadUse,
        absl::InvalidArgumentError("signature algorithm does not fit the key"));
  }
  if (signer_->query_first() && !hostbased_.has_value()) {
    state_ = State::kQuery;
    return auth_->StartPublicKeyQuery(
        user_, algorithm_, signer_->public_key_blob(), signer_->certified());
  }
  state_ = State::kSign;
  return absl::OkStatus();
}

absl::optional<TimePoint> PublicKeyLogin::deadline() const {
  if (state_ != State::kWaitSigner) return absl::nullopt;
  return retry_at_;
}

void PublicKeyLogin::Abort() {
  if (state_ == State::kWaitSigner) signer_->Abort();
  state_ = State::kFinished;
}

absl::StatusOr<AttemptWait> PublicKeyLogin::SignAndSend(TimePoint now) {
  Bytes signature;
  retry_at_.reset();
  absl::StatusOr<SignResult> r = signer_->Sign(request_, &signature);
  if (!r.ok()) {
    state_ = State::kFinished;
    return r.status();
  }
  if (*r == SignResult::kRetryLater) {
    state_ = State::kWaitSigner;
    const std::chrono::milliseconds after = signer_->retry_after();
    if (after.count() > 0) retry_at_ = now + after;
    return AttemptWait::kSigner;
  }
  absl::Status sent = auth_->StartPublicKeySigned(
      user_, algorithm_, signer_->public_key_blob(), signature,
      hostbased_.has_value() ? &*hostbased_ : nullptr, signer_->certified());
  if (!sent.ok()) {
    state_ = State::kFinished;
    return sent;
  }
  state_ = State::kWaitServer;
  return AttemptWait::kServer;
}

absl::StatusOr<AttemptWait> PublicKeyLogin::Poll(TimePoint now) {
  switch (state_) {
    case State::kQuery: {
      const AuthOutcome& o = auth_->outcome();
      if (o.kind == AuthOutcome::kPending) return AttemptWait::kServer;
      if (o.kind != AuthOutcome::kPublicKeyOk) {
        state_ = State::kFinished;  // the key is not acceptable
        return AttemptWait::kDone;
      }
      accepted_at_query_ = true;
      state_ = State::kSign;
      [[fallthrough]];
    }
    case State::kSign:
      request_ = SignRequest();
      request_.data = auth_->PublicKeySignedData(
          user_, algorithm_, signer_->public_key_blob(),
          hostbased_.has_value() ? &*hostbased_ : nullptr,
          signer_->certified());
      request_.algorithm = algorithm_;
      request_.waker = context_.waker;
      woken_ = false;
      return SignAndSend(now);
    case State::kWaitSigner:
      if (!woken_ && !(retry_at_.has_value() && now >= *retry_at_)) {
        return AttemptWait::kSigner;
      }
      woken_ = false;
      return SignAndSend(now);
    case State::kWaitServer:
      if (auth_->outcome().kind == AuthOutcome::kPending) {
        return AttemptWait::kServer;
      }
      state_ = State::kFinished;
      return AttemptWait::kDone;
    case State::kFinished:
      break;
  }
  return Error(ErrorKind::kBadUse,
               absl::FailedPreconditionError("publickey attempt ended"));
}

}  // namespace parley::auth
