// Ephemeral key agreement for SSH key exchange.
//
// Public values: X25519, 32 bytes (RFC 7748); NIST curves, the uncompressed
// point 0x04 || X || Y (SEC1, as RFC 5656 sends it); MODP groups, the
// big-endian magnitude of the group element (sent as an mpint).
//
// Every implementation validates the peer's value before use: an EC point
// must be on the curve, a DH value must lie in [2, p-2], and an all-zero
// X25519 result is rejected (RFC 7748 section 6.1). Failures are
// kInvalidArgument.
#ifndef PARLEY_CORE_CRYPTO_KEY_AGREEMENT_H_
#define PARLEY_CORE_CRYPTO_KEY_AGREEMENT_H_

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/base/secure_buffer.h"
#include "core/crypto/algorithms.h"

namespace parley::crypto {

class KeyAgreement {
 public:
  virtual ~KeyAgreement() = default;
  virtual KexGroup group() const = 0;
  virtual ByteView public_value() const = 0;
  // The shared secret as a fixed-length big-endian value: 32 bytes for X25519,
  // the field size for NIST curves (X coordinate), the size of p for MODP
  // groups. SSH encodes it as an mpint (leading zeros dropped).
  virtual absl::StatusOr<SecureBuffer> ComputeSharedSecret(
      ByteView peer_public) const = 0;
};

}  // namespace parley::crypto

#endif  // PARLEY_CORE_CRYPTO_KEY_AGREEMENT_H_
