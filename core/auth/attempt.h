// One authentication attempt (a method tried once) as an engine: started,
// then advanced by Poll() whenever something happened (a message arrived,
// time passed, a responder or signer woke us). It never blocks and never
// reads the clock.
//
// The session engine (core/session) owns the attempt in progress; the
// methods are: NewNoneAttempt, NewPasswordAttempt, NewPasswordChangeAttempt
// (below), KbdIntLogin (kbdint_login.h) and PublicKeyLogin
// (publickey_login.h).
#ifndef PARLEY_CORE_AUTH_ATTEMPT_H_
#define PARLEY_CORE_AUTH_ATTEMPT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/optional.h"
#include "core/auth/userauth.h"
#include "core/base/clock.h"
#include "core/base/secure_buffer.h"
#include "core/base/waker.h"

namespace parley::auth {

// What an attempt waits for after Poll().
enum class AttemptWait {
  kDone,       // finished: the outcome is in UserAuth::outcome()
  kServer,     // the server's next message
  kResponder,  // a responder that asked to be called later (a wake)
  kSigner,     // a signer that asked to be called later (a wake)
  kReady,      // more work now: call Poll() again with a fresh `now`
};
const char* AttemptWaitName(AttemptWait w);

// What an attempt knows about its session.
struct AttemptContext {
  std::string host;
  uint16_t port = 0;
  std::string host_key_fingerprint;  // "SHA256:..."
  // Handed to responders and signers that answer later.
  Waker waker;
};

class AuthAttempt {
 public:
  virtual ~AuthAttempt() = default;
  // Sends the first request.
  virtual absl::Status Start(TimePoint now) = 0;
  // Advances. Errors end the attempt; nothing more is sent for it.
  virtual absl::StatusOr<AttemptWait> Poll(TimePoint now) = 0;
  // The responder or signer the attempt waits for signalled readiness.
  virtual void Woken() {}
  // When Poll() must run again even if nothing else happens.
  virtual absl::optional<TimePoint> deadline() const { return absl::nullopt; }
  // The attempt is abandoned: tell a responder or signer at work.
  virtual void Abort() {}
  // "keyboard-interactive", "password", ... for messages.
  virtual const char* method() const = 0;
};

// "none" (to learn the methods), "password" and the password change of
// RFC 4252 section 8: one request, then the server's answer.
std::unique_ptr<AuthAttempt> NewNoneAttempt(UserAuth* auth, std::string user);
std::unique_ptr<AuthAttempt> NewPasswordAttempt(UserAuth* auth,
                                                std::string user,
                                                SecureBuffer password);
std::unique_ptr<AuthAttempt> NewPasswordChangeAttempt(
    UserAuth* auth, std::string user, SecureBuffer old_password,
    SecureBuffer new_password);

}  // namespace parley::auth

#endif  // PARLEY_CORE_AUTH_ATTEMPT_H_
