#include <algorithm>
#include <string>
#include <vector>

#include "core/wire/reader.h"
#include "core/wire/writer.h"
#include "gtest/gtest.h"

namespace parley::wire {
namespace {

Bytes Hex(const char* h) {
  Bytes b;
  EXPECT_TRUE(FromHex(h, &b)) << h;
  return b;
}

TEST(WireTest, Integers) {
  Bytes buf =
      Hex("01"
          "00"
          "02"
          "deadbeef"
          "0102030405060708");
  Reader r(buf);
  uint8_t u8;
  bool b1, b2;
  uint32_t u32;
  uint64_t u64;
  ASSERT_TRUE(r.ReadBool(&b1).ok());
  ASSERT_TRUE(r.ReadBool(&b2).ok());
  ASSERT_TRUE(r.ReadU8(&u8).ok());
  ASSERT_TRUE(r.ReadU32(&u32).ok());
  ASSERT_TRUE(r.ReadU64(&u64).ok());
  EXPECT_TRUE(b1);
  EXPECT_FALSE(b2);
  EXPECT_EQ(u8, 2);
  EXPECT_EQ(u32, 0xdeadbeefu);
  EXPECT_EQ(u64, 0x0102030405060708u);
  EXPECT_TRUE(r.ExpectEnd().ok());
}

// RFC 4251 section 5 gives these mpint encodings as examples.
TEST(WireTest, MpintRfc4251Examples) {
  struct Case {
    const char* encoded;
    bool negative;
    const char* body;
  } cases[] = {
      {"00000000", false, ""},
      {"0000000809a378f9b2e332a7", false, "09a378f9b2e332a7"},
      {"000000020080", false, "0080"},
      {"00000002edcc", true, "edcc"},
      {"00000005ff21524111", true, "ff21524111"},
  };
  for (const auto& c : cases) {
    std::string enc = c.encoded;
    enc.erase(std::remove(enc.begin(), enc.end(), ' '), enc.end());
    Bytes buf = Hex(enc.c_str());
    Reader r(buf);
    bool neg;
    ByteView body;
    ASSERT_TRUE(r.ReadSignedMpint(&neg, &body).ok()) << enc;
    EXPECT_EQ(neg, c.negative) << enc;
    EXPECT_EQ(ToHex(body), c.body) << enc;
    EXPECT_TRUE(r.ExpectEnd().ok());
  }
}

TEST(WireTest, MpintWriterRoundTrip) {
  struct Case {
    const char* magnitude;
    const char* encoded;
  } cases[] = {
      {"", "00000000"},
      {"0000", "00000000"},
      {"09a378f9b2e332a7", "0000000809a378f9b2e332a7"},
      {"80", "000000020080"},
      {"000080", "000000020080"},
      {"7f", "000000017f"},
  };
  for (const auto& c : cases) {
    Bytes out;
    Writer w(&out);
    w.WriteMpint(Hex(c.magnitude));
    EXPECT_EQ(ToHex(out), c.encoded);
    Reader r(out);
    ByteView mag;
    ASSERT_TRUE(r.ReadMpint(&mag).ok());
    Bytes want = Hex(c.magnitude);
    while (!want.empty() && want[0] == 0) want.erase(want.begin());
    EXPECT_EQ(ToHex(mag), ToHex(want));
  }
}

TEST(WireTest, StringsAndNameLists) {
  Bytes out;
  Writer w(&out);
  w.WriteString(absl::string_view("ssh-userauth"));
  w.WriteNameList({"curve25519-sha256", "ext-info-c"});
  w.WriteNameList({});
  size_t mark = w.BeginString();
  w.WriteU32(7);
  w.EndString(mark);

  Reader r(out);
  absl::string_view s;
  std::vector<std::string> names;
  std::vector<std::string> empty;
  Reader sub(ByteView{});
  uint32_t v;
  ASSERT_TRUE(r.ReadString(&s).ok());
  EXPECT_EQ(s, "ssh-userauth");
  ASSERT_TRUE(r.ReadNameList(&names).ok());
  EXPECT_EQ(names,
            (std::vector<std::string>{"curve25519-sha256", "ext-info-c"}));
  ASSERT_TRUE(r.ReadNameList(&empty).ok());
  EXPECT_TRUE(empty.empty());
  ASSERT_TRUE(r.ReadStringReader(&sub).ok());
  ASSERT_TRUE(sub.ReadU32(&v).ok());
  EXPECT_EQ(v, 7u);
  EXPECT_TRUE(sub.ExpectEnd().ok());
  EXPECT_TRUE(r.ExpectEnd().ok());
}

enum class Field { kU8, kBool, kU32, kU64, kString, kNameList, kMpint };

struct BadCase {
  const char* name;
  Field field;
  const char* hex;
};

// Malformed encodings: each must fail without moving the reader.
const BadCase kBadCases[] = {
    {"empty byte", Field::kU8, ""},
    {"empty bool", Field::kBool, ""},
    {"short uint32", Field::kU32, "000000"},
    {"short uint64", Field::kU64, "00000000000000"},
    {"string length truncated", Field::kString, "000000"},
    {"string overruns", Field::kString, "0000000561626364"},
    {"string length huge", Field::kString, "ffffffff61"},
    {"name-list empty name", Field::kNameList, "00000003612c2c"},
    {"name-list leading comma", Field::kNameList, "000000022c61"},
    {"name-list trailing comma", Field::kNameList, "00000002612c"},
    {"name-list space", Field::kNameList, "000000036120 62"},
    {"name-list control char", Field::kNameList, "00000003610a62"},
    {"name-list non-ascii", Field::kNameList, "0000000261c3"},
    {"name-list overrun", Field::kNameList, "0000000a6162"},
    {"mpint leading zero", Field::kMpint, "00000002007f"},
    {"mpint zero as 00", Field::kMpint, "0000000100"},
    {"mpint negative", Field::kMpint, "0000000180"},
    {"mpint leading ff", Field::kMpint, "00000002ff80"},
    {"mpint overrun", Field::kMpint, "000000030102"},
};

TEST(WireTest, BadInputsFailAndDoNotConsume) {
  for (const auto& c : kBadCases) {
    std::string h = c.hex;
    h.erase(std::remove(h.begin(), h.end(), ' '), h.end());
    Bytes buf = Hex(h.c_str());
    Reader r(buf);
    absl::Status s;
    uint8_t u8;
    bool b;
    uint32_t u32;
    uint64_t u64;
    ByteView view;
    std::vector<std::string> names;
    switch (c.field) {
      case Field::kU8:
        s = r.ReadU8(&u8);
        break;
      case Field::kBool:
        s = r.ReadBool(&b);
        break;
      case Field::kU32:
        s = r.ReadU32(&u32);
        break;
      case Field::kU64:
        s = r.ReadU64(&u64);
        break;
      case Field::kString:
        s = r.ReadString(&view);
        break;
      case Field::kNameList:
        s = r.ReadNameList(&names);
        break;
      case Field::kMpint:
        s = r.ReadMpint(&view);
        break;
    }
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(r.remaining(), buf.size()) << c.name;
  }
}

TEST(WireTest, MpintSizeLimit) {
  Bytes buf = Hex("000000030102030000000201ff");
  Reader r(buf);
  ByteView mag;
  EXPECT_FALSE(r.ReadMpint(&mag, 2).ok());
  ASSERT_TRUE(r.ReadMpint(&mag, 3).ok());
  ASSERT_TRUE(r.ReadMpint(&mag, 2).ok());
  EXPECT_EQ(ToHex(mag), "01ff");
}

TEST(WireTest, NameTooLong) {
  Bytes out;
  Writer w(&out);
  w.WriteNameList({std::string(65, 'a')});
  Reader r(out);
  std::vector<std::string> names;
  EXPECT_FALSE(r.ReadNameList(&names).ok());
  Bytes ok;
  Writer w2(&ok);
  w2.WriteNameList({std::string(64, 'a')});
  Reader r2(ok);
  EXPECT_TRUE(r2.ReadNameList(&names).ok());
}

TEST(WireTest, ExpectEndRejectsTrailingBytes) {
  Bytes buf = Hex("0000000100");
  Reader r(buf);
  uint32_t v;
  ASSERT_TRUE(r.ReadU32(&v).ok());
  EXPECT_EQ(r.ExpectEnd().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace parley::wire
