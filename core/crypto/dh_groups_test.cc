#include "core/crypto/dh_groups.h"

#include "gtest/gtest.h"

namespace parley::crypto {
namespace {

TEST(DhGroupsTest, GroupsHaveTheirSizes) {
  struct {
    KexGroup group;
    size_t bits;
  } cases[] = {{KexGroup::kModp2048, 2048},
               {KexGroup::kModp4096, 4096},
               {KexGroup::kModp8192, 8192}};
  for (const auto& c : cases) {
    const ModpGroup* g = FindModpGroup(c.group);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->bits, c.bits);
    EXPECT_EQ(g->prime.size() * 8, c.bits);
    // RFC 3526: every group prime begins and ends with 64 one bits.
    for (int i = 0; i < 8; ++i) {
      EXPECT_EQ(g->prime[i], 0xff);
      EXPECT_EQ(g->prime[g->prime.size() - 1 - i], 0xff);
    }
    EXPECT_EQ(g->generator, 2);
  }
  EXPECT_EQ(FindModpGroup(KexGroup::kX25519), nullptr);
}

TEST(DhGroupsTest, PublicValueRange) {
  const ModpGroup& g = *FindModpGroup(KexGroup::kModp2048);
  Bytes p(g.prime.begin(), g.prime.end());
  Bytes pm1 = p, pm2 = p, pm3 = p;
  pm1.back() -= 1;
  pm2.back() -= 2;
  pm3.back() -= 3;
  Bytes longer = p;
  longer.insert(longer.begin(), 1);
  EXPECT_FALSE(CheckDhPublicValue(g, Bytes{}).ok());
  EXPECT_FALSE(CheckDhPublicValue(g, Bytes{0}).ok());
  EXPECT_FALSE(CheckDhPublicValue(g, Bytes{1}).ok());
  EXPECT_FALSE(CheckDhPublicValue(g, Bytes{0, 0, 1}).ok());
  EXPECT_TRUE(CheckDhPublicValue(g, Bytes{2}).ok());
  EXPECT_TRUE(CheckDhPublicValue(g, Bytes{0, 2}).ok());
  EXPECT_TRUE(CheckDhPublicValue(g, pm3).ok());
  EXPECT_TRUE(CheckDhPublicValue(g, pm2).ok());
  EXPECT_FALSE(CheckDhPublicValue(g, pm1).ok());
  EXPECT_FALSE(CheckDhPublicValue(g, p).ok());
  EXPECT_FALSE(CheckDhPublicValue(g, longer).ok());
}

// Group exchange (RFC 4419): the server's group must have the size asked
// for, an odd prime and a generator in [2, p-2]; a borrow through a zero
// byte of p is handled when p-2 is formed.
TEST(DhGroupsTest, ServerChosenGroups) {
  const ModpGroup& g14 = *FindModpGroup(KexGroup::kModp2048);
  const ByteView p = g14.prime;
  const Bytes two = {2};
  EXPECT_TRUE(CheckServerChosenGroup(p, two, 2048, 8192).ok());
  EXPECT_FALSE(CheckServerChosenGroup(p, two, 3072, 8192).ok());  // too small
  EXPECT_FALSE(CheckServerChosenGroup(p, two, 1024, 2047).ok());  // too big
  Bytes even(p.begin(), p.end());
  even.back() ^= 1;
  EXPECT_FALSE(CheckServerChosenGroup(even, two, 2048, 8192).ok());
  EXPECT_FALSE(CheckServerChosenGroup(p, Bytes{1}, 2048, 8192).ok());
  EXPECT_FALSE(CheckServerChosenGroup(p, Bytes{}, 2048, 8192).ok());
  Bytes pm1(p.begin(), p.end());
  pm1.back() -= 1;
  EXPECT_FALSE(CheckServerChosenGroup(p, pm1, 2048, 8192).ok());
  // 0x0101: p-2 = 0x00ff needs a borrow.
  const Bytes small = {0x01, 0x01};
  EXPECT_TRUE(CheckDhPublicValue(small, Bytes{0xff}).ok());
  EXPECT_FALSE(CheckDhPublicValue(small, Bytes{0x01, 0x00}).ok());
  EXPECT_TRUE(CheckServerChosenGroup(small, Bytes{0x02}, 9, 9).ok());
  EXPECT_EQ(ServerChosenExponentBits(2048), 224u);
  EXPECT_EQ(ServerChosenExponentBits(3072), 256u);
  EXPECT_EQ(ServerChosenExponentBits(8192), 400u);
  EXPECT_EQ(ServerChosenExponentBits(100), 99u);
}

}  // namespace
}  // namespace parley::crypto
