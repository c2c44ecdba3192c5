// Loads libparley_crypto_cryptopp.so through the core's backend loader and
// runs a few operations across the module boundary, including one where
// Crypto++ throws inside libcrypto++ and the module must turn it into a
// status.
#include <dlfcn.h>

#include <memory>
#include <string>

#include "core/base/bytes.h"
#include "core/crypto/backend_abi.h"
#include "core/crypto/backend_loader.h"
#include "core/crypto/provider.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace parley::crypto {
namespace {

constexpr char kModulePath[] = "backends/cryptopp/libparley_crypto_cryptopp.so";

TEST(CryptoppModuleTest, ExportsOnlyTheBackendSymbols) {
  void* handle = dlopen(kModulePath, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  EXPECT_NE(dlsym(handle, kBackendAbiVersionSymbol), nullptr);
  EXPECT_NE(dlsym(handle, kBackendNameSymbol), nullptr);
  EXPECT_NE(dlsym(handle, kBackendCreateSymbol), nullptr);
  // The provider factory is internal to the module.
  EXPECT_EQ(dlsym(handle,
                  "_ZN6parley6crypto16cryptopp_backend19NewCryptoppProviderEv"),
            nullptr);
  dlclose(handle);
}

TEST(CryptoppModuleTest, LoadsAndWorks) {
  auto provider = LoadCryptoBackendFile(kModulePath);
  ASSERT_TRUE(provider.ok()) << provider.status();
  EXPECT_EQ((*provider)->name(), "cryptopp");

  auto digest = Digest(**provider, HashAlgorithm::kSha256, AsBytes("abc"));
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(ToHex(*digest),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  auto key = (*provider)->GenerateKey(KeyType::kEcdsaP256, 0);
  ASSERT_TRUE(key.ok()) << key.status();
  auto signer =
      (*provider)->NewSigner(*key, SignatureAlgorithm::kEcdsaP256Sha256);
  auto verifier = (*provider)->NewVerifier(
      key->public_key, SignatureAlgorithm::kEcdsaP256Sha256);
  ASSERT_TRUE(signer.ok() && verifier.ok());
  auto signature = (*signer)->Sign(AsBytes("m"));
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_TRUE((*verifier)->Verify(AsBytes("m"), *signature).ok());
}

TEST(CryptoppModuleTest, BadInputsBecomeStatuses) {
  auto provider = LoadCryptoBackendFile(kModulePath);
  ASSERT_TRUE(provider.ok()) << provider.status();

  // Crypto++ reports an off-curve point by throwing DL_BadElement inside
  // libcrypto++; the module must catch it (its own copy of the type_info is
  // local to the module) and say so in a status.
  auto a = (*provider)->NewKeyAgreement(KexGroup::kNistP256);
  auto b = (*provider)->NewKeyAgreement(KexGroup::kNistP256);
  ASSERT_TRUE(a.ok() && b.ok());
  Bytes off_curve((*b)->public_value().begin(), (*b)->public_value().end());
  off_curve.back() ^= 1;
  auto secret = (*a)->ComputeSharedSecret(off_curve);
  EXPECT_EQ(secret.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(secret.status().message()),
              ::testing::HasSubstr("invalid peer nistp256 public value"));

  auto gcm = (*provider)->NewAesGcm(Bytes(16, 7));
  ASSERT_TRUE(gcm.ok());
  Bytes sealed(20 + Aead::kTagSize);
  ASSERT_TRUE((*gcm)->Seal(Bytes(12), {}, Bytes(20), sealed.data()).ok());
  sealed[0] ^= 1;
  Bytes opened(20);
  EXPECT_EQ((*gcm)->Open(Bytes(12), {}, sealed, opened.data()).code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace parley::crypto
