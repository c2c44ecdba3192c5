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

}  // namespace
}  // namespace parley::crypto
