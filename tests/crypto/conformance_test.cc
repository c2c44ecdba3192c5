// One conformance suite for every crypto backend: published known-answer
// vectors (kat_vectors.cc cites each source) and negative cases, run against
// each backend module loaded at run time.
#include <cstring>
#include <string>

#include "core/crypto/dh_groups.h"
#include "core/crypto/pbkdf2.h"
#include "core/crypto/provider.h"
#include "core/crypto/ssh_aead.h"
#include "gtest/gtest.h"
#include "tests/crypto/backend_fixture.h"
#include "tests/crypto/kat_vectors.h"

namespace parley::crypto::testing {
namespace {

HashAlgorithm HashByName(const std::string& name) {
  if (name == "sha1") return HashAlgorithm::kSha1;
  if (name == "sha384") return HashAlgorithm::kSha384;
  if (name == "sha512") return HashAlgorithm::kSha512;
  EXPECT_EQ(name, "sha256");
  return HashAlgorithm::kSha256;
}

class ConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    provider_ = MustLoad(GetParam());
    ASSERT_NE(provider_, nullptr);
    ASSERT_EQ(provider_->name(), GetParam());
  }
  const CryptoProvider& p() const { return *provider_; }

  std::shared_ptr<const CryptoProvider> provider_;
};

TEST_P(ConformanceTest, ReportsItsAlgorithms) {
  AlgorithmLists lists = p().Algorithms();
  EXPECT_FALSE(lists.kex.empty());
  EXPECT_FALSE(lists.host_key.empty());
  EXPECT_EQ(lists.cipher.size(), 6u);
  EXPECT_EQ(lists.mac.size(), 6u);
  EXPECT_FALSE(p().library_version().empty());
}

TEST_P(ConformanceTest, HashVectors) {
  ASSERT_GT(kNumHashVectors, 0);
  for (int i = 0; i < kNumHashVectors; ++i) {
    const HashVector& v = kHashVectors[i];
    auto h = p().NewHash(HashByName(v.algorithm));
    ASSERT_TRUE(h.ok()) << h.status();
    Bytes msg = H(v.message_hex);
    // Split the message in two updates to exercise incremental hashing.
    const size_t half = msg.size() / 2;
    ASSERT_TRUE((*h)->Update(ByteView(msg).first(half)).ok());
    ASSERT_TRUE((*h)->Update(ByteView(msg).subspan(half)).ok());
    Bytes out((*h)->digest_size());
    ASSERT_TRUE((*h)->Finish(MutableByteView(out)).ok());
    EXPECT_EQ(ToHex(out), v.digest_hex) << v.source;
    // The object is reusable after Finish.
    ASSERT_TRUE((*h)->Update(msg).ok());
    ASSERT_TRUE((*h)->Finish(MutableByteView(out)).ok());
    EXPECT_EQ(ToHex(out), v.digest_hex) << v.source << " (reused)";
  }
}

// RFC 1321 appendix A.5 test suite (MD5 is only for the legacy host-key
// fingerprint of libssh2_hostkey_hash and DEK-Info PEM files).
TEST_P(ConformanceTest, LegacyMd5Vectors) {
  const struct {
    const char* message;
    const char* digest_hex;
  } kVectors[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
  };
  for (const auto& v : kVectors) {
    const std::string m = v.message;
    auto d = p().LegacyMd5(
        ByteView(reinterpret_cast<const uint8_t*>(m.data()), m.size()));
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(ToHex(*d), v.digest_hex) << '"' << m << '"';
  }
}

// NIST SP 800-38A appendix F.2.1, F.2.3 and F.2.5 (CBC-AES128/192/256),
// in two calls so that the chaining value must carry over; and
// NIST SP 800-67 rev. 1 appendix B (three-key TDEA), one block per fresh
// cipher with a zero IV, which makes CBC's first block the ECB example.
TEST_P(ConformanceTest, CbcVectors) {
  const char* plain =
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
  const struct {
    CbcAlgorithm alg;
    const char* key;
    const char* cipher;
  } kAes[] = {
      {CbcAlgorithm::kAes128, "2b7e151628aed2a6abf7158809cf4f3c",
       "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
       "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"},
      {CbcAlgorithm::kAes192,
       "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
       "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
       "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd"},
      {CbcAlgorithm::kAes256,
       "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
       "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
       "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"},
  };
  const Bytes iv = H("000102030405060708090a0b0c0d0e0f");
  for (const auto& v : kAes) {
    for (bool encrypt : {true, false}) {
      auto c = p().NewCbc(v.alg, H(v.key), iv, encrypt);
      ASSERT_TRUE(c.ok()) << c.status();
      const Bytes in = H(encrypt ? plain : v.cipher);
      Bytes out(in.size());
      ASSERT_TRUE((*c)->Crypt(ByteView(in).first(32), out.data()).ok());
      ASSERT_TRUE((*c)->Crypt(ByteView(in).subspan(32), out.data() + 32).ok());
      EXPECT_EQ(ToHex(out), encrypt ? v.cipher : plain)
          << "SP 800-38A, key " << v.key << (encrypt ? "" : " (decrypt)");
      // Part of a block is refused.
      EXPECT_FALSE((*c)->Crypt(ByteView(in).first(5), out.data()).ok());
    }
  }
  const Bytes key3 = H("0123456789abcdef23456789abcdef01456789abcdef0123");
  const struct {
    const char* plain;
    const char* cipher;
  } kTdea[] = {{"5468652071756663", "a826fd8ce53b855f"},
               {"6b2062726f776e20", "cce21c8112256fe6"},
               {"666f78206a756d70", "68d5c05dd9b6b900"}};
  for (const auto& v : kTdea) {
    for (bool encrypt : {true, false}) {
      auto c = p().NewCbc(CbcAlgorithm::kTripleDes, key3, Bytes(8, 0), encrypt);
      ASSERT_TRUE(c.ok()) << c.status();
      const Bytes in = H(encrypt ? v.plain : v.cipher);
      Bytes out(8);
      ASSERT_TRUE((*c)->Crypt(in, out.data()).ok());
      EXPECT_EQ(ToHex(out), encrypt ? v.cipher : v.plain) << "SP 800-67";
    }
  }
  EXPECT_FALSE(p().NewCbc(CbcAlgorithm::kAes128, Bytes(24, 1), iv, true).ok());
  EXPECT_FALSE(
      p().NewCbc(CbcAlgorithm::kTripleDes, key3, Bytes(16, 0), true).ok());
}

// The legacy SSH MACs: RFC 2202 sections 2 and 3 (HMAC-MD5 test cases 1,
// 2 and 6; HMAC-SHA1 test case 1 truncated to 96 bits for hmac-sha1-96).
TEST_P(ConformanceTest, LegacySshMacVectors) {
  const struct {
    const char* name;
    std::string key;
    std::string data;
    const char* tag_hex;
  } kVectors[] = {
      {"hmac-md5", std::string(16, '\x0b'), "Hi There",
       "9294727a3638bb1c13f48ef8158bfc9d"},
      {"hmac-md5", "Jefe", "what do ya want for nothing?",
       "750c783e6ab0b503eaa86e310a5db738"},
      {"hmac-md5", std::string(80, '\xaa'),
       "Test Using Larger Than Block-Size Key - Hash Key First",
       "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
      {"hmac-md5-96", std::string(16, '\x0b'), "Hi There",
       "9294727a3638bb1c13f48ef8"},
      {"hmac-sha1-96", std::string(20, '\x0b'), "Hi There",
       "b617318655057264e28bc0b6"},
  };
  for (const auto& v : kVectors) {
    const SshMacInfo* info = FindSshMac(v.name);
    ASSERT_NE(info, nullptr) << v.name;
    auto mac = NewSshMac(p(), *info, AsBytes(v.key));
    ASSERT_TRUE(mac.ok()) << mac.status();
    Bytes tag((*mac)->tag_size());
    ASSERT_TRUE((*mac)->Compute({AsBytes(v.data)}, MutableByteView(tag)).ok());
    EXPECT_EQ(ToHex(tag), v.tag_hex) << v.name;
    EXPECT_TRUE((*mac)->Verify({AsBytes(v.data)}, tag).ok());
    tag[0] ^= 1;
    EXPECT_FALSE((*mac)->Verify({AsBytes(v.data)}, tag).ok());
  }
}

// RFC 6070 (PBKDF2-HMAC-SHA1) and RFC 7914 section 11 (PBKDF2-HMAC-SHA256).
TEST_P(ConformanceTest, Pbkdf2Vectors) {
  const struct {
    HashAlgorithm prf;
    const char* password;
    const char* salt;
    uint32_t iterations;
    const char* key_hex;
  } kVectors[] = {
      {HashAlgorithm::kSha1, "password", "salt", 1,
       "0c60c80f961f0e71f3a9b524af6012062fe037a6"},
      {HashAlgorithm::kSha1, "password", "salt", 4096,
       "4b007901b765489abead49d926f721d065a429c1"},
      {HashAlgorithm::kSha1, "passwordPASSWORDpassword",
       "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096,
       "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"},
      {HashAlgorithm::kSha256, "passwd", "salt", 1,
       "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
       "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"},
  };
  for (const auto& v : kVectors) {
    const std::string password = v.password, salt = v.salt;
    const size_t length = std::strlen(v.key_hex) / 2;
    auto key = Pbkdf2Hmac(
        p(), v.prf,
        ByteView(reinterpret_cast<const uint8_t*>(password.data()),
                 password.size()),
        ByteView(reinterpret_cast<const uint8_t*>(salt.data()), salt.size()),
        v.iterations, length);
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ(ToHex(ByteView(key->data(), key->size())), v.key_hex)
        << v.password << " / " << v.iterations;
  }
  EXPECT_FALSE(
      Pbkdf2Hmac(p(), HashAlgorithm::kSha1, ByteView(), ByteView(), 0, 16)
          .ok());
}

// Group exchange: two pairs in a server-chosen group (here RFC 3526 group
// 14's prime with generator 5) agree; values outside [2, p-2] are refused.
TEST_P(ConformanceTest, ServerChosenDhGroup) {
  const ModpGroup& g14 = *FindModpGroup(KexGroup::kModp2048);
  const Bytes g = {5};
  auto a = p().NewDhKeyAgreement(g14.prime, g);
  auto b = p().NewDhKeyAgreement(g14.prime, g);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*a)->group(), KexGroup::kModpServerChosen);
  auto ka = (*a)->ComputeSharedSecret((*b)->public_value());
  auto kb = (*b)->ComputeSharedSecret((*a)->public_value());
  ASSERT_TRUE(ka.ok() && kb.ok());
  EXPECT_EQ(View(*ka), View(*kb));
  EXPECT_EQ(ka->size(), g14.prime.size());
  EXPECT_FALSE((*a)->ComputeSharedSecret(Bytes{1}).ok());
  EXPECT_FALSE((*a)->ComputeSharedSecret(g14.prime).ok());
  EXPECT_FALSE(p().NewDhKeyAgreement(g14.prime, Bytes{1}).ok());
}

// Formats that omit the public half (PKCS#8 Ed25519, SEC1 without its
// point) get it back from the private half.
TEST_P(ConformanceTest, DerivePublicKey) {
  for (KeyType type : {KeyType::kEd25519, KeyType::kEcdsaP256,
                       KeyType::kEcdsaP384, KeyType::kEcdsaP521}) {
    absl::StatusOr<PrivateKey> key = p().GenerateKey(type, 0);
    ASSERT_TRUE(key.ok()) << key.status();
    PrivateKey stripped = *key;
    stripped.public_key = PublicKey();
    stripped.public_key.type = type;
    ASSERT_TRUE(p().DerivePublicKey(&stripped).ok());
    EXPECT_TRUE(stripped.public_key == key->public_key);
  }
  PrivateKey bad;
  bad.public_key.type = KeyType::kEcdsaP256;
  bad.ec_scalar = SecureBuffer(32);  // zero is not a private key
  EXPECT_FALSE(p().DerivePublicKey(&bad).ok());
  bad.public_key.type = KeyType::kRsa;
  EXPECT_FALSE(p().DerivePublicKey(&bad).ok());
}

TEST_P(ConformanceTest, HmacVectors) {
  ASSERT_GT(kNumHmacVectors, 0);
  for (int i = 0; i < kNumHmacVectors; ++i) {
    const HmacVector& v = kHmacVectors[i];
    auto mac = p().NewHmac(HashByName(v.algorithm), H(v.key_hex));
    ASSERT_TRUE(mac.ok()) << mac.status();
    Bytes data = H(v.data_hex);
    Bytes tag((*mac)->tag_size());
    for (int round = 0; round < 2; ++round) {  // key reuse across messages
      ASSERT_TRUE((*mac)->Compute({data}, MutableByteView(tag)).ok());
      const std::string want = v.mac_hex;
      EXPECT_EQ(ToHex(tag).substr(0, want.size()), want) << v.source;
    }
    if (std::strlen(v.mac_hex) == 2 * tag.size()) {
      EXPECT_TRUE((*mac)->Verify({data}, H(v.mac_hex)).ok()) << v.source;
      EXPECT_EQ((*mac)->Verify({data}, Flip(H(v.mac_hex), 3)).code(),
                absl::StatusCode::kDataLoss)
          << v.source;
      if (!data.empty()) {
        EXPECT_EQ((*mac)->Verify({Flip(data, 0)}, H(v.mac_hex)).code(),
                  absl::StatusCode::kDataLoss)
            << v.source;
      }
    }
  }
}

TEST_P(ConformanceTest, AesCtrVectors) {
  ASSERT_GT(kNumAesCtrVectors, 0);
  for (int i = 0; i < kNumAesCtrVectors; ++i) {
    const AesCtrVector& v = kAesCtrVectors[i];
    Bytes pt = H(v.plaintext_hex);
    // Whole message at once, and in uneven pieces (the counter carries).
    for (size_t piece : {pt.size(), size_t{7}, size_t{16}}) {
      auto c = p().NewAesCtr(H(v.key_hex), H(v.initial_counter_hex));
      ASSERT_TRUE(c.ok()) << c.status();
      Bytes out(pt.size());
      for (size_t off = 0; off < pt.size(); off += piece) {
        const size_t n = std::min(piece, pt.size() - off);
        ASSERT_TRUE(
            (*c)->Crypt(ByteView(pt).subspan(off, n), out.data() + off).ok());
      }
      EXPECT_EQ(ToHex(out), v.ciphertext_hex) << v.source << " piece " << piece;
    }
  }
}

TEST_P(ConformanceTest, AesGcmVectors) {
  ASSERT_GT(kNumAesGcmVectors, 0);
  for (int i = 0; i < kNumAesGcmVectors; ++i) {
    const AesGcmVector& v = kAesGcmVectors[i];
    auto aead = p().NewAesGcm(H(v.key_hex));
    ASSERT_TRUE(aead.ok()) << aead.status();
    Bytes pt = H(v.plaintext_hex), aad = H(v.aad_hex), iv = H(v.iv_hex);
    Bytes sealed(pt.size() + Aead::kTagSize);
    ASSERT_TRUE((*aead)->Seal(iv, aad, pt, sealed.data()).ok());
    EXPECT_EQ(ToHex(sealed), std::string(v.ciphertext_hex) + v.tag_hex)
        << v.source;
    Bytes opened(pt.size());
    ASSERT_TRUE((*aead)->Open(iv, aad, sealed, opened.data()).ok()) << v.source;
    EXPECT_EQ(opened, pt);
    // A flipped bit anywhere (ciphertext, tag, AAD, nonce) is rejected.
    for (size_t bit : {size_t{0}, sealed.size() * 8 - 1}) {
      EXPECT_EQ((*aead)->Open(iv, aad, Flip(sealed, bit), opened.data()).code(),
                absl::StatusCode::kDataLoss)
          << v.source << " bit " << bit;
    }
    if (!aad.empty()) {
      EXPECT_EQ((*aead)->Open(iv, Flip(aad, 5), sealed, opened.data()).code(),
                absl::StatusCode::kDataLoss);
    }
    EXPECT_EQ((*aead)->Open(Flip(iv, 1), aad, sealed, opened.data()).code(),
              absl::StatusCode::kDataLoss);
  }
}

TEST_P(ConformanceTest, ChaCha20Vectors) {
  ASSERT_GT(kNumChaCha20Vectors, 0);
  for (int i = 0; i < kNumChaCha20Vectors; ++i) {
    const ChaCha20Vector& v = kChaCha20Vectors[i];
    auto c = p().NewChaCha20(H(v.key_hex));
    ASSERT_TRUE(c.ok()) << c.status();
    // RFC 8439's state words 12-15 are counter || 96-bit nonce; the original
    // ChaCha20 reads words 12-13 as a 64-bit counter and 14-15 as the nonce.
    // The same state is reached with counter = ctr | nonce[0..3] << 32.
    Bytes nonce = H(v.nonce_hex);
    ASSERT_EQ(nonce.size(), 12u);
    uint64_t counter = v.counter;
    for (int b = 0; b < 4; ++b) counter |= uint64_t{nonce[b]} << (32 + 8 * b);
    Bytes pt = H(v.plaintext_hex);
    Bytes out(pt.size());
    ASSERT_TRUE(
        (*c)->Crypt(ByteView(nonce).subspan(4), counter, pt, out.data()).ok());
    EXPECT_EQ(ToHex(out), v.ciphertext_hex) << v.source;
  }
}

TEST_P(ConformanceTest, Poly1305Vectors) {
  ASSERT_GT(kNumPoly1305Vectors, 0);
  auto poly = p().NewPoly1305();
  ASSERT_TRUE(poly.ok()) << poly.status();
  for (int i = 0; i < kNumPoly1305Vectors; ++i) {
    const Poly1305Vector& v = kPoly1305Vectors[i];
    uint8_t tag[16];
    ASSERT_TRUE(
        (*poly)
            ->Compute(H(v.key_hex), H(v.message_hex), MutableByteView(tag))
            .ok());
    EXPECT_EQ(ToHex(ByteView(tag)), v.tag_hex) << v.source;
  }
  uint8_t tag[16];
  EXPECT_EQ((*poly)->Compute(Bytes(31), Bytes(), MutableByteView(tag)).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(ConformanceTest, X25519Vectors) {
  ASSERT_GT(kNumX25519Vectors, 0);
  for (int i = 0; i < kNumX25519Vectors; ++i) {
    const X25519Vector& v = kX25519Vectors[i];
    auto ka =
        p().NewKeyAgreementFromPrivate(KexGroup::kX25519, H(v.scalar_hex));
    ASSERT_TRUE(ka.ok()) << ka.status();
    Bytes u = H(v.u_hex);
    Bytes base(32, 0);
    base[0] = 9;
    if (u == base) {
      EXPECT_EQ(ToHex((*ka)->public_value()), v.output_hex) << v.source;
    } else {
      auto k = (*ka)->ComputeSharedSecret(u);
      ASSERT_TRUE(k.ok()) << k.status() << v.source;
      EXPECT_EQ(ToHex(View(*k)), v.output_hex) << v.source;
    }
  }
}

TEST_P(ConformanceTest, X25519RejectsAllZeroSecret) {
  auto ka = p().NewKeyAgreement(KexGroup::kX25519);
  ASSERT_TRUE(ka.ok());
  // u = 0 and u = 1 are points of small order: the result is all zero
  // (RFC 7748 section 6.1), which must be refused.
  Bytes one(32, 0);
  one[0] = 1;
  for (const Bytes& u : {Bytes(32, 0), one}) {
    EXPECT_EQ((*ka)->ComputeSharedSecret(u).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ((*ka)->ComputeSharedSecret(Bytes(31, 5)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(ConformanceTest, Ed25519Vectors) {
  ASSERT_GT(kNumEd25519Vectors, 0);
  for (int i = 0; i < kNumEd25519Vectors; ++i) {
    const Ed25519Vector& v = kEd25519Vectors[i];
    PrivateKey key;
    key.public_key.type = KeyType::kEd25519;
    key.public_key.ed25519 = H(v.public_key_hex);
    key.ed25519_seed = ToSecureBuffer(H(v.secret_key_hex));
    auto signer = p().NewSigner(key, SignatureAlgorithm::kEd25519);
    ASSERT_TRUE(signer.ok()) << signer.status();
    Bytes msg = H(v.message_hex);
    auto sig = (*signer)->Sign(msg);
    ASSERT_TRUE(sig.ok()) << sig.status();
    EXPECT_EQ(ToHex(*sig), v.signature_hex) << v.source;
    auto verifier =
        p().NewVerifier(key.public_key, SignatureAlgorithm::kEd25519);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    Bytes want = H(v.signature_hex);
    EXPECT_TRUE((*verifier)->Verify(msg, want).ok()) << v.source;
    EXPECT_FALSE((*verifier)->Verify(msg, Flip(want, 9)).ok()) << v.source;
    EXPECT_FALSE((*verifier)->Verify(msg, Flip(want, 511)).ok()) << v.source;
    Bytes other = msg;
    other.push_back(0);
    EXPECT_FALSE((*verifier)->Verify(other, want).ok()) << v.source;
  }
}

KeyType EcKeyType(const std::string& curve) {
  if (curve == "p384") return KeyType::kEcdsaP384;
  if (curve == "p521") return KeyType::kEcdsaP521;
  return KeyType::kEcdsaP256;
}

SignatureAlgorithm EcSigAlg(KeyType t) {
  if (t == KeyType::kEcdsaP384) return SignatureAlgorithm::kEcdsaP384Sha384;
  if (t == KeyType::kEcdsaP521) return SignatureAlgorithm::kEcdsaP521Sha512;
  return SignatureAlgorithm::kEcdsaP256Sha256;
}

// RFC 6979 A.2.5-A.2.7. Verification on every backend. Signing: Crypto++
// signs deterministically (RFC 6979) and must reproduce r and s; OpenSSL 3.0
// has no non-deprecated RFC 6979 signer, so its signatures (random nonces)
// are checked by verification (see CLARIFICATIONS).
TEST_P(ConformanceTest, EcdsaRfc6979Vectors) {
  ASSERT_GT(kNumEcdsaVectors, 0);
  for (int i = 0; i < kNumEcdsaVectors; ++i) {
    const EcdsaVector& v = kEcdsaVectors[i];
    const KeyType type = EcKeyType(v.curve);
    const SignatureAlgorithm alg = EcSigAlg(type);
    const char* want_hash = type == KeyType::kEcdsaP256   ? "sha256"
                            : type == KeyType::kEcdsaP384 ? "sha384"
                                                          : "sha512";
    ASSERT_STREQ(v.hash, want_hash) << v.source;
    PrivateKey key;
    key.public_key.type = type;
    Bytes point = {4};
    Bytes x = H(v.public_x_hex), y = H(v.public_y_hex);
    point.insert(point.end(), x.begin(), x.end());
    point.insert(point.end(), y.begin(), y.end());
    key.public_key.ec_point = point;
    key.ec_scalar = ToSecureBuffer(H(v.private_key_hex));
    Bytes msg(v.message, v.message + std::strlen(v.message));
    Bytes want = H(v.r_hex);
    Bytes s = H(v.s_hex);
    want.insert(want.end(), s.begin(), s.end());

    auto verifier = p().NewVerifier(key.public_key, alg);
    ASSERT_TRUE(verifier.ok()) << verifier.status() << v.source;
    EXPECT_TRUE((*verifier)->Verify(msg, want).ok()) << v.source;
    EXPECT_FALSE((*verifier)->Verify(msg, Flip(want, 3)).ok()) << v.source;
    EXPECT_FALSE((*verifier)->Verify(msg, Flip(want, want.size() * 8 - 2)).ok())
        << v.source;

    auto signer = p().NewSigner(key, alg);
    ASSERT_TRUE(signer.ok()) << signer.status();
    auto sig = (*signer)->Sign(msg);
    ASSERT_TRUE(sig.ok()) << sig.status();
    EXPECT_TRUE((*verifier)->Verify(msg, *sig).ok()) << v.source;
    if (GetParam() == "cryptopp") {
      EXPECT_EQ(ToHex(*sig), ToHex(want)) << v.source;
    }
  }
}

TEST_P(ConformanceTest, RsaPkcs1Vectors) {
  ASSERT_GT(kNumRsaPkcs1Vectors, 0);
  for (int i = 0; i < kNumRsaPkcs1Vectors; ++i) {
    const RsaPkcs1Vector& v = kRsaPkcs1Vectors[i];
    PublicKey key;
    key.type = KeyType::kRsa;
    key.rsa_n = H(v.n_hex);
    key.rsa_e = H(v.e_hex);
    while (!key.rsa_e.empty() && key.rsa_e[0] == 0) {
      key.rsa_e.erase(key.rsa_e.begin());
    }
    const std::string hash = v.hash;
    const SignatureAlgorithm alg =
        hash == "sha512" ? SignatureAlgorithm::kRsaSha512
        : hash == "sha1" ? SignatureAlgorithm::kRsaSha1
                         : SignatureAlgorithm::kRsaSha256;
    auto verifier = p().NewVerifier(key, alg);
    ASSERT_TRUE(verifier.ok()) << verifier.status() << v.source;
    Bytes msg = H(v.message_hex), sig = H(v.signature_hex);
    EXPECT_TRUE((*verifier)->Verify(msg, sig).ok()) << v.source;
    EXPECT_FALSE((*verifier)->Verify(msg, Flip(sig, 77)).ok()) << v.source;
    EXPECT_FALSE((*verifier)->Verify(Flip(msg, 0), sig).ok()) << v.source;
  }
}

TEST_P(ConformanceTest, SignVerifyRoundTripEveryAlgorithm) {
  struct Case {
    KeyType type;
    SignatureAlgorithm alg;
  } cases[] = {
      {KeyType::kEd25519, SignatureAlgorithm::kEd25519},
      {KeyType::kEcdsaP256, SignatureAlgorithm::kEcdsaP256Sha256},
      {KeyType::kEcdsaP384, SignatureAlgorithm::kEcdsaP384Sha384},
      {KeyType::kEcdsaP521, SignatureAlgorithm::kEcdsaP521Sha512},
      {KeyType::kRsa, SignatureAlgorithm::kRsaSha256},
      {KeyType::kRsa, SignatureAlgorithm::kRsaSha512},
  };
  Bytes msg = {'p', 'a', 'r', 'l', 'e', 'y'};
  for (const Case& c : cases) {
    auto key = p().GenerateKey(c.type, 2048);
    ASSERT_TRUE(key.ok()) << key.status();
    auto signer = p().NewSigner(*key, c.alg);
    ASSERT_TRUE(signer.ok()) << signer.status();
    auto sig = (*signer)->Sign(msg);
    ASSERT_TRUE(sig.ok()) << sig.status();
    auto verifier = p().NewVerifier(key->public_key, c.alg);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    EXPECT_TRUE((*verifier)->Verify(msg, *sig).ok());
    EXPECT_FALSE((*verifier)->Verify(msg, Flip(*sig, 20)).ok());
  }
  // A signature algorithm that does not fit the key is refused.
  auto ed = p().GenerateKey(KeyType::kEd25519, 0);
  ASSERT_TRUE(ed.ok());
  EXPECT_EQ(p().NewVerifier(ed->public_key, SignatureAlgorithm::kRsaSha256)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(ConformanceTest, EcdhRejectsPointsOffTheCurve) {
  for (KexGroup g :
       {KexGroup::kNistP256, KexGroup::kNistP384, KexGroup::kNistP521}) {
    auto a = p().NewKeyAgreement(g);
    auto b = p().NewKeyAgreement(g);
    ASSERT_TRUE(a.ok() && b.ok());
    Bytes good((*b)->public_value().begin(), (*b)->public_value().end());
    ASSERT_TRUE((*a)->ComputeSharedSecret(good).ok());
    // Flip a bit of Y: the point leaves the curve.
    EXPECT_EQ((*a)->ComputeSharedSecret(Flip(good, good.size() * 8 - 1))
                  .status()
                  .code(),
              absl::StatusCode::kInvalidArgument)
        << KexGroupName(g);
    Bytes compressed = good;
    compressed[0] = 0x02;
    compressed.resize(1 + (good.size() - 1) / 2);
    EXPECT_FALSE((*a)->ComputeSharedSecret(compressed).ok());
    EXPECT_FALSE((*a)->ComputeSharedSecret(Bytes{}).ok());
  }
}

TEST_P(ConformanceTest, DhRejectsOutOfRangeValues) {
  for (KexGroup g :
       {KexGroup::kModp2048, KexGroup::kModp4096, KexGroup::kModp8192}) {
    auto a = p().NewKeyAgreement(g);
    ASSERT_TRUE(a.ok()) << a.status();
    const ModpGroup& grp = *FindModpGroup(g);
    Bytes pv(grp.prime.begin(), grp.prime.end());
    Bytes pm1 = pv;
    pm1.back() -= 1;
    for (const Bytes& bad : {Bytes{}, Bytes{0}, Bytes{1}, pm1, pv}) {
      EXPECT_EQ((*a)->ComputeSharedSecret(bad).status().code(),
                absl::StatusCode::kInvalidArgument)
          << KexGroupName(g);
    }
  }
}

TEST_P(ConformanceTest, WrongKeySizesAreErrorsNotCrashes) {
  EXPECT_EQ(p().NewAesGcm(Bytes(17)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p().NewAesCtr(Bytes(16), Bytes(15)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p().NewChaCha20(Bytes(16)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p().NewKeyAgreementFromPrivate(KexGroup::kX25519, Bytes(31))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  auto gcm = p().NewAesGcm(Bytes(16));
  ASSERT_TRUE(gcm.ok());
  uint8_t out[64];
  EXPECT_EQ((*gcm)->Seal(Bytes(8), Bytes(), Bytes(4), out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*gcm)->Open(Bytes(12), Bytes(), Bytes(15), out).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(ConformanceTest, RandomBytesAreNotConstant) {
  Bytes a(32), b(32);
  ASSERT_TRUE(p().RandomBytes(MutableByteView(a)).ok());
  ASSERT_TRUE(p().RandomBytes(MutableByteView(b)).ok());
  EXPECT_NE(a, b);
  EXPECT_NE(a, Bytes(32));
}

INSTANTIATE_TEST_SUITE_P(Backends, ConformanceTest,
                         ::testing::ValuesIn(AllBackends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::crypto::testing
