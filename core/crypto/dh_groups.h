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

}  // namespace parley::crypto

#endif  // PARLEY_CORE_CRYPTO_DH_GROUPS_H_
