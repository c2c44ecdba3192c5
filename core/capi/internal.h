// Internals of the libssh2-compatible C API: the objects behind
// LIBSSH2_SESSION and LIBSSH2_CHANNEL.
//
// The C API is an adapter over the session engine (core/session): all of
// SSH lives there. What is here is libssh2's semantics only:
// - error codes: engine errors carry an ErrorKind, mapped to libssh2 codes
//   in one table (LibsshCode());
// - the application's allocator, for every buffer handed to or taken from
//   the application (OwnedBuffer, the keyboard-interactive prompts);
// - blocking and non-blocking calls: each call that talks to the server is
//   a step run by Run(). Blocking mode waits in the shared wait loop
//   (SocketDriver::RunUntil, bounded by the session timeout); non-blocking
//   mode returns LIBSSH2_ERROR_EAGAIN as soon as the socket would block,
//   with libssh2_session_block_directions() from the driver. The state an
//   operation needs to resume lives in the engine (the login in progress,
//   a channel being opened, a request awaiting its reply), so calling the
//   function again continues where it stopped without repeating anything.
//
// No exception leaves the C functions (see Guarded()).
#ifndef PARLEY_CORE_CAPI_INTERNAL_H_
#define PARLEY_CORE_CAPI_INTERNAL_H_

#include <libssh2.h>
#include <parley_libssh2.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/auth/kbdint_login.h"
#include "core/auth/responder.h"
#include "core/auth/routing.h"
#include "core/auth/signer.h"
#include "core/base/clock.h"
#include "core/base/secure_buffer.h"
#include "core/channel/connection.h"
#include "core/crypto/provider.h"
#include "core/session/engine.h"
#include "core/session/socket_driver.h"

namespace parley::capi {

using AllocFn = void* (*)(size_t, void**);
using FreeFn = void (*)(void*, void**);
using ReallocFn = void* (*)(void*, size_t, void**);
using KbdIntCallback = void (*)(const char*, int, const char*, int, int,
                                const LIBSSH2_USERAUTH_KBDINT_PROMPT*,
                                LIBSSH2_USERAUTH_KBDINT_RESPONSE*, void**);
using PasswordChangeCallback = void (*)(LIBSSH2_SESSION*, char**, int*, void**);

// Step results for SessionHandle::Run(); errors are negative
// LIBSSH2_ERROR_*.
inline constexpr int kStepWait = 0;
inline constexpr int kStepDone = 1;

// The libssh2 code for an engine error (the one table). `handshake_done`
// and `banner_received` say how far the session got: libssh2 reports
// failures before the keys are in place as BANNER_RECV or KEX_FAILURE.
int LibsshCode(const absl::Status& status, bool handshake_done,
               bool banner_received);

// The process-wide crypto backend: loaded once and shared by every session
// (until libssh2_exit()). Null with the status when it cannot be loaded.
absl::StatusOr<std::shared_ptr<const crypto::CryptoProvider>> SharedBackend(
    const std::string& name);
void ReleaseSharedBackends();

class CallbackSigner;
class ChannelHandle;
class ListenerHandle;
class KbdIntCallbackResponder;

// A C string allocated with the session's allocator and owned by the
// session (userauth_list, banners, host key data...).
class OwnedBuffer {
 public:
  OwnedBuffer() = default;
  OwnedBuffer(const OwnedBuffer&) = delete;
  OwnedBuffer& operator=(const OwnedBuffer&) = delete;

  char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  friend class SessionHandle;
  char* data_ = nullptr;
  size_t size_ = 0;
};

// Which libssh2 authentication call is in progress (one at a time).
enum class AuthCall {
  kNone,
  kList,
  kPassword,
  kPublicKey,
  kPublicKeyCallback,
  kPublicKeySigner,  // an agent's key (libssh2_agent_userauth)
  kHostbased,
  kKbdInt
};

class SessionHandle {
 public:
  SessionHandle(AllocFn alloc, FreeFn free_fn, ReallocFn realloc_fn,
                void* abstract);
  virtual ~SessionHandle();
  SessionHandle(const SessionHandle&) = delete;
  SessionHandle& operator=(const SessionHandle&) = delete;

  static constexpr uint32_t kMagic = 0x50534553;  // "PSES"
  bool valid() const { return magic_ == kMagic; }
  // The C handle of this session.
  LIBSSH2_SESSION* handle();

  // --- Memory (the application's allocator) ---
  void* Alloc(size_t n);
  void Free(void* p);
  // Wipes `n` bytes at `p`, then frees it.
  void WipeAndFree(void* p, size_t n);
  // A NUL-terminated copy, or null when allocation fails.
  char* CopyString(absl::string_view s);
  // Replaces `slot` with a NUL-terminated copy of `s`; false when allocation
  // fails (then `slot` is empty).
  bool Store(OwnedBuffer& slot, absl::string_view s);
  void Release(OwnedBuffer& slot);
  void** abstract() { return &abstract_; }

  // --- Errors ---
  // Records the error and returns `code`.
  // libssh2_trace(): the layers to report, and where to.
  void SetTrace(int mask) { trace_mask_ = mask; }
  void SetTraceHandler(void* context, libssh2_trace_handler_func handler) {
    trace_context_ = context;
    trace_handler_ = handler;
  }
  // Reports `message` for `layer` (a LIBSSH2_TRACE_ bit) if traced.
  void Trace(int layer, absl::string_view message);
  int SetError(int code, absl::string_view message);
  // Records an engine (or core) error with its libssh2 code.
  int Fail(const absl::Status& status);
  int last_errno() const { return err_code_; }
  const std::string& last_error() const { return err_msg_; }
  int LastError(char** errmsg, int* errmsg_len, int want_buf);

  // --- Settings ---
  void set_blocking(bool b) { blocking_ = b; }
  bool blocking() const { return blocking_; }
  // Negative means 0 (wait forever); huge values are capped at a year so
  // that deadline arithmetic cannot overflow.
  void set_timeout_ms(long ms) {
    timeout_ms_ = ms < 0 ? 0 : (ms > kMaxTimeoutMs ? kMaxTimeoutMs : ms);
  }
  static constexpr long kMaxTimeoutMs = 365L * 24 * 3600 * 1000;
  long timeout_ms() const { return timeout_ms_; }
  // libssh2_session_set_read_timeout: seconds, 60 by default.
  void set_read_timeout_s(long s) {
    read_timeout_s_ =
        s <= 0 ? kDefaultReadTimeoutS
               : (s > kMaxTimeoutMs / 1000 ? kMaxTimeoutMs / 1000 : s);
  }
  long read_timeout_s() const { return read_timeout_s_; }
  static constexpr long kDefaultReadTimeoutS = 60;
  // libssh2_session_callback_set2: the previous callback, or null (with
  // LIBSSH2_ERROR_METHOD_NOT_SUPPORTED recorded) for an unsupported type.
  using GenericCallback = void (*)(void);
  GenericCallback SetCallback(int cbtype, GenericCallback callback);
  int block_directions() const { return block_directions_; }
  int BannerSet(const char* banner);
  const char* BannerGet();
  int MethodPref(int method_type, const char* prefs);
  const char* Methods(int method_type);
  int SupportedAlgs(int method_type, const char*** algs);
  void KeepaliveConfig(bool want_reply, unsigned interval);
  int KeepaliveSend(int* seconds_to_next);
  int SetCryptoBackend(const char* name);
  const char* CryptoBackendName();

  // --- Transport ---
  int Handshake(int sock);
  int Disconnect(int reason, const char* description);
  const char* HostKey(size_t* len, int* type);
  const char* HostKeyHash(int hash_type);
  // The session's provider, loading the default backend on first use.
  // Null (with the error recorded) when it cannot be loaded.
  const crypto::CryptoProvider* Provider();

  // --- Userauth (userauth.cc) ---
  char* UserauthList(absl::string_view user);
  int UserauthBanner(char** banner);
  bool authenticated() const {
    return engine_ != nullptr && engine_->authenticated();
  }
  int UserauthPassword(absl::string_view user, absl::string_view password,
                       PasswordChangeCallback change_cb);
  // `key_file` or `key_text` names the private key; `pub_file` /
  // `pub_text` optionally the public key.
  struct KeySource {
    const char* key_file = nullptr;
    absl::optional<absl::string_view> key_text;
    const char* pub_file = nullptr;
    absl::optional<absl::string_view> pub_text;
    const char* passphrase = nullptr;
  };
  // With `hostbased`, host-based authentication with that key instead.
  int UserauthPublicKey(absl::string_view user, const KeySource& source,
                        const auth::HostbasedIdentity* hostbased = nullptr);
  using SignCallback = int (*)(LIBSSH2_SESSION*, unsigned char**, size_t*,
                               const unsigned char*, size_t, void**);
  int UserauthPublicKeyCallback(absl::string_view user, ByteView public_key,
                                SignCallback callback, void** abstract);
  int UserauthKbdInt(absl::string_view user, KbdIntCallback callback);
  // Publickey authentication with `signer` (an agent's key); a call resumed
  // after EAGAIN goes on with the signer it started with. Errors of the
  // signer itself are LIBSSH2_ERROR_AGENT_PROTOCOL.
  int UserauthSigner(absl::string_view user,
                     std::shared_ptr<auth::Signer> signer);
  // parley_userauth_pkcs11 (core/capi/pkcs11.cc).
  using PinCallback = int (*)(const char*, int, char*, size_t, void*);
  int UserauthPkcs11(absl::string_view user, const char* module_or_uri,
                     PinCallback callback, void* abstract);
  // `signer` offering the LIBSSH2_METHOD_SIGN_ALGO preferences, if any.
  std::shared_ptr<auth::Signer> PreferSignAlgorithms(
      std::shared_ptr<auth::Signer> signer) const;
  // True while a call of kind `call` waits to be resumed (EAGAIN).
  bool resuming(AuthCall call) const { return auth_call_ == call; }
  // Loads the configured responders once (an error is reported again on
  // every attempt until fixed).
  absl::Status LoadConfiguredResponders();
  int partial_success() const { return partial_success_ ? 1 : 0; }
  const char* MethodsLeft();
  int SetKbdIntLimits(int max_rounds, long round_ms, long overall_ms);
  // Thread-safe, async-signal-safe.
  void Cancel();

  // --- Channels (channel.cc) ---
  LIBSSH2_CHANNEL* OpenChannel(absl::string_view type);
  // libssh2_channel_direct_tcpip_ex.
  LIBSSH2_CHANNEL* OpenDirectTcpip(absl::string_view host, int port,
                                   absl::string_view shost, int sport);
  // Opens a channel with `open` (called once, not again on resumption)
  // and waits for the server's answer.
  LIBSSH2_CHANNEL* OpenWith(
      const std::function<absl::StatusOr<uint32_t>(channel::Connection&)>&
          open);
  // A handle for the engine's open channel `id` (one the server opened),
  // or null (LIBSSH2_ERROR_ALLOC recorded; the channel is closed).
  LIBSSH2_CHANNEL* AdoptChannel(uint32_t id);
  // Forgets a channel handle; the engine closes and drops its channel.
  void ForgetChannel(ChannelHandle* channel);
  // libssh2_channel_direct_streamlocal_ex.
  LIBSSH2_CHANNEL* OpenDirectStreamlocal(absl::string_view path,
                                         absl::string_view shost, int sport);

  // --- SCP (scp.cc) ---
  LIBSSH2_CHANNEL* ScpRecv(absl::string_view path, libssh2_struct_stat* sb);
  LIBSSH2_CHANNEL* ScpSend(absl::string_view path, int mode, int64_t size,
                           int64_t mtime, int64_t atime);

  // --- Remote forwarding and X11 (forward.cc) ---
  LIBSSH2_LISTENER* ForwardListen(absl::string_view host, int port,
                                  int* bound_port, int queue_maxsize);
  LIBSSH2_CHANNEL* ForwardAccept(ListenerHandle* listener);
  int ForwardCancel(ListenerHandle* listener);
  // Whether a connection waits on the listener (libssh2_poll).
  bool ForwardPending(ListenerHandle* listener);
  // Hands the X11 channels the server opened to the LIBSSH2_CALLBACK_X11
  // callback (closing them without one). Runs as messages arrive, inside
  // whichever call reads them.
  void DeliverX11();

  // --- Failure ---
  // After an exception (out of memory) escaped the engine half-way through
  // an operation, its state is not trusted any more: every later call that
  // would drive it fails with LIBSSH2_ERROR_ALLOC, nothing more is sent,
  // and only freeing is left (fail closed).
  void MarkBroken() { broken_ = true; }
  bool broken() const { return broken_; }

  // --- Engine driving ---
  // Runs the engine until `step` returns kStepDone (0) or an error (< 0);
  // EAGAIN in non-blocking mode, TIMEOUT when the session timeout passes in
  // blocking mode. `what` completes the EAGAIN message ("Would block ...").
  // A `protocol_step` (the key exchange, opening a channel, a request's
  // reply, a close) is also bounded by the read timeout; waits for channel
  // data only by the session timeout.
  int Run(const std::function<int()>& step, absl::string_view what,
          bool protocol_step = false);
  // One non-blocking round of I/O; 0 or an error.
  int PumpOnce();
  // 0 when the handshake completed and the transport is open, else an
  // error (recorded).
  int RequireConnected();
  // Bytes queued for the server.
  size_t pending_output() const;
  // Whether an operation that returned `rc` may be resumed by calling the
  // function again: would-block, or the session timeout of a blocking call
  // (the operation itself is still alive).
  bool Resumable(int rc) const {
    return rc == LIBSSH2_ERROR_EAGAIN ||
           (rc == LIBSSH2_ERROR_TIMEOUT && wait_timed_out_);
  }

  session::Engine* engine() { return engine_.get(); }
  // The socket of the handshake (-1 before).
  int socket() const { return sock_; }
  channel::Connection* connection() {
    return engine_ == nullptr ? nullptr : &engine_->connection();
  }

 private:
  // Checks that no other kind of authentication call is in progress.
  int BeginAuth(AuthCall call);
  // Starts an attempt with `start` unless one of `call`'s kind is being
  // resumed, then waits for its result (auth_done()).
  int RunAuth(AuthCall call, absl::string_view what,
              const std::function<absl::Status()>& start);
  int FinishAuth(const auth::AuthOutcome& outcome, absl::string_view method);
  int FlushDisconnect();
  void NoteIo();
  // SCP (scp.cc): the header exchange in progress, resumed after EAGAIN.
  // The header exchange in progress (one per session; resumed after EAGAIN).
  struct ScpOperation {
    enum class Phase {
      kStart,     // exec not sent yet
      kExec,      // exec request awaiting its reply
      kSendAck,   // our 0 byte to send (recv), or our header line (send)
      kReadLine,  // reading the server's next line (recv)
      kReadAck,   // reading the server's status byte (send)
      kDone,
    };
    bool receiving = true;
    std::string path;
    LIBSSH2_CHANNEL* channel = nullptr;
    Phase phase = Phase::kStart;
    std::string out;   // bytes still to send
    std::string line;  // the line being read
    // Send: the lines to send in turn (times, then the file).
    std::vector<std::string> headers;
    size_t next_header = 0;
    // Recv: what the server announced.
    int64_t mtime = 0, atime = 0, size = -1;
    int mode = 0;
    // Recv: the ack being sent is the last one (after the file line).
    bool final_ack = false;
  };
  int ScpStep(ScpOperation& op);
  LIBSSH2_CHANNEL* Scp(bool receiving, absl::string_view path,
                       std::vector<std::string> headers,
                       absl::string_view command);

  uint32_t magic_ = kMagic;
  AllocFn alloc_;
  FreeFn free_;
  ReallocFn realloc_;
  void* abstract_;

  int trace_mask_ = 0;
  void* trace_context_ = nullptr;
  libssh2_trace_handler_func trace_handler_ = nullptr;
  int err_code_ = 0;
  std::string err_msg_;

  bool blocking_ = true;
  long timeout_ms_ = 0;
  long read_timeout_s_ = kDefaultReadTimeoutS;
  // The application's callbacks (libssh2_session_callback_set2).
  GenericCallback ignore_cb_ = nullptr;
  GenericCallback debug_cb_ = nullptr;
  GenericCallback disconnect_cb_ = nullptr;
  GenericCallback macerror_cb_ = nullptr;
  GenericCallback x11_cb_ = nullptr;
  GenericCallback send_cb_ = nullptr;
  GenericCallback recv_cb_ = nullptr;
  // Hands the SEND / RECV callbacks (if any) to the socket driver.
  void InstallIo();
  bool delivering_x11_ = false;
  int block_directions_ = 0;
  bool wait_timed_out_ = false;
  std::string banner_ = transport::kParleyVersion;
  crypto::AlgorithmLists prefs_;
  // LIBSSH2_METHOD_SIGN_ALGO: user-key signature algorithms, in order.
  std::vector<crypto::SignatureAlgorithm> sign_algorithms_;
  bool keepalive_want_reply_ = false;
  unsigned keepalive_interval_ = 0;
  TimePoint last_io_{};
  TimePoint last_keepalive_{};
  uint64_t io_bytes_seen_ = 0;

  std::shared_ptr<const crypto::CryptoProvider> provider_;

  int sock_ = -1;
  int restore_flags_ = -1;  // the socket's fcntl flags before the handshake
  std::unique_ptr<session::Engine> engine_;
  // The engine for Cancel(), which any thread may call.
  std::atomic<session::Engine*> engine_ptr_{nullptr};
  std::unique_ptr<session::SocketDriver> driver_;
  bool disconnect_sent_ = false;

  // Userauth.
  AuthCall auth_call_ = AuthCall::kNone;
  bool partial_success_ = false;
  auth::KbdIntOptions kbdint_options_;
  std::unique_ptr<KbdIntCallbackResponder> kbdint_responder_;
  // Responders configured outside the program ($PARLEY_RESPONDERS or the
  // user's file, core/plugin/configured.h): they answer first, and the
  // application's callback gets only the prompts they leave (and every
  // zero-prompt round, as with libssh2). Null when none are configured.
  bool responders_loaded_ = false;
  std::shared_ptr<auth::RoutingResponder> responders_;
  std::shared_ptr<CallbackSigner> callback_signer_;
  std::shared_ptr<auth::Signer> pending_signer_;  // kPublicKeySigner
  // The token keys of parley_userauth_pkcs11 still to offer.
  struct Pkcs11Keys;
  std::shared_ptr<Pkcs11Keys> pkcs11_keys_;
  std::string password_user_;
  SecureBuffer password_;  // kPassword: the current password

  // Channels.
  absl::optional<uint32_t> opening_channel_;
  std::set<ChannelHandle*> channels_;
  // Remote forwards: the one being asked for (resumed after EAGAIN) and
  // the listeners handed out.
  absl::optional<uint64_t> requesting_forward_;
  std::set<ListenerHandle*> listeners_;
  std::unique_ptr<ScpOperation> scp_;
  bool broken_ = false;

  OwnedBuffer userauth_list_;
  OwnedBuffer userauth_banner_;
  OwnedBuffer server_banner_;
  OwnedBuffer host_key_;
  OwnedBuffer host_key_md5_;
  OwnedBuffer host_key_sha1_;
  OwnedBuffer host_key_sha256_;
  OwnedBuffer methods_left_;
  OwnedBuffer backend_name_out_;
};

class ChannelHandle {
 public:
  ChannelHandle(SessionHandle* session, uint32_t id)
      : session_(session), id_(id) {}
  virtual ~ChannelHandle() = default;
  ChannelHandle(const ChannelHandle&) = delete;
  ChannelHandle& operator=(const ChannelHandle&) = delete;

  static constexpr uint32_t kMagic = 0x5043484e;  // "PCHN"
  bool valid() const { return magic_ == kMagic && session_ != nullptr; }
  SessionHandle* session() const { return session_; }
  uint32_t id() const { return id_; }

  // `request` is "exec", "shell", "subsystem", "env" or "pty-req";
  // `start` sends it (called once; not again on resumption).
  int Request(absl::string_view request,
              const std::function<absl::Status()>& start);
  ssize_t Read(int stream_id, char* buf, size_t buflen);
  ssize_t Write(int stream_id, const char* buf, size_t buflen);
  int Flush(int stream_id);
  int SendEof();
  int Eof();
  int WaitEof();
  int Close();
  int WaitClosed();
  int ExitStatus();
  int ExitSignal(char** exitsignal, size_t* exitsignal_len, char** errmsg,
                 size_t* errmsg_len, char** langtag, size_t* langtag_len);
  unsigned long WindowRead(unsigned long* read_avail,
                           unsigned long* window_size_initial);
  unsigned long WindowWrite(unsigned long* window_size_initial);
  int ReceiveWindowAdjust(unsigned long adjustment, bool force,
                          unsigned int* storewindow);
  int HandleExtendedData(int mode);
  int PtySize(int width, int height, int width_px, int height_px);
  int Signal(absl::string_view name);
  // Received data waits in the stream (no I/O).
  bool Readable(bool extended);
  // The server's window is open (we may write).
  bool Writable();
  bool Closed();
  // libssh2_channel_free: closes if needed; EAGAIN keeps the handle.
  int Free();
  // SCP channels (scp.cc): reads stop after the announced `size` bytes
  // (then the closing status bytes are exchanged and reads return 0);
  // writes may not go past it, and send_eof first sends the closing 0.
  void ExpectScpRecv(int64_t size) {
    scp_ = ScpData::kRecv;
    scp_remaining_ = size;
  }
  void ExpectScpSend(int64_t size) {
    scp_ = ScpData::kSend;
    scp_remaining_ = size;
  }
  void Invalidate() { magic_ = 0; }

 private:
  // The engine's channel (null once the transport dropped it).
  const channel::Channel* engine();
  int ClosedError();
  int WaitForClose(absl::string_view what);

  uint32_t magic_ = kMagic;
  SessionHandle* session_;
  uint32_t id_;
  // The want-reply request awaiting its reply, if any.
  std::string pending_request_;
  // Window adjustments below LIBSSH2_CHANNEL_MINADJUST, held for the next.
  unsigned long adjust_queue_ = 0;
  // SCP file data: bytes of the file still to read or write, and whether
  // the closing status byte was exchanged.
  enum class ScpData { kNone, kRecv, kSend };
  ScpData scp_ = ScpData::kNone;
  int64_t scp_remaining_ = 0;
  bool scp_closed_ = false;
  int FinishScpRecv();
};

// A remote forward the server granted (libssh2_channel_forward_listen_ex).
class ListenerHandle {
 public:
  ListenerHandle(SessionHandle* session, uint64_t forward)
      : session_(session), forward_(forward) {}
  virtual ~ListenerHandle() = default;
  ListenerHandle(const ListenerHandle&) = delete;
  ListenerHandle& operator=(const ListenerHandle&) = delete;

  static constexpr uint32_t kMagic = 0x504c534e;  // "PLSN"
  bool valid() const { return magic_ == kMagic && session_ != nullptr; }
  SessionHandle* session() const { return session_; }
  uint64_t forward() const { return forward_; }
  void Invalidate() { magic_ = 0; }

 private:
  uint32_t magic_ = kMagic;
  SessionHandle* session_;
  uint64_t forward_;
};

// Calls the application's libssh2 keyboard-interactive callback once per
// round, with prompts in memory from its allocator, and moves its
// responses into wiping buffers (wiping and freeing its copies).
class KbdIntCallbackResponder : public auth::Responder {
 public:
  explicit KbdIntCallbackResponder(SessionHandle* session)
      : session_(session) {}
  void set_callback(KbdIntCallback cb) { callback_ = cb; }
  auth::ResponderStatus Respond(const auth::Challenge& challenge,
                                std::vector<SecureBuffer>* answers) override;
  bool allocation_failed() const { return allocation_failed_; }

 private:
  SessionHandle* session_;
  KbdIntCallback callback_ = nullptr;
  bool allocation_failed_ = false;
};

// Runs `body`, turning any exception into `on_error` (recorded as the
// session's error when `session` is known): C callers never see one.
// The session (if known) is then broken: see SessionHandle::MarkBroken().
template <typename T, typename F>
T Guarded(SessionHandle* session, T on_error, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    if (session != nullptr) {
      session->MarkBroken();
      session->SetError(LIBSSH2_ERROR_ALLOC, "out of memory");
    }
  } catch (...) {
    if (session != nullptr) {
      session->MarkBroken();
      session->SetError(LIBSSH2_ERROR_SOCKET_NONE, "internal error");
    }
  }
  return on_error;
}

}  // namespace parley::capi

// The C handles are the C++ objects.
struct _LIBSSH2_SESSION final : parley::capi::SessionHandle {
  using SessionHandle::SessionHandle;
};
struct _LIBSSH2_CHANNEL final : parley::capi::ChannelHandle {
  using ChannelHandle::ChannelHandle;
};
struct _LIBSSH2_LISTENER final : parley::capi::ListenerHandle {
  using ListenerHandle::ListenerHandle;
};

namespace parley::capi {

// The session behind a handle, or null for a null (or freed) handle.
inline SessionHandle* ValidSession(LIBSSH2_SESSION* session) {
  return session != nullptr && session->valid() ? session : nullptr;
}

// The channel behind a handle, or null for a null or foreign pointer.
inline _LIBSSH2_CHANNEL* ValidChannel(LIBSSH2_CHANNEL* channel) {
  return channel != nullptr && channel->valid() && channel->session()->valid()
             ? channel
             : nullptr;
}

// The listener behind a handle, or null for a null or foreign pointer.
inline _LIBSSH2_LISTENER* ValidListener(LIBSSH2_LISTENER* listener) {
  return listener != nullptr && listener->valid() &&
                 listener->session()->valid()
             ? listener
             : nullptr;
}

// libssh2_poll() (poll.cc).
int Poll(LIBSSH2_POLLFD* fds, unsigned int nfds, long timeout_ms);

}  // namespace parley::capi

#endif  // PARLEY_CORE_CAPI_INTERNAL_H_
