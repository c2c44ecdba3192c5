// libssh2_session_*, libssh2_init/exit/version/free, keepalive, trace, and
// the parley_ session extensions; Session's engine driving.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <mutex>
#include <unordered_set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/capi/internal.h"
#include "core/crypto/algorithms.h"
#include "core/crypto/backend_loader.h"
#include "core/transport/messages.h"
#include "core/wire/writer.h"

namespace parley::capi {
namespace {

static_assert(sizeof(LIBSSH2_SSH_BANNER) == sizeof(transport::kParleyVersion),
              "LIBSSH2_SSH_BANNER must be Parley's identification string");

void* DefaultAlloc(size_t n, void** /*abstract*/) { return std::malloc(n); }
void DefaultFree(void* p, void** /*abstract*/) { std::free(p); }
void* DefaultRealloc(void* p, size_t n, void** /*abstract*/) {
  return std::realloc(p, n);
}

// Algorithm names with static storage: libssh2 returns names that outlive
// the session, and the negotiated names change at a re-key.
const char* Intern(const std::string& name) {
  static std::mutex* const mu = new std::mutex;
  static auto* const names = new std::unordered_set<std::string>;
  std::lock_guard<std::mutex> lock(*mu);
  return names->insert(name).first->c_str();
}

int HostKeyType(crypto::KeyType type) {
  switch (type) {
    case crypto::KeyType::kRsa:
      return LIBSSH2_HOSTKEY_TYPE_RSA;
    case crypto::KeyType::kEcdsaP256:
      return LIBSSH2_HOSTKEY_TYPE_ECDSA_256;
    case crypto::KeyType::kEcdsaP384:
      return LIBSSH2_HOSTKEY_TYPE_ECDSA_384;
    case crypto::KeyType::kEcdsaP521:
      return LIBSSH2_HOSTKEY_TYPE_ECDSA_521;
    case crypto::KeyType::kEd25519:
      return LIBSSH2_HOSTKEY_TYPE_ED25519;
  }
  return LIBSSH2_HOSTKEY_TYPE_UNKNOWN;
}

// Maps a backend loader error to a libssh2 code.
int BackendError(const absl::Status& s) {
  if (absl::IsNotFound(s) || absl::IsInvalidArgument(s)) {
    return LIBSSH2_ERROR_METHOD_NOT_SUPPORTED;
  }
  return LIBSSH2_ERROR_FILE;
}

// The list of `lists` that method type `t` selects, or null.
std::vector<std::string>* ListFor(crypto::AlgorithmLists& lists, int t) {
  switch (t) {
    case LIBSSH2_METHOD_KEX:
      return &lists.kex;
    case LIBSSH2_METHOD_HOSTKEY:
      return &lists.host_key;
    case LIBSSH2_METHOD_CRYPT_CS:
    case LIBSSH2_METHOD_CRYPT_SC:
      return &lists.cipher;
    case LIBSSH2_METHOD_MAC_CS:
    case LIBSSH2_METHOD_MAC_SC:
      return &lists.mac;
    default:
      return nullptr;
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Session basics

Session::Session(AllocFn alloc, FreeFn free_fn, ReallocFn realloc_fn,
                 void* abstract)
    : alloc_(alloc != nullptr ? alloc : DefaultAlloc),
      free_(free_fn != nullptr ? free_fn : DefaultFree),
      realloc_(realloc_fn != nullptr ? realloc_fn : DefaultRealloc),
      abstract_(abstract) {
  cancel_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

Session::~Session() {
  magic_ = 0;
  for (Channel* c : channels_) delete static_cast<_LIBSSH2_CHANNEL*>(c);
  channels_.clear();
  // Engines before the provider: its module may be unloaded with it.
  auth_op_ = AuthOp();
  connection_.reset();
  auth_.reset();
  driver_.reset();
  transport_.reset();
  provider_.reset();
  if (restore_flags_ != -1 && sock_ >= 0) {
    (void)fcntl(sock_, F_SETFL, restore_flags_);
  }
  for (OwnedBuffer* b : {&userauth_list_, &userauth_banner_, &server_banner_,
                         &host_key_, &host_key_sha1_, &host_key_sha256_,
                         &methods_left_, &backend_name_out_}) {
    Release(*b);
  }
  if (cancel_fd_ >= 0) close(cancel_fd_);
}

LIBSSH2_SESSION* Session::handle() {
  return static_cast<_LIBSSH2_SESSION*>(this);
}

void* Session::Alloc(size_t n) { return alloc_(n == 0 ? 1 : n, &abstract_); }

void Session::Free(void* p) {
  if (p != nullptr) free_(p, &abstract_);
}

void Session::WipeAndFree(void* p, size_t n) {
  if (p == nullptr) return;
  SecureWipe(p, n);
  free_(p, &abstract_);
}

char* Session::CopyString(absl::string_view s) {
  char* p = static_cast<char*>(Alloc(s.size() + 1));
  if (p == nullptr) return nullptr;
  if (!s.empty()) memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

bool Session::Store(OwnedBuffer& slot, absl::string_view s) {
  if (slot.data_ != nullptr && slot.size_ == s.size() &&
      memcmp(slot.data_, s.data(), s.size()) == 0) {
    return true;  // unchanged: keep the pointer the application may hold
  }
  Release(slot);
  slot.data_ = CopyString(s);
  if (slot.data_ == nullptr) return false;
  slot.size_ = s.size();
  return true;
}

void Session::Release(OwnedBuffer& slot) {
  Free(slot.data_);
  slot.data_ = nullptr;
  slot.size_ = 0;
}

int Session::SetError(int code, absl::string_view message) {
  err_code_ = code;
  try {
    err_msg_.assign(message.data(), message.size());
  } catch (...) {
    err_msg_.clear();
  }
  return code;
}

int Session::LastError(char** errmsg, int* errmsg_len, int want_buf) {
  if (errmsg != nullptr) {
    if (want_buf) {
      *errmsg = CopyString(err_msg_);
      if (*errmsg == nullptr) {
        if (errmsg_len != nullptr) *errmsg_len = 0;
        return LIBSSH2_ERROR_ALLOC;
      }
    } else {
      *errmsg = const_cast<char*>(err_msg_.c_str());
    }
  }
  if (errmsg_len != nullptr) *errmsg_len = static_cast<int>(err_msg_.size());
  return err_code_;
}

// ---------------------------------------------------------------------------
// Settings

int Session::BannerSet(const char* banner) {
  if (transport_ != nullptr) {
    return SetError(LIBSSH2_ERROR_BAD_USE,
                    "the banner must be set before the handshake");
  }
  if (banner == nullptr) {
    banner_ = transport::kParleyVersion;
    return 0;
  }
  absl::string_view b(banner);
  bool printable = true;
  for (char c : b) printable = printable && c >= 0x20 && c <= 0x7e;
  if (!absl::StartsWith(b, "SSH-2.0-") || b.size() > 253 || !printable) {
    return SetError(LIBSSH2_ERROR_INVAL,
                    "the banner must be \"SSH-2.0-...\", printable ASCII, "
                    "at most 253 characters");
  }
  banner_ = std::string(b);
  return 0;
}

const char* Session::BannerGet() {
  if (transport_ == nullptr || transport_->server_version().empty()) {
    return nullptr;
  }
  if (!Store(server_banner_, transport_->server_version())) {
    SetError(LIBSSH2_ERROR_ALLOC, "out of memory");
    return nullptr;
  }
  return server_banner_.data();
}

int Session::MethodPref(int method_type, const char* prefs) {
  if (prefs == nullptr) {
    return SetError(LIBSSH2_ERROR_INVAL, "no preference list given");
  }
  if (transport_ != nullptr) {
    return SetError(LIBSSH2_ERROR_BAD_USE,
                    "method preferences must be set before the handshake");
  }
  std::vector<std::string> wanted =
      absl::StrSplit(prefs, ',', absl::SkipWhitespace());
  for (std::string& w : wanted) {
    w = std::string(absl::StripAsciiWhitespace(w));
  }
  auto contains = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  switch (method_type) {
    case LIBSSH2_METHOD_COMP_CS:
    case LIBSSH2_METHOD_COMP_SC:
      if (contains(wanted, "none")) return 0;
      return SetError(LIBSSH2_ERROR_METHOD_NOT_SUPPORTED,
                      "Parley supports no compression (only \"none\")");
    case LIBSSH2_METHOD_LANG_CS:
    case LIBSSH2_METHOD_LANG_SC:
      return 0;
    case LIBSSH2_METHOD_SIGN_ALGO: {
      for (const std::string& w : wanted) {
        crypto::SignatureAlgorithm alg;
        if (crypto::SignatureAlgorithmFromName(w, &alg)) return 0;
      }
      return SetError(LIBSSH2_ERROR_METHOD_NOT_SUPPORTED,
                      "none of the signature algorithms is supported");
    }
    default:
      break;
  }
  crypto::AlgorithmLists known = crypto::OpenSshDefaultAlgorithms();
  std::vector<std::string>* known_list = ListFor(known, method_type);
  std::vector<std::string>* pref_list = ListFor(prefs_, method_type);
  if (known_list == nullptr || pref_list == nullptr) {
    return SetError(LIBSSH2_ERROR_INVAL,
                    "Invalid parameter specified for method_type");
  }
  std::vector<std::string> chosen;
  for (const std::string& w : wanted) {
    if (contains(*known_list, w) && !contains(chosen, w)) chosen.push_back(w);
  }
  if (chosen.empty()) {
    return SetError(LIBSSH2_ERROR_METHOD_NOT_SUPPORTED,
                    "The requested method(s) are not currently supported");
  }
  *pref_list = std::move(chosen);
  return 0;
}

const char* Session::Methods(int method_type) {
  if (transport_ == nullptr || !transport_->established()) {
    SetError(LIBSSH2_ERROR_METHOD_NONE, "no method negotiated yet");
    return nullptr;
  }
  const transport::Negotiated& n = transport_->negotiated();
  switch (method_type) {
    case LIBSSH2_METHOD_KEX:
      return Intern(n.kex);
    case LIBSSH2_METHOD_HOSTKEY:
      return Intern(n.host_key);
    case LIBSSH2_METHOD_CRYPT_CS:
      return Intern(n.cipher_c2s);
    case LIBSSH2_METHOD_CRYPT_SC:
      return Intern(n.cipher_s2c);
    case LIBSSH2_METHOD_MAC_CS:  // "" for AEAD ciphers (integrated MAC)
      return Intern(n.mac_c2s);
    case LIBSSH2_METHOD_MAC_SC:
      return Intern(n.mac_s2c);
    case LIBSSH2_METHOD_COMP_CS:
    case LIBSSH2_METHOD_COMP_SC:
      return "none";
    case LIBSSH2_METHOD_LANG_CS:
    case LIBSSH2_METHOD_LANG_SC:
      return "";
    default:
      SetError(LIBSSH2_ERROR_INVAL,
               "Invalid parameter specified for method_type");
      return nullptr;
  }
}

int Session::SupportedAlgs(int method_type, const char*** algs) {
  if (algs == nullptr) {
    return SetError(LIBSSH2_ERROR_BAD_USE, "algs must not be NULL");
  }
  std::vector<std::string> names;
  if (method_type == LIBSSH2_METHOD_COMP_CS ||
      method_type == LIBSSH2_METHOD_COMP_SC) {
    names = {"none"};
  } else {
    const crypto::CryptoProvider* p = Provider();
    if (p == nullptr) return err_code_;
    crypto::AlgorithmLists lists = p->Algorithms();
    std::vector<std::string>* list = ListFor(lists, method_type);
    if (list == nullptr) {
      return SetError(LIBSSH2_ERROR_METHOD_NOT_SUPPORTED,
                      "Unknown method type");
    }
    names = *list;
  }
  if (names.empty()) {
    return SetError(LIBSSH2_ERROR_INVAL, "no algorithms of that type");
  }
  auto** out =
      static_cast<const char**>(Alloc(names.size() * sizeof(const char*)));
  if (out == nullptr) {
    return SetError(LIBSSH2_ERROR_ALLOC,
                    "Memory allocation failed for the algorithm list");
  }
  for (size_t i = 0; i < names.size(); ++i) out[i] = Intern(names[i]);
  *algs = out;
  return static_cast<int>(names.size());
}

void Session::KeepaliveConfig(bool want_reply, unsigned interval) {
  keepalive_want_reply_ = want_reply;
  keepalive_interval_ = interval == 1 ? 2 : interval;
}

int Session::KeepaliveSend(int* seconds_to_next) {
  if (keepalive_interval_ == 0) {
    if (seconds_to_next != nullptr) *seconds_to_next = 0;
    return 0;
  }
  if (int rc = RequireConnected(); rc < 0) return rc;
  NoteIo();
  const Clock::time_point now = Clock::now();
  const Clock::time_point since = std::max(last_io_, last_keepalive_);
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::seconds>(now - since).count();
  if (elapsed < static_cast<long>(keepalive_interval_)) {
    if (seconds_to_next != nullptr) {
      *seconds_to_next = static_cast<int>(keepalive_interval_ - elapsed);
    }
    return 0;
  }
  // OpenSSH's keepalive: a global request the server answers with
  // REQUEST_FAILURE (which the connection engine accepts).
  Bytes msg;
  msg.reserve(64);  // also keeps GCC 12 -O2 from a false stringop-overflow
  wire::Writer w(&msg);
  w.WriteU8(transport::kMsgGlobalRequest);
  w.WriteString(absl::string_view("keepalive@openssh.com"));
  w.WriteBool(keepalive_want_reply_);
  absl::Status s = transport_->Send(msg);
  if (!s.ok()) {
    FailTransport(s);
    return SetError(LIBSSH2_ERROR_SOCKET_SEND, err_msg_);
  }
  last_keepalive_ = now;
  if (int rc = PumpOnce(); rc < 0) {
    return SetError(LIBSSH2_ERROR_SOCKET_SEND, err_msg_);
  }
  if (seconds_to_next != nullptr) {
    *seconds_to_next = static_cast<int>(keepalive_interval_);
  }
  return 0;
}

const crypto::CryptoProvider* Session::Provider() {
  if (provider_ == nullptr) {
    auto p = crypto::LoadDefaultCryptoBackend();
    if (!p.ok()) {
      SetError(BackendError(p.status()), p.status().message());
      return nullptr;
    }
    provider_ = *std::move(p);
  }
  return provider_.get();
}

int Session::SetCryptoBackend(const char* name) {
  if (name == nullptr) {
    return SetError(LIBSSH2_ERROR_INVAL, "no backend name given");
  }
  if (transport_ != nullptr) {
    return SetError(LIBSSH2_ERROR_BAD_USE,
                    "the crypto backend must be chosen before the handshake");
  }
  auto p = crypto::LoadCryptoBackend(name);
  if (!p.ok()) return SetError(BackendError(p.status()), p.status().message());
  provider_ = *std::move(p);
  return 0;
}

const char* Session::CryptoBackendName() {
  std::string name;
  if (provider_ != nullptr) {
    name = std::string(provider_->name());
  } else {
    const char* env = std::getenv(crypto::kBackendEnvVar);
    name = env != nullptr && *env != '\0' ? env : crypto::kDefaultBackend;
  }
  if (!Store(backend_name_out_, name)) {
    SetError(LIBSSH2_ERROR_ALLOC, "out of memory");
    return nullptr;
  }
  return backend_name_out_.data();
}

// ---------------------------------------------------------------------------
// Transport

int Session::Handshake(int sock) {
  if (sock < 0)
    return SetError(LIBSSH2_ERROR_BAD_SOCKET, "Bad socket provided");
  if (transport_ == nullptr) {
    if (Provider() == nullptr) return err_code_;
    const int flags = fcntl(sock, F_GETFL);
    if (flags < 0) {
      return SetError(LIBSSH2_ERROR_BAD_SOCKET,
                      absl::StrCat("Bad socket provided: ", strerror(errno)));
    }
    if ((flags & O_NONBLOCK) == 0) {
      if (fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0) {
        return SetError(LIBSSH2_ERROR_BAD_SOCKET,
                        absl::StrCat("cannot make the socket non-blocking: ",
                                     strerror(errno)));
      }
      restore_flags_ = flags;
    }
    sock_ = sock;
    transport::TransportOptions options;
    options.provider = provider_;
    options.algorithms = prefs_;
    // libssh2 semantics: the application checks the host key after the
    // handshake (libssh2_session_hostkey + libssh2_knownhost_checkp).
    options.verify_host_key = [](const transport::HostKeyInfo&) {
      return absl::OkStatus();
    };
    options.client_version = banner_;
    transport_ = std::make_unique<transport::Transport>(std::move(options));
    driver_ = std::make_unique<transport::SocketDriver>(sock, transport_.get());
    auth_ = std::make_unique<auth::UserAuth>(transport_.get());
    connection_ = std::make_unique<channel::Connection>(transport_.get());
    last_io_ = last_keepalive_ = Clock::now();
    absl::Status s = transport_->Start();
    if (!s.ok()) return FailTransport(s);
  } else if (sock != sock_) {
    return SetError(LIBSSH2_ERROR_BAD_USE,
                    "the handshake already started on another socket");
  }
  return Run(
      [this] { return transport_->established() ? kStepDone : kStepWait; },
      "exchanging keys");
}

int Session::RequireConnected() {
  if (transport_ == nullptr) {
    return SetError(LIBSSH2_ERROR_BAD_USE,
                    "the session has not done its handshake");
  }
  if (!transport_->established()) {
    return SetError(LIBSSH2_ERROR_BAD_USE,
                    "the session's handshake has not completed");
  }
  return 0;
}

size_t Session::pending_output() const {
  return transport_ == nullptr ? 0 : transport_->output().size();
}

void Session::NoteIo() {
  if (driver_ == nullptr) return;
  const uint64_t total = driver_->bytes_read() + driver_->bytes_written();
  if (total != io_bytes_seen_) {
    io_bytes_seen_ = total;
    last_io_ = Clock::now();
  }
}

int Session::FailTransport(const absl::Status& status) {
  int code = LIBSSH2_ERROR_PROTO;
  const absl::string_view msg = status.message();
  if (transport_ != nullptr && transport_->server_disconnect().has_value()) {
    code = LIBSSH2_ERROR_SOCKET_DISCONNECT;
  } else if (absl::IsUnavailable(status)) {
    // SocketDriver's wording (socket_driver.cc).
    if (absl::StartsWith(msg, "send failed")) {
      code = LIBSSH2_ERROR_SOCKET_SEND;
    } else if (absl::StartsWith(msg, "recv failed")) {
      code = LIBSSH2_ERROR_SOCKET_RECV;
    } else {
      code = LIBSSH2_ERROR_SOCKET_DISCONNECT;
    }
  } else if (absl::IsCancelled(status)) {
    code = LIBSSH2_ERROR_SOCKET_DISCONNECT;  // we disconnected
  } else if (transport_ != nullptr && !transport_->established()) {
    code = transport_->server_version().empty() ? LIBSSH2_ERROR_BANNER_RECV
                                                : LIBSSH2_ERROR_KEX_FAILURE;
  } else if (absl::IsDataLoss(status)) {
    code = LIBSSH2_ERROR_INVALID_MAC;
  } else if (absl::IsDeadlineExceeded(status)) {
    code = LIBSSH2_ERROR_TIMEOUT;
  } else if (absl::IsResourceExhausted(status)) {
    code = LIBSSH2_ERROR_ALLOC;
  }
  return SetError(code, msg);
}

int Session::Dispatch() {
  Bytes msg;
  while (transport_->Receive(&msg)) {
    absl::Status s;
    if (msg.empty()) {
      s = absl::InvalidArgumentError("empty message");
    } else if (auth::UserAuth::Owns(msg[0])) {
      s = auth_->Handle(msg);
    } else if (channel::Connection::Owns(msg[0])) {
      s = connection_->Handle(msg);
    } else {
      s = absl::InvalidArgumentError(
          absl::StrCat("unexpected message ", msg[0]));
    }
    if (!s.ok()) {
      transport_->Disconnect(transport::kDisconnectProtocolError, s.message());
      (void)driver_->Pump();  // let the DISCONNECT go if it can
      return SetError(LIBSSH2_ERROR_PROTO, s.message());
    }
  }
  ReapClosedChannels();
  return 0;
}

int Session::PumpOnce() {
  absl::Status s = driver_->Pump();
  NoteIo();
  if (!s.ok()) return FailTransport(s);
  return Dispatch();
}

int Session::Run(const std::function<int()>& step, absl::string_view what) {
  const Clock::time_point start = Clock::now();
  wait_timed_out_ = false;
  // A condition that already holds (say the CLOSE arrived during an earlier
  // call) needs no I/O, which might only report the peer's TCP close.
  if (int rc = step(); rc != kStepWait) return rc == kStepDone ? 0 : rc;
  while (true) {
    absl::Status s = driver_->Pump();
    NoteIo();
    if (!s.ok()) return FailTransport(s);
    if (int rc = Dispatch(); rc < 0) return rc;
    const int rc = step();
    if (rc == kStepDone) {
      // Send what the step queued now if the socket takes it; a failure
      // shows at the next call.
      if (transport_->has_output()) {
        (void)driver_->Pump();
        NoteIo();
      }
      return 0;
    }
    if (rc != kStepWait) return rc;
    const int wants = driver_->wants();
    if (transport_->has_output() && (wants & transport::kWaitWrite) == 0) {
      continue;  // the step queued output: write it first
    }
    if (wants == transport::kWaitNone) continue;  // progress possible
    block_directions_ =
        ((wants & transport::kWaitRead) ? LIBSSH2_SESSION_BLOCK_INBOUND : 0) |
        ((wants & transport::kWaitWrite) ? LIBSSH2_SESSION_BLOCK_OUTBOUND : 0);
    if (!blocking_) {
      return SetError(LIBSSH2_ERROR_EAGAIN, absl::StrCat("Would block ", what));
    }
    if (int w = WaitSocket(wants, start); w < 0) return w;
  }
}

int Session::WaitSocket(int wants, Clock::time_point call_start) {
  const Clock::time_point now = Clock::now();
  int ms = -1;
  if (timeout_ms_ > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        call_start + std::chrono::milliseconds(timeout_ms_) - now);
    if (left.count() <= 0) {
      wait_timed_out_ = true;
      return SetError(LIBSSH2_ERROR_TIMEOUT, "Timed out waiting on socket");
    }
    ms = static_cast<int>(std::min<int64_t>(left.count(), INT_MAX));
  }
  if (wake_at_.has_value()) {
    // Wake up for a keyboard-interactive deadline (1 ms late, so that it
    // has passed).
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(*wake_at_ - now)
            .count() +
        1;
    const int wake = static_cast<int>(
        std::max<int64_t>(0, std::min<int64_t>(left, INT_MAX)));
    ms = ms < 0 ? wake : std::min(ms, wake);
  }
  pollfd fds[2] = {};
  fds[0].fd = sock_;
  if (wants & transport::kWaitRead) fds[0].events |= POLLIN;
  if (wants & transport::kWaitWrite) fds[0].events |= POLLOUT;
  nfds_t nfds = 1;
  if (cancel_fd_ >= 0) {
    fds[1].fd = cancel_fd_;
    fds[1].events = POLLIN;
    nfds = 2;
  }
  const int n = poll(fds, nfds, ms);
  if (n < 0) {
    if (errno == EINTR) return 0;
    return SetError(LIBSSH2_ERROR_BAD_SOCKET,
                    absl::StrCat("poll failed: ", strerror(errno)));
  }
  if (nfds == 2 && (fds[1].revents & POLLIN) != 0) {
    uint64_t v;
    (void)!read(cancel_fd_, &v, sizeof(v));
  }
  return 0;
}

int Session::Disconnect(int reason, const char* description) {
  if (transport_ == nullptr) return 0;
  if (!disconnect_sent_) {
    disconnect_sent_ = true;
    if (!transport_->closed()) {
      transport_->Disconnect(static_cast<uint32_t>(reason),
                             description != nullptr ? description : "");
    }
  }
  return FlushDisconnect();
}

int Session::FlushDisconnect() {
  const Clock::time_point start = Clock::now();
  wait_timed_out_ = false;
  while (transport_->has_output()) {
    absl::Status s = driver_->Pump();
    if (!transport_->has_output()) break;
    if ((driver_->wants() & transport::kWaitWrite) == 0) {
      // Not waiting for the socket: the send failed.
      return SetError(
          LIBSSH2_ERROR_SOCKET_SEND,
          s.ok() ? "cannot send the disconnect message" : s.message());
    }
    block_directions_ = LIBSSH2_SESSION_BLOCK_OUTBOUND;
    if (!blocking_) {
      return SetError(LIBSSH2_ERROR_EAGAIN, "Would block sending disconnect");
    }
    if (int w = WaitSocket(transport::kWaitWrite, start); w < 0) return w;
  }
  return 0;
}

const char* Session::HostKey(size_t* len, int* type) {
  if (transport_ == nullptr || !transport_->established()) {
    SetError(LIBSSH2_ERROR_BAD_USE, "no host key before the handshake");
    return nullptr;
  }
  const transport::HostKeyInfo& hk = transport_->host_key();
  if (!Store(host_key_, AsString(hk.blob))) {
    SetError(LIBSSH2_ERROR_ALLOC, "out of memory");
    return nullptr;
  }
  if (len != nullptr) *len = host_key_.size();
  if (type != nullptr) *type = HostKeyType(hk.key.type);
  return host_key_.data();
}

const char* Session::HostKeyHash(int hash_type) {
  if (transport_ == nullptr || !transport_->established()) return nullptr;
  crypto::HashAlgorithm alg;
  OwnedBuffer* slot;
  switch (hash_type) {
    case LIBSSH2_HOSTKEY_HASH_SHA1:
      alg = crypto::HashAlgorithm::kSha1;
      slot = &host_key_sha1_;
      break;
    case LIBSSH2_HOSTKEY_HASH_SHA256:
      alg = crypto::HashAlgorithm::kSha256;
      slot = &host_key_sha256_;
      break;
    case LIBSSH2_HOSTKEY_HASH_MD5:
      SetError(LIBSSH2_ERROR_METHOD_NOT_SUPPORTED,
               "MD5 host key hashes are not available in Parley");
      return nullptr;
    default:
      SetError(LIBSSH2_ERROR_INVAL, "unknown host key hash type");
      return nullptr;
  }
  auto digest =
      crypto::Digest(transport_->provider(), alg, transport_->host_key().blob);
  if (!digest.ok()) {
    SetError(LIBSSH2_ERROR_HASH_CALC, digest.status().message());
    return nullptr;
  }
  if (!Store(*slot, AsString(*digest))) {
    SetError(LIBSSH2_ERROR_ALLOC, "out of memory");
    return nullptr;
  }
  return slot->data();
}

absl::StatusOr<std::string> ReadRegularFile(const char* path,
                                            size_t max_bytes) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return absl::NotFoundError(
        absl::StrCat("Unable to open ", path, ": ", strerror(errno)));
  }
  struct stat st;
  std::string out;
  absl::Status status;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    status = absl::InvalidArgumentError(
        absl::StrCat(path, " is not a regular file"));
  } else if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    status = absl::InvalidArgumentError(absl::StrCat(path, " is too large"));
  } else {
    out.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    out.resize(done);
  }
  ::close(fd);
  if (!status.ok()) return status;
  return out;
}

}  // namespace parley::capi

// ---------------------------------------------------------------------------
// The C API

using parley::capi::Guarded;
using parley::capi::Session;

using parley::capi::ValidSession;

extern "C" {

int libssh2_init(int /*flags*/) { return 0; }

void libssh2_exit(void) {}

void libssh2_free(LIBSSH2_SESSION* session, void* ptr) {
  Session* s = ValidSession(session);
  if (s == nullptr || ptr == nullptr) return;
  s->Free(ptr);
}

const char* libssh2_version(int req_version_num) {
  return req_version_num <= LIBSSH2_VERSION_NUM ? LIBSSH2_VERSION : nullptr;
}

LIBSSH2_SESSION* libssh2_session_init_ex(LIBSSH2_ALLOC_FUNC((*my_alloc)),
                                         LIBSSH2_FREE_FUNC((*my_free)),
                                         LIBSSH2_REALLOC_FUNC((*my_realloc)),
                                         void* abstract) {
  return Guarded<LIBSSH2_SESSION*>(nullptr, nullptr, [&] {
    return new (std::nothrow)
        _LIBSSH2_SESSION(my_alloc, my_free, my_realloc, abstract);
  });
}

void** libssh2_session_abstract(LIBSSH2_SESSION* session) {
  Session* s = ValidSession(session);
  return s == nullptr ? nullptr : s->abstract();
}

int libssh2_session_banner_set(LIBSSH2_SESSION* session, const char* banner) {
  Session* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(s, LIBSSH2_ERROR_ALLOC, [&] { return s->BannerSet(banner); });
}

int libssh2_banner_set(LIBSSH2_SESSION* session, const char* banner) {
  return libssh2_session_banner_set(session, banner);
}

const char* libssh2_session_banner_get(LIBSSH2_SESSION* session) {
  Session* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  return Guarded<const char*>(s, nullptr, [&] { return s->BannerGet(); });
}

int libssh2_session_handshake(LIBSSH2_SESSION* session, libssh2_socket_t sock) {
  Session* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(s, LIBSSH2_ERROR_ALLOC, [&] { return s->Handshake(sock); });
}

int libssh2_session_startup(LIBSSH2_SESSION* session, int sock) {
  return libssh2_session_handshake(session, sock);
}

int libssh2_session_disconnect_ex(LIBSSH2_SESSION* session, int reason,
                                  const char* description,
                                  const char* /*lang*/) {
  Session* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(s, LIBSSH2_ERROR_ALLOC,
                 [&] { return s->Disconnect(reason, description); });
}

int libssh2_session_free(LIBSSH2_SESSION* session) {
  if (ValidSession(session) == nullptr) return LIBSSH2_ERROR_BAD_USE;
  delete session;
  return 0;
}

const char* libssh2_hostkey_hash(LIBSSH2_SESSION* session, int hash_type) {
  Session* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  return Guarded<const char*>(s, nullptr,
                              [&] { return s->HostKeyHash(hash_type); });
}

const char* libssh2_session_hostkey(LIBSSH2_SESSION* session, size_t* len,
                                    int* type) {
  if (len != nullptr) *len = 0;
  if (type != nullptr) *type = LIBSSH2_HOSTKEY_TYPE_UNKNOWN;
  Session* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  return Guarded<const char*>(s, nullptr,
                              [&] { return s->HostKey(len, type); });
}

int libssh2_session_method_pref(LIBSSH2_SESSION* session, int method_type,
                                const char* prefs) {
  Session* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(s, LIBSSH2_ERROR_ALLOC,
                 [&] { return s->MethodPref(method_type, prefs); });
}

const char* libssh2_session_methods(LIBSSH2_SESSION* session, int method_type) {
  Session* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  return Guarded<const char*>(s, nullptr,
                              [&] { return s->Methods(method_type); });
}

int libssh2_session_supported_algs(LIBSSH2_SESSION* session, int method_type,
                                   const char*** algs) {
  Session* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(s, LIBSSH2_ERROR_ALLOC,
                 [&] { return s->SupportedAlgs(method_type, algs); });
}

int libssh2_session_last_error(LIBSSH2_SESSION* session, char** errmsg,
                               int* errmsg_len, int want_buf) {
  Session* s = ValidSession(session);
  if (s == nullptr) {
    if (errmsg != nullptr) *errmsg = nullptr;
    if (errmsg_len != nullptr) *errmsg_len = 0;
    return LIBSSH2_ERROR_BAD_USE;
  }
  return s->LastError(errmsg, errmsg_len, want_buf);
}

int libssh2_session_last_errno(LIBSSH2_SESSION* session) {
  Session* s = ValidSession(session);
  return s == nullptr ? LIBSSH2_ERROR_BAD_USE : s->last_errno();
}

int libssh2_session_set_last_error(LIBSSH2_SESSION* session, int errcode,
                                   const char* errmsg) {
  Session* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return s->SetError(errcode, errmsg != nullptr ? errmsg : "");
}

int libssh2_session_block_directions(LIBSSH2_SESSION* session) {
  Session* s = ValidSession(session);
  return s == nullptr ? 0 : s->block_directions();
}

int libssh2_session_flag(LIBSSH2_SESSION* session, int flag, int /*value*/) {
  Session* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  switch (flag) {
    case LIBSSH2_FLAG_SIGPIPE:   // Parley sends with MSG_NOSIGNAL anyway
    case LIBSSH2_FLAG_COMPRESS:  // accepted; Parley negotiates "none"
    case LIBSSH2_FLAG_QUOTE_PATHS:
      return 0;
    default:
      return s->SetError(LIBSSH2_ERROR_INVAL, "unknown session flag");
  }
}

void libssh2_session_set_blocking(LIBSSH2_SESSION* session, int blocking) {
  if (Session* s = ValidSession(session)) s->set_blocking(blocking != 0);
}

int libssh2_session_get_blocking(LIBSSH2_SESSION* session) {
  Session* s = ValidSession(session);
  return s != nullptr && s->blocking() ? 1 : 0;
}

void libssh2_session_set_timeout(LIBSSH2_SESSION* session, long timeout) {
  if (Session* s = ValidSession(session)) s->set_timeout_ms(timeout);
}

long libssh2_session_get_timeout(LIBSSH2_SESSION* session) {
  Session* s = ValidSession(session);
  return s == nullptr ? 0 : s->timeout_ms();
}

int libssh2_trace(LIBSSH2_SESSION* session, int /*bitmask*/) {
  return ValidSession(session) == nullptr ? LIBSSH2_ERROR_BAD_USE : 0;
}

void libssh2_keepalive_config(LIBSSH2_SESSION* session, int want_reply,
                              unsigned int interval) {
  if (Session* s = ValidSession(session))
    s->KeepaliveConfig(want_reply != 0, interval);
}

int libssh2_keepalive_send(LIBSSH2_SESSION* session, int* seconds_to_next) {
  Session* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(s, LIBSSH2_ERROR_ALLOC,
                 [&] { return s->KeepaliveSend(seconds_to_next); });
}

// --- parley_ extensions -----------------------------------------------------

const char* parley_version(void) {
  return "Parley " PARLEY_VERSION " (libssh2 " LIBSSH2_VERSION " API)";
}

int parley_session_set_crypto_backend(LIBSSH2_SESSION* session,
                                      const char* name) {
  Session* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(s, LIBSSH2_ERROR_ALLOC,
                 [&] { return s->SetCryptoBackend(name); });
}

const char* parley_session_crypto_backend(LIBSSH2_SESSION* session) {
  Session* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  return Guarded<const char*>(s, nullptr,
                              [&] { return s->CryptoBackendName(); });
}

}  // extern "C"
