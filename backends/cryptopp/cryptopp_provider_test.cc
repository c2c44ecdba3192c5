// Smoke tests of the Crypto++ provider. The cross-backend known-answer suite
// lives in tests/crypto; the few published vectors here pin down behaviour
// specific to how this backend drives Crypto++ (ChaCha20 seeking, X25519
// clamping, Ed25519 seed handling).
#include "backends/cryptopp/cryptopp_provider.h"

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/base/secure_buffer.h"
#include "crypto++/integer.h"
#include "gtest/gtest.h"

namespace parley::crypto::cryptopp_backend {
namespace {

Bytes Hex(absl::string_view hex) {
  Bytes out;
  EXPECT_TRUE(FromHex(hex, &out)) << hex;
  return out;
}

class CryptoppProviderTest : public ::testing::Test {
 protected:
  std::unique_ptr<CryptoProvider> provider_ = NewCryptoppProvider();

  Bytes Random(size_t n) {
    Bytes out(n);
    EXPECT_TRUE(provider_->RandomBytes(MutableByteView(out)).ok());
    return out;
  }
};

TEST_F(CryptoppProviderTest, NameVersionAndAlgorithmOrder) {
  EXPECT_EQ(provider_->name(), "cryptopp");
  EXPECT_EQ(provider_->library_version().rfind("Crypto++ 8.", 0), 0u)
      << provider_->library_version();
  const AlgorithmLists lists = provider_->Algorithms();
  ASSERT_GE(lists.cipher.size(), 3u);
  EXPECT_EQ(lists.cipher[0], "aes128-gcm@openssh.com");
  EXPECT_EQ(lists.cipher[1], "aes256-gcm@openssh.com");
  EXPECT_EQ(lists.cipher[2], "chacha20-poly1305@openssh.com");
  EXPECT_EQ(lists.cipher.size(), OpenSshDefaultAlgorithms().cipher.size());
  EXPECT_EQ(lists.kex.front(), "curve25519-sha256");
  EXPECT_EQ(lists.host_key.front(), "ssh-ed25519");
}

TEST_F(CryptoppProviderTest, UnknownEnumsAreUnimplemented) {
  EXPECT_EQ(provider_->NewHash(static_cast<HashAlgorithm>(99)).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(
      provider_->NewKeyAgreement(static_cast<KexGroup>(99)).status().code(),
      absl::StatusCode::kUnimplemented);
  PublicKey key;
  EXPECT_EQ(provider_->NewVerifier(key, static_cast<SignatureAlgorithm>(99))
                .status()
                .code(),
            absl::StatusCode::kUnimplemented);
}

TEST_F(CryptoppProviderTest, HmacOverPartsEqualsHmacOverWhole) {
  // RFC 4231 section 4.2, test case 1.
  auto mac = provider_->NewHmac(HashAlgorithm::kSha256, Bytes(20, 0x0b));
  ASSERT_TRUE(mac.ok()) << mac.status();
  const Bytes expected =
      Hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  Bytes tag(32);
  ASSERT_TRUE(
      (*mac)->Compute({AsBytes("Hi There")}, MutableByteView(tag)).ok());
  EXPECT_EQ(tag, expected);
  // The key survives between messages; parts are concatenated.
  ASSERT_TRUE((*mac)
                  ->Compute({AsBytes("Hi"), AsBytes(""), AsBytes(" There")},
                            MutableByteView(tag))
                  .ok());
  EXPECT_EQ(tag, expected);
  EXPECT_TRUE((*mac)->Verify({AsBytes("Hi There")}, ByteView(expected)).ok());
}

TEST_F(CryptoppProviderTest, Poly1305Rfc8439) {
  // RFC 8439 section 2.5.2.
  auto poly = provider_->NewPoly1305();
  ASSERT_TRUE(poly.ok());
  Bytes tag(Poly1305::kTagSize);
  const Bytes key =
      Hex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
  ASSERT_TRUE((*poly)
                  ->Compute(key, AsBytes("Cryptographic Forum Research Group"),
                            MutableByteView(tag))
                  .ok());
  EXPECT_EQ(tag, Hex("a8061dc1305136c6c22b8baf0c0127a9"));
  EXPECT_EQ(
      (*poly)
          ->Compute(ByteView(key).first(16), AsBytes("x"), MutableByteView(tag))
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(CryptoppProviderTest, ChaCha20CounterSelectsBlock) {
  auto chacha = provider_->NewChaCha20(Random(32));
  ASSERT_TRUE(chacha.ok()) << chacha.status();
  const Bytes nonce = Random(8);
  Bytes stream(128, 0);
  ASSERT_TRUE((*chacha)->Crypt(nonce, 0, stream, stream.data()).ok());
  // Counter 1, in place, after a call that left no state behind.
  Bytes block1(64, 0);
  ASSERT_TRUE((*chacha)->Crypt(nonce, 1, block1, block1.data()).ok());
  EXPECT_EQ(block1, Bytes(stream.begin() + 64, stream.end()));
  // A partial block followed by a fresh call starts from the counter again.
  Bytes partial(10, 0);
  ASSERT_TRUE((*chacha)->Crypt(nonce, 0, partial, partial.data()).ok());
  ASSERT_TRUE((*chacha)->Crypt(nonce, 1, block1, block1.data()).ok());
  EXPECT_EQ(block1, Bytes(64, 0));  // keystream applied twice cancels
}

TEST_F(CryptoppProviderTest, ChaCha20HighCounterWords) {
  // RFC 8439 section 2.3.2 in the original layout: the IETF nonce
  // 00000009 0000004a 00000000 puts 0x09000000 in state word 13 (the high
  // half of the 64-bit counter), beyond a byte-offset Seek().
  auto chacha = provider_->NewChaCha20(
      Hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"));
  ASSERT_TRUE(chacha.ok());
  Bytes block(64, 0);
  ASSERT_TRUE((*chacha)
                  ->Crypt(Hex("0000004a00000000"), 0x0900000000000001ULL, block,
                          block.data())
                  .ok());
  EXPECT_EQ(ToHex(block),
            "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
            "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e");
}

TEST_F(CryptoppProviderTest, ChaCha20RejectsBadLengths) {
  EXPECT_EQ(provider_->NewChaCha20(Bytes(16)).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto chacha = provider_->NewChaCha20(Bytes(32));
  ASSERT_TRUE(chacha.ok());
  Bytes data(4);
  EXPECT_EQ((*chacha)->Crypt(Bytes(12), 0, data, data.data()).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CryptoppProviderTest, AesRejectsBadKeyLengths) {
  EXPECT_EQ(provider_->NewAesGcm(Bytes(15)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(provider_->NewAesCtr(Bytes(20), Bytes(16)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(provider_->NewAesCtr(Bytes(16), Bytes(12)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(provider_->NewAesGcm(Bytes(24)).ok());
}

TEST_F(CryptoppProviderTest, AesCtrCounterCarriesAcrossCalls) {
  const Bytes key = Random(32);
  const Bytes iv = Hex("ffffffffffffffffffffffffffffffff");  // wraps to 0
  const Bytes plain = Random(100);
  auto whole = provider_->NewAesCtr(key, iv);
  auto pieces = provider_->NewAesCtr(key, iv);
  ASSERT_TRUE(whole.ok() && pieces.ok());
  Bytes expected(plain.size());
  ASSERT_TRUE((*whole)->Crypt(plain, expected.data()).ok());
  Bytes got = plain;  // in place, in uneven pieces
  ASSERT_TRUE((*pieces)->Crypt(ByteView(got).first(17), got.data()).ok());
  ASSERT_TRUE(
      (*pieces)->Crypt(ByteView(got).subspan(17, 47), got.data() + 17).ok());
  ASSERT_TRUE(
      (*pieces)->Crypt(ByteView(got).subspan(64), got.data() + 64).ok());
  EXPECT_EQ(got, expected);
}

TEST_F(CryptoppProviderTest, AesGcmRoundTripAndTamper) {
  auto gcm = provider_->NewAesGcm(Random(16));
  ASSERT_TRUE(gcm.ok()) << gcm.status();
  const Bytes nonce = Random(Aead::kNonceSize);
  const Bytes aad = {0, 0, 0, 42};
  const Bytes plain = Random(75);
  Bytes sealed(plain.size() + Aead::kTagSize);
  std::copy(plain.begin(), plain.end(), sealed.begin());
  // Seal in place.
  ASSERT_TRUE(
      (*gcm)->Seal(nonce, aad, ByteView(sealed).first(75), sealed.data()).ok());
  EXPECT_NE(Bytes(sealed.begin(), sealed.begin() + 75), plain);

  Bytes opened(plain.size());
  ASSERT_TRUE((*gcm)->Open(nonce, aad, sealed, opened.data()).ok());
  EXPECT_EQ(opened, plain);

  Bytes tampered = sealed;
  tampered.back() ^= 0x01;
  EXPECT_EQ((*gcm)->Open(nonce, aad, tampered, opened.data()).code(),
            absl::StatusCode::kDataLoss);
  Bytes other_aad = aad;
  other_aad[3] = 43;
  EXPECT_EQ((*gcm)->Open(nonce, other_aad, sealed, opened.data()).code(),
            absl::StatusCode::kDataLoss);

  // A failed Open leaves the object usable; open in place this time.
  Bytes in_place = sealed;
  ASSERT_TRUE((*gcm)->Open(nonce, aad, in_place, in_place.data()).ok());
  EXPECT_EQ(Bytes(in_place.begin(), in_place.begin() + 75), plain);

  EXPECT_EQ((*gcm)
                ->Open(nonce, aad, ByteView(sealed).first(15), opened.data())
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*gcm)->Seal(Bytes(8), aad, plain, sealed.data()).code(),
            absl::StatusCode::kInvalidArgument);
}

void ExpectAgreement(const CryptoProvider& provider, KexGroup group,
                     size_t public_size, size_t secret_size) {
  SCOPED_TRACE(std::string(KexGroupName(group)));
  auto a = provider.NewKeyAgreement(group);
  auto b = provider.NewKeyAgreement(group);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  if (public_size != 0) {
    EXPECT_EQ((*a)->public_value().size(), public_size);
  }
  EXPECT_NE(Bytes((*a)->public_value().begin(), (*a)->public_value().end()),
            Bytes((*b)->public_value().begin(), (*b)->public_value().end()));
  auto ab = (*a)->ComputeSharedSecret((*b)->public_value());
  auto ba = (*b)->ComputeSharedSecret((*a)->public_value());
  ASSERT_TRUE(ab.ok()) << ab.status();
  ASSERT_TRUE(ba.ok()) << ba.status();
  EXPECT_EQ(ab->size(), secret_size);
  EXPECT_EQ(*ab, *ba);
}

TEST_F(CryptoppProviderTest, KeyAgreementBetweenFreshPairs) {
  ExpectAgreement(*provider_, KexGroup::kX25519, 32, 32);
  ExpectAgreement(*provider_, KexGroup::kNistP256, 65, 32);
  ExpectAgreement(*provider_, KexGroup::kNistP521, 133, 66);
  ExpectAgreement(*provider_, KexGroup::kModp2048, 0, 256);
}

TEST_F(CryptoppProviderTest, X25519Rfc7748AndLowOrderPoints) {
  // RFC 7748 section 6.1; Alice's scalar is not clamped as given.
  auto alice = provider_->NewKeyAgreementFromPrivate(
      KexGroup::kX25519,
      Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_EQ(ToHex((*alice)->public_value()),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  auto shared = (*alice)->ComputeSharedSecret(
      Hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ(ToHex(View(*shared)),
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

  // u = 0 and u = 1 are of small order: the result would be all zero.
  Bytes low_order(32, 0);
  EXPECT_EQ((*alice)->ComputeSharedSecret(low_order).status().code(),
            absl::StatusCode::kInvalidArgument);
  low_order[0] = 1;
  EXPECT_EQ((*alice)->ComputeSharedSecret(low_order).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*alice)->ComputeSharedSecret(Bytes(31, 9)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(provider_->NewKeyAgreementFromPrivate(KexGroup::kX25519, Bytes(31))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CryptoppProviderTest, NistRejectsInvalidPeerPoints) {
  auto a = provider_->NewKeyAgreement(KexGroup::kNistP256);
  auto b = provider_->NewKeyAgreement(KexGroup::kNistP256);
  ASSERT_TRUE(a.ok() && b.ok());
  const ByteView peer = (*b)->public_value();
  ASSERT_EQ(peer.size(), 65u);
  EXPECT_EQ(peer[0], 0x04);

  Bytes off_curve(peer.begin(), peer.end());
  off_curve.back() ^= 0x01;  // change Y: no longer on the curve
  EXPECT_EQ((*a)->ComputeSharedSecret(off_curve).status().code(),
            absl::StatusCode::kInvalidArgument);
  Bytes compressed(peer.begin(), peer.end());
  compressed[0] = 0x02;
  EXPECT_EQ((*a)->ComputeSharedSecret(compressed).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*a)->ComputeSharedSecret(peer.first(33)).status().code(),
            absl::StatusCode::kInvalidArgument);
  Bytes identity(65, 0);
  identity[0] = 0x04;
  EXPECT_EQ((*a)->ComputeSharedSecret(identity).status().code(),
            absl::StatusCode::kInvalidArgument);

  // Scalars outside [1, n-1].
  EXPECT_EQ(
      provider_->NewKeyAgreementFromPrivate(KexGroup::kNistP256, Bytes(32, 0))
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      provider_
          ->NewKeyAgreementFromPrivate(KexGroup::kNistP256, Bytes(32, 0xff))
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(CryptoppProviderTest, ModpRejectsDegeneratePeerValues) {
  auto a = provider_->NewKeyAgreement(KexGroup::kModp2048);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->ComputeSharedSecret(Bytes{1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*a)->ComputeSharedSecret(Bytes(257, 0xff)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CryptoppProviderTest, Ed25519Rfc8032) {
  // RFC 8032 section 7.1, TEST 1.
  PrivateKey key;
  key.public_key.type = KeyType::kEd25519;
  key.ed25519_seed = ToSecureBuffer(
      Hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  key.public_key.ed25519 =
      Hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  auto signer = provider_->NewSigner(key, SignatureAlgorithm::kEd25519);
  ASSERT_TRUE(signer.ok()) << signer.status();
  auto signature = (*signer)->Sign(ByteView());
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_EQ(ToHex(*signature),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");

  auto verifier =
      provider_->NewVerifier(key.public_key, SignatureAlgorithm::kEd25519);
  ASSERT_TRUE(verifier.ok());
  EXPECT_TRUE((*verifier)->Verify(ByteView(), *signature).ok());
  (*signature)[10] ^= 0x40;
  EXPECT_EQ((*verifier)->Verify(ByteView(), *signature).code(),
            absl::StatusCode::kInvalidArgument);

  // A stored public key that the seed does not derive is refused.
  key.public_key.ed25519[0] ^= 1;
  EXPECT_EQ(
      provider_->NewSigner(key, SignatureAlgorithm::kEd25519).status().code(),
      absl::StatusCode::kInvalidArgument);
}

void ExpectSignVerify(const CryptoProvider& provider, KeyType type,
                      SignatureAlgorithm alg, size_t signature_size) {
  SCOPED_TRACE(std::string(SignatureAlgorithmName(alg)));
  auto key = provider.GenerateKey(type, 1024);
  ASSERT_TRUE(key.ok()) << key.status();
  auto signer = provider.NewSigner(*key, alg);
  ASSERT_TRUE(signer.ok()) << signer.status();
  auto verifier = provider.NewVerifier(key->public_key, alg);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  const ByteView message = AsBytes("exchange hash");
  auto signature = (*signer)->Sign(message);
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_EQ(signature->size(), signature_size);
  EXPECT_TRUE((*verifier)->Verify(message, *signature).ok());
  EXPECT_EQ((*verifier)->Verify(AsBytes("exchange hasH"), *signature).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      (*verifier)
          ->Verify(message, ByteView(*signature).first(signature->size() - 1))
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(CryptoppProviderTest, GeneratedKeysSignAndVerify) {
  ExpectSignVerify(*provider_, KeyType::kEd25519, SignatureAlgorithm::kEd25519,
                   64);
  ExpectSignVerify(*provider_, KeyType::kEcdsaP256,
                   SignatureAlgorithm::kEcdsaP256Sha256, 64);
  ExpectSignVerify(*provider_, KeyType::kEcdsaP521,
                   SignatureAlgorithm::kEcdsaP521Sha512, 132);
  ExpectSignVerify(*provider_, KeyType::kRsa, SignatureAlgorithm::kRsaSha256,
                   128);
  ExpectSignVerify(*provider_, KeyType::kRsa, SignatureAlgorithm::kRsaSha1,
                   128);
}

TEST_F(CryptoppProviderTest, EcdsaIsDeterministicAndChecksKeys) {
  auto key = provider_->GenerateKey(KeyType::kEcdsaP384, 0);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->ec_scalar.size(), 48u);
  EXPECT_EQ(key->public_key.ec_point.size(), 97u);
  auto signer =
      provider_->NewSigner(*key, SignatureAlgorithm::kEcdsaP384Sha384);
  ASSERT_TRUE(signer.ok());
  auto s1 = (*signer)->Sign(AsBytes("m"));
  auto s2 = (*signer)->Sign(AsBytes("m"));
  ASSERT_TRUE(s1.ok() && s2.ok());
  EXPECT_EQ(*s1, *s2);  // RFC 6979

  // Algorithm for another key type.
  EXPECT_EQ(provider_->NewSigner(*key, SignatureAlgorithm::kEcdsaP256Sha256)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      provider_->NewVerifier(key->public_key, SignatureAlgorithm::kRsaSha256)
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  // Off-curve public key.
  PublicKey bad = key->public_key;
  bad.ec_point.back() ^= 1;
  EXPECT_EQ(provider_->NewVerifier(bad, SignatureAlgorithm::kEcdsaP384Sha384)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CryptoppProviderTest, RsaKeyChecks) {
  EXPECT_EQ(provider_->GenerateKey(KeyType::kRsa, 512).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto key = provider_->GenerateKey(KeyType::kRsa, 1024);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->public_key.rsa_n.size(), 128u);
  EXPECT_EQ(key->public_key.rsa_e, (Bytes{0x01, 0x00, 0x01}));

  // Signing from (n, e, d) alone and from OpenSSH's (d, p, q, iqmp) gives
  // the same (deterministic) PKCS#1 v1.5 signature.
  auto full = provider_->NewSigner(*key, SignatureAlgorithm::kRsaSha512);
  ASSERT_TRUE(full.ok()) << full.status();
  PrivateKey ned = *key;
  ned.rsa_p.clear();
  ned.rsa_q.clear();
  ned.rsa_dp.clear();
  ned.rsa_dq.clear();
  ned.rsa_qinv.clear();
  auto from_d = provider_->NewSigner(ned, SignatureAlgorithm::kRsaSha512);
  ASSERT_TRUE(from_d.ok()) << from_d.status();
  PrivateKey openssh = *key;
  openssh.rsa_dp.clear();
  openssh.rsa_dq.clear();
  auto from_openssh =
      provider_->NewSigner(openssh, SignatureAlgorithm::kRsaSha512);
  ASSERT_TRUE(from_openssh.ok()) << from_openssh.status();
  auto s1 = (*full)->Sign(AsBytes("m"));
  auto s2 = (*from_d)->Sign(AsBytes("m"));
  auto s3 = (*from_openssh)->Sign(AsBytes("m"));
  ASSERT_TRUE(s1.ok() && s2.ok() && s3.ok());
  EXPECT_EQ(*s1, *s2);
  EXPECT_EQ(*s1, *s3);

  // Inconsistent CRT values are refused rather than used.
  PrivateKey bad = *key;
  bad.rsa_dp.back() ^= 2;
  EXPECT_EQ(
      provider_->NewSigner(bad, SignatureAlgorithm::kRsaSha256).status().code(),
      absl::StatusCode::kInvalidArgument);
  // A modulus below kMinRsaBits is refused.
  PublicKey small = key->public_key;
  small.rsa_n.erase(small.rsa_n.begin(), small.rsa_n.begin() + 1);
  small.rsa_n.back() |= 1;
  EXPECT_EQ(provider_->NewVerifier(small, SignatureAlgorithm::kRsaSha256)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CryptoppProviderTest, RsaFactoringFromDIsBounded) {
  // n = p^2 has no non-trivial square root of 1, so (n, e, d) cannot be
  // factored; Crypto++'s own Initialize(n, e, d) would search forever.
  auto key = provider_->GenerateKey(KeyType::kRsa, 2048);
  ASSERT_TRUE(key.ok());
  const CryptoPP::Integer p(key->rsa_p.data(), key->rsa_p.size());
  const CryptoPP::Integer n = p * p;
  const CryptoPP::Integer e(65537L);
  const CryptoPP::Integer d = e.InverseMod(p * (p - CryptoPP::Integer::One()));
  ASSERT_FALSE(d.IsZero());
  PrivateKey bad;
  bad.public_key.type = KeyType::kRsa;
  bad.public_key.rsa_n.resize(n.MinEncodedSize());
  n.Encode(bad.public_key.rsa_n.data(), bad.public_key.rsa_n.size());
  bad.public_key.rsa_e = {0x01, 0x00, 0x01};
  bad.rsa_d.resize(d.MinEncodedSize());
  d.Encode(bad.rsa_d.data(), bad.rsa_d.size());
  EXPECT_EQ(
      provider_->NewSigner(bad, SignatureAlgorithm::kRsaSha256).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(CryptoppProviderTest, RandomBytes) {
  const Bytes a = Random(32);
  const Bytes b = Random(32);
  EXPECT_NE(a, b);
  EXPECT_NE(a, Bytes(32, 0));
  EXPECT_TRUE(provider_->RandomBytes(MutableByteView()).ok());
}

}  // namespace
}  // namespace parley::crypto::cryptopp_backend
