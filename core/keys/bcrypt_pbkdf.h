// bcrypt_pbkdf, the passphrase KDF of OpenSSH's private-key format (kdfname
// "bcrypt"), as OpenBSD defines it (lib/libutil/bcrypt_pbkdf.c, T. Unangst
// 2013): PBKDF2's structure with SHA-512 pre-hashing and, as the PRF, a
// bcrypt-style hash of 64 rounds of eksblowfish key expansion that encrypts
// "OxychromaticBlowfishSwatDynamite" 64 times. Unlike PBKDF2, the output
// bytes of the 32-byte blocks are interleaved, so every output byte needs
// every block.
#ifndef PARLEY_CORE_KEYS_BCRYPT_PBKDF_H_
#define PARLEY_CORE_KEYS_BCRYPT_PBKDF_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "core/base/bytes.h"
#include "core/crypto/provider.h"

namespace parley::keys {

// OpenBSD's limits: at most 32 blocks of 32 bytes, salts up to 1 MiB.
inline constexpr size_t kBcryptPbkdfMaxOutput = 1024;
inline constexpr size_t kBcryptPbkdfMaxSalt = size_t{1} << 20;

// Fills `out` with the key derived from `password` and `salt` with `rounds`
// iterations. SHA-512 comes from `provider`. kInvalidArgument where OpenBSD
// fails: zero rounds, an empty password or salt, an empty or over-long
// output, an over-long salt. Cost is linear in rounds * ceil(out.size()/32).
absl::Status BcryptPbkdf(const crypto::CryptoProvider& provider,
                         ByteView password, ByteView salt, uint32_t rounds,
                         MutableByteView out);

}  // namespace parley::keys

#endif  // PARLEY_CORE_KEYS_BCRYPT_PBKDF_H_
