// libssh2_session_*, libssh2_init/exit/version/free, keepalive, trace, and
// the parley_ session extensions; SessionHandle's engine driving and the
// table from engine errors to libssh2 codes.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/auth/kbdint.h"
#include "core/base/base64.h"
#include "core/base/error.h"
#include "core/capi/internal.h"
#include "core/crypto/algorithms.h"
#include "core/crypto/backend_loader.h"
#include "core/net/tcp.h"
#include "core/transport/messages.h"

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
// What libssh2_session_method_pref accepts and supported_algs lists: the
// backend's algorithms (OpenSSH's defaults when none is loaded yet), then
// the legacy ones, which are used only when named.
crypto::AlgorithmLists SupportedAlgorithms(const crypto::CryptoProvider* p) {
  crypto::AlgorithmLists lists =
      p != nullptr ? p->Algorithms() : crypto::OpenSshDefaultAlgorithms();
  const crypto::AlgorithmLists legacy = crypto::LegacyAlgorithms();
  lists.kex.insert(lists.kex.end(), legacy.kex.begin(), legacy.kex.end());
  lists.host_key.insert(lists.host_key.end(), legacy.host_key.begin(),
                        legacy.host_key.end());
  lists.cipher.insert(lists.cipher.end(), legacy.cipher.begin(),
                      legacy.cipher.end());
  lists.mac.insert(lists.mac.end(), legacy.mac.begin(), legacy.mac.end());
  return lists;
}

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

// The backend name libssh2 programs get without choosing one.
std::string DefaultBackendName() {
  const char* env = std::getenv(crypto::kBackendEnvVar);
  return env != nullptr && *env != '\0' ? env : crypto::kDefaultBackend;
}

struct SharedBackends {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<const crypto::CryptoProvider>> loaded;
};

SharedBackends& Backends() {
  static auto* const b = new SharedBackends;
  return *b;
}

}  // namespace

// ---------------------------------------------------------------------------
// The one table from engine errors to libssh2 codes.

int LibsshCode(const absl::Status& status, bool handshake_done,
               bool banner_received) {
  switch (KindOf(status)) {
    case ErrorKind::kSendFailed:
      return LIBSSH2_ERROR_SOCKET_SEND;
    case ErrorKind::kRecvFailed:
      return LIBSSH2_ERROR_SOCKET_RECV;
    case ErrorKind::kConnectionClosed:
    case ErrorKind::kServerDisconnect:
    case ErrorKind::kLocalDisconnect:
    case ErrorKind::kConnectFailed:
      return LIBSSH2_ERROR_SOCKET_DISCONNECT;
    case ErrorKind::kCancelled:
      return PARLEY_ERROR_CANCELLED;
    case ErrorKind::kDeadline:
      return PARLEY_ERROR_DEADLINE;
    case ErrorKind::kRoundLimit:
      return PARLEY_ERROR_ROUND_LIMIT;
    case ErrorKind::kAuthDenied:
      return LIBSSH2_ERROR_AUTHENTICATION_FAILED;
    case ErrorKind::kRefused:
      return LIBSSH2_ERROR_CHANNEL_FAILURE;
    case ErrorKind::kResourceLimit:
      return LIBSSH2_ERROR_ALLOC;
    case ErrorKind::kBadUse:
      return LIBSSH2_ERROR_BAD_USE;
    case ErrorKind::kUnsupported:
      return LIBSSH2_ERROR_METHOD_NOT_SUPPORTED;
    case ErrorKind::kHostKeyRejected:
      return LIBSSH2_ERROR_KNOWN_HOSTS;
    case ErrorKind::kVersionExchange:
      return LIBSSH2_ERROR_BANNER_RECV;
    case ErrorKind::kKeyExchange:
      return LIBSSH2_ERROR_KEX_FAILURE;
    case ErrorKind::kIntegrity:
    case ErrorKind::kProtocol:
    case ErrorKind::kUnclassified:
      break;
  }
  // Whatever breaks the handshake is a banner or key exchange failure for
  // libssh2 programs.
  if (!handshake_done) {
    return banner_received ? LIBSSH2_ERROR_KEX_FAILURE
                           : LIBSSH2_ERROR_BANNER_RECV;
  }
  return KindOf(status) == ErrorKind::kIntegrity ? LIBSSH2_ERROR_INVALID_MAC
                                                 : LIBSSH2_ERROR_PROTO;
}

absl::StatusOr<std::shared_ptr<const crypto::CryptoProvider>> SharedBackend(
    const std::string& name) {
  SharedBackends& b = Backends();
  std::lock_guard<std::mutex> lock(b.mu);
  auto it = b.loaded.find(name);
  if (it != b.loaded.end()) return it->second;
  auto p = crypto::LoadCryptoBackend(name);
  if (!p.ok()) return p.status();
  b.loaded[name] = *p;
  return *p;
}

void ReleaseSharedBackends() {
  SharedBackends& b = Backends();
  std::map<std::string, std::shared_ptr<const crypto::CryptoProvider>> gone;
  {
    std::lock_guard<std::mutex> lock(b.mu);
    gone.swap(b.loaded);
  }
  // Sessions still alive keep their module; the rest unload here.
}

// ---------------------------------------------------------------------------
// SessionHandle basics

SessionHandle::SessionHandle(AllocFn alloc, FreeFn free_fn,
                             ReallocFn realloc_fn, void* abstract)
    : alloc_(alloc != nullptr ? alloc : DefaultAlloc),
      free_(free_fn != nullptr ? free_fn : DefaultFree),
      realloc_(realloc_fn != nullptr ? realloc_fn : DefaultRealloc),
      abstract_(abstract) {}

SessionHandle::~SessionHandle() {
  magic_ = 0;
  for (ChannelHandle* c : channels_) delete static_cast<_LIBSSH2_CHANNEL*>(c);
  channels_.clear();
  for (ListenerHandle* l : listeners_) {
    delete static_cast<_LIBSSH2_LISTENER*>(l);
  }
  listeners_.clear();
  // The engine before the provider: its module may be unloaded with it.
  engine_ptr_.store(nullptr);
  driver_.reset();
  engine_.reset();
  responders_.reset();  // holds the callback responder
  kbdint_responder_.reset();
  provider_.reset();
  if (restore_flags_ != -1 && sock_ >= 0) {
    (void)fcntl(sock_, F_SETFL, restore_flags_);
  }
  for (OwnedBuffer* b :
       {&userauth_list_, &userauth_banner_, &server_banner_, &host_key_,
        &host_key_md5_, &host_key_sha1_, &host_key_sha256_, &methods_left_,
        &backend_name_out_}) {
    Release(*b);
  }
}

LIBSSH2_SESSION* SessionHandle::handle() {
  return static_cast<_LIBSSH2_SESSION*>(this);
}

void* SessionHandle::Alloc(size_t n) {
  return alloc_(n == 0 ? 1 : n, &abstract_);
}

void SessionHandle::Free(void* p) {
  if (p != nullptr) free_(p, &abstract_);
}

void SessionHandle::WipeAndFree(void* p, size_t n) {
  if (p == nullptr) return;
  SecureWipe(p, n);
  free_(p, &abstract_);
}

char* SessionHandle::CopyString(absl::string_view s) {
  char* p = static_cast<char*>(Alloc(s.size() + 1));
  if (p == nullptr) return nullptr;
  if (!s.empty()) memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

bool SessionHandle::Store(OwnedBuffer& slot, absl::string_view s) {
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

void SessionHandle::Release(OwnedBuffer& slot) {
  Free(slot.data_);
  slot.data_ = nullptr;
  slot.size_ = 0;
}

void SessionHandle::Trace(int layer, absl::string_view message) {
  if ((trace_mask_ & layer) == 0) return;
  const char* name = layer == LIBSSH2_TRACE_TRANS   ? "Transport"
                     : layer == LIBSSH2_TRACE_KEX   ? "Key Ex"
                     : layer == LIBSSH2_TRACE_AUTH  ? "Userauth"
                     : layer == LIBSSH2_TRACE_CONN  ? "Conn"
                     : layer == LIBSSH2_TRACE_ERROR ? "Failure Event"
                                                    : "Parley";
  std::string line;
  try {
    line = absl::StrCat("[parley] ", name, ": ", message);
  } catch (...) {
    return;
  }
  if (trace_handler_ != nullptr) {
    trace_handler_(handle(), trace_context_, line.data(), line.size());
    return;
  }
  line.push_back('\n');
  (void)!fwrite(line.data(), 1, line.size(), stderr);
}

int SessionHandle::SetError(int code, absl::string_view message) {
  if (code != 0) {
    Trace(LIBSSH2_TRACE_ERROR, absl::StrCat(code, " - ", message));
  }
  err_code_ = code;
  try {
    err_msg_.assign(message.data(), message.size());
  } catch (...) {
    err_msg_.clear();
  }
  return code;
}

SessionHandle::GenericCallback SessionHandle::SetCallback(
    int cbtype, GenericCallback callback) {
  GenericCallback* slot = nullptr;
  switch (cbtype) {
    case LIBSSH2_CALLBACK_IGNORE:
      slot = &ignore_cb_;
      break;
    case LIBSSH2_CALLBACK_DEBUG:
      slot = &debug_cb_;
      break;
    case LIBSSH2_CALLBACK_DISCONNECT:
      slot = &disconnect_cb_;
      break;
    case LIBSSH2_CALLBACK_MACERROR:
      slot = &macerror_cb_;
      break;
    case LIBSSH2_CALLBACK_X11:
      slot = &x11_cb_;
      break;
    case LIBSSH2_CALLBACK_SEND:
      slot = &send_cb_;
      break;
    case LIBSSH2_CALLBACK_RECV:
      slot = &recv_cb_;
      break;
    default:
      SetError(LIBSSH2_ERROR_METHOD_NOT_SUPPORTED,
               absl::StrCat("callback type ", cbtype,
                            " is not supported by Parley"));
      return nullptr;
  }
  GenericCallback previous = *slot;
  *slot = callback;
  if (cbtype == LIBSSH2_CALLBACK_SEND || cbtype == LIBSSH2_CALLBACK_RECV) {
    InstallIo();
  }
  return previous;
}

void SessionHandle::InstallIo() {
  if (driver_ == nullptr) return;
  session::SocketIo io;
  // libssh2's I/O callbacks: bytes moved, or -errno (-EAGAIN to wait).
  if (send_cb_ != nullptr) {
    auto fn = reinterpret_cast<LIBSSH2_SEND_FUNC((*))>(send_cb_);
    io.send = [this, fn](int fd, const uint8_t* data, size_t size) {
      return fn(fd, data, size, MSG_NOSIGNAL, abstract());
    };
  }
  if (recv_cb_ != nullptr) {
    auto fn = reinterpret_cast<LIBSSH2_RECV_FUNC((*))>(recv_cb_);
    io.recv = [this, fn](int fd, uint8_t* buf, size_t size) {
      return fn(fd, buf, size, 0, abstract());
    };
  }
  driver_->set_io(std::move(io));
}

int SessionHandle::Fail(const absl::Status& status) {
  if (KindOf(status) == ErrorKind::kIntegrity && macerror_cb_ != nullptr) {
    // libssh2 lets the callback accept the packet (return 0); Parley never
    // takes a packet that failed its MAC or tag, and has no packet to show.
    (void)reinterpret_cast<LIBSSH2_MACERROR_FUNC((*))>(macerror_cb_)(
        handle(), nullptr, 0, abstract());
  }
  const bool handshake_done = engine_ != nullptr && engine_->established();
  const bool banner =
      engine_ != nullptr && !engine_->transport().server_version().empty();
  return SetError(LibsshCode(status, handshake_done, banner), status.message());
}

int SessionHandle::LastError(char** errmsg, int* errmsg_len, int want_buf) {
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

int SessionHandle::BannerSet(const char* banner) {
  if (engine_ != nullptr) {
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

const char* SessionHandle::BannerGet() {
  if (engine_ == nullptr || engine_->transport().server_version().empty()) {
    return nullptr;
  }
  if (!Store(server_banner_, engine_->transport().server_version())) {
    SetError(LIBSSH2_ERROR_ALLOC, "out of memory");
    return nullptr;
  }
  return server_banner_.data();
}

int SessionHandle::MethodPref(int method_type, const char* prefs) {
  if (prefs == nullptr) {
    return SetError(LIBSSH2_ERROR_INVAL, "no preference list given");
  }
  // Signature algorithms apply at authentication: they may change later.
  if (engine_ != nullptr && method_type != LIBSSH2_METHOD_SIGN_ALGO) {
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
      // The user-key signature algorithms to offer, in order (ssh-rsa,
      // SHA-1, only when named).
      std::vector<crypto::SignatureAlgorithm> algs;
      for (const std::string& w : wanted) {
        crypto::SignatureAlgorithm alg;
        if (crypto::SignatureAlgorithmFromName(w, &alg) &&
            std::find(algs.begin(), algs.end(), alg) == algs.end()) {
          algs.push_back(alg);
        }
      }
      if (algs.empty()) {
        return SetError(LIBSSH2_ERROR_METHOD_NOT_SUPPORTED,
                        "none of the signature algorithms is supported");
      }
      sign_algorithms_ = std::move(algs);
      return 0;
    }
    default:
      break;
  }
  crypto::AlgorithmLists known = SupportedAlgorithms(nullptr);
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

const char* SessionHandle::Methods(int method_type) {
  if (engine_ == nullptr || !engine_->established()) {
    SetError(LIBSSH2_ERROR_METHOD_NONE, "no method negotiated yet");
    return nullptr;
  }
  const transport::Negotiated& n = engine_->transport().negotiated();
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

int SessionHandle::SupportedAlgs(int method_type, const char*** algs) {
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
    crypto::AlgorithmLists lists = SupportedAlgorithms(p);
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

void SessionHandle::KeepaliveConfig(bool want_reply, unsigned interval) {
  keepalive_want_reply_ = want_reply;
  keepalive_interval_ = interval == 1 ? 2 : interval;
}

int SessionHandle::KeepaliveSend(int* seconds_to_next) {
  if (keepalive_interval_ == 0) {
    if (seconds_to_next != nullptr) *seconds_to_next = 0;
    return 0;
  }
  if (int rc = RequireConnected(); rc < 0) return rc;
  NoteIo();
  const TimePoint now = Clock::now();
  const TimePoint since = std::max(last_io_, last_keepalive_);
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
  channel::Connection& conn = engine_->connection();
  absl::StatusOr<uint64_t> token =
      conn.SendGlobalRequest("keepalive@openssh.com", keepalive_want_reply_);
  if (token.ok() && *token != 0) conn.AbandonGlobalReply(*token);
  if (!token.ok()) {
    Fail(token.status());
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

const crypto::CryptoProvider* SessionHandle::Provider() {
  if (provider_ == nullptr) {
    auto p = SharedBackend(DefaultBackendName());
    if (!p.ok()) {
      SetError(BackendError(p.status()), p.status().message());
      return nullptr;
    }
    provider_ = *std::move(p);
  }
  return provider_.get();
}

int SessionHandle::SetCryptoBackend(const char* name) {
  if (name == nullptr) {
    return SetError(LIBSSH2_ERROR_INVAL, "no backend name given");
  }
  if (engine_ != nullptr) {
    return SetError(LIBSSH2_ERROR_BAD_USE,
                    "the crypto backend must be chosen before the handshake");
  }
  auto p = SharedBackend(name);
  if (!p.ok()) return SetError(BackendError(p.status()), p.status().message());
  provider_ = *std::move(p);
  return 0;
}

const char* SessionHandle::CryptoBackendName() {
  const std::string name = provider_ != nullptr ? std::string(provider_->name())
                                                : DefaultBackendName();
  if (!Store(backend_name_out_, name)) {
    SetError(LIBSSH2_ERROR_ALLOC, "out of memory");
    return nullptr;
  }
  return backend_name_out_.data();
}

// ---------------------------------------------------------------------------
// Transport

int SessionHandle::Handshake(int sock) {
  if (sock < 0)
    return SetError(LIBSSH2_ERROR_BAD_SOCKET, "Bad socket provided");
  if (engine_ == nullptr) {
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
    session::EngineOptions options;
    options.provider = provider_;
    options.algorithms = prefs_;
    // libssh2 semantics: the application checks the host key after the
    // handshake (libssh2_session_hostkey + libssh2_knownhost_checkp).
    options.check_host_key =
        [](const transport::HostKeyInfo&,
           session::HostKeyTicket) -> absl::optional<absl::Status> {
      return absl::OkStatus();
    };
    options.client_version = banner_;
    options.on_packet = [this](bool sent, uint8_t type, size_t size) {
      const int layer = type < 20   ? LIBSSH2_TRACE_TRANS
                        : type < 50 ? LIBSSH2_TRACE_KEX
                        : type < 80 ? LIBSSH2_TRACE_AUTH
                                    : LIBSSH2_TRACE_CONN;
      if ((trace_mask_ & layer) == 0) return;
      Trace(layer,
            absl::StrCat(sent ? "sent " : "received ",
                         transport::MessageName(type), " (", size, " bytes)"));
    };
    options.on_debug = [this](bool always, const std::string& text) {
      if (debug_cb_ != nullptr) {
        reinterpret_cast<LIBSSH2_DEBUG_FUNC((*))>(debug_cb_)(
            handle(), always ? 1 : 0, text.data(),
            static_cast<int>(text.size()), "", 0, abstract());
      }
      if ((trace_mask_ & LIBSSH2_TRACE_TRANS) == 0) return;
      Trace(LIBSSH2_TRACE_TRANS, absl::StrCat("server debug message: ",
                                              auth::SanitizeForTerminal(text)));
    };
    options.on_ignore = [this](const std::string& data) {
      if (ignore_cb_ == nullptr) return;
      reinterpret_cast<LIBSSH2_IGNORE_FUNC((*))>(ignore_cb_)(
          handle(), data.data(), static_cast<int>(data.size()), abstract());
    };
    options.on_disconnect = [this](uint32_t reason, const std::string& text) {
      if (disconnect_cb_ == nullptr) return;
      reinterpret_cast<LIBSSH2_DISCONNECT_FUNC((*))>(disconnect_cb_)(
          handle(), static_cast<int>(reason), text.data(),
          static_cast<int>(text.size()), "", 0, abstract());
    };
    // For responders that keep per-server state (and their messages).
    if (auto peer = net::PeerAddress(sock); peer.ok()) {
      options.host = peer->first;
      options.port = peer->second;
    }
    engine_ = std::make_unique<session::Engine>(std::move(options));
    engine_ptr_.store(engine_.get());
    driver_ = std::make_unique<session::SocketDriver>(sock, engine_.get());
    InstallIo();
    last_io_ = last_keepalive_ = Clock::now();
    absl::Status s = engine_->Start(Clock::now());
    if (!s.ok()) return Fail(s);
  } else if (sock != sock_) {
    return SetError(LIBSSH2_ERROR_BAD_USE,
                    "the handshake already started on another socket");
  }
  return Run([this] { return engine_->established() ? kStepDone : kStepWait; },
             "exchanging keys", /*protocol_step=*/true);
}

namespace {
constexpr char kBrokenMessage[] =
    "out of memory earlier in this session: it cannot be used any more";
}  // namespace

int SessionHandle::RequireConnected() {
  if (broken_) return SetError(LIBSSH2_ERROR_ALLOC, kBrokenMessage);
  if (engine_ == nullptr) {
    return SetError(LIBSSH2_ERROR_BAD_USE,
                    "the session has not done its handshake");
  }
  if (!engine_->established()) {
    return SetError(LIBSSH2_ERROR_BAD_USE,
                    "the session's handshake has not completed");
  }
  return 0;
}

size_t SessionHandle::pending_output() const {
  return engine_ == nullptr ? 0 : engine_->output().size();
}

void SessionHandle::NoteIo() {
  if (driver_ == nullptr) return;
  const uint64_t total = driver_->bytes_read() + driver_->bytes_written();
  if (total != io_bytes_seen_) {
    io_bytes_seen_ = total;
    last_io_ = Clock::now();
  }
}

int SessionHandle::PumpOnce() {
  if (broken_) return SetError(LIBSSH2_ERROR_ALLOC, kBrokenMessage);
  absl::Status s = driver_->Step();
  NoteIo();
  DeliverX11();
  return s.ok() ? 0 : Fail(s);
}

int SessionHandle::Run(const std::function<int()>& step, absl::string_view what,
                       bool protocol_step) {
  if (broken_) return SetError(LIBSSH2_ERROR_ALLOC, kBrokenMessage);
  wait_timed_out_ = false;
  // A condition that already holds (say the CLOSE arrived during an earlier
  // call) needs no I/O, which might only report the peer's TCP close. X11
  // channels that arrived are handed out first (they may be what unblocks
  // the server).
  DeliverX11();
  if (int rc = step(); rc != kStepWait) return rc == kStepDone ? 0 : rc;
  int rc = kStepWait;
  auto done = [&] {
    DeliverX11();
    rc = step();
    return rc != kStepWait;
  };
  if (blocking_) {
    absl::optional<TimePoint> deadline;
    if (timeout_ms_ > 0) {
      deadline = Clock::now() + std::chrono::milliseconds(timeout_ms_);
    }
    if (protocol_step) {
      const TimePoint read_deadline =
          Clock::now() + std::chrono::seconds(read_timeout_s_);
      if (!deadline.has_value() || read_deadline < *deadline) {
        deadline = read_deadline;
      }
    }
    absl::Status s = driver_->RunUntil(done, deadline);
    NoteIo();
    if (rc != kStepWait) return rc == kStepDone ? 0 : rc;
    if (KindOf(s) == ErrorKind::kDeadline && !engine_->closed()) {
      wait_timed_out_ = true;
      return SetError(LIBSSH2_ERROR_TIMEOUT, "Timed out waiting on socket");
    }
    return Fail(s);
  }
  // Non-blocking: do what the socket allows now (a few rounds while bytes
  // move), then report which direction to wait for.
  for (int round = 0; round < 4; ++round) {
    const uint64_t moved = driver_->bytes_read() + driver_->bytes_written();
    absl::Status s = driver_->Step();
    NoteIo();
    if (done()) return rc == kStepDone ? 0 : rc;
    if (!s.ok()) return Fail(s);
    if (driver_->bytes_read() + driver_->bytes_written() == moved) break;
  }
  const int wait = driver_->wait_directions();
  block_directions_ =
      ((wait & session::kWaitRead) ? LIBSSH2_SESSION_BLOCK_INBOUND : 0) |
      ((wait & session::kWaitWrite) ? LIBSSH2_SESSION_BLOCK_OUTBOUND : 0);
  if (block_directions_ == 0) block_directions_ = LIBSSH2_SESSION_BLOCK_INBOUND;
  return SetError(LIBSSH2_ERROR_EAGAIN, absl::StrCat("Would block ", what));
}

int SessionHandle::Disconnect(int reason, const char* description) {
  if (engine_ == nullptr) return 0;
  if (broken_) return SetError(LIBSSH2_ERROR_ALLOC, kBrokenMessage);
  if (!disconnect_sent_) {
    disconnect_sent_ = true;
    if (!engine_->closed()) {
      engine_->Disconnect(static_cast<uint32_t>(reason),
                          description != nullptr ? description : "");
    }
  }
  return FlushDisconnect();
}

int SessionHandle::FlushDisconnect() {
  const TimePoint start = Clock::now();
  wait_timed_out_ = false;
  while (engine_->has_output()) {
    (void)driver_->Step();
    if (!engine_->has_output()) break;
    if ((driver_->wait_directions() & session::kWaitWrite) == 0) {
      // Not waiting for the socket: the send failed.
      return SetError(LIBSSH2_ERROR_SOCKET_SEND,
                      "cannot send the disconnect message");
    }
    block_directions_ = LIBSSH2_SESSION_BLOCK_OUTBOUND;
    if (!blocking_) {
      return SetError(LIBSSH2_ERROR_EAGAIN, "Would block sending disconnect");
    }
    const TimePoint deadline =
        timeout_ms_ > 0 ? start + std::chrono::milliseconds(timeout_ms_)
                        : Clock::now() + std::chrono::hours(24 * 365);
    absl::Status s = driver_->Flush(deadline);
    if (KindOf(s) == ErrorKind::kDeadline) {
      wait_timed_out_ = true;
      return SetError(LIBSSH2_ERROR_TIMEOUT, "Timed out waiting on socket");
    }
  }
  return 0;
}

const char* SessionHandle::HostKey(size_t* len, int* type) {
  if (engine_ == nullptr || !engine_->established()) {
    SetError(LIBSSH2_ERROR_BAD_USE, "no host key before the handshake");
    return nullptr;
  }
  const transport::HostKeyInfo& hk = engine_->transport().host_key();
  if (!Store(host_key_, AsString(hk.blob))) {
    SetError(LIBSSH2_ERROR_ALLOC, "out of memory");
    return nullptr;
  }
  if (len != nullptr) *len = host_key_.size();
  if (type != nullptr) *type = HostKeyType(hk.key.type);
  return host_key_.data();
}

const char* SessionHandle::HostKeyHash(int hash_type) {
  if (engine_ == nullptr || !engine_->established()) return nullptr;
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
    case LIBSSH2_HOSTKEY_HASH_MD5: {
      auto md5 =
          engine_->provider().LegacyMd5(engine_->transport().host_key().blob);
      if (!md5.ok()) {
        SetError(LIBSSH2_ERROR_HASH_CALC, md5.status().message());
        return nullptr;
      }
      if (!Store(host_key_md5_, AsString(*md5))) {
        SetError(LIBSSH2_ERROR_ALLOC, "out of memory");
        return nullptr;
      }
      return host_key_md5_.data();
    }
    default:
      SetError(LIBSSH2_ERROR_INVAL, "unknown host key hash type");
      return nullptr;
  }
  auto digest = crypto::Digest(engine_->provider(), alg,
                               engine_->transport().host_key().blob);
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

}  // namespace parley::capi

// ---------------------------------------------------------------------------
// The C API

using parley::capi::Guarded;
using parley::capi::SessionHandle;

using parley::capi::ValidSession;

extern "C" {

int libssh2_init(int /*flags*/) { return 0; }

void libssh2_exit(void) { parley::capi::ReleaseSharedBackends(); }

void libssh2_free(LIBSSH2_SESSION* session, void* ptr) {
  SessionHandle* s = ValidSession(session);
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
  SessionHandle* s = ValidSession(session);
  return s == nullptr ? nullptr : s->abstract();
}

int libssh2_session_banner_set(LIBSSH2_SESSION* session, const char* banner) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(s, LIBSSH2_ERROR_ALLOC, [&] { return s->BannerSet(banner); });
}

int libssh2_banner_set(LIBSSH2_SESSION* session, const char* banner) {
  return libssh2_session_banner_set(session, banner);
}

const char* libssh2_session_banner_get(LIBSSH2_SESSION* session) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  return Guarded<const char*>(s, nullptr, [&] { return s->BannerGet(); });
}

int libssh2_session_handshake(LIBSSH2_SESSION* session, libssh2_socket_t sock) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(s, LIBSSH2_ERROR_ALLOC, [&] { return s->Handshake(sock); });
}

int libssh2_session_startup(LIBSSH2_SESSION* session, int sock) {
  return libssh2_session_handshake(session, sock);
}

int libssh2_session_disconnect_ex(LIBSSH2_SESSION* session, int reason,
                                  const char* description,
                                  const char* /*lang*/) {
  SessionHandle* s = ValidSession(session);
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
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  return Guarded<const char*>(s, nullptr,
                              [&] { return s->HostKeyHash(hash_type); });
}

const char* libssh2_session_hostkey(LIBSSH2_SESSION* session, size_t* len,
                                    int* type) {
  if (len != nullptr) *len = 0;
  if (type != nullptr) *type = LIBSSH2_HOSTKEY_TYPE_UNKNOWN;
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  return Guarded<const char*>(s, nullptr,
                              [&] { return s->HostKey(len, type); });
}

int libssh2_session_method_pref(LIBSSH2_SESSION* session, int method_type,
                                const char* prefs) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(s, LIBSSH2_ERROR_ALLOC,
                 [&] { return s->MethodPref(method_type, prefs); });
}

const char* libssh2_session_methods(LIBSSH2_SESSION* session, int method_type) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  return Guarded<const char*>(s, nullptr,
                              [&] { return s->Methods(method_type); });
}

int libssh2_session_supported_algs(LIBSSH2_SESSION* session, int method_type,
                                   const char*** algs) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(s, LIBSSH2_ERROR_ALLOC,
                 [&] { return s->SupportedAlgs(method_type, algs); });
}

int libssh2_session_last_error(LIBSSH2_SESSION* session, char** errmsg,
                               int* errmsg_len, int want_buf) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) {
    if (errmsg != nullptr) *errmsg = nullptr;
    if (errmsg_len != nullptr) *errmsg_len = 0;
    return LIBSSH2_ERROR_BAD_USE;
  }
  return s->LastError(errmsg, errmsg_len, want_buf);
}

int libssh2_session_last_errno(LIBSSH2_SESSION* session) {
  SessionHandle* s = ValidSession(session);
  return s == nullptr ? LIBSSH2_ERROR_BAD_USE : s->last_errno();
}

int libssh2_session_set_last_error(LIBSSH2_SESSION* session, int errcode,
                                   const char* errmsg) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return s->SetError(errcode, errmsg != nullptr ? errmsg : "");
}

int libssh2_session_block_directions(LIBSSH2_SESSION* session) {
  SessionHandle* s = ValidSession(session);
  return s == nullptr ? 0 : s->block_directions();
}

int libssh2_session_flag(LIBSSH2_SESSION* session, int flag, int /*value*/) {
  SessionHandle* s = ValidSession(session);
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
  if (SessionHandle* s = ValidSession(session)) s->set_blocking(blocking != 0);
}

int libssh2_session_get_blocking(LIBSSH2_SESSION* session) {
  SessionHandle* s = ValidSession(session);
  return s != nullptr && s->blocking() ? 1 : 0;
}

void libssh2_session_set_timeout(LIBSSH2_SESSION* session, long timeout) {
  if (SessionHandle* s = ValidSession(session)) s->set_timeout_ms(timeout);
}

long libssh2_session_get_timeout(LIBSSH2_SESSION* session) {
  SessionHandle* s = ValidSession(session);
  return s == nullptr ? 0 : s->timeout_ms();
}

void libssh2_session_set_read_timeout(LIBSSH2_SESSION* session, long timeout) {
  if (SessionHandle* s = ValidSession(session)) s->set_read_timeout_s(timeout);
}

long libssh2_session_get_read_timeout(LIBSSH2_SESSION* session) {
  SessionHandle* s = ValidSession(session);
  return s == nullptr ? 0 : s->read_timeout_s();
}

libssh2_cb_generic* libssh2_session_callback_set2(
    LIBSSH2_SESSION* session, int cbtype, libssh2_cb_generic* callback) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  return s->SetCallback(cbtype, callback);
}

void* libssh2_session_callback_set(LIBSSH2_SESSION* session, int cbtype,
                                   void* callback) {
  // libssh2 passes function pointers through void* here (POSIX guarantees
  // the round trip).
  libssh2_cb_generic* previous = libssh2_session_callback_set2(
      session, cbtype, reinterpret_cast<libssh2_cb_generic*>(callback));
  return reinterpret_cast<void*>(previous);
}

int libssh2_base64_decode(LIBSSH2_SESSION* session, char** dest,
                          unsigned int* dest_len, const char* src,
                          unsigned int src_len) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr || dest == nullptr || dest_len == nullptr ||
      (src == nullptr && src_len > 0)) {
    return -1;
  }
  return Guarded(s, -1, [&] {
    parley::SecureBuffer decoded_buf;
    if (src_len > 0 &&
        !parley::DecodeBase64(
            absl::string_view(src == nullptr ? "" : src, src_len),
            &decoded_buf)) {
      s->SetError(LIBSSH2_ERROR_INVAL, "invalid base64");
      return -1;
    }
    const parley::SecureBuffer* decoded = &decoded_buf;
    char* out = static_cast<char*>(s->Alloc(decoded->size() + 1));
    if (out == nullptr) {
      s->SetError(LIBSSH2_ERROR_ALLOC, "out of memory");
      return -1;
    }
    if (!decoded->empty()) memcpy(out, decoded->data(), decoded->size());
    out[decoded->size()] = '\0';
    *dest = out;
    *dest_len = static_cast<unsigned int>(decoded->size());
    return 0;
  });
}

libssh2_crypto_engine_t libssh2_crypto_engine(void) {
  return std::string(parley::capi::DefaultBackendName()) == "openssl"
             ? libssh2_openssl
             : libssh2_no_crypto;
}

int libssh2_poll(LIBSSH2_POLLFD* fds, unsigned int nfds, long timeout) {
  return parley::capi::Poll(fds, nfds, timeout);
}

int libssh2_trace(LIBSSH2_SESSION* session, int bitmask) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(s, LIBSSH2_ERROR_ALLOC, [&] {
    s->SetTrace(bitmask);
    return 0;
  });
}

int libssh2_trace_sethandler(LIBSSH2_SESSION* session, void* context,
                             libssh2_trace_handler_func callback) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(s, LIBSSH2_ERROR_ALLOC, [&] {
    s->SetTraceHandler(context, callback);
    return 0;
  });
}

void libssh2_keepalive_config(LIBSSH2_SESSION* session, int want_reply,
                              unsigned int interval) {
  if (SessionHandle* s = ValidSession(session))
    s->KeepaliveConfig(want_reply != 0, interval);
}

int libssh2_keepalive_send(LIBSSH2_SESSION* session, int* seconds_to_next) {
  SessionHandle* s = ValidSession(session);
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
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(s, LIBSSH2_ERROR_ALLOC,
                 [&] { return s->SetCryptoBackend(name); });
}

const char* parley_session_crypto_backend(LIBSSH2_SESSION* session) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  return Guarded<const char*>(s, nullptr,
                              [&] { return s->CryptoBackendName(); });
}

}  // extern "C"
