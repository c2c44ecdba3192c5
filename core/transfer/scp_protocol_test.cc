#include "core/transfer/scp_protocol.h"

#include <string>

#include "gtest/gtest.h"

namespace parley::transfer {
namespace {

TEST(ScpProtocolTest, ParsesTheLines) {
  auto t = ParseScpLine("T1700000000 0 1700000100 0");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->kind, ScpLine::kTimes);
  EXPECT_EQ(t->mtime, 1700000000);
  EXPECT_EQ(t->atime, 1700000100);
  auto c = ParseScpLine("C0640 300000 a file with spaces");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, ScpLine::kFile);
  EXPECT_EQ(c->mode, 0640u);
  EXPECT_EQ(c->size, 300000);
  EXPECT_EQ(c->name, "a file with spaces");
  auto d = ParseScpLine("D0755 0 dir");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->kind, ScpLine::kDirectory);
  EXPECT_EQ(ParseScpLine("E")->kind, ScpLine::kEndDirectory);
  auto e = ParseScpLine(std::string("\x01scp: /x: No such file\x7f"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->kind, ScpLine::kError);
  EXPECT_FALSE(e->fatal);
  EXPECT_EQ(e->message, "scp: /x: No such file?");
  EXPECT_TRUE(ParseScpLine(std::string("\x02"
                                       "fatal"))
                  ->fatal);
}

TEST(ScpProtocolTest, RefusesMalformedLines) {
  for (const char* bad :
       {"", "X", "T1 0 2", "T1 0 2 0 5", "T-1 0 2 0", "Tx 0 2 0",
        "T99999999999999999999 0 1 0", "C0640 10", "C0648 10 f", "C 10 f",
        "C0640 -1 f", "C0640 +1 f", "C0640 10 ", "C0640 10 a/b", "C0640 10 ..",
        "C0640 10 .", "C000640 10 f", "E1", "D0755 0 "}) {
    EXPECT_FALSE(ParseScpLine(bad).ok()) << '"' << bad << '"';
  }
  EXPECT_FALSE(ParseScpLine(std::string(kMaxScpLine + 1, 'C')).ok());
}

TEST(ScpProtocolTest, FormatsAndRoundTrips) {
  EXPECT_EQ(FormatScpTimes(5, 6), "T5 0 6 0\n");
  const std::string file = FormatScpFile(0100640, 12, "name");
  EXPECT_EQ(file, "C0640 12 name\n");
  auto parsed = ParseScpLine(file.substr(0, file.size() - 1));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->mode, 0640u);
  EXPECT_EQ(parsed->size, 12);
  EXPECT_EQ(parsed->name, "name");
}

}  // namespace
}  // namespace parley::transfer
