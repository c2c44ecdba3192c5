#include "core/keys/bcrypt_pbkdf.h"

#include <algorithm>
#include <memory>

#include "core/base/secure_buffer.h"
#include "core/base/status_macros.h"
#include "core/crypto/hash.h"
#include "core/keys/internal/blowfish.h"

namespace parley::keys {
namespace {

constexpr size_t kSha512Size = 64;
constexpr size_t kHashWords = 8;
constexpr size_t kHashSize = 4 * kHashWords;  // 32 bytes per block
constexpr int kExpansionRounds = 64;
constexpr int kEncryptionRounds = 64;
constexpr char kMagic[] = "OxychromaticBlowfishSwatDynamite";
static_assert(sizeof(kMagic) - 1 == kHashSize, "magic is one block");

// Holds secret bytes on the stack and wipes them on scope exit.
template <size_t N>
struct WipedArray {
  uint8_t data[N] = {};
  ~WipedArray() { SecureWipe(data, N); }
  MutableByteView view() { return MutableByteView(data, N); }
  ByteView cview() const { return ByteView(data, N); }
};

// The "bcrypt hash" of bcrypt_pbkdf: eksblowfish keyed with the two SHA-512
// digests, then the magic encrypted 64 times in ECB mode; the 8 resulting
// words are written out little-endian (as OpenBSD does).
void BcryptHash(ByteView sha2pass, ByteView sha2salt, uint8_t out[kHashSize]) {
  internal::Blowfish state;
  state.ExpandKeyWithSalt(sha2pass, sha2salt);
  for (int i = 0; i < kExpansionRounds; ++i) {
    state.ExpandKey(sha2salt);
    state.ExpandKey(sha2pass);
  }
  uint32_t cdata[kHashWords];
  for (size_t i = 0; i < kHashWords; ++i) {
    const auto* p = reinterpret_cast<const uint8_t*>(kMagic) + 4 * i;
    cdata[i] = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 |
               uint32_t{p[2]} << 8 | uint32_t{p[3]};
  }
  for (int round = 0; round < kEncryptionRounds; ++round) {
    for (size_t i = 0; i < kHashWords; i += 2) {
      state.EncryptBlock(&cdata[i], &cdata[i + 1]);
    }
  }
  for (size_t i = 0; i < kHashWords; ++i) {
    out[4 * i + 0] = static_cast<uint8_t>(cdata[i]);
    out[4 * i + 1] = static_cast<uint8_t>(cdata[i] >> 8);
    out[4 * i + 2] = static_cast<uint8_t>(cdata[i] >> 16);
    out[4 * i + 3] = static_cast<uint8_t>(cdata[i] >> 24);
  }
  SecureWipe(cdata, sizeof(cdata));
}

}  // namespace

absl::Status BcryptPbkdf(const crypto::CryptoProvider& provider,
                         ByteView password, ByteView salt, uint32_t rounds,
                         MutableByteView out) {
  if (rounds < 1) {
    return absl::InvalidArgumentError("bcrypt_pbkdf: rounds must be >= 1");
  }
  if (password.empty()) {
    return absl::InvalidArgumentError("bcrypt_pbkdf: empty password");
  }
  if (salt.empty() || salt.size() > kBcryptPbkdfMaxSalt) {
    return absl::InvalidArgumentError(
        "bcrypt_pbkdf: salt must be 1 byte to 1 MiB");
  }
  if (out.empty() || out.size() > kBcryptPbkdfMaxOutput) {
    return absl::InvalidArgumentError(
        "bcrypt_pbkdf: output must be 1 to 1024 bytes");
  }
  PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<crypto::Hash> sha512,
                          provider.NewHash(crypto::HashAlgorithm::kSha512));
  if (sha512->digest_size() != kSha512Size) {
    return absl::InternalError("bcrypt_pbkdf: SHA-512 digest size");
  }

  WipedArray<kSha512Size> sha2pass;
  PARLEY_RETURN_IF_ERROR(sha512->Update(password));
  PARLEY_RETURN_IF_ERROR(sha512->Finish(sha2pass.view()));

  // Output byte j of block `count` (1-based) goes to j * blocks + count - 1.
  const size_t blocks = (out.size() + kHashSize - 1) / kHashSize;
  WipedArray<kSha512Size> sha2salt;
  WipedArray<kHashSize> block;
  WipedArray<kHashSize> tmp;
  for (size_t count = 1; count <= blocks; ++count) {
    const uint8_t count_be[4] = {
        static_cast<uint8_t>(count >> 24), static_cast<uint8_t>(count >> 16),
        static_cast<uint8_t>(count >> 8), static_cast<uint8_t>(count)};
    PARLEY_RETURN_IF_ERROR(sha512->Update(salt));
    PARLEY_RETURN_IF_ERROR(sha512->Update(ByteView(count_be, 4)));
    PARLEY_RETURN_IF_ERROR(sha512->Finish(sha2salt.view()));
    BcryptHash(sha2pass.cview(), sha2salt.cview(), tmp.data);
    std::copy(tmp.data, tmp.data + kHashSize, block.data);
    for (uint32_t i = 1; i < rounds; ++i) {
      PARLEY_RETURN_IF_ERROR(sha512->Update(tmp.cview()));
      PARLEY_RETURN_IF_ERROR(sha512->Finish(sha2salt.view()));
      BcryptHash(sha2pass.cview(), sha2salt.cview(), tmp.data);
      for (size_t j = 0; j < kHashSize; ++j) block.data[j] ^= tmp.data[j];
    }
    for (size_t j = 0; j < kHashSize; ++j) {
      const size_t dest = j * blocks + (count - 1);
      if (dest >= out.size()) break;
      out[dest] = block.data[j];
    }
  }
  return absl::OkStatus();
}

}  // namespace parley::keys
