// A minimal, scriptable SSH-2 server-side transport for testing the client
// engine (core/transport/transport.h) in memory.
//
// FakeServer is built from Parley's own pieces (KexInit, Negotiate,
// PacketWriter/PacketReader with PacketProtection, DeriveKeys, the provider's
// KeyAgreement, SignSsh) with the server's roles: it computes the exchange
// hash H over V_C, V_S, I_C, I_S, K_S, Q_C, Q_S (mpints e, f for the
// diffie-hellman-group* methods) and K, signs H with its host key, encrypts
// with the server-to-client keys and decrypts with the client-to-server
// keys, and honours strict KEX (sequence numbers reset at every NEWKEYS).
//
// Like the client it is bytes in, bytes out: Pump() moves each side's
// output() into the other's Feed() until both are quiet.
//
// It is also a checker of the client: it fails (closed(), error()) when the
// client breaks the protocol, e.g. sends an upper-layer message while its
// own key exchange is in flight, or anything but KEX messages during a
// strict initial key exchange. Once closed it still decodes what arrives,
// so that a test can read the client's DISCONNECT (client_disconnect()).
//
// Misbehaviour is scripted through FakeServerOptions (banner lines, guessed
// packets, strict-KEX advertisement, wrong signing keys, KEXINIT edits) and
// through on_stage, a hook called at each step of the server's handshake
// from which a test may queue any packet or raw bytes (SendPacket, SendRaw,
// SendIgnore, SendDebug, SendDisconnect, SendExtInfo, CorruptOutput).
#ifndef PARLEY_TESTS_TRANSPORT_FAKE_SERVER_H_
#define PARLEY_TESTS_TRANSPORT_FAKE_SERVER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/base/bytes.h"
#include "core/crypto/provider.h"
#include "core/crypto/signature.h"
#include "core/transport/kex.h"
#include "core/transport/packet_codec.h"
#include "core/transport/transport.h"
#include "core/transport/version.h"

namespace parley::transport::testing {

class FakeServer;

// Points in the server's key exchange where FakeServerOptions::on_stage runs.
enum class Stage {
  kBeforeKexInit,   // version line queued, our first KEXINIT not yet
  kAfterKexInit,    // our KEXINIT (and any guessed packet) queued
  kBeforeKexReply,  // client's KEX init processed, our reply not yet queued
  kBeforeNewKeys,   // reply queued, our NEWKEYS not yet
  kAfterNewKeys,    // our NEWKEYS (and EXT_INFO) queued; output uses new keys
  kEstablished,     // the client's NEWKEYS was received
};
const char* StageName(Stage stage);

struct FakeServerOptions {
  std::shared_ptr<const crypto::CryptoProvider> provider;
  // Host keys. The server offers the host-key algorithms of these keys
  // (rsa-sha2-512 and rsa-sha2-256 for RSA) unless algorithms.host_key is
  // set, and signs with the key whose type the negotiated algorithm needs.
  std::vector<crypto::PrivateKey> host_keys;
  // Algorithms to offer, in preference order; empty slots take the
  // provider's defaults.
  crypto::AlgorithmLists algorithms;
  // Sent before the version line, verbatim (banner lines with their CR LF).
  std::string pre_version;
  std::string version = "SSH-2.0-ParleyFakeServer_1.0";
  // Advertise kex-strict-s-v00@openssh.com in the first KEXINIT.
  bool strict_kex = true;
  // When non-empty and the client offered ext-info-c: an EXT_INFO with
  // server-sig-algs right after our first NEWKEYS.
  std::vector<std::string> server_sig_algs;
  // When set: first_kex_packet_follows is TRUE in the first KEXINIT and this
  // payload is sent right after it (the "guessed" packet).
  absl::optional<Bytes> guessed_packet;
  // Sign the exchange hash with this key instead of the one sent as K_S.
  absl::optional<crypto::PrivateKey> signing_key_override;
  // Sign with this algorithm instead of the negotiated one.
  absl::optional<crypto::SignatureAlgorithm> signature_algorithm_override;
  // Edits each KEXINIT of ours before it is encoded (kex_count: how many key
  // exchanges completed before it).
  std::function<void(KexInit*, int kex_count)> edit_kexinit;
  // Runs at each Stage; may queue packets or bytes through the server.
  std::function<void(FakeServer&, Stage)> on_stage;
  // Shown each key exchange's secrets: K as an mpint (with its length
  // prefix) and the keys derived from it (tests that prove the client
  // wipes its copies).
  std::function<void(ByteView k_mpint, const DerivedKeys&)> on_keys;
  // Group exchange (RFC 4419): the group to send (p, g as magnitudes);
  // unset: RFC 3526 group 14 with generator 2, whatever was asked.
  absl::optional<std::pair<Bytes, Bytes>> gex_group;
};

class FakeServer {
 public:
  enum class State {
    kIdle,         // before Start()
    kKexInit,      // waiting for the client's KEXINIT
    kGexRequest,   // group exchange: waiting for the client's request
    kKexDhInit,    // waiting for the client's KEX(EC)DH_INIT or GEX_INIT
    kNewKeys,      // our NEWKEYS sent, waiting for the client's
    kEstablished,  // keys in place in both directions
    kClosed,       // failed, or the client disconnected
  };
  static const char* StateName(State s);

  explicit FakeServer(FakeServerOptions options);
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  // Queues pre_version, our version line and our first KEXINIT.
  absl::Status Start();
  // Processes bytes from the client. An error closes the server.
  absl::Status Feed(ByteView data);

  ByteView output() const { return ByteView(out_).subspan(out_start_); }
  void ConsumeOutput(size_t n);
  bool has_output() const { return out_start_ < out_.size(); }

  // Upper-layer messages from the client, in order.
  bool Receive(Bytes* payload);
  size_t received_count() const { return inbox_.size(); }
  // Sends an upper-layer message; held (in order) while our key exchange
  // is in flight, from our KEXINIT to our NEWKEYS.
  absl::Status Send(ByteView payload);
  // Starts a server-initiated key re-exchange (kFailedPrecondition unless
  // established).
  absl::Status Rekey();

  // Scripting: these write at once, under the current output keys, in any
  // state (no check that the packet is legal).
  absl::Status SendPacket(ByteView payload);
  void SendRaw(ByteView bytes);
  absl::Status SendIgnore(absl::string_view data = "");
  absl::Status SendDebug(bool always_display, absl::string_view message);
  absl::Status SendDisconnect(uint32_t reason, absl::string_view description);
  // An EXT_INFO with these name/value pairs.
  absl::Status SendExtInfo(
      const std::vector<std::pair<std::string, std::string>>& extensions);
  // XORs `mask` into the byte `from_end` bytes before the end of output()
  // (1: the last byte, i.e. inside the MAC or tag of the last packet).
  void CorruptOutput(size_t from_end, uint8_t mask = 0x01);

  State state() const { return state_; }
  bool closed() const { return state_ == State::kClosed; }
  bool established() const { return kex_count_ > 0; }
  const absl::Status& error() const { return error_; }
  int kex_count() const { return kex_count_; }
  bool strict() const { return strict_; }
  const Negotiated& negotiated() const { return negotiated_; }
  ByteView session_id() const { return session_id_; }
  const std::string& client_version() const {
    return version_.server_version();
  }
  const KexInit& client_kexinit() const { return client_kexinit_; }
  // The client's DISCONNECT, if it sent one.
  const absl::optional<DisconnectInfo>& client_disconnect() const {
    return client_disconnect_;
  }
  // Sequence numbers named by the client's UNIMPLEMENTED messages.
  const std::vector<uint32_t>& unimplemented() const { return unimplemented_; }
  // Public-key blob of the host key used in the last KEX reply.
  const Bytes& host_key_blob() const { return host_key_blob_; }
  uint32_t send_sequence() const { return writer_.sequence(); }
  uint32_t receive_sequence() const { return reader_.sequence(); }

 private:
  absl::Status Fail(absl::Status status);
  void Hook(Stage stage);
  absl::Status SendKexInit();
  absl::Status WritePacket(ByteView payload);
  absl::Status ProcessPackets();
  absl::Status HandlePacket(Bytes& payload);
  absl::Status HandleKexInit(ByteView payload);
  absl::Status HandleKexDhInit(ByteView payload);
  absl::Status HandleGexRequest(ByteView payload);
  absl::Status HandleNewKeys();
  void HandleAfterClose(ByteView payload);
  absl::Status ParseDisconnect(ByteView payload);
  absl::Status FlushPending();

  FakeServerOptions options_;
  std::vector<std::string> host_key_algorithms_;
  State state_ = State::kIdle;
  absl::Status error_;

  VersionExchange version_;  // parses the client's identification
  PacketWriter writer_;
  PacketReader reader_;
  Bytes out_;
  size_t out_start_ = 0;
  std::deque<Bytes> inbox_;
  std::deque<Bytes> pending_;
  // False from our KEXINIT to our NEWKEYS: upper-layer messages wait.
  bool can_send_ = false;

  bool our_kexinit_sent_ = false;
  KexInit our_kexinit_;
  KexInit client_kexinit_;
  Bytes i_c_, i_s_;
  Negotiated negotiated_;
  const KexMethod* method_ = nullptr;
  GexParameters gex_;
  Bytes gex_p_, gex_g_;
  std::unique_ptr<PacketProtection> pending_in_;
  bool strict_ = false;
  bool client_ext_info_ = false;
  uint64_t packets_received_ = 0;
  bool reader_failed_ = false;
  int kex_count_ = 0;
  Bytes session_id_;
  Bytes host_key_blob_;
  absl::optional<DisconnectInfo> client_disconnect_;
  std::vector<uint32_t> unimplemented_;
};

// Moves output between the two until neither has any left (or one side
// stops accepting it). `chunk` > 0 delivers at most that many bytes per
// Feed() call, to exercise incremental parsing. Errors are not returned:
// inspect closed() / error() on either side.
void Pump(Transport& client, FakeServer& server, size_t chunk = 0);

// One step of Pump(): feeds at most `max_bytes` (0: all) of each side's
// pending output to the other, once. Returns true if any byte moved.
bool PumpOnce(Transport& client, FakeServer& server, size_t max_bytes = 0);

}  // namespace parley::transport::testing

#endif  // PARLEY_TESTS_TRANSPORT_FAKE_SERVER_H_
