// Signing and verification over raw signature encodings; the SSH blob
// formats are handled backend-neutrally in ssh_keys.h.
//
// Raw signatures: Ed25519, 64 bytes (RFC 8032); ECDSA, r || s, each padded to
// the field size (32, 48, 66 bytes); RSA PKCS#1 v1.5, the modulus length.
#ifndef PARLEY_CORE_CRYPTO_SIGNATURE_H_
#define PARLEY_CORE_CRYPTO_SIGNATURE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/base/secure_buffer.h"
#include "core/crypto/algorithms.h"

namespace parley::crypto {

// Parley accepts RSA moduli from 1024 bits (OpenSSH's minimum) to 16384.
inline constexpr size_t kMinRsaBits = 1024;
inline constexpr size_t kMaxRsaBits = 16384;

struct PublicKey {
  KeyType type = KeyType::kEd25519;
  Bytes ed25519;   // 32 bytes
  Bytes ec_point;  // 0x04 || X || Y
  Bytes rsa_e;     // big-endian magnitudes without leading zeros
  Bytes rsa_n;

  bool operator==(const PublicKey& o) const {
    return type == o.type && ed25519 == o.ed25519 && ec_point == o.ec_point &&
           rsa_e == o.rsa_e && rsa_n == o.rsa_n;
  }
};

struct PrivateKey {
  PublicKey public_key;
  SecureBuffer ed25519_seed;  // 32 bytes (RFC 8032 secret key)
  SecureBuffer ec_scalar;     // big-endian, field size
  SecureBuffer rsa_d, rsa_p, rsa_q, rsa_dp, rsa_dq, rsa_qinv;
};

class PublicKeyVerify {
 public:
  virtual ~PublicKeyVerify() = default;
  // OK only for a valid signature; kInvalidArgument for anything else
  // (wrong length, bad encoding, mismatch).
  virtual absl::Status Verify(ByteView message, ByteView signature) const = 0;
};

class PublicKeySign {
 public:
  virtual ~PublicKeySign() = default;
  virtual absl::StatusOr<Bytes> Sign(ByteView message) const = 0;
};

}  // namespace parley::crypto

#endif  // PARLEY_CORE_CRYPTO_SIGNATURE_H_
