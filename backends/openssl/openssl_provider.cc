#include "backends/openssl/openssl_provider.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <climits>

#include "backends/openssl/asymmetric.h"
#include "backends/openssl/openssl_util.h"
#include "backends/openssl/symmetric.h"

namespace parley::crypto::openssl_backend {
namespace {

class OpenSslProvider : public CryptoProvider {
 public:
  absl::string_view name() const override { return "openssl"; }

  std::string library_version() const override {
    return OpenSSL_version(OPENSSL_VERSION);
  }

  AlgorithmLists Algorithms() const override {
    return OpenSshDefaultAlgorithms();
  }

  absl::StatusOr<std::unique_ptr<Hash>> NewHash(
      HashAlgorithm alg) const override {
    return NewOsslHash(fetched_, alg);
  }
  absl::StatusOr<std::unique_ptr<Mac>> NewHmac(HashAlgorithm alg,
                                               ByteView key) const override {
    return NewOsslHmac(fetched_, alg, key);
  }
  absl::StatusOr<std::unique_ptr<Poly1305>> NewPoly1305() const override {
    return NewOsslPoly1305(fetched_);
  }
  absl::StatusOr<std::unique_ptr<StreamCipher>> NewAesCtr(
      ByteView key, ByteView iv) const override {
    return NewOsslAesCtr(fetched_, key, iv);
  }
  absl::StatusOr<std::unique_ptr<Aead>> NewAesGcm(ByteView key) const override {
    return NewOsslAesGcm(fetched_, key);
  }
  absl::StatusOr<std::unique_ptr<ChaCha20>> NewChaCha20(
      ByteView key) const override {
    return NewOsslChaCha20(fetched_, key);
  }
  absl::StatusOr<std::unique_ptr<CbcCipher>> NewCbc(
      CbcAlgorithm alg, ByteView key, ByteView iv,
      bool encrypt) const override {
    return NewOsslCbc(fetched_, alg, key, iv, encrypt);
  }
  absl::StatusOr<std::unique_ptr<KeyAgreement>> NewKeyAgreement(
      KexGroup group) const override {
    return NewOsslKeyAgreement(group, ByteView());
  }
  absl::StatusOr<std::unique_ptr<KeyAgreement>> NewDhKeyAgreement(
      ByteView p, ByteView g) const override {
    return NewOsslDhKeyAgreement(p, g);
  }
  absl::StatusOr<std::unique_ptr<KeyAgreement>> NewKeyAgreementFromPrivate(
      KexGroup group, ByteView private_key) const override {
    if (private_key.empty()) {
      return absl::InvalidArgumentError("empty private key");
    }
    return NewOsslKeyAgreement(group, private_key);
  }
  absl::StatusOr<std::unique_ptr<PublicKeyVerify>> NewVerifier(
      const PublicKey& key, SignatureAlgorithm alg) const override {
    return NewOsslVerifier(key, alg);
  }
  absl::StatusOr<std::unique_ptr<PublicKeySign>> NewSigner(
      const PrivateKey& key, SignatureAlgorithm alg) const override {
    return NewOsslSigner(key, alg);
  }
  absl::StatusOr<PrivateKey> GenerateKey(KeyType type,
                                         size_t rsa_bits) const override {
    return OsslGenerateKey(type, rsa_bits);
  }
  absl::Status RandomBytes(MutableByteView out) const override {
    while (!out.empty()) {
      const size_t n = out.size() < INT_MAX ? out.size() : INT_MAX;
      if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
        return OpenSslError("RAND_bytes");
      }
      out.remove_prefix(n);
    }
    return absl::OkStatus();
  }

  absl::Status DerivePublicKey(PrivateKey* key) const override {
    return OsslDerivePublicKey(key);
  }
  absl::StatusOr<Bytes> LegacyMd5(ByteView data) const override {
    Bytes out(16);
    unsigned int n = 0;
    // The default provider's MD5, fetched for this call only.
    EVP_MD* md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
    if (md5 == nullptr) return OpenSslError("EVP_MD_fetch(MD5)");
    const int ok =
        EVP_Digest(data.data(), data.size(), out.data(), &n, md5, nullptr);
    EVP_MD_free(md5);
    if (ok != 1 || n != out.size()) return OpenSslError("EVP_Digest(MD5)");
    return out;
  }

 private:
  Fetched fetched_;
};

}  // namespace

std::unique_ptr<CryptoProvider> NewOpenSslProvider() {
  return std::make_unique<OpenSslProvider>();
}

}  // namespace parley::crypto::openssl_backend
