// Loads crypto backend modules from the test's runfiles, the way an
// application loads them at run time.
#ifndef PARLEY_TESTS_CRYPTO_BACKEND_FIXTURE_H_
#define PARLEY_TESTS_CRYPTO_BACKEND_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/crypto/backend_loader.h"
#include "gtest/gtest.h"

namespace parley::crypto::testing {

// Every backend the conformance suite runs against.
inline const std::vector<std::string>& AllBackends() {
  static const auto* const kNames =
      new std::vector<std::string>{"openssl", "cryptopp"};
  return *kNames;
}

inline LoaderOptions RunfilesLoaderOptions() {
  LoaderOptions options;
  options.search_dirs = {"backends/openssl", "backends/cryptopp"};
  return options;
}

inline std::shared_ptr<const CryptoProvider> MustLoad(const std::string& name) {
  auto p = LoadCryptoBackend(name, RunfilesLoaderOptions());
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : nullptr;
}

inline Bytes H(const char* hex) {
  Bytes out;
  EXPECT_TRUE(FromHex(hex, &out)) << "bad hex in test data: " << hex;
  return out;
}

inline Bytes Flip(Bytes b, size_t bit) {
  b[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  return b;
}

}  // namespace parley::crypto::testing

#endif  // PARLEY_TESTS_CRYPTO_BACKEND_FIXTURE_H_
