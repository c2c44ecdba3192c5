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

struct TransportOptions {
  std::shared_ptr<const crypto::CryptoProvider> provider;
  // Algorithms to offer, in preference order; empty lists take the
  // provider's defaults. Names the provider lacks are dropped.
  crypto::AlgorithmLists algorithms;
  // Called with the server's host key after its signature over the exchange
  // hash verified, before NEWKEYS is sent (so before any credential). A
  // non-OK status aborts the connection with that status. Required.
  std::function<absl::Status(const HostKeyInfo&)> verify_host_key;
  // Rekey after this many bytes in either direction (0: 1 GiB, the order of
  // OpenSSH's default) or this much time (zero: never, OpenSSH's default).
  uint64_t rekey_bytes = 0;
  std::chrono::seconds rekey_interval{0};
  bool strict_kex = true;
  bool allow_rsa_sha1 = false;
  std::string client_version = kParleyVersion;
  // Receives SSH_MSG_DEBUG messages (untrusted text: sanitise to display).
  std::function<void(bool always_display, const std::string&)> on_debug;
};

// What the server said when it disconnected.
struct DisconnectInfo {
  uint32_t reason = 0;
  std::string description;
};

class Transport {
 public:
  enum class State {
    kIdle,         // before Start()
    kVersion,      // waiting for the server's version line
    kKexInit,      // our KEXINIT sent, waiting for the server's
    kKexReply,     // KEX init sent, waiting for the server's reply
    kNewKeys,      // our NEWKEYS sent, waiting for the server's
    kEstablished,  // keys in place; upper-layer traffic flows
    kClosed,       // disconnected (either side) or failed
  };
  static const char* StateName(State s);

  explicit Transport(TransportOptions options);
  ~Transport();

  // Queues our version line and KEXINIT.
  absl::Status Start();

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
  absl::Status Send(ByteView payload, size_t min_padded = 0);
  // Pops the next upper-layer message.
  bool Receive(Bytes* payload);
  bool has_received() const { return !inbox_.empty(); }

  // Starts a client-initiated key re-exchange (no-op while one runs).
  absl::Status Rekey();
  // Queues a DISCONNECT and closes.
  void Disconnect(uint32_t reason, absl::string_view description);

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
  absl::Status Fail(absl::Status status, uint32_t reason);
  absl::Status ProcessPackets();
  absl::Status HandlePacket(Bytes& payload);
  absl::Status HandleKexInit(ByteView payload);
  absl::Status HandleKexReply(ByteView payload);
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

  // Key exchange in progress.
  bool our_kexinit_sent_ = false;
  KexInit our_kexinit_;
  Bytes i_c_, i_s_;
  Negotiated negotiated_;
  const KexMethod* method_ = nullptr;
  std::unique_ptr<crypto::KeyAgreement> agreement_;
  std::unique_ptr<PacketProtection> pending_in_;
  bool ignore_next_kex_packet_ = false;
  uint64_t packets_received_ = 0;

  Bytes session_id_;
  HostKeyInfo host_key_;
  std::vector<std::string> server_sig_algs_;
  int kex_count_ = 0;
  bool strict_ = false;
  std::chrono::steady_clock::time_point keys_since_;
};

}  // namespace parley::transport

#endif  // PARLEY_CORE_TRANSPORT_TRANSPORT_H_
