#include "core/transport/kex.h"

#include "gtest/gtest.h"

namespace parley::transport {
namespace {

KexInit ClientInit() {
  KexInit k;
  k.kex = {"curve25519-sha256", "ecdh-sha2-nistp256", kExtInfoClient,
           kStrictKexClient};
  k.host_key = {"ssh-ed25519", "rsa-sha2-512"};
  k.cipher_c2s = k.cipher_s2c = {"aes128-ctr", "chacha20-poly1305@openssh.com"};
  k.mac_c2s = k.mac_s2c = {"hmac-sha2-256-etm@openssh.com"};
  k.compression_c2s = k.compression_s2c = {"none"};
  return k;
}

TEST(KexTest, EncodeParseRoundTrip) {
  KexInit k = ClientInit();
  k.cookie[3] = 9;
  k.first_kex_packet_follows = true;
  Bytes enc = k.Encode();
  auto back = KexInit::Parse(enc);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->kex, k.kex);
  EXPECT_EQ(back->cookie, k.cookie);
  EXPECT_TRUE(back->first_kex_packet_follows);
  EXPECT_EQ(back->Encode(), enc);
}

TEST(KexTest, ParseRejectsMalformed) {
  Bytes enc = ClientInit().Encode();
  Bytes trailing = enc;
  trailing.push_back(0);
  Bytes truncated(enc.begin(), enc.end() - 1);
  Bytes wrong_type = enc;
  wrong_type[0] = 21;
  for (const Bytes& bad : {trailing, truncated, wrong_type, Bytes{20}}) {
    EXPECT_FALSE(KexInit::Parse(bad).ok());
  }
}

TEST(KexTest, NegotiatesClientPreference) {
  KexInit c = ClientInit();
  KexInit s = ClientInit();
  s.kex = {"ecdh-sha2-nistp256", "curve25519-sha256", kStrictKexServer};
  s.cipher_s2c = {"chacha20-poly1305@openssh.com", "aes128-ctr"};
  auto n = Negotiate(c, s);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->kex, "curve25519-sha256");
  EXPECT_EQ(n->cipher_s2c, "aes128-ctr");
  EXPECT_EQ(n->mac_s2c, "hmac-sha2-256-etm@openssh.com");
  EXPECT_TRUE(n->strict_kex);
  EXPECT_FALSE(n->ignore_guessed_packet);
}

TEST(KexTest, AeadNeedsNoMac) {
  KexInit c = ClientInit();
  KexInit s = ClientInit();
  s.cipher_c2s = s.cipher_s2c = {"chacha20-poly1305@openssh.com"};
  s.mac_c2s = s.mac_s2c = {"hmac-md5"};
  auto n = Negotiate(c, s);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_TRUE(n->mac_c2s.empty());
}

TEST(KexTest, NoCommonAlgorithmNamesTheSlot) {
  KexInit c = ClientInit();
  KexInit s = ClientInit();
  s.host_key = {"ssh-dss"};
  auto n = Negotiate(c, s);
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("host key"), std::string::npos);
  // Markers never count as a key exchange method.
  s = ClientInit();
  s.kex = {kExtInfoClient};
  EXPECT_FALSE(Negotiate(c, s).ok());
}

TEST(KexTest, WrongGuessIsIgnored) {
  KexInit c = ClientInit();
  KexInit s = ClientInit();
  s.kex = {"ecdh-sha2-nistp256", "curve25519-sha256"};
  s.first_kex_packet_follows = true;
  auto n = Negotiate(c, s);
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(n->ignore_guessed_packet);
  s.kex = {"curve25519-sha256"};
  n = Negotiate(c, s);
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n->ignore_guessed_packet);
}

}  // namespace
}  // namespace parley::transport
