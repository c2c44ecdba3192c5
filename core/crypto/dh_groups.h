// The RFC 3526 MODP groups used by diffie-hellman-group14-sha256,
// group16-sha512 and group18-sha512 (RFC 8268), and the public-value check
// every backend applies before computing a shared secret.
#ifndef PARLEY_CORE_CRYPTO_DH_GROUPS_H_
#define PARLEY_CORE_CRYPTO_DH_GROUPS_H_

#include "absl/status/status.h"
#include "core/base/bytes.h"
#include "core/crypto/algorithms.h"

namespace parley::crypto {

struct ModpGroup {
  size_t bits;           // size of p
  ByteView prime;        // big-endian p
  uint8_t generator;     // 2 for every RFC 3526 group
  size_t exponent_bits;  // private exponent size used by Parley
};

// The group for kModp2048/4096/8192; nullptr for other KexGroups.
const ModpGroup* FindModpGroup(KexGroup group);

// OK when 2 <= y <= p-2 (`y` big-endian, leading zeros allowed); otherwise
// kInvalidArgument. Rejects 0, 1 and p-1, which would force the shared secret
// into a subgroup of order at most 2.
absl::Status CheckDhPublicValue(const ModpGroup& group, ByteView y);
// The same for any odd prime `p` (big-endian, no leading zeros).
absl::Status CheckDhPublicValue(ByteView p, ByteView y);

// A group a server chose for group exchange (RFC 4419 section 3): p of
// `min_bits` to `max_bits` bits, odd, and 2 <= g <= p-2 (magnitudes
// without leading zeros). kInvalidArgument saying what is wrong. p is not
// tested for primality (neither does OpenSSH's client): the server's own
// security rests on it.
absl::Status CheckServerChosenGroup(ByteView p, ByteView g, uint32_t min_bits,
                                    uint32_t max_bits);
// The private exponent size Parley uses in a server-chosen group of
// `p_bits` bits: twice the group's security strength (NIST SP 800-57 part
// 1 table 2), as for the fixed groups.
size_t ServerChosenExponentBits(size_t p_bits);

}  // namespace parley::crypto

#endif  // PARLEY_CORE_CRYPTO_DH_GROUPS_H_
