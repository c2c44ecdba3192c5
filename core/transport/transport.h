// The SSH transport layer (RFC 4253) as a protocol engine: bytes in, bytes
// out, never a socket. It runs the version exchange, key exchange (and
// rekeying, client- or server-initiated), strict KEX, EXT_INFO, and the
// transport messages (IGNORE, DEBUG, UNIMPLEMENTED, DISCONNECT), and hands
// every other message to the layer above (userauth, connection).
//
// Usage: Start(); then repeatedly write output() to the peer and
// ConsumeOutput(), Feed() what arrives, and Receive() messages for the upper
// layers; Send() upper-layer messages (queued while a key exchange is in
// flight, so no byte is lost or reordered across a rekey).
//
// The transport never reads the clock: set_now() gives it the time (used
// for time-based rekeying). Its memory is bounded: what waits to be sent is
// capped (TransportLimits), and a driver stops reading while
// accepting_input() is false, so a peer that floods requests without
// reading our replies cannot make the queue grow without limit.
//
// Errors carry an ErrorKind (core/base/error.h) from where they start:
// kProtocol, kVersionExchange, kKeyExchange, kIntegrity, kServerDisconnect,
// kLocalDisconnect, kHostKeyRejected, kResourceLimit.
#ifndef PARLEY_CORE_TRANSPORT_TRANSPORT_H_
#define PARLEY_CORE_TRANSPORT_TRANSPORT_H_

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/optional.h"
#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/base/error.h"
#include "core/base/secure_buffer.h"
#include "core/crypto/provider.h"
#include "core/crypto/signature.h"
#include "core/transport/kex.h"
#include "core/transport/packet_codec.h"
#include "core/transport/version.h"

namespace parley::transport {

// Largest payload Send() accepts: the packet limit less the length, padding
// length and minimum padding fields and a full block of alignment.
inline constexpr size_t kMaxPayload = kMaxPacketLength - 1 - 4 - 32;

struct HostKeyInfo {
  std::string algorithm;  // negotiated host-key algorithm
  Bytes blob;             // SSH public-key blob
  crypto::PublicKey key;
};

// Bounds on what the transport buffers.
struct TransportLimits {
  // Bytes waiting to be sent (output not yet taken by the socket, plus
  // messages held during a key exchange) above which accepting_input() is
  // false and send_room() is 0: drivers stop reading and upper layers stop
  // adding bulk data until the peer has taken some.
  size_t output_high_water = size_t{1} << 20;
  // Above this the transport fails with kResourceLimit: the peer keeps
  // making us reply (global requests, unknown messages) while it does not
  // read. Only replies can pass the high-water mark, and by at most one
  // Feed() worth of them.
  size_t output_hard_cap = size_t{16} << 20;
  // Received bytes buffered while processing is paused (a host-key
  // decision pending) above which accepting_input() is false; Feed() beyond
  // four times this fails with kResourceLimit.
  size_t paused_input_cap = size_t{256} << 10;
  // Packets the server may send before the first key exchange completes.
  // The exchange itself takes three or four; without strict KEX the
  // others can only be IGNORE, DEBUG or UNIMPLEMENTED, and a server that
  // keeps sending them is stalling (or probing) rather than connecting.
  uint64_t packets_before_keys = 1024;
  // Packets under one set of keys, either direction, after which we start
  // a key re-exchange: RFC 4253 section 6.4 wants new keys before the
  // 32-bit sequence number wraps (OpenSSH uses the same 2^31). A server
  // that sends twice this many without completing one (its sequence
  // number wrapped under the same keys) is refused.
  uint64_t rekey_packets = uint64_t{1} << 31;
};

struct TransportOptions {
  std::shared_ptr<const crypto::CryptoProvider> provider;
  // Algorithms to offer, in preference order; empty lists take the
  // provider's defaults. Names the provider lacks are dropped.
  crypto::AlgorithmLists algorithms;
  // Called with the server's host key after its signature over the exchange
  // hash verified, before NEWKEYS is sent (so before any credential). A
  // non-OK status aborts the connection with that status
  // (kHostKeyRejected). When null, the decision is asynchronous: the
  // transport pauses in kHostKeyCheck (host_key_pending()) until
  // ResolveHostKey() is called.
  std::function<absl::Status(const HostKeyInfo&)> verify_host_key;
  // Rekey after this many bytes in either direction (0: 1 GiB, the order of
  // OpenSSH's default) or this much time (zero: never, OpenSSH's default).
  uint64_t rekey_bytes = 0;
  std::chrono::seconds rekey_interval{0};
  bool strict_kex = true;
  bool allow_rsa_sha1 = false;
  std::string client_version = kParleyVersion;
  TransportLimits limits;
  // Receives SSH_MSG_DEBUG messages (untrusted text: sanitise to display).
  std::function<void(bool always_display, const std::string&)> on_debug;
  // SSH_MSG_IGNORE's data (at most 4096 bytes) and the server's
  // SSH_MSG_DISCONNECT (reason code, description of at most 1024 bytes),
  // for libssh2's callbacks. Untrusted text, as on_debug's.
  std::function<void(const std::string&)> on_ignore;
  std::function<void(uint32_t reason, const std::string&)> on_disconnect;
  // Sees every packet's message number and payload size, sent or received
  // (after decryption), for tracing (`parley -vvv`). Never the payload.
  std::function<void(bool sent, uint8_t type, size_t size)> on_packet;
};

// What the server said when it disconnected.
struct DisconnectInfo {
  uint32_t reason = 0;
  std::string description;
};

class Transport {
 public:
  enum class State {
    kIdle,          // before Start()
    kVersion,       // waiting for the server's version line
    kKexInit,       // our KEXINIT sent, waiting for the server's
    kGexGroup,      // group exchange: request sent, waiting for the group
    kKexReply,      // KEX init sent, waiting for the server's reply
    kHostKeyCheck,  // reply verified; waiting for the host-key decision
    kNewKeys,       // our NEWKEYS sent, waiting for the server's
    kEstablished,   // keys in place; upper-layer traffic flows
    kClosed,        // disconnected (either side) or failed
  };
  static const char* StateName(State s);

  explicit Transport(TransportOptions options);
  ~Transport();

  // Queues our version line and KEXINIT.
  absl::Status Start();

  // The current time, for time-based rekeying (the transport never reads
  // the clock). Set it before Feed() and Send().
  void set_now(TimePoint now) { now_ = now; }

  // Processes bytes received from the server. An error is fatal: the
  // transport is closed, and a DISCONNECT for the server is queued in
  // output() where appropriate.
  absl::Status Feed(ByteView data);

  // Bytes to send to the server.
  ByteView output() const { return ByteView(out_).subspan(out_start_); }
  void ConsumeOutput(size_t n);
  bool has_output() const { return out_start_ < out_.size(); }

  // Sends an upper-layer message (payload starting with its message number).
  // `min_padded` hides the length of secrets (see PacketWriter::Write).
  // Fails (and closes the transport) with kResourceLimit when the queue
  // would pass TransportLimits::output_hard_cap.
  absl::Status Send(ByteView payload, size_t min_padded = 0);
  // Bytes waiting to be sent: unsent output plus held messages.
  size_t queued_bytes() const { return out_.size() - out_start_ + held_bytes_; }
  // How many more bytes of bulk data upper layers should queue now (0 at
  // or above the high-water mark).
  size_t send_room() const;
  // False while the driver should not read: the output the socket has not
  // taken is above the high-water mark (the peer is not reading), or
  // processing is paused with enough input buffered.
  bool accepting_input() const;
  // Pops the next upper-layer message.
  bool Receive(Bytes* payload);
  bool has_received() const { return !inbox_.empty(); }

  // Starts a client-initiated key re-exchange (no-op while one runs).
  absl::Status Rekey();

  // Asynchronous host-key decision (verify_host_key null): true while the
  // server's key (host_key()) waits for ResolveHostKey(). OK trusts it;
  // an error closes the transport with that status (kHostKeyRejected
  // attached unless it has a kind).
  bool host_key_pending() const { return state_ == State::kHostKeyCheck; }
  const HostKeyInfo* pending_host_key() const {
    return host_key_pending() ? &pending_host_key_ : nullptr;
  }
  absl::Status ResolveHostKey(absl::Status decision);
  // Queues a DISCONNECT and closes.
  void Disconnect(uint32_t reason, absl::string_view description);
  // Closes with `error` (kind attached by the caller; kProtocol by
  // default), queuing a DISCONNECT with `reason` unless it is 0. For the
  // layers above, which find protocol errors in upper-layer messages, and
  // for drivers reporting socket errors. Returns the error.
  absl::Status Abort(absl::Status error, uint32_t reason);
  // Advances time: starts a rekey when rekey_interval has passed.
  absl::Status Tick(TimePoint now);
  // When Tick() must run next for a time-based rekey.
  absl::optional<TimePoint> next_deadline() const;

  State state() const { return state_; }
  // True once the first key exchange has completed.
  bool established() const { return kex_count_ > 0; }
  bool closed() const { return state_ == State::kClosed; }
  // Why the transport closed (OK while open).
  const absl::Status& error() const { return error_; }
  const absl::optional<DisconnectInfo>& server_disconnect() const {
    return server_disconnect_;
  }
  ByteView session_id() const { return session_id_; }
  const Negotiated& negotiated() const { return negotiated_; }
  const std::string& server_version() const {
    return version_.server_version();
  }
  const HostKeyInfo& host_key() const { return host_key_; }
  // server-sig-algs from EXT_INFO (RFC 8308); empty if none was sent.
  const std::vector<std::string>& server_sig_algs() const {
    return server_sig_algs_;
  }
  int kex_count() const { return kex_count_; }
  const crypto::CryptoProvider& provider() const { return *options_.provider; }

 private:
  absl::Status Fail(absl::Status status, uint32_t reason,
                    ErrorKind kind = ErrorKind::kProtocol);
  absl::Status FinishKexReply();
  absl::Status CheckQueue();
  absl::Status ProcessPackets();
  absl::Status HandlePacket(Bytes& payload);
  absl::Status HandleKexInit(ByteView payload);
  absl::Status HandleKexReply(ByteView payload);
  absl::Status HandleGexGroup(ByteView payload);
  absl::Status HandleNewKeys();
  absl::Status HandleExtInfo(ByteView payload);
  absl::Status SendKexInit();
  absl::Status WritePacket(ByteView payload, size_t min_padded = 0);
  absl::Status MaybeRekey();
  absl::Status SendUnimplemented();
  bool in_kex() const;

  TransportOptions options_;
  State state_ = State::kIdle;
  absl::Status error_;
  absl::optional<DisconnectInfo> server_disconnect_;

  VersionExchange version_;
  PacketWriter writer_;
  PacketReader reader_;
  Bytes out_;
  size_t out_start_ = 0;
  std::deque<Bytes> inbox_;
  // Upper-layer messages held during a key exchange (they may carry
  // credentials: wiped when sent).
  std::deque<std::pair<SecureBuffer, size_t>> pending_;
  size_t held_bytes_ = 0;

  // Key exchange in progress.
  bool our_kexinit_sent_ = false;
  KexInit our_kexinit_;
  Bytes i_c_, i_s_;
  Negotiated negotiated_;
  const KexMethod* method_ = nullptr;
  std::unique_ptr<crypto::KeyAgreement> agreement_;
  // Group exchange: what we asked for, and the group the server sent.
  GexParameters gex_;
  Bytes gex_p_, gex_g_;
  std::unique_ptr<PacketProtection> pending_in_;
  bool ignore_next_kex_packet_ = false;
  uint64_t packets_received_ = 0;
  // Pending host-key decision: the key, and the keys derived for after it.
  HostKeyInfo pending_host_key_;
  Bytes pending_h_;
  std::unique_ptr<PacketProtection> pending_out_;

  // EXT_INFO placement (RFC 8308 section 2.4): as the first packet after
  // the server's first NEWKEYS, or once more right before
  // USERAUTH_SUCCESS (the next packet must be that).
  uint64_t packets_at_first_newkeys_ = 0;
  bool late_ext_info_seen_ = false;
  bool expect_userauth_success_ = false;
  bool userauth_success_seen_ = false;

  Bytes session_id_;
  HostKeyInfo host_key_;
  std::vector<std::string> server_sig_algs_;
  int kex_count_ = 0;
  bool strict_ = false;
  TimePoint now_{};
  TimePoint keys_since_{};
};

}  // namespace parley::transport

#endif  // PARLEY_CORE_TRANSPORT_TRANSPORT_H_
