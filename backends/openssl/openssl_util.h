// Internal helpers of the OpenSSL backend: owning pointers for OpenSSL
// objects and conversion of the OpenSSL error queue into absl::Status.
#ifndef PARLEY_BACKENDS_OPENSSL_OPENSSL_UTIL_H_
#define PARLEY_BACKENDS_OPENSSL_OPENSSL_UTIL_H_

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/base/secure_buffer.h"

namespace parley::crypto::openssl_backend {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};

using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
// For secret values: the number's memory is zeroed when freed.
using SecretBnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_clear_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, Deleter<BN_CTX, BN_CTX_free>>;
using MdCtxPtr =
    std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using CipherCtxPtr =
    std::unique_ptr<EVP_CIPHER_CTX,
                    Deleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;
using MacCtxPtr =
    std::unique_ptr<EVP_MAC_CTX, Deleter<EVP_MAC_CTX, EVP_MAC_CTX_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using PkeyCtxPtr =
    std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using ParamBldPtr =
    std::unique_ptr<OSSL_PARAM_BLD,
                    Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr =
    std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;

// Drains the thread's OpenSSL error queue into a status with `code` whose
// message starts with `what`. Always leaves the queue empty.
absl::Status OpenSslError(absl::string_view what,
                          absl::StatusCode code = absl::StatusCode::kInternal);

// Discards whatever the error queue holds (after an expected failure such as
// a signature mismatch).
void ClearOpenSslErrors();

BnPtr BnFromBytes(ByteView big_endian);
SecretBnPtr SecretBnFromBytes(ByteView big_endian);
// Big-endian magnitude without leading zeros (empty for zero).
Bytes BnToBytes(const BIGNUM* bn);
SecureBuffer BnToSecureBytes(const BIGNUM* bn);
// Left-padded to `size` bytes; false if the number does not fit.
bool BnToPadded(const BIGNUM* bn, MutableByteView out);

// Builds an EVP_PKEY of `key_type` ("EC", "RSA", ...) from `params`;
// `selection` is EVP_PKEY_PUBLIC_KEY or EVP_PKEY_KEYPAIR.
absl::StatusOr<PkeyPtr> PkeyFromParams(const char* key_type, int selection,
                                       OSSL_PARAM_BLD* bld);

}  // namespace parley::crypto::openssl_backend

#endif  // PARLEY_BACKENDS_OPENSSL_OPENSSL_UTIL_H_
