// The SSH binary packet protocol (RFC 4253 section 6) for one direction:
// framing, padding, sequence numbers, and packet protection with the
// negotiated cipher and MAC (plain MAC, encrypt-then-MAC, or an AEAD).
//
// PacketReader is the parser of untrusted bytes: the packet length is checked
// against kMaxPacketLength and the alignment rules before anything is
// buffered for it, and the MAC or tag is verified before any payload byte is
// handed on. It is a pure function of the bytes fed in (and the keys), so it
// can be fuzzed.
#ifndef PARLEY_CORE_TRANSPORT_PACKET_CODEC_H_
#define PARLEY_CORE_TRANSPORT_PACKET_CODEC_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/base/secure_buffer.h"
#include "core/crypto/provider.h"
#include "core/crypto/ssh_aead.h"
#include "core/transport/kex.h"

namespace parley::transport {

// OpenSSH's limit (PACKET_MAX_SIZE): larger packet_length values are refused
// before any buffering.
inline constexpr uint32_t kMaxPacketLength = 256 * 1024;

// Packet protection for one direction after a NEWKEYS.
class PacketProtection {
 public:
  // `cipher` and `mac` are SSH names; `mac` is ignored for AEAD ciphers.
  // `encrypt`: for sending (CBC ciphers differ by direction).
  static absl::StatusOr<std::unique_ptr<PacketProtection>> New(
      const crypto::CryptoProvider& provider, const std::string& cipher,
      const std::string& mac, ByteView key, ByteView iv, ByteView mac_key,
      bool encrypt);

  const crypto::SshCipherInfo& cipher() const { return *cipher_; }
  const crypto::SshMacInfo* mac() const { return mac_info_; }
  bool aead() const { return aead_ != nullptr; }
  bool encrypt_then_mac() const {
    return mac_info_ != nullptr && mac_info_->encrypt_then_mac;
  }
  // Bytes after the packet: tag or MAC length.
  size_t trailer_size() const;

 private:
  friend class PacketWriter;
  friend class PacketReader;
  PacketProtection() = default;

  const crypto::SshCipherInfo* cipher_ = nullptr;
  const crypto::SshMacInfo* mac_info_ = nullptr;
  std::unique_ptr<crypto::PacketAead> aead_;
  std::unique_ptr<crypto::StreamCipher> stream_;
  std::unique_ptr<crypto::Mac> mac_;
};

// Both directions' protection from a key exchange's output. `client` says
// which end we are: a client sends with the client-to-server keys, a server
// with the server-to-client ones.
struct Protections {
  std::unique_ptr<PacketProtection> send;
  std::unique_ptr<PacketProtection> receive;
};
absl::StatusOr<Protections> NewProtections(
    const crypto::CryptoProvider& provider, const Negotiated& algorithms,
    const DerivedKeys& keys, bool client);

// Traffic counters that drive rekeying.
struct TrafficCounters {
  uint64_t packets = 0;
  uint64_t bytes = 0;   // on the wire
  uint64_t blocks = 0;  // cipher blocks processed
};

class PacketWriter {
 public:
  explicit PacketWriter(const crypto::CryptoProvider* provider)
      : provider_(provider) {}

  // Frames `payload` and appends the wire bytes to `out`. `min_padded` pads
  // the packet so that padding_length + payload is at least that many bytes
  // (up to the 255-byte padding limit), so a secret's length is hidden.
  absl::Status Write(ByteView payload, Bytes* out, size_t min_padded = 0);

  void SetProtection(std::unique_ptr<PacketProtection> p) {
    protection_ = std::move(p);
    since_keys_ = {};
  }
  bool has_protection() const { return protection_ != nullptr; }
  void ResetSequence() { seq_ = 0; }
  uint32_t sequence() const { return seq_; }
  const TrafficCounters& since_keys() const { return since_keys_; }

 private:
  absl::Status RandomPadding(MutableByteView out);

  const crypto::CryptoProvider* provider_;
  std::unique_ptr<PacketProtection> protection_;
  uint32_t seq_ = 0;
  TrafficCounters since_keys_;
  Bytes random_pool_;
  size_t random_used_ = 0;
};

class PacketReader {
 public:
  // Appends received bytes.
  void Feed(ByteView data);

  // Decodes the next packet into `payload`. Returns OK and true when a packet
  // was read, OK and false when more bytes are needed, and an error for a
  // malformed packet (kInvalidArgument) or a failed MAC/tag (kDataLoss);
  // after an error the reader must not be used again.
  absl::StatusOr<bool> Next(Bytes* payload);

  void SetProtection(std::unique_ptr<PacketProtection> p) {
    protection_ = std::move(p);
    since_keys_ = {};
  }
  void ResetSequence() { seq_ = 0; }
  uint32_t sequence() const { return seq_; }
  const TrafficCounters& since_keys() const { return since_keys_; }
  size_t buffered() const { return buf_.size() - start_; }

 private:
  absl::Status CheckLength(uint32_t packet_length, bool length_aligned) const;
  absl::StatusOr<bool> NextPlainOrMac(Bytes* payload);
  absl::StatusOr<bool> NextEtm(Bytes* payload);
  absl::StatusOr<bool> NextAead(Bytes* payload);
  absl::StatusOr<bool> Deliver(const uint8_t* packet, uint32_t packet_length,
                               size_t total, Bytes* payload);

  std::unique_ptr<PacketProtection> protection_;
  uint32_t seq_ = 0;
  TrafficCounters since_keys_;
  Bytes buf_;
  size_t start_ = 0;
  // Plain-MAC mode: the first block of the current packet is decrypted.
  bool first_block_done_ = false;
  uint32_t pending_length_ = 0;
};

}  // namespace parley::transport

#endif  // PARLEY_CORE_TRANSPORT_PACKET_CODEC_H_
