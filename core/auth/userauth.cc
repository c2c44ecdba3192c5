#include "core/auth/userauth.h"

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/crypto/ssh_keys.h"
#include "core/transport/messages.h"
#include "core/wire/reader.h"
#include "core/wire/writer.h"

namespace parley::auth {
namespace {

using namespace ::parley::transport;  // NOLINT: message numbers

constexpr char kService[] = "ssh-userauth";
constexpr char kConnection[] = "ssh-connection";

// Bounds on what a server may send us.
constexpr size_t kMaxBanner = 64 * 1024;
constexpr size_t kMaxBanners = 64;

// The header every USERAUTH_REQUEST starts with (RFC 4252 section 5).
template <typename Writer>
void WriteRequestHeader(Writer& w, absl::string_view user,
                        absl::string_view method) {
  w.WriteU8(kMsgUserauthRequest);
  w.WriteString(user);
  w.WriteString(absl::string_view(kConnection));
  w.WriteString(method);
}

// The algorithm name a request carries: the certificate form for an
// OpenSSH certificate (PROTOCOL.certkeys).
std::string RequestAlgorithmName(crypto::SignatureAlgorithm algorithm,
                                 bool certified) {
  return certified ? crypto::CertificateAlgorithmName(algorithm)
                   : std::string(crypto::SignatureAlgorithmName(algorithm));
}

// A publickey request up to its signature (RFC 4252 section 7): the query
// (`signed` false) or what a signature covers.
void WritePublicKeyRequest(wire::Writer& w, absl::string_view user,
                           bool with_signature,
                           crypto::SignatureAlgorithm algorithm,
                           ByteView key_blob, bool certified) {
  WriteRequestHeader(w, user, "publickey");
  w.WriteBool(with_signature);
  w.WriteString(RequestAlgorithmName(algorithm, certified));
  w.WriteString(key_blob);
}

// A signed publickey or hostbased request up to its signature (RFC 4252
// sections 7 and 9).
void WriteSignedRequest(wire::Writer& w, absl::string_view user,
                        crypto::SignatureAlgorithm algorithm, ByteView key_blob,
                        const HostbasedIdentity* hostbased, bool certified) {
  if (hostbased == nullptr) {
    WritePublicKeyRequest(w, user, true, algorithm, key_blob, certified);
    return;
  }
  WriteRequestHeader(w, user, "hostbased");
  w.WriteString(RequestAlgorithmName(algorithm, certified));
  w.WriteString(key_blob);
  w.WriteString(hostbased->host);
  w.WriteString(hostbased->local_user);
}

}  // namespace

bool UserAuth::Owns(uint8_t t) {
  return t == kMsgServiceAccept || (t >= 50 && t <= 79);
}

absl::Status UserAuth::EnsureService() {
  if (state_ != AuthState::kIdle) return absl::OkStatus();
  Bytes msg;
  wire::Writer w(&msg);
  w.WriteU8(kMsgServiceRequest);
  w.WriteString(absl::string_view(kService));
  PARLEY_RETURN_IF_ERROR(t_->Send(msg));
  state_ = AuthState::kServiceRequested;
  return absl::OkStatus();
}

absl::Status UserAuth::SendRequest(const Bytes& body, bool secret) {
  if (state_ == AuthState::kSucceeded) {
    return absl::FailedPreconditionError("already authenticated");
  }
  // A request the server is waiting on us for (an INFO_REQUEST or a
  // password change we did not answer) may be abandoned: RFC 4252 section 5
  // lets the client send a new request at any time, and servers drop the
  // unfinished one. A request still waiting for the server may not.
  const bool server_waits_on_us = outcome_.kind == AuthOutcome::kInfoRequest ||
                                  outcome_.kind == AuthOutcome::kPasswordChange;
  if ((state_ == AuthState::kMethodInFlight && !server_waits_on_us) ||
      !queued_.empty()) {
    return absl::FailedPreconditionError(
        "an authentication request is already in flight");
  }
  if (state_ == AuthState::kMethodInFlight) state_ = AuthState::kReady;
  PARLEY_RETURN_IF_ERROR(EnsureService());
  outcome_ = AuthOutcome();
  if (state_ == AuthState::kServiceRequested) {
    queued_.assign(body.begin(), body.end());
    queued_secret_ = secret;
    return absl::OkStatus();
  }
  state_ = AuthState::kMethodInFlight;
  return t_->Send(body, secret ? kSecretPaddedSize : 0);
}

absl::Status UserAuth::StartNone(absl::string_view user) {
  Bytes msg;
  wire::Writer w(&msg);
  WriteRequestHeader(w, user, "none");
  method_ = "none";
  return SendRequest(msg, false);
}

absl::Status UserAuth::StartPassword(absl::string_view user,
                                     ByteView password) {
  return SendPasswordRequest(user, password, nullptr);
}

absl::Status UserAuth::StartPasswordChange(absl::string_view user,
                                           ByteView old_password,
                                           ByteView new_password) {
  return SendPasswordRequest(user, old_password, &new_password);
}

absl::Status UserAuth::SendPasswordRequest(absl::string_view user,
                                           ByteView password,
                                           const ByteView* new_password) {
  // RFC 4252 section 8: boolean FALSE and the password, or TRUE, the old
  // and the new password.
  SecureBuffer msg;
  wire::SecretWriter w(&msg);
  WriteRequestHeader(w, user, "password");
  w.WriteBool(new_password != nullptr);
  w.WriteString(password);
  if (new_password != nullptr) w.WriteString(*new_password);
  method_ = "password";
  Bytes body(msg.begin(), msg.end());
  absl::Status s = SendRequest(body, true);
  SecureWipe(body.data(), body.size());
  return s;
}

absl::Status UserAuth::StartKeyboardInteractive(absl::string_view user,
                                                absl::string_view submethods) {
  Bytes msg;
  wire::Writer w(&msg);
  WriteRequestHeader(w, user, "keyboard-interactive");
  w.WriteString(absl::string_view(""));  // language tag (deprecated)
  w.WriteString(submethods);
  method_ = "keyboard-interactive";
  rounds_ = 0;
  return SendRequest(msg, false);
}

absl::Status UserAuth::RespondInfo(const std::vector<SecureBuffer>& responses) {
  if (state_ != AuthState::kMethodInFlight ||
      outcome_.kind != AuthOutcome::kInfoRequest) {
    return absl::FailedPreconditionError("no INFO_REQUEST is pending");
  }
  if (responses.size() != outcome_.info.prompts.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "INFO_REQUEST has ", outcome_.info.prompts.size(), " prompts but ",
        responses.size(), " responses were given"));
  }
  SecureBuffer msg = EncodeInfoResponse(responses);
  Bytes body(msg.begin(), msg.end());
  outcome_ = AuthOutcome();
  absl::Status s = t_->Send(body, kSecretPaddedSize);
  SecureWipe(body.data(), body.size());
  return s;
}

crypto::SignatureAlgorithm UserAuth::ChoosePublicKeyAlgorithm(
    const Signer& signer) const {
  const std::vector<crypto::SignatureAlgorithm> mine = signer.algorithms();
  const auto& theirs = t_->server_sig_algs();
  for (crypto::SignatureAlgorithm a : mine) {
    const absl::string_view name = crypto::SignatureAlgorithmName(a);
    for (const auto& s : theirs) {
      if (s == name) return a;
    }
  }
  // No server-sig-algs (or no overlap): the key's own algorithm; for RSA
  // rsa-sha2-256, which every SHA-2 capable server takes.
  for (crypto::SignatureAlgorithm a : mine) {
    if (a == crypto::SignatureAlgorithm::kRsaSha256) return a;
  }
  return mine.empty() ? crypto::SignatureAlgorithm::kRsaSha256 : mine.front();
}

absl::Status UserAuth::StartPublicKeyQuery(absl::string_view user,
                                           crypto::SignatureAlgorithm algorithm,
                                           ByteView key_blob, bool certified) {
  Bytes msg;
  wire::Writer w(&msg);
  WritePublicKeyRequest(w, user, false, algorithm, key_blob, certified);
  method_ = "publickey";
  query_ = true;
  query_algorithm_ = RequestAlgorithmName(algorithm, certified);
  query_blob_.assign(key_blob.begin(), key_blob.end());
  return SendRequest(msg, false);
}

Bytes UserAuth::PublicKeySignedData(absl::string_view user,
                                    crypto::SignatureAlgorithm algorithm,
                                    ByteView key_blob,
                                    const HostbasedIdentity* hostbased,
                                    bool certified) const {
  // RFC 4252 sections 7 and 9: the signature covers the session identifier
  // followed by the request up to the signature.
  Bytes data;
  wire::Writer w(&data);
  w.WriteString(t_->session_id());
  WriteSignedRequest(w, user, algorithm, key_blob, hostbased, certified);
  return data;
}

absl::Status UserAuth::StartPublicKeySigned(
    absl::string_view user, crypto::SignatureAlgorithm algorithm,
    ByteView key_blob, ByteView signature, const HostbasedIdentity* hostbased,
    bool certified) {
  Bytes msg;
  wire::Writer w(&msg);
  WriteSignedRequest(w, user, algorithm, key_blob, hostbased, certified);
  w.WriteString(signature);
  method_ = hostbased == nullptr ? "publickey" : "hostbased";
  query_ = false;
  return SendRequest(msg, false);
}

absl::Status UserAuth::HandleFailure(ByteView body) {
  wire::Reader r(body);
  std::vector<std::string> methods;
  bool partial;
  PARLEY_RETURN_IF_ERROR(r.ReadNameList(&methods));
  PARLEY_RETURN_IF_ERROR(r.ReadBool(&partial));
  PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
  methods_ = methods;
  outcome_.methods = std::move(methods);
  outcome_.kind =
      partial ? AuthOutcome::kPartialSuccess : AuthOutcome::kFailure;
  state_ = AuthState::kReady;
  return absl::OkStatus();
}

absl::Status UserAuth::Handle(ByteView msg) {
  if (msg.empty()) return absl::InvalidArgumentError("empty message");
  const uint8_t t = msg[0];
  ByteView body = msg.subspan(1);
  switch (t) {
    case kMsgServiceAccept: {
      wire::Reader r(body);
      absl::string_view name;
      PARLEY_RETURN_IF_ERROR(r.ReadString(&name));
      PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
      if (state_ != AuthState::kServiceRequested || name != kService) {
        return absl::InvalidArgumentError("unexpected SERVICE_ACCEPT");
      }
      state_ = AuthState::kReady;
      if (!queued_.empty()) {
        Bytes body_copy(queued_.begin(), queued_.end());
        queued_.clear();
        state_ = AuthState::kMethodInFlight;
        absl::Status s =
            t_->Send(body_copy, queued_secret_ ? kSecretPaddedSize : 0);
        SecureWipe(body_copy.data(), body_copy.size());
        return s;
      }
      return absl::OkStatus();
    }
    case kMsgUserauthBanner: {
      wire::Reader r(body);
      absl::string_view text, lang;
      PARLEY_RETURN_IF_ERROR(r.ReadString(&text));
      PARLEY_RETURN_IF_ERROR(r.ReadString(&lang));
      PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
      if (state_ == AuthState::kSucceeded) {
        return absl::InvalidArgumentError("banner after authentication");
      }
      if (banners_.size() < kMaxBanners) {
        banners_.emplace_back(text.substr(0, kMaxBanner));
      }
      return absl::OkStatus();
    }
    case kMsgUserauthSuccess:
      if (state_ != AuthState::kMethodInFlight || !body.empty()) {
        return absl::InvalidArgumentError("unexpected USERAUTH_SUCCESS");
      }
      state_ = AuthState::kSucceeded;
      outcome_.kind = AuthOutcome::kSuccess;
      return absl::OkStatus();
    case kMsgUserauthFailure:
      if (state_ != AuthState::kMethodInFlight) {
        return absl::InvalidArgumentError("unexpected USERAUTH_FAILURE");
      }
      return HandleFailure(body);
    case kMsgUserauthInfoRequest:  // also PASSWD_CHANGEREQ and PK_OK
      if (state_ == AuthState::kMethodInFlight &&
          method_ == "keyboard-interactive") {
        if (outcome_.kind == AuthOutcome::kInfoRequest) {
          return absl::InvalidArgumentError(
              "INFO_REQUEST before the previous one was answered");
        }
        PARLEY_ASSIGN_OR_RETURN(InfoRequest info, DecodeInfoRequest(body));
        ++rounds_;
        outcome_ = AuthOutcome();
        outcome_.kind = AuthOutcome::kInfoRequest;
        outcome_.info = std::move(info);
        return absl::OkStatus();
      }
      if (state_ == AuthState::kMethodInFlight && method_ == "password") {
        wire::Reader r(body);
        absl::string_view prompt, lang;
        PARLEY_RETURN_IF_ERROR(r.ReadString(&prompt));
        PARLEY_RETURN_IF_ERROR(r.ReadString(&lang));
        PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
        outcome_.kind = AuthOutcome::kPasswordChange;
        outcome_.prompt = std::string(prompt.substr(0, 4096));
        return absl::OkStatus();
      }
      if (state_ == AuthState::kMethodInFlight && method_ == "publickey" &&
          query_ && outcome_.kind == AuthOutcome::kPending) {
        // PK_OK: string algorithm, string key blob (echoing the query).
        wire::Reader r(body);
        absl::string_view alg;
        ByteView blob;
        PARLEY_RETURN_IF_ERROR(r.ReadString(&alg));
        PARLEY_RETURN_IF_ERROR(r.ReadString(&blob));
        PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
        if (alg != query_algorithm_ || !(blob == ByteView(query_blob_))) {
          return absl::InvalidArgumentError(
              "PK_OK names a key or algorithm that was not queried");
        }
        outcome_.kind = AuthOutcome::kPublicKeyOk;
        state_ = AuthState::kReady;
        return absl::OkStatus();
      }
      return absl::InvalidArgumentError(
          absl::StrCat("message 60 while ", method_.empty() ? "idle" : method_,
                       " is in flight"));
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected userauth message ", t));
  }
}

}  // namespace parley::auth
