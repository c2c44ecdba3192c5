// Key exchange pieces (RFC 4253 sections 7 and 8, RFC 5656, RFC 8731,
// RFC 8268): KEXINIT encoding and negotiation, the exchange hash and key
// derivation. The state machine that drives them is in transport.h.
#ifndef PARLEY_CORE_TRANSPORT_KEX_H_
#define PARLEY_CORE_TRANSPORT_KEX_H_

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/base/secure_buffer.h"
#include "core/crypto/provider.h"

namespace parley::transport {

inline constexpr char kExtInfoClient[] = "ext-info-c";
inline constexpr char kStrictKexClient[] = "kex-strict-c-v00@openssh.com";
inline constexpr char kStrictKexServer[] = "kex-strict-s-v00@openssh.com";

struct KexInit {
  std::array<uint8_t, 16> cookie{};
  std::vector<std::string> kex;
  std::vector<std::string> host_key;
  std::vector<std::string> cipher_c2s, cipher_s2c;
  std::vector<std::string> mac_c2s, mac_s2c;
  std::vector<std::string> compression_c2s, compression_s2c;
  std::vector<std::string> language_c2s, language_s2c;
  bool first_kex_packet_follows = false;

  // The whole SSH_MSG_KEXINIT payload (message number included).
  Bytes Encode() const;
  // Parses a KEXINIT payload (message number included); trailing bytes other
  // than the reserved uint32 are an error.
  static absl::StatusOr<KexInit> Parse(ByteView payload);
};

// A KEX method's parameters.
struct KexMethod {
  const char* name;
  crypto::KexGroup group;
  crypto::HashAlgorithm hash;
};
// nullptr if unknown.
const KexMethod* FindKexMethod(absl::string_view name);

struct Negotiated {
  std::string kex;
  std::string host_key;
  std::string cipher_c2s, cipher_s2c;
  std::string mac_c2s, mac_s2c;  // empty for AEAD ciphers
  bool strict_kex = false;
  bool server_ext_info = false;
  // first_kex_packet_follows was set and the server's guess was wrong: the
  // next KEX packet from it must be ignored (RFC 4253 section 7).
  bool ignore_guessed_packet = false;
};

// Client-side negotiation: for each slot the first client algorithm that
// the server also lists (RFC 4253 section 7.1). kFailedPrecondition naming
// the slot when none match.
absl::StatusOr<Negotiated> Negotiate(const KexInit& client,
                                     const KexInit& server);

// Keys derived from K and H (RFC 4253 section 7.2).
struct DerivedKeys {
  SecureBuffer iv_c2s, iv_s2c, key_c2s, key_s2c, mac_c2s, mac_s2c;
};

// `k_mpint` is K already encoded as an mpint (with its length prefix).
absl::StatusOr<DerivedKeys> DeriveKeys(const crypto::CryptoProvider& provider,
                                       crypto::HashAlgorithm hash,
                                       ByteView k_mpint, ByteView h,
                                       ByteView session_id,
                                       const Negotiated& algs);

}  // namespace parley::transport

#endif  // PARLEY_CORE_TRANSPORT_KEX_H_
