#include "core/transport/packet_codec.h"

#include <string>

#include "backends/openssl/openssl_provider.h"
#include "gtest/gtest.h"

namespace parley::transport {
namespace {

struct Combo {
  const char* cipher;
  const char* mac;
};

const Combo kCombos[] = {
    {"chacha20-poly1305@openssh.com", ""},
    {"aes128-gcm@openssh.com", ""},
    {"aes256-gcm@openssh.com", ""},
    {"aes128-ctr", "hmac-sha2-256-etm@openssh.com"},
    {"aes192-ctr", "hmac-sha2-512-etm@openssh.com"},
    {"aes256-ctr", "hmac-sha1-etm@openssh.com"},
    {"aes128-ctr", "hmac-sha2-256"},
    {"aes256-ctr", "hmac-sha2-512"},
    {"aes192-ctr", "hmac-sha1"},
    // Legacy (named only): CBC and truncated / MD5 MACs.
    {"aes128-cbc", "hmac-sha1-96"},
    {"aes192-cbc", "hmac-md5"},
    {"aes256-cbc", "hmac-md5-96"},
    {"3des-cbc", "hmac-sha2-256"},
};

class PacketCodecTest : public ::testing::Test {
 protected:
  std::unique_ptr<crypto::CryptoProvider> provider_ =
      crypto::openssl_backend::NewOpenSslProvider();

  std::unique_ptr<PacketProtection> Make(const Combo& c, bool encrypt) {
    const crypto::SshCipherInfo* ci = crypto::FindSshCipher(c.cipher);
    const crypto::SshMacInfo* mi = crypto::FindSshMac(c.mac);
    Bytes key(ci->key_size, 0x11), iv(ci->iv_size, 0x22);
    Bytes mac_key(mi ? mi->key_size : 0, 0x33);
    auto p = PacketProtection::New(*provider_, c.cipher, c.mac, key, iv,
                                   mac_key, encrypt);
    EXPECT_TRUE(p.ok()) << p.status();
    return std::move(*p);
  }
};

TEST_F(PacketCodecTest, RoundTripEveryMode) {
  for (bool with_keys : {false, true}) {
    for (const Combo& c : kCombos) {
      PacketWriter w(provider_.get());
      PacketReader r;
      if (with_keys) {
        w.SetProtection(Make(c, true));
        r.SetProtection(Make(c, false));
      }
      Bytes wire;
      std::vector<Bytes> sent;
      for (size_t len : {size_t{0}, size_t{1}, size_t{15}, size_t{16},
                         size_t{1000}, size_t{32768}}) {
        Bytes payload(len, static_cast<uint8_t>(len));
        if (!payload.empty()) payload[0] = 94;
        ASSERT_TRUE(w.Write(payload, &wire).ok());
        sent.push_back(payload);
      }
      // Feed in awkward pieces.
      size_t off = 0, got = 0;
      size_t piece = 1;
      while (off < wire.size()) {
        size_t n = std::min(piece, wire.size() - off);
        r.Feed(ByteView(wire).subspan(off, n));
        off += n;
        piece = piece * 3 + 1;
        Bytes payload;
        while (true) {
          auto next = r.Next(&payload);
          ASSERT_TRUE(next.ok()) << next.status() << " " << c.cipher;
          if (!*next) break;
          ASSERT_LT(got, sent.size());
          EXPECT_EQ(payload, sent[got]) << c.cipher << " " << c.mac;
          ++got;
        }
      }
      EXPECT_EQ(got, sent.size()) << c.cipher;
      EXPECT_EQ(r.sequence(), w.sequence());
      if (!with_keys) break;
    }
  }
}

TEST_F(PacketCodecTest, TamperingIsDetected) {
  for (const Combo& c : kCombos) {
    PacketWriter w(provider_.get());
    w.SetProtection(Make(c, true));
    Bytes wire;
    ASSERT_TRUE(w.Write(Bytes(100, 7), &wire).ok());
    for (size_t byte : {size_t{6}, size_t{50}, wire.size() - 1}) {
      PacketReader r;
      r.SetProtection(Make(c, false));
      Bytes bad = wire;
      bad[byte] ^= 0x01;
      r.Feed(bad);
      Bytes payload;
      auto next = r.Next(&payload);
      EXPECT_FALSE(next.ok() && *next)
          << c.cipher << " " << c.mac << " byte " << byte;
    }
  }
}

TEST_F(PacketCodecTest, PaddingHidesSecretLengths) {
  PacketWriter w(provider_.get());
  w.SetProtection(Make(kCombos[0], true));
  Bytes a, b;
  ASSERT_TRUE(w.Write(Bytes(10, 1), &a, 128).ok());
  ASSERT_TRUE(w.Write(Bytes(70, 1), &b, 128).ok());
  EXPECT_EQ(a.size(), b.size());
}

TEST_F(PacketCodecTest, MalformedPlainPackets) {
  struct Case {
    const char* name;
    const char* hex;
  } cases[] = {
      {"length over the limit", "7fffffff0a"},
      {"length just over", "00040001"},
      {"length too small", "00000003"},
      {"misaligned", "0000000a"},
      {"padding too short", "0000000c0301020304050607080910111213"},
      {"padding longer than packet", "0000000cff01020304050607080910111213"},
  };
  for (const auto& c : cases) {
    PacketReader r;
    Bytes in;
    ASSERT_TRUE(FromHex(c.hex, &in));
    in.resize(std::max<size_t>(in.size(), 16), 0);
    r.Feed(in);
    Bytes payload;
    auto next = r.Next(&payload);
    EXPECT_FALSE(next.ok()) << c.name;
  }
}

TEST_F(PacketCodecTest, HugeLengthIsRefusedBeforeBuffering) {
  PacketReader r;
  r.SetProtection(Make(kCombos[3], false));  // etm: length in clear
  Bytes in = {0x10, 0, 0, 0};
  r.Feed(in);
  Bytes payload;
  auto next = r.Next(&payload);
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace parley::transport
