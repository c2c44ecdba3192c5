#include "core/plugin/spec.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace parley::plugin {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;

TEST(SpecTest, NameAndConfig) {
  auto s = ParseResponderSpec("otp:secret-file=/x/y,digits=8");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->name, "otp");
  EXPECT_THAT(s->config, ::testing::ElementsAre(Pair("secret-file", "/x/y"),
                                                Pair("digits", "8")));
  auto full = ParseResponderSpec("parley.responder.otp");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->name, "parley.responder.otp");
  EXPECT_TRUE(full->config.empty());
  EXPECT_EQ(ShortName(full->name), "otp");
}

TEST(SpecTest, QuotedValuesHoldSeparators) {
  auto s =
      ParseResponderSpec(R"(scripted:rules="a,b;c \"q\" \\ end",empty="",x=1)");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT(s->config,
              ::testing::ElementsAre(Pair("rules", R"(a,b;c "q" \ end)"),
                                     Pair("empty", ""), Pair("x", "1")));
}

TEST(SpecTest, ListsAndFiles) {
  auto l = ParseResponderSpecs(" otp:secret-file=/s ; ;terminal;x:@/etc/x ");
  ASSERT_TRUE(l.ok()) << l.status();
  ASSERT_EQ(l->size(), 3u);
  EXPECT_EQ((*l)[0].name, "otp");
  // Spaces before the `;` are not part of the value.
  EXPECT_EQ((*l)[0].config, (Config{{"secret-file", "/s"}}));
  EXPECT_EQ((*l)[1].name, "terminal");
  EXPECT_EQ((*l)[2].name, "x");
  EXPECT_EQ((*l)[2].config_file, "/etc/x");
  EXPECT_TRUE(ParseResponderSpecs("").ok());
}

TEST(SpecTest, BadSpecsNameThePosition) {
  struct Case {
    const char* text;
    const char* error;
  } cases[] = {
      {"", "expected a responder name"},
      {"Otp", "expected a responder name"},
      {"otp:", "expected a key"},
      {"otp:digits", "expected '='"},
      {"otp:a=1,", "expected a key"},
      {"otp:a=\"unterminated", "unterminated"},
      {"otp:a=\"bad \\n\"", "may be escaped"},
      {"otp:a=x\"y", "quote"},
      {"otp:a=\x01", "control"},
      {"otp;terminal", "one responder expected"},
      {"otp:@", "expected a file"},
      {".otp", "expected a responder name"},
      {"otp x", "unexpected character"},
  };
  for (const Case& c : cases) {
    auto s = ParseResponderSpec(c.text);
    EXPECT_FALSE(s.ok()) << c.text;
    EXPECT_THAT(std::string(s.status().message()), HasSubstr(c.error))
        << c.text;
  }
  EXPECT_THAT(std::string(ParseResponderSpec("otp:a=1,B=2").status().message()),
              HasSubstr("column 9"));
  EXPECT_FALSE(ParseResponderSpec(std::string(70000, 'a')).ok());
  std::string many = "otp:";
  for (int i = 0; i < 300; ++i) many += "k=v,";
  many += "k=v";
  EXPECT_THAT(std::string(ParseResponderSpec(many).status().message()),
              HasSubstr("too many"));
}

TEST(SpecTest, ConfigFiles) {
  auto c = ParseConfigFile(
      "# OTP for prod\n\nsecret-file = /home/a/.otp\n  digits=6  \n",
      "otp.conf");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(*c, ::testing::ElementsAre(Pair("secret-file", "/home/a/.otp"),
                                         Pair("digits", "6")));
  EXPECT_THAT(
      std::string(ParseConfigFile("a=1\nnope\n", "f").status().message()),
      HasSubstr("f:2"));
  EXPECT_FALSE(ParseConfigFile("A B=1\n", "f").ok());
  EXPECT_FALSE(ParseConfigFile("a=\x01\n", "f").ok());
}

}  // namespace
}  // namespace parley::plugin
