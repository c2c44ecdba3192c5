// Shared plumbing for the Crypto++ backend: exception-to-status conversion,
// the provider's random source and big-integer encodings. Internal to
// backends/cryptopp.
#ifndef PARLEY_BACKENDS_CRYPTOPP_UTIL_H_
#define PARLEY_BACKENDS_CRYPTOPP_UTIL_H_

#include <sys/types.h>

#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/base/secure_buffer.h"
#include "crypto++/cryptlib.h"
#include "crypto++/integer.h"
#include "crypto++/osrng.h"

namespace parley::crypto::cryptopp_backend {

// Maps a Crypto++ exception to a status whose message names `operation` and
// carries e.what().
absl::Status StatusFromException(absl::string_view operation,
                                 const CryptoPP::Exception& e);

// Runs `f` (returning absl::Status or absl::StatusOr<T>) and turns anything it
// throws into an error status, so that no exception leaves the backend.
template <typename F>
auto Guard(absl::string_view operation, F&& f) -> decltype(f()) {
  try {
    return std::forward<F>(f)();
  } catch (const CryptoPP::Exception& e) {
    return StatusFromException(operation, e);
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("Crypto++ backend: ", operation, " failed: ", e.what()));
  }
}

// A non-null pointer to the bytes of `v`, even when `v` is empty: Crypto++
// passes some buffers to memcpy without a length check.
inline const CryptoPP::byte* Ptr(ByteView v) {
  static constexpr CryptoPP::byte kEmpty = 0;
  return v.empty() ? &kEmpty : v.data();
}

// The provider's CSPRNG: one AutoSeededRandomPool (Crypto++'s AES-based pool,
// seeded from the OS) behind a mutex, so that the const provider and the
// objects it makes may draw from it on any thread. The pool is created on
// first use (creation reads the OS RNG and can throw, so it happens inside a
// Guard) and reseeded from the OS when the process has forked, so that parent
// and child never share output.
class RandomSource : public CryptoPP::RandomNumberGenerator {
 public:
  RandomSource() = default;
  RandomSource(const RandomSource&) = delete;
  RandomSource& operator=(const RandomSource&) = delete;

  // May throw CryptoPP::OS_RNG_Err; call inside Guard().
  void GenerateBlock(CryptoPP::byte* output, size_t size) override;
  std::string AlgorithmName() const override { return "AutoSeededRandomPool"; }

 private:
  std::mutex mu_;
  std::unique_ptr<CryptoPP::AutoSeededRandomPool> pool_;  // guarded by mu_
  pid_t pid_ = 0;                                         // guarded by mu_
};

// Big-endian integer decoding and encoding.
inline CryptoPP::Integer ToInteger(ByteView v) {
  return CryptoPP::Integer(Ptr(v), v.size());
}
// The magnitude without leading zeros (an empty vector for zero).
Bytes EncodeMinimal(const CryptoPP::Integer& n);
SecureBuffer EncodeMinimalSecret(const CryptoPP::Integer& n);
// Left-padded with zeros to `size` bytes; `n` must fit.
SecureBuffer EncodePaddedSecret(const CryptoPP::Integer& n, size_t size);

}  // namespace parley::crypto::cryptopp_backend

#endif  // PARLEY_BACKENDS_CRYPTOPP_UTIL_H_
