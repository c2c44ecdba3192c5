// OpenSSL implementations of the symmetric primitives (internal).
#ifndef PARLEY_BACKENDS_OPENSSL_SYMMETRIC_H_
#define PARLEY_BACKENDS_OPENSSL_SYMMETRIC_H_

#include <openssl/evp.h>

#include <memory>

#include "absl/status/statusor.h"
#include "core/crypto/aead.h"
#include "core/crypto/cipher.h"
#include "core/crypto/hash.h"
#include "core/crypto/mac.h"

namespace parley::crypto::openssl_backend {

// Algorithm objects fetched once per provider (EVP_*_fetch is not free).
struct Fetched {
  Fetched();
  ~Fetched();
  Fetched(const Fetched&) = delete;
  Fetched& operator=(const Fetched&) = delete;

  const EVP_MD* md(HashAlgorithm alg) const;
  // Missing entries are nullptr (a FIPS-only configuration, for example).
  EVP_MD* sha1 = nullptr;
  EVP_MD* sha256 = nullptr;
  EVP_MD* sha384 = nullptr;
  EVP_MD* sha512 = nullptr;
  EVP_CIPHER* aes_ctr[3] = {};  // 128, 192, 256
  EVP_CIPHER* aes_gcm[3] = {};
  EVP_CIPHER* chacha20 = nullptr;
  EVP_CIPHER* cbc[4] = {};  // CbcAlgorithm order
  EVP_MAC* hmac = nullptr;
  EVP_MAC* poly1305 = nullptr;
};

absl::StatusOr<std::unique_ptr<Hash>> NewOsslHash(const Fetched& f,
                                                  HashAlgorithm alg);
absl::StatusOr<std::unique_ptr<Mac>> NewOsslHmac(const Fetched& f,
                                                 HashAlgorithm alg,
                                                 ByteView key);
absl::StatusOr<std::unique_ptr<Poly1305>> NewOsslPoly1305(const Fetched& f);
absl::StatusOr<std::unique_ptr<StreamCipher>> NewOsslAesCtr(const Fetched& f,
                                                            ByteView key,
                                                            ByteView iv);
absl::StatusOr<std::unique_ptr<Aead>> NewOsslAesGcm(const Fetched& f,
                                                    ByteView key);
absl::StatusOr<std::unique_ptr<ChaCha20>> NewOsslChaCha20(const Fetched& f,
                                                          ByteView key);
absl::StatusOr<std::unique_ptr<CbcCipher>> NewOsslCbc(const Fetched& f,
                                                      CbcAlgorithm alg,
                                                      ByteView key, ByteView iv,
                                                      bool encrypt);

}  // namespace parley::crypto::openssl_backend

#endif  // PARLEY_BACKENDS_OPENSSL_SYMMETRIC_H_
