// Helpers shared by the core/hostkeys tests.
#ifndef PARLEY_CORE_HOSTKEYS_TEST_UTIL_H_
#define PARLEY_CORE_HOSTKEYS_TEST_UTIL_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/crypto/provider.h"

namespace parley::hostkeys::testing {

// The OpenSSL provider, made once and never destroyed.
const crypto::CryptoProvider& Provider();

// Syntactically valid public-key blobs whose key material is `fill` bytes
// (not real curve points; ParsePublicKeyBlob does not require that).
Bytes Ed25519Blob(uint8_t fill);
Bytes EcdsaP256Blob(uint8_t fill);

std::string Base64(ByteView b);
// "<hosts> <type of blob> <base64 of blob>".
std::string Line(absl::string_view hosts, const Bytes& blob);

// A fresh, empty directory under TEST_TMPDIR.
std::string NewTempDir();
std::string ReadFileOrDie(const std::string& path);
void WriteFileOrDie(const std::string& path, absl::string_view contents);

}  // namespace parley::hostkeys::testing

#endif  // PARLEY_CORE_HOSTKEYS_TEST_UTIL_H_
