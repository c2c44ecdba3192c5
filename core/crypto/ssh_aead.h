// The SSH packet ciphers and MACs by name, and the two OpenSSH AEAD packet
// constructions, built once here on a provider's primitives so that every
// backend gets the same, reviewed packet format:
//
// - aes128-gcm@openssh.com, aes256-gcm@openssh.com (RFC 5647 as OpenSSH
//   uses it): the 4-byte packet length travels in clear as the AAD; the
//   12-byte nonce is the 4-byte fixed field followed by a 64-bit invocation
//   counter that is incremented after every packet.
// - chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305): a
//   64-byte key; bytes 0-31 are K_2 (payload), bytes 32-63 K_1 (length); the
//   nonce is the packet sequence number (uint64 big-endian); the length is
//   encrypted with K_1, the rest with K_2 from block counter 1; the Poly1305
//   key is the first 32 bytes of K_2's block 0; the tag covers the encrypted
//   length and payload.
#ifndef PARLEY_CORE_CRYPTO_SSH_AEAD_H_
#define PARLEY_CORE_CRYPTO_SSH_AEAD_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/crypto/provider.h"

namespace parley::crypto {

enum class SshCipherKind { kAesCtr, kAesGcm, kChaChaPoly, kCbc };

struct SshCipherInfo {
  const char* name;
  SshCipherKind kind;
  size_t key_size;
  size_t iv_size;
  size_t block_size;  // packet alignment (RFC 4253 section 6)
  size_t tag_size;    // 0 for ciphers that need a separate MAC
  CbcAlgorithm cbc = CbcAlgorithm::kAes128;  // for kCbc
};

struct SshMacInfo {
  const char* name;
  HashAlgorithm hash;
  size_t key_size;
  size_t tag_size;
  bool encrypt_then_mac;  // *-etm@openssh.com
  bool md5 = false;       // HMAC-MD5 (`hash` unused), from LegacyMd5
};

// nullptr when the name is not one Parley implements.
const SshCipherInfo* FindSshCipher(absl::string_view name);
const SshMacInfo* FindSshMac(absl::string_view name);

// The cipher of a non-AEAD SSH cipher (CTR, or CBC in the direction
// `encrypt` says) behind one interface: whole packets or their first block
// then the rest, the state carried across calls.
absl::StatusOr<std::unique_ptr<StreamCipher>> NewSshPacketCipher(
    const CryptoProvider& provider, const SshCipherInfo& info, ByteView key,
    ByteView iv, bool encrypt);
// The MAC of `info`: HMAC, truncated to the tag size where the name says
// (hmac-sha1-96, hmac-md5-96); HMAC-MD5 built on the provider's LegacyMd5
// (RFC 2104).
absl::StatusOr<std::unique_ptr<Mac>> NewSshMac(const CryptoProvider& provider,
                                               const SshMacInfo& info,
                                               ByteView key);

// An AEAD packet protection for one direction of one set of keys.
class PacketAead {
 public:
  static constexpr size_t kLengthSize = 4;
  static constexpr size_t kTagSize = 16;

  virtual ~PacketAead() = default;

  // Reads the packet_length field of received packet `seq` from the first
  // four bytes on the wire (decrypting it where the mode hides it). The
  // caller must bound the result before buffering that many bytes.
  virtual absl::StatusOr<uint32_t> DecryptLength(uint32_t seq,
                                                 ByteView first4) = 0;
  // `packet` is uint32 packet_length || the rest, plaintext. Writes
  // packet.size() + kTagSize bytes to `out`, which may equal packet.data().
  virtual absl::Status Seal(uint32_t seq, ByteView packet, uint8_t* out) = 0;
  // `sealed` is exactly 4 + packet_length + kTagSize bytes as received.
  // Writes 4 + packet_length bytes of plaintext (length field in clear) to
  // `out`, which may equal sealed.data(). kDataLoss on a bad tag.
  virtual absl::Status Open(uint32_t seq, ByteView sealed, uint8_t* out) = 0;

  // `name` must be an AEAD cipher from FindSshCipher(); `key` and `iv` are the
  // key-exchange outputs of the sizes the table gives.
  static absl::StatusOr<std::unique_ptr<PacketAead>> New(
      const CryptoProvider& provider, absl::string_view name, ByteView key,
      ByteView iv);
};

}  // namespace parley::crypto

#endif  // PARLEY_CORE_CRYPTO_SSH_AEAD_H_
