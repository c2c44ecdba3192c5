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
  // RFC 4419: the server chooses the group (`group` unused).
  bool group_exchange = false;
  // Finite-field DH (RFC 4253 section 8): public values travel as mpints,
  // not strings.
  bool finite_field() const;
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

// Group exchange (RFC 4419 section 3): what the client asked for and the
// group the server sent.
struct GexParameters {
  uint32_t min = 0, n = 0, max = 0;
  ByteView p, g;
};

// What the exchange hash covers, in both roles.
struct ExchangeHashInput {
  absl::string_view client_version;    // V_C, without CR LF
  absl::string_view server_version;    // V_S
  ByteView client_kexinit;             // I_C (payloads)
  ByteView server_kexinit;             // I_S
  ByteView host_key_blob;              // K_S
  ByteView client_public;              // Q_C or e
  ByteView server_public;              // Q_S or f
  ByteView shared_secret_mpint;        // K, already an mpint
  const GexParameters* gex = nullptr;  // group exchange only
};

// H = HASH(V_C || V_S || I_C || I_S || K_S || Q_C || Q_S || K) with the
// encodings of RFC 4253 section 8, RFC 5656 section 4 and RFC 8731
// section 3 (mpints for finite-field DH, strings for the curves); for
// group exchange, min || n || max || p || g follow K_S (RFC 4419 section 3).
absl::StatusOr<Bytes> ExchangeHash(const crypto::CryptoProvider& provider,
                                   const KexMethod& method,
                                   const ExchangeHashInput& in);

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
