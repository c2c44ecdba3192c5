// Backend-specific checks; the shared known-answer suite is tests/crypto.
#include "backends/openssl/openssl_provider.h"

#include <openssl/err.h>

#include "gtest/gtest.h"

namespace parley::crypto::openssl_backend {
namespace {

TEST(OpenSslProviderTest, ErrorsLeaveNoQueueBehind) {
  auto p = NewOpenSslProvider();
  EXPECT_EQ(p->NewAesGcm(Bytes(5)).status().code(),
            absl::StatusCode::kInvalidArgument);
  PublicKey bad;
  bad.type = KeyType::kEcdsaP256;
  bad.ec_point = Bytes(65, 1);
  bad.ec_point[0] = 4;
  EXPECT_EQ(
      p->NewVerifier(bad, SignatureAlgorithm::kEcdsaP256Sha256).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(OpenSslProviderTest, HmacReusesKeyAcrossMessages) {
  auto p = NewOpenSslProvider();
  auto mac = p->NewHmac(HashAlgorithm::kSha256, Bytes(32, 0x0b));
  ASSERT_TRUE(mac.ok());
  uint8_t a[32], b[32];
  Bytes msg = {1, 2, 3};
  ASSERT_TRUE((*mac)->Compute({msg}, MutableByteView(a)).ok());
  ASSERT_TRUE((*mac)->Compute({msg}, MutableByteView(b)).ok());
  EXPECT_EQ(Bytes(a, a + 32), Bytes(b, b + 32));
  EXPECT_TRUE((*mac)->Verify({Bytes{1}, Bytes{2, 3}}, ByteView(a)).ok());
}

TEST(OpenSslProviderTest, ModpPrivateExponentIsBounded) {
  auto p = NewOpenSslProvider();
  auto ka = p->NewKeyAgreement(KexGroup::kModp2048);
  ASSERT_TRUE(ka.ok()) << ka.status();
  EXPECT_LE((*ka)->public_value().size(), 256u);
  EXPECT_FALSE((*ka)->ComputeSharedSecret(Bytes{1}).ok());
}

}  // namespace
}  // namespace parley::crypto::openssl_backend
