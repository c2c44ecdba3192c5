// The contract between the core and a crypto backend module (a shared object
// such as libparley_crypto_openssl.so).
//
// Backend modules are built in this tree with the same compiler and the same
// (shared, system) Abseil, so unlike responder plugins they may hand a C++
// CryptoProvider across the boundary. Before anything else, the loader reads
// the exported C symbol kBackendAbiVersionSymbol and refuses a module whose
// version differs from kBackendAbiVersion: bump it whenever provider.h or
// any interface it returns changes layout or meaning.
//
// Exported symbols (extern "C", default visibility):
//   uint32_t parley_crypto_backend_abi_version(void);
//   const char* parley_crypto_backend_name(void);
//   parley::crypto::CryptoProvider* parley_crypto_backend_create(void);
//     OWNERSHIP: the caller owns the returned provider and must delete it
//     (through the virtual destructor) before unloading the module.
#ifndef PARLEY_CORE_CRYPTO_BACKEND_ABI_H_
#define PARLEY_CORE_CRYPTO_BACKEND_ABI_H_

#include <cstdint>

namespace parley::crypto {

// 2: CryptoProvider::LegacyMd5Fingerprint.
// 3: NewCbc, DerivePublicKey, NewDhKeyAgreement; LegacyMd5Fingerprint
//    became LegacyMd5.
inline constexpr uint32_t kBackendAbiVersion = 3;
inline constexpr char kBackendAbiVersionSymbol[] =
    "parley_crypto_backend_abi_version";
inline constexpr char kBackendNameSymbol[] = "parley_crypto_backend_name";
inline constexpr char kBackendCreateSymbol[] = "parley_crypto_backend_create";

}  // namespace parley::crypto

// Defines the three exported symbols for a backend module; `name` is a string
// literal and `factory` an expression yielding a new CryptoProvider*.
#define PARLEY_DEFINE_CRYPTO_BACKEND(name_literal, factory)                    \
  extern "C" __attribute__((visibility("default"))) uint32_t                   \
  parley_crypto_backend_abi_version(void) {                                    \
    return ::parley::crypto::kBackendAbiVersion;                               \
  }                                                                            \
  extern "C" __attribute__((visibility("default"))) const char*                \
  parley_crypto_backend_name(void) {                                           \
    return name_literal;                                                       \
  }                                                                            \
  extern "C"                                                                   \
      __attribute__((visibility("default"))) ::parley::crypto::CryptoProvider* \
      parley_crypto_backend_create(void) {                                     \
    return (factory);                                                          \
  }

#endif  // PARLEY_CORE_CRYPTO_BACKEND_ABI_H_
