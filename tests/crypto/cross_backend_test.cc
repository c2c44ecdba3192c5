// Cross-backend interoperability: what one backend seals, signs or sends in
// a key exchange, the other opens, verifies or agrees with — byte for byte.
#include <algorithm>
#include <string>
#include <vector>

#include "core/crypto/provider.h"
#include "core/crypto/ssh_aead.h"
#include "gtest/gtest.h"
#include "tests/crypto/backend_fixture.h"

namespace parley::crypto::testing {
namespace {

struct Pair {
  std::string a;
  std::string b;
};

class CrossBackendTest : public ::testing::TestWithParam<Pair> {
 protected:
  void SetUp() override {
    a_ = MustLoad(GetParam().a);
    b_ = MustLoad(GetParam().b);
    ASSERT_TRUE(a_ && b_);
  }
  Bytes Random(size_t n) {
    Bytes out(n);
    EXPECT_TRUE(a_->RandomBytes(MutableByteView(out)).ok());
    return out;
  }

  std::shared_ptr<const CryptoProvider> a_, b_;
};

// A plaintext SSH packet: uint32 length || padding length || payload || pad.
Bytes MakePacket(size_t body, uint8_t fill) {
  Bytes p(4 + body, fill);
  p[0] = static_cast<uint8_t>(body >> 24);
  p[1] = static_cast<uint8_t>(body >> 16);
  p[2] = static_cast<uint8_t>(body >> 8);
  p[3] = static_cast<uint8_t>(body);
  return p;
}

TEST_P(CrossBackendTest, OpenSshAeadPacketsInteroperate) {
  for (const char* name :
       {"chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com",
        "aes256-gcm@openssh.com"}) {
    const SshCipherInfo* info = FindSshCipher(name);
    ASSERT_NE(info, nullptr);
    Bytes key = Random(info->key_size), iv = Random(info->iv_size);
    auto seal_a = PacketAead::New(*a_, name, key, iv);
    auto seal_b = PacketAead::New(*b_, name, key, iv);
    auto open_b = PacketAead::New(*b_, name, key, iv);
    ASSERT_TRUE(seal_a.ok() && seal_b.ok() && open_b.ok()) << name;
    const uint32_t seqs[] = {0, 1, 2, 0xfffffffe, 0xffffffff};
    const size_t sizes[] = {12, 28, 1020, 32764};
    for (uint32_t seq : seqs) {
      for (size_t size : sizes) {
        Bytes packet = MakePacket(size, static_cast<uint8_t>(seq + size));
        Bytes sealed_a(packet.size() + PacketAead::kTagSize);
        Bytes sealed_b(sealed_a.size());
        ASSERT_TRUE((*seal_a)->Seal(seq, packet, sealed_a.data()).ok());
        ASSERT_TRUE((*seal_b)->Seal(seq, packet, sealed_b.data()).ok());
        EXPECT_EQ(sealed_a, sealed_b) << name << " seq " << seq;
        // The body is encrypted (compare the first up to 16 bytes of it).
        const size_t n = std::min<size_t>(16, packet.size() - 4);
        EXPECT_NE(Bytes(sealed_a.begin() + 4, sealed_a.begin() + 4 + n),
                  Bytes(packet.begin() + 4, packet.begin() + 4 + n));
        auto len = (*open_b)->DecryptLength(seq, ByteView(sealed_a).first(4));
        ASSERT_TRUE(len.ok());
        EXPECT_EQ(*len, size);
        Bytes opened(packet.size());
        ASSERT_TRUE((*open_b)->Open(seq, sealed_a, opened.data()).ok())
            << name << " seq " << seq;
        EXPECT_EQ(opened, packet);
      }
    }
  }
}

TEST_P(CrossBackendTest, OpenSshAeadRejectsTampering) {
  for (const char* name :
       {"chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com",
        "aes256-gcm@openssh.com"}) {
    const SshCipherInfo* info = FindSshCipher(name);
    Bytes key = Random(info->key_size), iv = Random(info->iv_size);
    Bytes packet = MakePacket(60, 0x42);
    Bytes sealed(packet.size() + PacketAead::kTagSize);
    auto sealer = PacketAead::New(*a_, name, key, iv);
    ASSERT_TRUE(sealer.ok());
    ASSERT_TRUE((*sealer)->Seal(7, packet, sealed.data()).ok());
    // Length field, body and tag: every flip must fail on the other backend.
    for (size_t bit : {size_t{1}, size_t{40}, sealed.size() * 8 - 3}) {
      auto opener = PacketAead::New(*b_, name, key, iv);
      Bytes out(packet.size());
      EXPECT_EQ((*opener)->Open(7, Flip(sealed, bit), out.data()).code(),
                absl::StatusCode::kDataLoss)
          << name << " bit " << bit;
    }
    // The wrong sequence number (chacha) or invocation counter (gcm).
    auto opener = PacketAead::New(*b_, name, key, iv);
    Bytes out(packet.size());
    Bytes dummy(sealed.size());
    Bytes scratch(packet.size());
    if (info->kind == SshCipherKind::kAesGcm) {
      // Consume one nonce first so the counter is off by one.
      auto other = PacketAead::New(*b_, name, key, iv);
      ASSERT_TRUE((*other)->Seal(0, packet, dummy.data()).ok());
      EXPECT_EQ((*other)->Open(7, sealed, scratch.data()).code(),
                absl::StatusCode::kDataLoss);
    } else {
      EXPECT_EQ((*opener)->Open(8, sealed, out.data()).code(),
                absl::StatusCode::kDataLoss);
    }
    EXPECT_EQ((*opener)->Open(7, ByteView(sealed).first(10), out.data()).code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST_P(CrossBackendTest, KeyAgreementAgrees) {
  for (KexGroup g :
       {KexGroup::kX25519, KexGroup::kNistP256, KexGroup::kNistP384,
        KexGroup::kNistP521, KexGroup::kModp2048, KexGroup::kModp4096,
        KexGroup::kModp8192}) {
    auto ka = a_->NewKeyAgreement(g);
    auto kb = b_->NewKeyAgreement(g);
    ASSERT_TRUE(ka.ok()) << ka.status();
    ASSERT_TRUE(kb.ok()) << kb.status();
    auto sa = (*ka)->ComputeSharedSecret((*kb)->public_value());
    auto sb = (*kb)->ComputeSharedSecret((*ka)->public_value());
    ASSERT_TRUE(sa.ok()) << sa.status() << " " << KexGroupName(g);
    ASSERT_TRUE(sb.ok()) << sb.status() << " " << KexGroupName(g);
    EXPECT_EQ(ToHex(View(*sa)), ToHex(View(*sb))) << KexGroupName(g);
  }
}

TEST_P(CrossBackendTest, SignaturesVerifyAcrossBackends) {
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
  Bytes msg = Random(100);
  for (const Case& c : cases) {
    // Key made by A, signed by B (the private key format is shared), verified
    // by A; and the other way round.
    auto key = a_->GenerateKey(c.type, 2048);
    ASSERT_TRUE(key.ok()) << key.status();
    for (const auto& [signer_p, verifier_p] :
         {std::make_pair(a_, b_), std::make_pair(b_, a_)}) {
      auto signer = signer_p->NewSigner(*key, c.alg);
      ASSERT_TRUE(signer.ok()) << signer.status();
      auto sig = (*signer)->Sign(msg);
      ASSERT_TRUE(sig.ok()) << sig.status();
      auto verifier = verifier_p->NewVerifier(key->public_key, c.alg);
      ASSERT_TRUE(verifier.ok()) << verifier.status();
      EXPECT_TRUE((*verifier)->Verify(msg, *sig).ok())
          << SignatureAlgorithmName(c.alg) << " signed by " << signer_p->name();
      EXPECT_FALSE((*verifier)->Verify(msg, Flip(*sig, 30)).ok());
    }
  }
}

TEST_P(CrossBackendTest, SymmetricPrimitivesAgreeOnRandomInput) {
  Bytes data = Random(5000);
  for (HashAlgorithm h : {HashAlgorithm::kSha1, HashAlgorithm::kSha256,
                          HashAlgorithm::kSha384, HashAlgorithm::kSha512}) {
    auto da = Digest(*a_, h, data), db = Digest(*b_, h, data);
    ASSERT_TRUE(da.ok() && db.ok());
    EXPECT_EQ(*da, *db) << HashName(h);
    Bytes key = Random(DigestSize(h));
    auto ma = a_->NewHmac(h, key), mb = b_->NewHmac(h, key);
    ASSERT_TRUE(ma.ok() && mb.ok());
    Bytes ta(DigestSize(h)), tb(DigestSize(h));
    uint8_t seq[4] = {0, 0, 0, 9};
    ASSERT_TRUE(
        (*ma)->Compute({ByteView(seq), data}, MutableByteView(ta)).ok());
    ASSERT_TRUE(
        (*mb)->Compute({ByteView(seq), data}, MutableByteView(tb)).ok());
    EXPECT_EQ(ta, tb) << HashName(h);
  }
  for (size_t key_size : {16, 24, 32}) {
    Bytes key = Random(key_size), iv = Random(16);
    iv[15] = 0xff;  // the counter carries into the upper bytes at once
    auto ca = a_->NewAesCtr(key, iv), cb = b_->NewAesCtr(key, iv);
    ASSERT_TRUE(ca.ok() && cb.ok());
    Bytes oa(data.size()), ob(data.size());
    ASSERT_TRUE((*ca)->Crypt(data, oa.data()).ok());
    ASSERT_TRUE((*cb)->Crypt(data, ob.data()).ok());
    EXPECT_EQ(oa, ob) << key_size;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, CrossBackendTest,
                         ::testing::Values(Pair{"openssl", "cryptopp"},
                                           Pair{"cryptopp", "openssl"}),
                         [](const auto& info) {
                           return info.param.a + "_to_" + info.param.b;
                         });

}  // namespace
}  // namespace parley::crypto::testing
