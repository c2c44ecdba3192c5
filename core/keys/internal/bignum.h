// Just enough unsigned big-number arithmetic to complete and check an RSA
// private key from OpenSSH's key format, which stores n, e, d, iqmp, p and q
// but not the CRT exponents d mod (p-1) and d mod (q-1) that the OpenSSL
// backend requires. The CryptoProvider interface has no big-number
// operations (and must not grow them for this), so these are schoolbook
// algorithms over 32-bit limbs, done in core once for every backend.
//
// Numbers are big-endian unsigned magnitudes; results carry no leading zero
// bytes (zero is the empty buffer). Secrets are held in wiping buffers. The
// operations have no branches or memory accesses that depend on the values,
// only on the operands' lengths, so running time reveals the bit lengths'
// byte counts and nothing else. They are quadratic: a 16384-bit d reduced
// modulo an 8192-bit prime takes some tens of milliseconds unoptimised.
#ifndef PARLEY_CORE_KEYS_INTERNAL_BIGNUM_H_
#define PARLEY_CORE_KEYS_INTERNAL_BIGNUM_H_

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/base/secure_buffer.h"

namespace parley::keys::internal {

// `a` without its leading zero bytes.
ByteView StripLeadingZeros(ByteView a);

// a mod m, by binary long division (shift in one bit of `a` at a time and
// subtract m whenever the remainder reaches it, as a masked select).
// kInvalidArgument if m is zero.
absl::StatusOr<SecureBuffer> Mod(ByteView a, ByteView m);

// a * b.
SecureBuffer Multiply(ByteView a, ByteView b);

// a - 1. kInvalidArgument if a is zero.
absl::StatusOr<SecureBuffer> SubtractOne(ByteView a);

// a == b as numbers (leading zeros ignored), in time that depends only on
// the lengths.
bool MagnitudesEqual(ByteView a, ByteView b);

}  // namespace parley::keys::internal

#endif  // PARLEY_CORE_KEYS_INTERNAL_BIGNUM_H_
