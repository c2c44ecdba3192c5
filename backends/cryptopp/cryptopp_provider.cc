#include "backends/cryptopp/cryptopp_provider.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "backends/cryptopp/key_agreement.h"
#include "backends/cryptopp/signature.h"
#include "backends/cryptopp/symmetric.h"
#include "backends/cryptopp/util.h"
#include "crypto++/cryptlib.h"
// MD5 lives in CryptoPP::Weak, for LegacyMd5 only.
#define CRYPTOPP_ENABLE_NAMESPACE_WEAK 1
#include "crypto++/md5.h"

namespace parley::crypto::cryptopp_backend {
namespace {

class CryptoppProvider final : public CryptoProvider {
 public:
  CryptoppProvider() : rng_(std::make_shared<RandomSource>()) {}

  absl::string_view name() const override { return "cryptopp"; }

  std::string library_version() const override {
    // The version of the libcrypto++ actually loaded, e.g. 870 -> "8.7.0".
    const int v = CryptoPP::LibraryVersion();
    return absl::StrCat("Crypto++ ", v / 100, ".", v / 10 % 10, ".", v % 10);
  }

  AlgorithmLists Algorithms() const override {
    AlgorithmLists lists = OpenSshDefaultAlgorithms();
    // Crypto++'s Poly1305 is plain C++ while its AES-GCM uses AES-NI and
    // PCLMULQDQ, so prefer the GCM ciphers over chacha20-poly1305.
    std::stable_partition(
        lists.cipher.begin(), lists.cipher.end(), [](const std::string& c) {
          return c == "aes128-gcm@openssh.com" || c == "aes256-gcm@openssh.com";
        });
    return lists;
  }

  absl::StatusOr<std::unique_ptr<Hash>> NewHash(
      HashAlgorithm alg) const override {
    return NewCryptoppHash(alg);
  }

  absl::StatusOr<std::unique_ptr<Mac>> NewHmac(HashAlgorithm alg,
                                               ByteView key) const override {
    return NewCryptoppHmac(alg, key);
  }

  absl::StatusOr<std::unique_ptr<Poly1305>> NewPoly1305() const override {
    return NewCryptoppPoly1305();
  }

  absl::StatusOr<std::unique_ptr<StreamCipher>> NewAesCtr(
      ByteView key, ByteView iv) const override {
    return NewCryptoppAesCtr(key, iv);
  }

  absl::StatusOr<std::unique_ptr<Aead>> NewAesGcm(ByteView key) const override {
    return NewCryptoppAesGcm(key);
  }

  absl::StatusOr<std::unique_ptr<ChaCha20>> NewChaCha20(
      ByteView key) const override {
    return NewCryptoppChaCha20(key);
  }

  absl::StatusOr<std::unique_ptr<CbcCipher>> NewCbc(
      CbcAlgorithm alg, ByteView key, ByteView iv,
      bool encrypt) const override {
    return NewCryptoppCbc(alg, key, iv, encrypt);
  }

  absl::StatusOr<std::unique_ptr<KeyAgreement>> NewKeyAgreement(
      KexGroup group) const override {
    return NewCryptoppKeyAgreement(group, *rng_);
  }

  absl::StatusOr<std::unique_ptr<KeyAgreement>> NewKeyAgreementFromPrivate(
      KexGroup group, ByteView private_key) const override {
    return NewCryptoppKeyAgreementFromPrivate(group, private_key);
  }

  absl::StatusOr<std::unique_ptr<KeyAgreement>> NewDhKeyAgreement(
      ByteView p, ByteView g) const override {
    return NewCryptoppDhKeyAgreement(p, g, *rng_);
  }

  absl::StatusOr<std::unique_ptr<PublicKeyVerify>> NewVerifier(
      const PublicKey& key, SignatureAlgorithm alg) const override {
    return NewCryptoppVerifier(key, alg);
  }

  absl::StatusOr<std::unique_ptr<PublicKeySign>> NewSigner(
      const PrivateKey& key, SignatureAlgorithm alg) const override {
    return NewCryptoppSigner(key, alg, rng_);
  }

  absl::StatusOr<PrivateKey> GenerateKey(KeyType type,
                                         size_t rsa_bits) const override {
    return GenerateCryptoppKey(type, rsa_bits, *rng_);
  }

  absl::Status RandomBytes(MutableByteView out) const override {
    if (out.empty()) return absl::OkStatus();
    return Guard("random generation", [&] {
      rng_->GenerateBlock(out.data(), out.size());
      return absl::OkStatus();
    });
  }

  absl::Status DerivePublicKey(PrivateKey* key) const override {
    return CryptoppDerivePublicKey(key);
  }

  absl::StatusOr<Bytes> LegacyMd5(ByteView data) const override {
    Bytes out(CryptoPP::Weak::MD5::DIGESTSIZE);
    absl::Status s = Guard("MD5", [&] {
      CryptoPP::Weak::MD5().CalculateDigest(out.data(), data.data(),
                                            data.size());
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    return out;
  }

 private:
  // Shared with the signers, which use it for RSA blinding.
  const std::shared_ptr<RandomSource> rng_;
};

}  // namespace

std::unique_ptr<CryptoProvider> NewCryptoppProvider() {
  return std::make_unique<CryptoppProvider>();
}

}  // namespace parley::crypto::cryptopp_backend
