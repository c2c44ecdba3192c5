#include "backends/openssl/symmetric.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "backends/openssl/openssl_util.h"
#include "core/base/secure_buffer.h"

namespace parley::crypto::openssl_backend {
namespace {

int AesIndex(size_t key_size) {
  switch (key_size) {
    case 16:
      return 0;
    case 24:
      return 1;
    case 32:
      return 2;
    default:
      return -1;
  }
}

// EVP update calls take int lengths; SSH packets are far smaller, but a
// caller's buffer is processed in chunks to be safe.
constexpr size_t kMaxChunk = INT_MAX / 2;

absl::Status CipherUpdate(EVP_CIPHER_CTX* ctx, const uint8_t* in, size_t len,
                          uint8_t* out) {
  while (len > 0) {
    const size_t n = len < kMaxChunk ? len : kMaxChunk;
    int outl = 0;
    if (EVP_CipherUpdate(ctx, out, &outl, in, static_cast<int>(n)) != 1 ||
        static_cast<size_t>(outl) != n) {
      return OpenSslError("EVP_CipherUpdate");
    }
    in += n;
    out += n;
    len -= n;
  }
  return absl::OkStatus();
}

class OsslHash : public Hash {
 public:
  OsslHash(HashAlgorithm alg, const EVP_MD* md, MdCtxPtr ctx)
      : alg_(alg), md_(md), ctx_(std::move(ctx)) {}

  HashAlgorithm algorithm() const override { return alg_; }

  absl::Status Update(ByteView data) override {
    if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) {
      return OpenSslError("EVP_DigestUpdate");
    }
    return absl::OkStatus();
  }

  absl::Status Finish(MutableByteView out) override {
    if (out.size() < digest_size()) {
      return absl::InvalidArgumentError("digest buffer too small");
    }
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), out.data(), &len) != 1 ||
        EVP_DigestInit_ex2(ctx_.get(), md_, nullptr) != 1) {
      return OpenSslError("EVP_DigestFinal_ex");
    }
    return absl::OkStatus();
  }

 private:
  HashAlgorithm alg_;
  const EVP_MD* md_;
  MdCtxPtr ctx_;
};

class OsslHmac : public Mac {
 public:
  OsslHmac(size_t tag_size, MacCtxPtr ctx)
      : tag_size_(tag_size), ctx_(std::move(ctx)) {}

  size_t tag_size() const override { return tag_size_; }

  absl::Status Compute(std::initializer_list<ByteView> parts,
                       MutableByteView tag) override {
    if (tag.size() < tag_size_) {
      return absl::InvalidArgumentError("MAC buffer too small");
    }
    // The key was set by New; a NULL key re-initialises with the same key
    // without redoing the key schedule (EVP_MAC_init(3)).
    if (!fresh_ && EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1) {
      return OpenSslError("EVP_MAC_init");
    }
    fresh_ = false;
    for (ByteView p : parts) {
      if (EVP_MAC_update(ctx_.get(), p.data(), p.size()) != 1) {
        return OpenSslError("EVP_MAC_update");
      }
    }
    size_t outl = 0;
    if (EVP_MAC_final(ctx_.get(), tag.data(), &outl, tag.size()) != 1 ||
        outl != tag_size_) {
      return OpenSslError("EVP_MAC_final");
    }
    return absl::OkStatus();
  }

 private:
  size_t tag_size_;
  MacCtxPtr ctx_;
  bool fresh_ = true;
};

class OsslPoly1305 : public Poly1305 {
 public:
  explicit OsslPoly1305(MacCtxPtr ctx) : ctx_(std::move(ctx)) {}

  absl::Status Compute(ByteView key, ByteView message,
                       MutableByteView tag) override {
    if (key.size() != kKeySize || tag.size() < kTagSize) {
      return absl::InvalidArgumentError("Poly1305 key or tag size");
    }
    size_t outl = 0;
    if (EVP_MAC_init(ctx_.get(), key.data(), key.size(), nullptr) != 1 ||
        EVP_MAC_update(ctx_.get(), message.data(), message.size()) != 1 ||
        EVP_MAC_final(ctx_.get(), tag.data(), &outl, tag.size()) != 1 ||
        outl != kTagSize) {
      return OpenSslError("Poly1305");
    }
    return absl::OkStatus();
  }

 private:
  MacCtxPtr ctx_;
};

class OsslAesCtr : public StreamCipher {
 public:
  explicit OsslAesCtr(CipherCtxPtr ctx) : ctx_(std::move(ctx)) {}
  absl::Status Crypt(ByteView in, uint8_t* out) override {
    return CipherUpdate(ctx_.get(), in.data(), in.size(), out);
  }

 private:
  CipherCtxPtr ctx_;
};

class OsslCbc : public CbcCipher {
 public:
  OsslCbc(CipherCtxPtr ctx, size_t block)
      : ctx_(std::move(ctx)), block_(block) {}
  absl::Status Crypt(ByteView in, uint8_t* out) override {
    if (in.size() % block_ != 0) {
      return absl::InvalidArgumentError("CBC input is not whole blocks");
    }
    return CipherUpdate(ctx_.get(), in.data(), in.size(), out);
  }

 private:
  CipherCtxPtr ctx_;
  size_t block_;
};

class OsslAesGcm : public Aead {
 public:
  OsslAesGcm(CipherCtxPtr enc, CipherCtxPtr dec)
      : enc_(std::move(enc)), dec_(std::move(dec)) {}

  absl::Status Seal(ByteView nonce, ByteView aad, ByteView plaintext,
                    uint8_t* out) override {
    if (nonce.size() != kNonceSize) {
      return absl::InvalidArgumentError("AES-GCM nonce must be 12 bytes");
    }
    EVP_CIPHER_CTX* ctx = enc_.get();
    int outl = 0;
    if (EVP_EncryptInit_ex2(ctx, nullptr, nullptr, nonce.data(), nullptr) !=
            1 ||
        (!aad.empty() &&
         EVP_EncryptUpdate(ctx, nullptr, &outl, aad.data(),
                           static_cast<int>(aad.size())) != 1)) {
      return OpenSslError("AES-GCM seal");
    }
    absl::Status s = CipherUpdate(ctx, plaintext.data(), plaintext.size(), out);
    if (!s.ok()) return s;
    uint8_t tag[kTagSize];
    OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(
                               OSSL_CIPHER_PARAM_AEAD_TAG, tag, sizeof(tag)),
                           OSSL_PARAM_construct_end()};
    if (EVP_EncryptFinal_ex(ctx, out + plaintext.size(), &outl) != 1 ||
        EVP_CIPHER_CTX_get_params(ctx, params) != 1) {
      return OpenSslError("AES-GCM seal");
    }
    std::memcpy(out + plaintext.size(), tag, kTagSize);
    return absl::OkStatus();
  }

  absl::Status Open(ByteView nonce, ByteView aad, ByteView sealed,
                    uint8_t* out) override {
    if (nonce.size() != kNonceSize) {
      return absl::InvalidArgumentError("AES-GCM nonce must be 12 bytes");
    }
    if (sealed.size() < kTagSize) {
      return absl::InvalidArgumentError("AES-GCM input shorter than its tag");
    }
    const size_t len = sealed.size() - kTagSize;
    uint8_t tag[kTagSize];
    std::memcpy(tag, sealed.data() + len, kTagSize);
    EVP_CIPHER_CTX* ctx = dec_.get();
    int outl = 0;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(
                               OSSL_CIPHER_PARAM_AEAD_TAG, tag, sizeof(tag)),
                           OSSL_PARAM_construct_end()};
    if (EVP_DecryptInit_ex2(ctx, nullptr, nullptr, nonce.data(), nullptr) !=
            1 ||
        (!aad.empty() &&
         EVP_DecryptUpdate(ctx, nullptr, &outl, aad.data(),
                           static_cast<int>(aad.size())) != 1)) {
      return OpenSslError("AES-GCM open");
    }
    absl::Status s = CipherUpdate(ctx, sealed.data(), len, out);
    if (!s.ok()) return s;
    if (EVP_CIPHER_CTX_set_params(ctx, params) != 1) {
      return OpenSslError("AES-GCM open");
    }
    if (EVP_DecryptFinal_ex(ctx, out + len, &outl) != 1) {
      ClearOpenSslErrors();
      return absl::DataLossError("AES-GCM tag mismatch");
    }
    return absl::OkStatus();
  }

 private:
  CipherCtxPtr enc_;
  CipherCtxPtr dec_;
};

class OsslChaCha20 : public ChaCha20 {
 public:
  explicit OsslChaCha20(CipherCtxPtr ctx) : ctx_(std::move(ctx)) {}

  absl::Status Crypt(ByteView nonce, uint64_t counter, ByteView in,
                     uint8_t* out) override {
    if (nonce.size() != kNonceSize) {
      return absl::InvalidArgumentError("ChaCha20 nonce must be 8 bytes");
    }
    // OpenSSL's 16-byte "IV" is state words 12-15 in little-endian order:
    // here the 64-bit block counter, then the 64-bit nonce.
    uint8_t iv[16];
    for (int i = 0; i < 8; ++i)
      iv[i] = static_cast<uint8_t>(counter >> (8 * i));
    std::memcpy(iv + 8, nonce.data(), 8);
    if (EVP_CipherInit_ex2(ctx_.get(), nullptr, nullptr, iv, 1, nullptr) != 1) {
      return OpenSslError("ChaCha20 init");
    }
    return CipherUpdate(ctx_.get(), in.data(), in.size(), out);
  }

 private:
  CipherCtxPtr ctx_;
};

absl::StatusOr<CipherCtxPtr> KeyedCipher(const EVP_CIPHER* cipher, ByteView key,
                                         const uint8_t* iv, int enc) {
  if (cipher == nullptr) {
    return absl::UnimplementedError("cipher not available in this OpenSSL");
  }
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), iv, enc,
                                 nullptr) != 1) {
    return OpenSslError("EVP_CipherInit_ex2");
  }
  return ctx;
}

}  // namespace

Fetched::Fetched() {
  sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  const char* ctr[] = {"AES-128-CTR", "AES-192-CTR", "AES-256-CTR"};
  const char* gcm[] = {"AES-128-GCM", "AES-192-GCM", "AES-256-GCM"};
  for (int i = 0; i < 3; ++i) {
    aes_ctr[i] = EVP_CIPHER_fetch(nullptr, ctr[i], nullptr);
    aes_gcm[i] = EVP_CIPHER_fetch(nullptr, gcm[i], nullptr);
  }
  chacha20 = EVP_CIPHER_fetch(nullptr, "ChaCha20", nullptr);
  const char* cbc_names[] = {"AES-128-CBC", "AES-192-CBC", "AES-256-CBC",
                             "DES-EDE3-CBC"};
  for (int i = 0; i < 4; ++i) {
    cbc[i] = EVP_CIPHER_fetch(nullptr, cbc_names[i], nullptr);
  }
  hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  poly1305 = EVP_MAC_fetch(nullptr, "POLY1305", nullptr);
  ClearOpenSslErrors();  // a missing algorithm is reported when used
}

Fetched::~Fetched() {
  EVP_MD_free(sha1);
  EVP_MD_free(sha256);
  EVP_MD_free(sha384);
  EVP_MD_free(sha512);
  for (int i = 0; i < 3; ++i) {
    EVP_CIPHER_free(aes_ctr[i]);
    EVP_CIPHER_free(aes_gcm[i]);
  }
  EVP_CIPHER_free(chacha20);
  for (EVP_CIPHER* c : cbc) EVP_CIPHER_free(c);
  EVP_MAC_free(hmac);
  EVP_MAC_free(poly1305);
}

const EVP_MD* Fetched::md(HashAlgorithm alg) const {
  switch (alg) {
    case HashAlgorithm::kSha1:
      return sha1;
    case HashAlgorithm::kSha256:
      return sha256;
    case HashAlgorithm::kSha384:
      return sha384;
    case HashAlgorithm::kSha512:
      return sha512;
  }
  return nullptr;
}

absl::StatusOr<std::unique_ptr<Hash>> NewOsslHash(const Fetched& f,
                                                  HashAlgorithm alg) {
  const EVP_MD* md = f.md(alg);
  if (md == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat(HashName(alg), " not available"));
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1) {
    return OpenSslError("EVP_DigestInit_ex2");
  }
  return std::unique_ptr<Hash>(new OsslHash(alg, md, std::move(ctx)));
}

absl::StatusOr<std::unique_ptr<Mac>> NewOsslHmac(const Fetched& f,
                                                 HashAlgorithm alg,
                                                 ByteView key) {
  if (f.hmac == nullptr || f.md(alg) == nullptr) {
    return absl::UnimplementedError("HMAC not available");
  }
  MacCtxPtr ctx(EVP_MAC_CTX_new(f.hmac));
  std::string digest(EVP_MD_get0_name(f.md(alg)));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_end()};
  // HMAC accepts any key length (RFC 2104), including empty.
  static const uint8_t kEmpty[1] = {0};
  if (!ctx || EVP_MAC_init(ctx.get(), key.empty() ? kEmpty : key.data(),
                           key.size(), params) != 1) {
    return OpenSslError("HMAC init");
  }
  return std::unique_ptr<Mac>(new OsslHmac(DigestSize(alg), std::move(ctx)));
}

absl::StatusOr<std::unique_ptr<Poly1305>> NewOsslPoly1305(const Fetched& f) {
  if (f.poly1305 == nullptr) {
    return absl::UnimplementedError("Poly1305 not available");
  }
  MacCtxPtr ctx(EVP_MAC_CTX_new(f.poly1305));
  if (!ctx) return OpenSslError("EVP_MAC_CTX_new");
  return std::unique_ptr<Poly1305>(new OsslPoly1305(std::move(ctx)));
}

absl::StatusOr<std::unique_ptr<StreamCipher>> NewOsslAesCtr(const Fetched& f,
                                                            ByteView key,
                                                            ByteView iv) {
  const int i = AesIndex(key.size());
  if (i < 0 || iv.size() != 16) {
    return absl::InvalidArgumentError(
        "AES-CTR needs a 16, 24 or 32-byte key and a 16-byte counter block");
  }
  auto ctx = KeyedCipher(f.aes_ctr[i], key, iv.data(), 1);
  if (!ctx.ok()) return ctx.status();
  return std::unique_ptr<StreamCipher>(new OsslAesCtr(std::move(*ctx)));
}

absl::StatusOr<std::unique_ptr<CbcCipher>> NewOsslCbc(const Fetched& f,
                                                      CbcAlgorithm alg,
                                                      ByteView key, ByteView iv,
                                                      bool encrypt) {
  if (key.size() != CbcKeySize(alg) || iv.size() != CbcBlockSize(alg)) {
    return absl::InvalidArgumentError(
        absl::StrCat("CBC needs a ", CbcKeySize(alg), "-byte key and a ",
                     CbcBlockSize(alg), "-byte IV"));
  }
  auto ctx = KeyedCipher(f.cbc[static_cast<int>(alg)], key, iv.data(),
                         encrypt ? 1 : 0);
  if (!ctx.ok()) return ctx.status();
  if (EVP_CIPHER_CTX_set_padding(ctx->get(), 0) != 1) {
    return OpenSslError("EVP_CIPHER_CTX_set_padding");
  }
  return std::unique_ptr<CbcCipher>(
      new OsslCbc(std::move(*ctx), CbcBlockSize(alg)));
}

absl::StatusOr<std::unique_ptr<Aead>> NewOsslAesGcm(const Fetched& f,
                                                    ByteView key) {
  const int i = AesIndex(key.size());
  if (i < 0) {
    return absl::InvalidArgumentError("AES-GCM needs a 16, 24 or 32-byte key");
  }
  auto enc = KeyedCipher(f.aes_gcm[i], key, nullptr, 1);
  if (!enc.ok()) return enc.status();
  auto dec = KeyedCipher(f.aes_gcm[i], key, nullptr, 0);
  if (!dec.ok()) return dec.status();
  return std::unique_ptr<Aead>(
      new OsslAesGcm(std::move(*enc), std::move(*dec)));
}

absl::StatusOr<std::unique_ptr<ChaCha20>> NewOsslChaCha20(const Fetched& f,
                                                          ByteView key) {
  if (key.size() != ChaCha20::kKeySize) {
    return absl::InvalidArgumentError("ChaCha20 needs a 32-byte key");
  }
  auto ctx = KeyedCipher(f.chacha20, key, nullptr, 1);
  if (!ctx.ok()) return ctx.status();
  return std::unique_ptr<ChaCha20>(new OsslChaCha20(std::move(*ctx)));
}

}  // namespace parley::crypto::openssl_backend
