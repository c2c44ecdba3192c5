// libssh2_userauth_* and the parley_userauth_* extensions: libssh2's
// calling conventions over the engine's authentication attempts.
#include <string.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/auth/kbdint.h"
#include "core/auth/signer.h"
#include "core/base/error.h"
#include "core/base/file.h"
#include "core/capi/internal.h"
#include "core/crypto/ssh_keys.h"
#include "core/keys/certificate.h"
#include "core/keys/key_file.h"
#include "core/keys/openssh_key.h"
#include "core/keys/private_key.h"
#include "core/plugin/configured.h"
#include "core/wire/writer.h"

namespace parley::capi {
namespace {

// Public-key files are one line; anything this long is not one.
constexpr size_t kMaxPublicKeyFile = 64 * 1024;

absl::string_view Label(AuthCall call) {
  switch (call) {
    case AuthCall::kNone:
      return "none";
    case AuthCall::kList:
      return "userauth list";
    case AuthCall::kPassword:
      return "password";
    case AuthCall::kPublicKey:
    case AuthCall::kPublicKeyCallback:
    case AuthCall::kPublicKeySigner:
      return "publickey";
    case AuthCall::kHostbased:
      return "hostbased";
    case AuthCall::kKbdInt:
      return "keyboard-interactive";
  }
  return "?";
}

}  // namespace

// ---------------------------------------------------------------------------
// KbdIntCallbackResponder

auth::ResponderStatus KbdIntCallbackResponder::Respond(
    const auth::Challenge& challenge, std::vector<SecureBuffer>* answers) {
  const auth::InfoRequest& req = challenge.request;
  const size_t n = req.prompts.size();
  SessionHandle& s = *session_;
  allocation_failed_ = false;

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
  // The round deadline is the engine's: it measures the callback's time
  // and does not send answers that came too late.
  callback_(name, static_cast<int>(req.name.size()), instruction,
            static_cast<int>(req.instruction.size()), static_cast<int>(n),
            prompts, responses, s.abstract());
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
  return auth::ResponderStatus::kAnswered;
}

// ---------------------------------------------------------------------------
// CallbackSigner

// The sign callback of libssh2_userauth_publickey() as an auth::Signer. As
// libssh2 does, the key is offered first (query_first); the callback's
// signature comes without the algorithm name, which is added here.
class CallbackSigner : public auth::Signer {
 public:
  CallbackSigner(SessionHandle* session, crypto::PublicKey key, Bytes blob,
                 SessionHandle::SignCallback callback, void** abstract)
      : session_(session),
        key_(std::move(key)),
        blob_(std::move(blob)),
        callback_(callback),
        abstract_(abstract) {}

  const crypto::PublicKey& public_key() const override { return key_; }
  const Bytes& public_key_blob() const override { return blob_; }
  bool query_first() const override { return true; }
  std::chrono::milliseconds retry_after() const override {
    // Blocking mode asks a callback that said EAGAIN again shortly; in
    // non-blocking mode the application's next call asks again.
    return session_->blocking() ? std::chrono::milliseconds(10)
                                : std::chrono::milliseconds(0);
  }
  bool failed() const { return failed_; }

  absl::StatusOr<auth::SignResult> Sign(const auth::SignRequest& request,
                                        Bytes* signature) override {
    unsigned char* sig = nullptr;
    size_t sig_len = 0;
    const int rc =
        callback_(session_->handle(), &sig, &sig_len, request.data.data(),
                  request.data.size(), abstract_);
    if (rc == LIBSSH2_ERROR_EAGAIN) {
      session_->Free(sig);
      return auth::SignResult::kRetryLater;
    }
    if (rc != 0 || sig == nullptr) {
      session_->Free(sig);
      failed_ = true;
      return Error(ErrorKind::kRefused,
                   absl::UnauthenticatedError("Callback returned error"));
    }
    signature->clear();
    wire::Writer w(signature);
    w.WriteString(crypto::SignatureAlgorithmName(request.algorithm));
    w.WriteString(ByteView(sig, sig_len));
    session_->Free(sig);
    return auth::SignResult::kSigned;
  }

 private:
  SessionHandle* session_;
  crypto::PublicKey key_;
  Bytes blob_;
  SessionHandle::SignCallback callback_;
  void** abstract_;
  bool failed_ = false;
};

// ---------------------------------------------------------------------------
// SessionHandle: userauth

int SessionHandle::BeginAuth(AuthCall call) {
  if (int rc = RequireConnected(); rc < 0) return rc;
  if (auth_call_ != AuthCall::kNone && auth_call_ != call) {
    return SetError(LIBSSH2_ERROR_BAD_USE,
                    absl::StrCat("a ", Label(auth_call_),
                                 " call is in progress: call it again until "
                                 "it stops returning LIBSSH2_ERROR_EAGAIN"));
  }
  // A new attempt (not a resumed one) starts with no partial success.
  if (auth_call_ == AuthCall::kNone) partial_success_ = false;
  return 0;
}

int SessionHandle::RunAuth(AuthCall call, absl::string_view what,
                           const std::function<absl::Status()>& start) {
  if (int rc = BeginAuth(call); rc < 0) return rc;
  if (auth_call_ == AuthCall::kNone) {
    // A result nobody took (a call abandoned after a timeout) is stale.
    if (engine_->auth_done()) (void)engine_->TakeAuthResult();
    absl::Status s = start();
    if (!s.ok()) return Fail(s);
    auth_call_ = call;
  }
  const int rc = Run(
      [this] { return engine_->auth_done() ? kStepDone : kStepWait; }, what);
  if (Resumable(rc)) return rc;
  auth_call_ = AuthCall::kNone;
  return rc;
}

int SessionHandle::FinishAuth(const auth::AuthOutcome& outcome,
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

char* SessionHandle::UserauthList(absl::string_view user) {
  const std::string u(user);
  int rc = RunAuth(AuthCall::kList, "requesting userauth list",
                   [&] { return engine_->AuthNone(u, Clock::now()); });
  if (rc < 0) return nullptr;
  absl::StatusOr<auth::AuthOutcome> o = engine_->TakeAuthResult();
  if (!o.ok()) {
    Fail(o.status());
    return nullptr;
  }
  if (o->kind == auth::AuthOutcome::kSuccess) return nullptr;  // "none" worked
  if (!Store(userauth_list_, absl::StrJoin(o->methods, ","))) {
    SetError(LIBSSH2_ERROR_ALLOC, "Unable to allocate memory for the list");
    return nullptr;
  }
  return userauth_list_.data();
}

int SessionHandle::UserauthBanner(char** banner) {
  if (engine_ == nullptr || engine_->banners().empty()) {
    return SetError(LIBSSH2_ERROR_MISSING_USERAUTH_BANNER,
                    "No userauth banner was received");
  }
  if (!Store(userauth_banner_, absl::StrJoin(engine_->banners(), ""))) {
    return SetError(LIBSSH2_ERROR_ALLOC, "out of memory");
  }
  *banner = userauth_banner_.data();
  return 0;
}

int SessionHandle::UserauthPassword(absl::string_view user,
                                    absl::string_view password,
                                    PasswordChangeCallback change_cb) {
  if (auth_call_ == AuthCall::kNone) {
    password_user_ = std::string(user);
    password_ = ToSecureBuffer(AsBytes(password));
  }
  while (true) {
    const int rc =
        RunAuth(AuthCall::kPassword, "requesting password authentication", [&] {
          return engine_->AuthPassword(password_user_, password_, Clock::now());
        });
    if (rc < 0) {
      if (!Resumable(rc)) password_ = SecureBuffer();
      return rc;
    }
    absl::StatusOr<auth::AuthOutcome> o = engine_->TakeAuthResult();
    if (!o.ok()) {
      password_ = SecureBuffer();
      return Fail(o.status());
    }
    if (o->kind != auth::AuthOutcome::kPasswordChange) {
      password_ = SecureBuffer();
      return FinishAuth(*o, "username/password");
    }
    // RFC 4252 section 8: the server wants a new password.
    if (change_cb == nullptr) {
      password_ = SecureBuffer();
      return SetError(LIBSSH2_ERROR_PASSWORD_EXPIRED,
                      "Password Expired, and no callback specified");
    }
    char* newpw = nullptr;
    int newpw_len = 0;
    change_cb(handle(), &newpw, &newpw_len, &abstract_);
    if (newpw == nullptr) {
      password_ = SecureBuffer();
      return SetError(LIBSSH2_ERROR_PASSWORD_EXPIRED,
                      "Password expired, and callback failed");
    }
    const size_t len = newpw_len > 0 ? static_cast<size_t>(newpw_len) : 0;
    SecureBuffer fresh(newpw, newpw + len);
    WipeAndFree(newpw, len);
    absl::Status s = engine_->AuthPasswordChange(password_user_, password_,
                                                 fresh, Clock::now());
    if (!s.ok()) {
      password_ = SecureBuffer();
      return Fail(s);
    }
    password_ = std::move(fresh);
    auth_call_ = AuthCall::kPassword;  // resumed by the loop above
  }
}

int SessionHandle::UserauthPublicKey(absl::string_view user,
                                     const KeySource& source,
                                     const auth::HostbasedIdentity* hostbased) {
  const AuthCall call =
      hostbased == nullptr ? AuthCall::kPublicKey : AuthCall::kHostbased;
  if (int rc = BeginAuth(call); rc < 0) return rc;
  std::shared_ptr<auth::Signer> signer;
  if (auth_call_ == AuthCall::kNone) {
    const crypto::CryptoProvider& provider = engine_->provider();
    SecureBuffer passphrase;
    if (source.passphrase != nullptr) {
      passphrase = ToSecureBuffer(AsBytes(source.passphrase));
    }
    absl::StatusOr<crypto::PrivateKey> key =
        source.key_file != nullptr
            ? keys::LoadPrivateKeyFile(source.key_file, View(passphrase),
                                       provider)
            : keys::ParsePrivateKey(source.key_text.value_or(""),
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
      absl::StatusOr<std::string> text = ReadSmallFile(
          source.pub_file, FileRules{"public key file", kMaxPublicKeyFile});
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
    // An OpenSSH certificate (id_*-cert.pub) is presented in place of the
    // key: it must certify the private key.
    absl::optional<Bytes> certificate;
    if (keys::IsCertificateName(line.substr(0, line.find_first_of(" \t")))) {
      absl::StatusOr<keys::Certificate> cert = keys::ParseCertificateLine(line);
      if (!cert.ok()) {
        return SetError(LIBSSH2_ERROR_FILE,
                        absl::StrCat("Unable to parse the certificate: ",
                                     cert.status().message()));
      }
      if (!(cert->key == key->public_key)) {
        return SetError(LIBSSH2_ERROR_FILE,
                        "the certificate is not for the private key");
      }
      certificate = std::move(cert->blob);
      line = absl::string_view();
    }
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
    signer = std::make_shared<auth::KeySigner>(engine_->options().provider,
                                               *std::move(key));
    if (certificate.has_value()) {
      signer = std::make_shared<auth::CertifiedSigner>(std::move(signer),
                                                       *std::move(certificate));
    }
  }
  const std::string u(user);
  const int rc = RunAuth(
      call,
      hostbased == nullptr ? "requesting publickey authentication"
                           : "requesting hostbased authentication",
      [&] {
        return hostbased == nullptr
                   ? engine_->AuthPublicKey(u, PreferSignAlgorithms(signer),
                                            Clock::now())
                   : engine_->AuthHostbased(u, PreferSignAlgorithms(signer),
                                            *hostbased, Clock::now());
      });
  if (rc < 0) return rc;
  absl::StatusOr<auth::AuthOutcome> o = engine_->TakeAuthResult();
  if (!o.ok()) return Fail(o.status());
  return FinishAuth(*o, hostbased == nullptr ? "publickey" : "hostbased");
}

int SessionHandle::UserauthPublicKeyCallback(absl::string_view user,
                                             ByteView public_key,
                                             SignCallback callback,
                                             void** abstract) {
  if (callback == nullptr) {
    return SetError(LIBSSH2_ERROR_INVAL, "no sign callback given");
  }
  if (int rc = BeginAuth(AuthCall::kPublicKeyCallback); rc < 0) return rc;
  if (auth_call_ == AuthCall::kNone) {
    absl::StatusOr<crypto::PublicKey> key =
        crypto::ParsePublicKeyBlob(public_key);
    if (!key.ok()) {
      return SetError(
          absl::IsUnimplemented(key.status())
              ? LIBSSH2_ERROR_METHOD_NOT_SUPPORTED
              : LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED,
          absl::StrCat("Unusable public key: ", key.status().message()));
    }
    callback_signer_ = std::make_shared<CallbackSigner>(
        this, *std::move(key), Bytes(public_key.begin(), public_key.end()),
        callback, abstract);
  } else if (engine_->auth_in_progress()) {
    // Resumed: a callback that said EAGAIN is asked again now.
    engine_->wake_source().waker().Wake();
  }
  const std::string u(user);
  std::shared_ptr<CallbackSigner> signer = callback_signer_;
  const int rc = RunAuth(AuthCall::kPublicKeyCallback,
                         "requesting publickey authentication", [&] {
                           return engine_->AuthPublicKey(
                               u, PreferSignAlgorithms(signer), Clock::now());
                         });
  if (rc < 0) return rc;
  absl::StatusOr<auth::AuthOutcome> o = engine_->TakeAuthResult();
  const bool signer_failed = signer != nullptr && signer->failed();
  callback_signer_.reset();
  if (!o.ok()) {
    if (signer_failed) {
      return SetError(LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED,
                      "Callback returned error");
    }
    return Fail(o.status());
  }
  return FinishAuth(*o, "publickey");
}

std::shared_ptr<auth::Signer> SessionHandle::PreferSignAlgorithms(
    std::shared_ptr<auth::Signer> signer) const {
  if (sign_algorithms_.empty() || signer == nullptr) return signer;
  return std::make_shared<auth::PreferredAlgorithmsSigner>(std::move(signer),
                                                           sign_algorithms_);
}

int SessionHandle::UserauthSigner(absl::string_view user,
                                  std::shared_ptr<auth::Signer> signer) {
  if (int rc = BeginAuth(AuthCall::kPublicKeySigner); rc < 0) return rc;
  if (auth_call_ == AuthCall::kNone) pending_signer_ = std::move(signer);
  const std::string u(user);
  std::shared_ptr<auth::Signer> s = pending_signer_;
  const int rc = RunAuth(
      AuthCall::kPublicKeySigner, "requesting publickey authentication", [&] {
        return engine_->AuthPublicKey(u, PreferSignAlgorithms(s), Clock::now());
      });
  if (rc < 0) return rc;
  pending_signer_.reset();
  absl::StatusOr<auth::AuthOutcome> o = engine_->TakeAuthResult();
  if (!o.ok()) {
    // The agent's own failures carry no session error kind.
    if (KindOf(o.status()) == ErrorKind::kUnclassified) {
      return SetError(LIBSSH2_ERROR_AGENT_PROTOCOL, o.status().message());
    }
    return Fail(o.status());
  }
  return FinishAuth(*o, "publickey");
}

int SessionHandle::UserauthKbdInt(absl::string_view user,
                                  KbdIntCallback callback) {
  if (callback == nullptr) {
    return SetError(LIBSSH2_ERROR_INVAL, "no response callback given");
  }
  if (kbdint_responder_ == nullptr) {
    kbdint_responder_ = std::make_unique<KbdIntCallbackResponder>(this);
  }
  kbdint_responder_->set_callback(callback);
  if (auth_call_ == AuthCall::kNone) {
    if (absl::Status s = LoadConfiguredResponders(); !s.ok()) {
      return SetError(LIBSSH2_ERROR_INVAL, s.message());
    }
  }
  auth::Responder* responder = kbdint_responder_.get();
  if (responders_ != nullptr) responder = responders_.get();
  const std::string u(user);
  const int rc = RunAuth(AuthCall::kKbdInt,
                         "during keyboard-interactive authentication", [&] {
                           return engine_->AuthKeyboardInteractive(
                               u, responder, kbdint_options_, Clock::now());
                         });
  if (rc < 0) return rc;
  absl::StatusOr<auth::AuthOutcome> o = engine_->TakeAuthResult();
  if (!o.ok()) {
    if (kbdint_responder_->allocation_failed()) {
      return SetError(LIBSSH2_ERROR_ALLOC,
                      "Unable to allocate memory for keyboard-interactive "
                      "prompts or responses");
    }
    return Fail(o.status());
  }
  return FinishAuth(*o, "keyboard-interactive");
}

absl::Status SessionHandle::LoadConfiguredResponders() {
  if (responders_loaded_) return absl::OkStatus();
  absl::StatusOr<plugin::ConfiguredResponders> configured =
      plugin::ConfiguredResponderSpecs();
  if (!configured.ok()) return configured.status();
  if (!configured->specs.empty()) {
    absl::StatusOr<std::shared_ptr<auth::RoutingResponder>> chain =
        plugin::BuildConfiguredChain(
            *configured, [this](parley_log_level, absl::string_view message) {
              Trace(LIBSSH2_TRACE_AUTH,
                    absl::StrCat("responder: ",
                                 auth::SanitizeForTerminal(message)));
            });
    if (!chain.ok()) return chain.status();
    (*chain)->SetFallback(std::make_shared<auth::WholeRoundResponder>(
        "the application's callback", kbdint_responder_.get()));
    responders_ = *std::move(chain);
  }
  responders_loaded_ = true;
  return absl::OkStatus();
}

const char* SessionHandle::MethodsLeft() {
  if (engine_ == nullptr || engine_->methods_left().empty()) return nullptr;
  if (!Store(methods_left_, absl::StrJoin(engine_->methods_left(), ","))) {
    SetError(LIBSSH2_ERROR_ALLOC, "out of memory");
    return nullptr;
  }
  return methods_left_.data();
}

int SessionHandle::SetKbdIntLimits(int max_rounds, long round_ms,
                                   long overall_ms) {
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

void SessionHandle::Cancel() {
  session::Engine* e = engine_ptr_.load();
  if (e != nullptr) e->Cancel();
}

}  // namespace parley::capi

// ---------------------------------------------------------------------------
// The C API

using parley::capi::Guarded;
using parley::capi::SessionHandle;

using parley::capi::ValidSession;

namespace {

constexpr char kNoSecurityKeys[] =
    "security keys (FIDO) are not supported by Parley: there is no device "
    "to test them with; use a token through PKCS#11 or an agent";

}  // namespace

extern "C" {

char* libssh2_userauth_list(LIBSSH2_SESSION* session, const char* username,
                            unsigned int username_len) {
  SessionHandle* s = ValidSession(session);
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
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if (banner == nullptr) {
    return s->SetError(LIBSSH2_ERROR_INVAL, "banner is NULL");
  }
  *banner = nullptr;
  return Guarded(s, LIBSSH2_ERROR_ALLOC,
                 [&] { return s->UserauthBanner(banner); });
}

int libssh2_userauth_authenticated(LIBSSH2_SESSION* session) {
  SessionHandle* s = ValidSession(session);
  return s != nullptr && s->authenticated() ? 1 : 0;
}

int libssh2_userauth_password_ex(
    LIBSSH2_SESSION* session, const char* username, unsigned int username_len,
    const char* password, unsigned int password_len,
    LIBSSH2_PASSWD_CHANGEREQ_FUNC((*passwd_change_cb))) {
  SessionHandle* s = ValidSession(session);
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
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if ((username == nullptr && username_len > 0) || privatekey == nullptr) {
    return s->SetError(LIBSSH2_ERROR_INVAL, "username or privatekey is NULL");
  }
  SessionHandle::KeySource source;
  source.key_file = privatekey;
  source.pub_file = publickey;
  source.passphrase = passphrase;
  return Guarded(s, LIBSSH2_ERROR_ALLOC, [&] {
    return s->UserauthPublicKey(absl::string_view(username, username_len),
                                source);
  });
}

int libssh2_userauth_hostbased_fromfile_ex(
    LIBSSH2_SESSION* session, const char* username, unsigned int username_len,
    const char* publickey, const char* privatekey, const char* passphrase,
    const char* hostname, unsigned int hostname_len, const char* local_username,
    unsigned int local_username_len) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if ((username == nullptr && username_len > 0) || privatekey == nullptr ||
      hostname == nullptr || hostname_len == 0 ||
      (local_username == nullptr && local_username_len > 0)) {
    return s->SetError(LIBSSH2_ERROR_INVAL,
                       "username, private key or host name is NULL");
  }
  SessionHandle::KeySource source;
  source.key_file = privatekey;
  source.pub_file = publickey;
  source.passphrase = passphrase;
  return Guarded(s, LIBSSH2_ERROR_ALLOC, [&] {
    parley::auth::HostbasedIdentity identity;
    identity.host.assign(hostname, hostname_len);
    identity.local_user.assign(local_username == nullptr ? "" : local_username,
                               local_username_len);
    return s->UserauthPublicKey(absl::string_view(username, username_len),
                                source, &identity);
  });
}

int libssh2_userauth_publickey_sk(
    LIBSSH2_SESSION* session, const char* username, size_t username_len,
    const unsigned char* pubkeydata, size_t pubkeydata_len,
    const char* privatekeydata, size_t privatekeydata_len,
    const char* passphrase, LIBSSH2_USERAUTH_SK_SIGN_FUNC((*sign_callback)),
    void** abstract) {
  (void)username, (void)username_len, (void)pubkeydata, (void)pubkeydata_len;
  (void)privatekeydata, (void)privatekeydata_len, (void)passphrase;
  (void)sign_callback, (void)abstract;
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return s->SetError(LIBSSH2_ERROR_METHOD_NOT_SUPPORTED, kNoSecurityKeys);
}

int libssh2_sign_sk(LIBSSH2_SESSION* session, unsigned char** sig,
                    size_t* sig_len, const unsigned char* data, size_t data_len,
                    void** abstract) {
  (void)data, (void)data_len, (void)abstract;
  if (sig != nullptr) *sig = nullptr;
  if (sig_len != nullptr) *sig_len = 0;
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return s->SetError(LIBSSH2_ERROR_METHOD_NOT_SUPPORTED, kNoSecurityKeys);
}

int libssh2_userauth_publickey_frommemory(
    LIBSSH2_SESSION* session, const char* username, size_t username_len,
    const char* publickeyfiledata, size_t publickeyfiledata_len,
    const char* privatekeyfiledata, size_t privatekeyfiledata_len,
    const char* passphrase) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if ((username == nullptr && username_len > 0) ||
      privatekeyfiledata == nullptr ||
      (publickeyfiledata == nullptr && publickeyfiledata_len > 0)) {
    return s->SetError(LIBSSH2_ERROR_INVAL, "username or key data is NULL");
  }
  SessionHandle::KeySource source;
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

int libssh2_userauth_publickey(
    LIBSSH2_SESSION* session, const char* username,
    const unsigned char* pubkeydata, size_t pubkeydata_len,
    LIBSSH2_USERAUTH_PUBLICKEY_SIGN_FUNC((*sign_callback)), void** abstract) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if (username == nullptr || (pubkeydata == nullptr && pubkeydata_len > 0)) {
    return s->SetError(LIBSSH2_ERROR_INVAL, "username or key is NULL");
  }
  return Guarded(s, LIBSSH2_ERROR_ALLOC, [&] {
    return s->UserauthPublicKeyCallback(
        username, parley::ByteView(pubkeydata, pubkeydata_len), sign_callback,
        abstract);
  });
}

int libssh2_userauth_keyboard_interactive_ex(
    LIBSSH2_SESSION* session, const char* username, unsigned int username_len,
    LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC((*response_callback))) {
  SessionHandle* s = ValidSession(session);
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
  SessionHandle* s = ValidSession(session);
  return s == nullptr ? LIBSSH2_ERROR_BAD_USE : s->partial_success();
}

const char* parley_userauth_methods_left(LIBSSH2_SESSION* session) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  return Guarded<const char*>(s, nullptr, [&] { return s->MethodsLeft(); });
}

int parley_userauth_kbdint_set_limits(LIBSSH2_SESSION* session, int max_rounds,
                                      long round_timeout_ms,
                                      long overall_timeout_ms) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return s->SetKbdIntLimits(max_rounds, round_timeout_ms, overall_timeout_ms);
}

void parley_userauth_cancel(LIBSSH2_SESSION* session) {
  if (SessionHandle* s = ValidSession(session)) s->Cancel();
}

}  // extern "C"
