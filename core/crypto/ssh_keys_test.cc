#include "core/crypto/ssh_keys.h"

#include "core/wire/writer.h"
#include "gtest/gtest.h"

namespace parley::crypto {
namespace {

Bytes Blob(std::initializer_list<Bytes> strings) {
  Bytes out;
  wire::Writer w(&out);
  for (const Bytes& s : strings) w.WriteString(ByteView(s));
  return out;
}

Bytes Str(absl::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes RsaBlob(const Bytes& e, const Bytes& n) {
  Bytes out;
  wire::Writer w(&out);
  w.WriteString(absl::string_view("ssh-rsa"));
  w.WriteMpint(e);
  w.WriteMpint(n);
  return out;
}

TEST(SshKeysTest, Ed25519RoundTrip) {
  Bytes pk(32, 7);
  Bytes blob = Blob({Str("ssh-ed25519"), pk});
  auto key = ParsePublicKeyBlob(blob);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->type, KeyType::kEd25519);
  EXPECT_EQ(key->ed25519, pk);
  EXPECT_EQ(EncodePublicKeyBlob(*key), blob);
}

TEST(SshKeysTest, EcdsaAndRsaRoundTrip) {
  Bytes point(65, 3);
  point[0] = 4;
  Bytes blob = Blob({Str("ecdsa-sha2-nistp256"), Str("nistp256"), point});
  auto key = ParsePublicKeyBlob(blob);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(EncodePublicKeyBlob(*key), blob);

  Bytes n(256, 0xc1);
  Bytes rsa = RsaBlob({0x01, 0x00, 0x01}, n);
  auto rkey = ParsePublicKeyBlob(rsa);
  ASSERT_TRUE(rkey.ok()) << rkey.status();
  EXPECT_EQ(rkey->rsa_n, n);
  EXPECT_EQ(EncodePublicKeyBlob(*rkey), rsa);
}

TEST(SshKeysTest, BadBlobsAreRejected) {
  Bytes point(65, 3);
  point[0] = 4;
  Bytes compressed(33, 3);
  compressed[0] = 2;
  struct {
    const char* name;
    Bytes blob;
    absl::StatusCode code;
  } cases[] = {
      {"empty", {}, absl::StatusCode::kInvalidArgument},
      {"unknown type", Blob({Str("ssh-dss"), Bytes(20)}),
       absl::StatusCode::kUnimplemented},
      {"ed25519 short", Blob({Str("ssh-ed25519"), Bytes(31)}),
       absl::StatusCode::kInvalidArgument},
      {"ed25519 trailing", Blob({Str("ssh-ed25519"), Bytes(32), Bytes()}),
       absl::StatusCode::kInvalidArgument},
      {"ecdsa curve mismatch",
       Blob({Str("ecdsa-sha2-nistp256"), Str("nistp384"), point}),
       absl::StatusCode::kInvalidArgument},
      {"ecdsa compressed",
       Blob({Str("ecdsa-sha2-nistp256"), Str("nistp256"), compressed}),
       absl::StatusCode::kInvalidArgument},
      {"ecdsa missing point",
       Blob({Str("ecdsa-sha2-nistp256"), Str("nistp256")}),
       absl::StatusCode::kInvalidArgument},
      {"rsa small modulus", RsaBlob({3}, Bytes(64, 0xff)),
       absl::StatusCode::kInvalidArgument},
      {"rsa even exponent", RsaBlob({4}, Bytes(256, 0xff)),
       absl::StatusCode::kInvalidArgument},
      {"rsa exponent one", RsaBlob({1}, Bytes(256, 0xff)),
       absl::StatusCode::kInvalidArgument},
  };
  for (const auto& c : cases) {
    auto key = ParsePublicKeyBlob(c.blob);
    EXPECT_EQ(key.status().code(), c.code) << c.name << ": " << key.status();
  }
}

TEST(SshKeysTest, SignatureBlobs) {
  PublicKey ec;
  ec.type = KeyType::kEcdsaP256;
  ec.ec_point = Bytes(65, 1);
  Bytes raw(64, 0);
  raw[31] = 5;     // r = 5: short mpint must be padded back
  raw[32] = 0x80;  // s has its top bit set: mpint gets a zero byte
  auto blob = EncodeSignatureBlob(SignatureAlgorithm::kEcdsaP256Sha256, raw);
  ASSERT_TRUE(blob.ok());
  auto parsed = ParseSignatureBlob(*blob, ec);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->raw, raw);

  // Wrong algorithm for the key type.
  auto ed_blob = EncodeSignatureBlob(SignatureAlgorithm::kEd25519, Bytes(64));
  ASSERT_TRUE(ed_blob.ok());
  EXPECT_FALSE(ParseSignatureBlob(*ed_blob, ec).ok());

  PublicKey rsa;
  rsa.type = KeyType::kRsa;
  rsa.rsa_n = Bytes(256, 0xff);
  auto long_sig =
      EncodeSignatureBlob(SignatureAlgorithm::kRsaSha256, Bytes(257, 1));
  ASSERT_TRUE(long_sig.ok());
  EXPECT_FALSE(ParseSignatureBlob(*long_sig, rsa).ok());
  auto short_sig =
      EncodeSignatureBlob(SignatureAlgorithm::kRsaSha512, Bytes(255, 1));
  ASSERT_TRUE(short_sig.ok());
  auto p = ParseSignatureBlob(*short_sig, rsa);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->raw.size(), 256u);
  EXPECT_EQ(p->raw[0], 0);
}

}  // namespace
}  // namespace parley::crypto
