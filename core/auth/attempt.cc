#include "core/auth/attempt.h"

namespace parley::auth {
namespace {

// One request; done once the server answered it.
class SimpleAttempt : public AuthAttempt {
 public:
  enum class Kind { kNone, kPassword, kPasswordChange };
  SimpleAttempt(UserAuth* auth, Kind kind, std::string user,
                SecureBuffer password, SecureBuffer new_password)
      : auth_(auth),
        kind_(kind),
        user_(std::move(user)),
        password_(std::move(password)),
        new_password_(std::move(new_password)) {}

  absl::Status Start(TimePoint) override {
    absl::Status s;
    switch (kind_) {
      case Kind::kNone:
        s = auth_->StartNone(user_);
        break;
      case Kind::kPassword:
        s = auth_->StartPassword(user_, View(password_));
        break;
      case Kind::kPasswordChange:
        s = auth_->StartPasswordChange(user_, View(password_),
                                       View(new_password_));
        break;
    }
    // The request is built and sent (or queued, wiped when sent): the
    // passwords are not needed any more.
    password_ = SecureBuffer();
    new_password_ = SecureBuffer();
    return s;
  }

  absl::StatusOr<AttemptWait> Poll(TimePoint) override {
    return auth_->outcome().kind == AuthOutcome::kPending ? AttemptWait::kServer
                                                          : AttemptWait::kDone;
  }

  const char* method() const override {
    return kind_ == Kind::kNone ? "none" : "password";
  }

 private:
  UserAuth* auth_;
  Kind kind_;
  std::string user_;
  SecureBuffer password_;
  SecureBuffer new_password_;
};

}  // namespace

const char* AttemptWaitName(AttemptWait w) {
  switch (w) {
    case AttemptWait::kDone:
      return "done";
    case AttemptWait::kServer:
      return "server";
    case AttemptWait::kResponder:
      return "responder";
    case AttemptWait::kSigner:
      return "signer";
    case AttemptWait::kReady:
      return "ready";
  }
  return "?";
}

std::unique_ptr<AuthAttempt> NewNoneAttempt(UserAuth* auth, std::string user) {
  return std::make_unique<SimpleAttempt>(auth, SimpleAttempt::Kind::kNone,
                                         std::move(user), SecureBuffer(),
                                         SecureBuffer());
}

std::unique_ptr<AuthAttempt> NewPasswordAttempt(UserAuth* auth,
                                                std::string user,
                                                SecureBuffer password) {
  return std::make_unique<SimpleAttempt>(auth, SimpleAttempt::Kind::kPassword,
                                         std::move(user), std::move(password),
                                         SecureBuffer());
}

std::unique_ptr<AuthAttempt> NewPasswordChangeAttempt(
    UserAuth* auth, std::string user, SecureBuffer old_password,
    SecureBuffer new_password) {
  return std::make_unique<SimpleAttempt>(
      auth, SimpleAttempt::Kind::kPasswordChange, std::move(user),
      std::move(old_password), std::move(new_password));
}

}  // namespace parley::auth
