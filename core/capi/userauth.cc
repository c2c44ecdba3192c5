// libssh2_userauth_* and the parley_userauth_* extensions.
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/capi/internal.h"
#include "core/keys/key_file.h"
#include "core/keys/openssh_key.h"

namespace parley::capi {
namespace {

// Public-key files are one line; anything this long is not one.
constexpr size_t kMaxPublicKeyFile = 64 * 1024;

absl::string_view Label(AuthOp::Kind kind) {
  switch (kind) {
    case AuthOp::Kind::kNone:
      return "none";
    case AuthOp::Kind::kList:
      return "userauth list";
    case AuthOp::Kind::kPassword:
      return "password";
    case AuthOp::Kind::kPublicKey:
      return "publickey";
    case AuthOp::Kind::kKbdInt:
      return "keyboard-interactive";
  }
  return "?";
}

}  // namespace

// ---------------------------------------------------------------------------
// KbdIntResponder

auth::ResponderStatus KbdIntResponder::Respond(
    const auth::Challenge& challenge, std::vector<SecureBuffer>* answers) {
  const auth::InfoRequest& req = challenge.request;
  const size_t n = req.prompts.size();
  Session& s = *session_;

  // Everything handed to the callback comes from the session's allocator.
  char* name = s.CopyString(req.name);
  char* instruction = s.CopyString(req.instruction);
  auto* prompts = static_cast<LIBSSH2_USERAUTH_KBDINT_PROMPT*>(
      n > 0 ? s.Alloc(n * sizeof(LIBSSH2_USERAUTH_KBDINT_PROMPT)) : nullptr);
  auto* responses = static_cast<LIBSSH2_USERAUTH_KBDINT_RESPONSE*>(
      n > 0 ? s.Alloc(n * sizeof(LIBSSH2_USERAUTH_KBDINT_RESPONSE)) : nullptr);
  bool ok = name != nullptr && instruction != nullptr &&
            (n == 0 || (prompts != nullptr && responses != nullptr));
  if (prompts != nullptr) {
    memset(prompts, 0, n * sizeof(*prompts));
    for (size_t i = 0; ok && i < n; ++i) {
      const auth::Prompt& p = req.prompts[i];
      // libssh2 gives `length`; a NUL after the text is a courtesy.
      prompts[i].text = reinterpret_cast<unsigned char*>(s.CopyString(p.text));
      prompts[i].length = p.text.size();
      prompts[i].echo = p.echo ? 1 : 0;
      ok = prompts[i].text != nullptr;
    }
  }
  if (responses != nullptr) memset(responses, 0, n * sizeof(*responses));

  auto release = [&] {
    // Responses the application filled in are secrets: wipe them.
    if (responses != nullptr) {
      for (size_t i = 0; i < n; ++i) {
        s.WipeAndFree(responses[i].text, responses[i].length);
        responses[i].text = nullptr;
      }
      s.Free(responses);
    }
    if (prompts != nullptr) {
      for (size_t i = 0; i < n; ++i) s.Free(prompts[i].text);
      s.Free(prompts);
    }
    s.Free(name);
    s.Free(instruction);
  };

  if (!ok) {
    release();
    allocation_failed_ = true;
    return auth::ResponderStatus::kCancel;
  }
  const Clock::time_point asked = Clock::now();
  callback_(name, static_cast<int>(req.name.size()), instruction,
            static_cast<int>(req.instruction.size()), static_cast<int>(n),
            prompts, responses, s.abstract());
  const Clock::duration took = Clock::now() - asked;
  try {
    answers->clear();
    answers->reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const LIBSSH2_USERAUTH_KBDINT_RESPONSE& r = responses[i];
      if (r.text == nullptr) {
        answers->emplace_back();  // libssh2 sends an empty response
      } else {
        answers->emplace_back(r.text, r.text + r.length);
      }
    }
  } catch (...) {
    release();
    throw;
  }
  release();
  if (round_timeout_.count() > 0 && took > round_timeout_) {
    answers->clear();  // wipes them; a late answer is not sent
    too_slow_ = true;
    return auth::ResponderStatus::kCancel;
  }
  return auth::ResponderStatus::kAnswered;
}

// ---------------------------------------------------------------------------
// Session: userauth

int Session::AuthError(const absl::Status& s) {
  if (absl::IsFailedPrecondition(s)) {
    return SetError(LIBSSH2_ERROR_BAD_USE, s.message());
  }
  return FailTransport(s);
}

int Session::BeginAuth(AuthOp::Kind kind) {
  if (int rc = RequireConnected(); rc < 0) return rc;
  if (auth_op_.kind != AuthOp::Kind::kNone && auth_op_.kind != kind) {
    return SetError(LIBSSH2_ERROR_BAD_USE,
                    absl::StrCat("a ", Label(auth_op_.kind),
                                 " call is in progress: call it again until "
                                 "it stops returning LIBSSH2_ERROR_EAGAIN"));
  }
  // A new attempt (not a resumed one) starts with no partial success.
  if (auth_op_.kind == AuthOp::Kind::kNone) partial_success_ = false;
  return 0;
}

int Session::RunAuth(absl::string_view what) {
  return Run(
      [this] {
        return auth_->outcome().kind == auth::AuthOutcome::kPending ? kStepWait
                                                                    : kStepDone;
      },
      what);
}

int Session::FinishAuth(const auth::AuthOutcome& outcome,
                        absl::string_view method) {
  partial_success_ = outcome.kind == auth::AuthOutcome::kPartialSuccess;
  switch (outcome.kind) {
    case auth::AuthOutcome::kSuccess:
      return 0;
    case auth::AuthOutcome::kPartialSuccess:
      return SetError(
          LIBSSH2_ERROR_AUTHENTICATION_FAILED,
          absl::StrCat("Partial success (", method,
                       "): the server requires more authentication: ",
                       absl::StrJoin(outcome.methods, ",")));
    case auth::AuthOutcome::kFailure:
      return SetError(LIBSSH2_ERROR_AUTHENTICATION_FAILED,
                      absl::StrCat("Authentication failed (", method, ")"));
    default:
      return SetError(LIBSSH2_ERROR_PROTO,
                      absl::StrCat("unexpected answer to ", method));
  }
}

char* Session::UserauthList(absl::string_view user) {
  if (BeginAuth(AuthOp::Kind::kList) < 0) return nullptr;
  if (auth_op_.kind == AuthOp::Kind::kNone) {
    absl::Status s = auth_->StartNone(user);
    if (!s.ok()) {
      AuthError(s);
      return nullptr;
    }
    auth_op_.kind = AuthOp::Kind::kList;
  }
  const int rc = RunAuth("requesting userauth list");
  if (Resumable(rc)) return nullptr;
  auth_op_ = AuthOp();
  if (rc < 0) return nullptr;
  const auth::AuthOutcome& o = auth_->outcome();
  if (o.kind == auth::AuthOutcome::kSuccess) return nullptr;  // "none" worked
  if (!Store(userauth_list_, absl::StrJoin(o.methods, ","))) {
    SetError(LIBSSH2_ERROR_ALLOC, "Unable to allocate memory for the list");
    return nullptr;
  }
  return userauth_list_.data();
}

int Session::UserauthBanner(char** banner) {
  if (auth_ == nullptr || auth_->banners().empty()) {
    return SetError(LIBSSH2_ERROR_MISSING_USERAUTH_BANNER,
                    "No userauth banner was received");
  }
  if (!Store(userauth_banner_, absl::StrJoin(auth_->banners(), ""))) {
    return SetError(LIBSSH2_ERROR_ALLOC, "out of memory");
  }
  *banner = userauth_banner_.data();
  return 0;
}

int Session::UserauthPassword(absl::string_view user,
                              absl::string_view password,
                              PasswordChangeCallback change_cb) {
  if (int rc = BeginAuth(AuthOp::Kind::kPassword); rc < 0) return rc;
  if (auth_op_.kind == AuthOp::Kind::kNone) {
    absl::Status s = auth_->StartPassword(user, AsBytes(password));
    if (!s.ok()) return AuthError(s);
    auth_op_.kind = AuthOp::Kind::kPassword;
    auth_op_.user = std::string(user);
    auth_op_.password = ToSecureBuffer(AsBytes(password));
  }
  const int rc = Run(
      [&]() -> int {
        const auth::AuthOutcome& o = auth_->outcome();
        if (o.kind == auth::AuthOutcome::kPending) return kStepWait;
        if (o.kind != auth::AuthOutcome::kPasswordChange) return kStepDone;
        // RFC 4252 section 8: the server wants a new password.
        if (change_cb == nullptr) {
          return SetError(LIBSSH2_ERROR_PASSWORD_EXPIRED,
                          "Password Expired, and no callback specified");
        }
        char* newpw = nullptr;
        int newpw_len = 0;
        change_cb(handle(), &newpw, &newpw_len, &abstract_);
        if (newpw == nullptr) {
          return SetError(LIBSSH2_ERROR_PASSWORD_EXPIRED,
                          "Password expired, and callback failed");
        }
        const size_t len = newpw_len > 0 ? static_cast<size_t>(newpw_len) : 0;
        SecureBuffer fresh(newpw, newpw + len);
        WipeAndFree(newpw, len);
        absl::Status s = auth_->StartPasswordChange(
            auth_op_.user, View(auth_op_.password), View(fresh));
        if (!s.ok()) return AuthError(s);
        auth_op_.password = std::move(fresh);
        return kStepWait;
      },
      "requesting password authentication");
  if (Resumable(rc)) return rc;
  const auth::AuthOutcome outcome = auth_->outcome();
  auth_op_ = AuthOp();
  if (rc < 0) return rc;
  return FinishAuth(outcome, "username/password");
}

int Session::UserauthPublicKey(absl::string_view user,
                               const KeySource& source) {
  if (int rc = BeginAuth(AuthOp::Kind::kPublicKey); rc < 0) return rc;
  if (auth_op_.kind == AuthOp::Kind::kNone) {
    const crypto::CryptoProvider& provider = transport_->provider();
    SecureBuffer passphrase;
    if (source.passphrase != nullptr) {
      passphrase = ToSecureBuffer(AsBytes(source.passphrase));
    }
    absl::StatusOr<crypto::PrivateKey> key =
        source.key_file != nullptr
            ? keys::LoadPrivateKeyFile(source.key_file, View(passphrase),
                                       provider)
            : keys::ParseOpenSshPrivateKey(source.key_text.value_or(""),
                                           View(passphrase), provider);
    if (!key.ok()) {
      // A missing or wrong passphrase is KEYFILE_AUTH_FAILED; an unreadable,
      // malformed or unsupported file is FILE.
      return SetError(absl::IsUnauthenticated(key.status())
                          ? LIBSSH2_ERROR_KEYFILE_AUTH_FAILED
                          : LIBSSH2_ERROR_FILE,
                      absl::StrCat("Unable to load the private key: ",
                                   key.status().message()));
    }
    // An explicit public key must be the private key's.
    std::string pub_text;
    if (source.pub_file != nullptr) {
      absl::StatusOr<std::string> text =
          ReadRegularFile(source.pub_file, kMaxPublicKeyFile);
      if (!text.ok()) {
        return SetError(LIBSSH2_ERROR_FILE,
                        absl::StrCat("Unable to read public key file: ",
                                     text.status().message()));
      }
      pub_text = std::move(*text);
    } else if (source.pub_text.has_value()) {
      pub_text = std::string(*source.pub_text);
    }
    absl::string_view line = absl::StripAsciiWhitespace(pub_text);
    line = line.substr(0, line.find('\n'));
    if (!line.empty()) {
      absl::StatusOr<crypto::PublicKey> pub = keys::ParsePublicKeyLine(line);
      if (!pub.ok()) {
        return SetError(LIBSSH2_ERROR_FILE,
                        absl::StrCat("Unable to parse the public key: ",
                                     pub.status().message()));
      }
      if (!(*pub == key->public_key)) {
        return SetError(LIBSSH2_ERROR_FILE,
                        "the public key does not belong to the private key");
      }
    }
    absl::Status s = auth_->StartPublicKey(
        user, *key, auth_->ChoosePublicKeyAlgorithm(*key));
    if (!s.ok()) return AuthError(s);
    auth_op_.kind = AuthOp::Kind::kPublicKey;
  }
  const int rc = RunAuth("requesting publickey authentication");
  if (Resumable(rc)) return rc;
  const auth::AuthOutcome outcome = auth_->outcome();
  auth_op_ = AuthOp();
  if (rc < 0) return rc;
  return FinishAuth(outcome, "publickey");
}

int Session::KbdIntError(const absl::Status& s) {
  if (auth_op_.responder != nullptr &&
      auth_op_.responder->allocation_failed()) {
    return SetError(LIBSSH2_ERROR_ALLOC,
                    "Unable to allocate memory for keyboard-interactive "
                    "prompts or responses");
  }
  if (auth_op_.responder != nullptr && auth_op_.responder->too_slow()) {
    return SetError(
        PARLEY_ERROR_DEADLINE,
        absl::StrCat("the keyboard-interactive callback took longer than the "
                     "round deadline (",
                     kbdint_options_.round_timeout.count(), " ms)"));
  }
  switch (s.code()) {
    case absl::StatusCode::kCancelled:
      return SetError(PARLEY_ERROR_CANCELLED, s.message());
    case absl::StatusCode::kDeadlineExceeded:
      return SetError(PARLEY_ERROR_DEADLINE, s.message());
    case absl::StatusCode::kResourceExhausted:
      return SetError(PARLEY_ERROR_ROUND_LIMIT, s.message());
    default:
      return FailTransport(s);
  }
}

int Session::UserauthKbdInt(absl::string_view user, KbdIntCallback callback) {
  if (callback == nullptr) {
    return SetError(LIBSSH2_ERROR_INVAL, "no response callback given");
  }
  if (int rc = BeginAuth(AuthOp::Kind::kKbdInt); rc < 0) return rc;
  if (auth_op_.kind == AuthOp::Kind::kNone) {
    // A cancel only ever applies to the login running when it is made.
    cancel_.store(false);
    if (cancel_fd_ >= 0) {
      uint64_t v;
      (void)!read(cancel_fd_, &v, sizeof(v));
    }
    AuthOp op;
    op.kind = AuthOp::Kind::kKbdInt;
    op.user = std::string(user);
    op.responder = std::make_unique<KbdIntResponder>(this);
    op.responder->set_round_timeout(kbdint_options_.round_timeout);
    auth::KbdIntOptions options = kbdint_options_;
    options.cancel = &cancel_;
    op.login = std::make_unique<auth::KbdIntLogin>(auth_.get(),
                                                   op.responder.get(), options);
    const Clock::time_point now = Clock::now();
    absl::Status s = op.login->Start(user, now);
    if (!s.ok()) return AuthError(s);
    if (options.overall_timeout.count() > 0) {
      wake_at_ = now + options.overall_timeout;
    }
    auth_op_ = std::move(op);
  }
  auth_op_.responder->set_callback(callback);
  const int rc = Run(
      [this]() -> int {
        absl::StatusOr<auth::KbdIntLogin::Wait> w =
            auth_op_.login->Poll(Clock::now());
        if (!w.ok()) return KbdIntError(w.status());
        return *w == auth::KbdIntLogin::Wait::kNone ? kStepDone : kStepWait;
      },
      "during keyboard-interactive authentication");
  if (Resumable(rc)) return rc;
  const auth::AuthOutcome outcome = auth_->outcome();
  auth_op_ = AuthOp();
  wake_at_.reset();
  if (rc < 0) return rc;
  return FinishAuth(outcome, "keyboard-interactive");
}

const char* Session::MethodsLeft() {
  if (auth_ == nullptr || auth_->methods_left().empty()) return nullptr;
  if (!Store(methods_left_, absl::StrJoin(auth_->methods_left(), ","))) {
    SetError(LIBSSH2_ERROR_ALLOC, "out of memory");
    return nullptr;
  }
  return methods_left_.data();
}

int Session::SetKbdIntLimits(int max_rounds, long round_ms, long overall_ms) {
  if (max_rounds < 1 || round_ms < 0 || overall_ms < 0) {
    return SetError(LIBSSH2_ERROR_INVAL,
                    "max_rounds must be >= 1 and the timeouts >= 0");
  }
  kbdint_options_.max_rounds = max_rounds;
  kbdint_options_.round_timeout =
      std::chrono::milliseconds(std::min(round_ms, kMaxTimeoutMs));
  kbdint_options_.overall_timeout =
      std::chrono::milliseconds(std::min(overall_ms, kMaxTimeoutMs));
  return 0;
}

void Session::Cancel() {
  cancel_.store(true);
  if (cancel_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!write(cancel_fd_, &one, sizeof(one));
  }
}

}  // namespace parley::capi

// ---------------------------------------------------------------------------
// The C API

using parley::capi::Guarded;
using parley::capi::Session;

using parley::capi::ValidSession;

extern "C" {

char* libssh2_userauth_list(LIBSSH2_SESSION* session, const char* username,
                            unsigned int username_len) {
  Session* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  if (username == nullptr && username_len > 0) {
    s->SetError(LIBSSH2_ERROR_INVAL, "username is NULL");
    return nullptr;
  }
  return Guarded<char*>(s, nullptr, [&] {
    return s->UserauthList(absl::string_view(username, username_len));
  });
}

int libssh2_userauth_banner(LIBSSH2_SESSION* session, char** banner) {
  Session* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if (banner == nullptr) {
    return s->SetError(LIBSSH2_ERROR_INVAL, "banner is NULL");
  }
  *banner = nullptr;
  return Guarded(s, LIBSSH2_ERROR_ALLOC,
                 [&] { return s->UserauthBanner(banner); });
}

int libssh2_userauth_authenticated(LIBSSH2_SESSION* session) {
  Session* s = ValidSession(session);
  return s != nullptr && s->authenticated() ? 1 : 0;
}

int libssh2_userauth_password_ex(
    LIBSSH2_SESSION* session, const char* username, unsigned int username_len,
    const char* password, unsigned int password_len,
    LIBSSH2_PASSWD_CHANGEREQ_FUNC((*passwd_change_cb))) {
  Session* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if ((username == nullptr && username_len > 0) ||
      (password == nullptr && password_len > 0)) {
    return s->SetError(LIBSSH2_ERROR_INVAL, "username or password is NULL");
  }
  return Guarded(s, LIBSSH2_ERROR_ALLOC, [&] {
    return s->UserauthPassword(absl::string_view(username, username_len),
                               absl::string_view(password, password_len),
                               passwd_change_cb);
  });
}

int libssh2_userauth_publickey_fromfile_ex(
    LIBSSH2_SESSION* session, const char* username, unsigned int username_len,
    const char* publickey, const char* privatekey, const char* passphrase) {
  Session* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if ((username == nullptr && username_len > 0) || privatekey == nullptr) {
    return s->SetError(LIBSSH2_ERROR_INVAL, "username or privatekey is NULL");
  }
  Session::KeySource source;
  source.key_file = privatekey;
  source.pub_file = publickey;
  source.passphrase = passphrase;
  return Guarded(s, LIBSSH2_ERROR_ALLOC, [&] {
    return s->UserauthPublicKey(absl::string_view(username, username_len),
                                source);
  });
}

int libssh2_userauth_publickey_frommemory(
    LIBSSH2_SESSION* session, const char* username, size_t username_len,
    const char* publickeyfiledata, size_t publickeyfiledata_len,
    const char* privatekeyfiledata, size_t privatekeyfiledata_len,
    const char* passphrase) {
  Session* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if ((username == nullptr && username_len > 0) ||
      privatekeyfiledata == nullptr ||
      (publickeyfiledata == nullptr && publickeyfiledata_len > 0)) {
    return s->SetError(LIBSSH2_ERROR_INVAL, "username or key data is NULL");
  }
  Session::KeySource source;
  source.key_text =
      absl::string_view(privatekeyfiledata, privatekeyfiledata_len);
  if (publickeyfiledata_len > 0) {
    source.pub_text =
        absl::string_view(publickeyfiledata, publickeyfiledata_len);
  }
  source.passphrase = passphrase;
  return Guarded(s, LIBSSH2_ERROR_ALLOC, [&] {
    return s->UserauthPublicKey(absl::string_view(username, username_len),
                                source);
  });
}

int libssh2_userauth_keyboard_interactive_ex(
    LIBSSH2_SESSION* session, const char* username, unsigned int username_len,
    LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC((*response_callback))) {
  Session* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if (username == nullptr && username_len > 0) {
    return s->SetError(LIBSSH2_ERROR_INVAL, "username is NULL");
  }
  return Guarded(s, LIBSSH2_ERROR_ALLOC, [&] {
    return s->UserauthKbdInt(absl::string_view(username, username_len),
                             response_callback);
  });
}

int parley_userauth_partial_success(LIBSSH2_SESSION* session) {
  Session* s = ValidSession(session);
  return s == nullptr ? LIBSSH2_ERROR_BAD_USE : s->partial_success();
}

const char* parley_userauth_methods_left(LIBSSH2_SESSION* session) {
  Session* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  return Guarded<const char*>(s, nullptr, [&] { return s->MethodsLeft(); });
}

int parley_userauth_kbdint_set_limits(LIBSSH2_SESSION* session, int max_rounds,
                                      long round_timeout_ms,
                                      long overall_timeout_ms) {
  Session* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return s->SetKbdIntLimits(max_rounds, round_timeout_ms, overall_timeout_ms);
}

void parley_userauth_cancel(LIBSSH2_SESSION* session) {
  if (Session* s = ValidSession(session)) s->Cancel();
}

}  // extern "C"
