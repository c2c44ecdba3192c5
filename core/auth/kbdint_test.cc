#include "core/auth/kbdint.h"

#include <string>

#include "core/wire/writer.h"
#include "gtest/gtest.h"

namespace parley::auth {
namespace {

struct PromptSpec {
  std::string text;
  bool echo;
};

Bytes Encode(const std::string& name, const std::string& instruction,
             const std::string& lang, const std::vector<PromptSpec>& prompts) {
  Bytes out;
  wire::Writer w(&out);
  w.WriteString(name);
  w.WriteString(instruction);
  w.WriteString(lang);
  w.WriteU32(static_cast<uint32_t>(prompts.size()));
  for (const auto& p : prompts) {
    w.WriteString(p.text);
    w.WriteBool(p.echo);
  }
  return out;
}

TEST(KbdIntTest, DecodesAllFields) {
  Bytes body = Encode("Login", "Enter the code", "en-US",
                      {{"Password: ", false}, {"Code: ", true}});
  auto req = DecodeInfoRequest(body);
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->name, "Login");
  EXPECT_EQ(req->instruction, "Enter the code");
  EXPECT_EQ(req->language, "en-US");
  ASSERT_EQ(req->prompts.size(), 2u);
  EXPECT_EQ(req->prompts[0].text, "Password: ");
  EXPECT_FALSE(req->prompts[0].echo);
  EXPECT_TRUE(req->prompts[1].echo);
}

TEST(KbdIntTest, ZeroPromptsAndBigRounds) {
  auto zero = DecodeInfoRequest(Encode("", "", "", {}));
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(zero->prompts.empty());
  std::vector<PromptSpec> many(20, {"p", false});
  auto twenty = DecodeInfoRequest(Encode("", "", "", many));
  ASSERT_TRUE(twenty.ok());
  EXPECT_EQ(twenty->prompts.size(), 20u);
  auto big =
      DecodeInfoRequest(Encode("", "", "", {{std::string(8192, 'x'), false}}));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->prompts[0].text.size(), 8192u);
}

TEST(KbdIntTest, Utf8Policy) {
  // Valid UTF-8 passes unchanged; invalid bytes become U+FFFD.
  auto ok = DecodeInfoRequest(Encode("Anmeldung", "Schlüssel 🔑", "", {}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->instruction, "Schlüssel 🔑");
  auto latin1 = DecodeInfoRequest(Encode("",
                                         "Schl\xfc"
                                         "ssel",
                                         "", {}));
  ASSERT_TRUE(latin1.ok());
  EXPECT_EQ(latin1->instruction, "Schl\xef\xbf\xbdssel");
  auto overlong = DecodeInfoRequest(Encode("\xc0\xaf", "", "", {}));
  ASSERT_TRUE(overlong.ok());
  EXPECT_EQ(overlong->name, "\xef\xbf\xbd\xef\xbf\xbd");
  // NUL is refused.
  EXPECT_FALSE(
      DecodeInfoRequest(Encode(std::string("a\0b", 3), "", "", {})).ok());
  EXPECT_FALSE(
      DecodeInfoRequest(Encode("", "", "", {{std::string("pw\0", 3), false}}))
          .ok());
}

// Malformed INFO_REQUEST bodies: each must fail cleanly.
TEST(KbdIntTest, MalformedBodies) {
  Bytes good = Encode("n", "i", "l", {{"p", true}});
  struct Case {
    const char* name;
    Bytes body;
  };
  std::vector<Case> cases;
  cases.push_back({"empty", {}});
  cases.push_back({"too short", {0, 0}});
  // Truncations at every position of a valid body.
  for (size_t n = 0; n < good.size(); ++n) {
    cases.push_back({"truncated", Bytes(good.begin(), good.begin() + n)});
  }
  Bytes trailing = good;
  trailing.push_back(0);
  cases.push_back({"trailing byte", trailing});
  Bytes overrun_name = good;
  overrun_name[3] = 0x40;  // name length 64 > bytes left
  cases.push_back({"overrun name", overrun_name});
  Bytes overrun_instr = good;
  overrun_instr[8] = 0x40;
  cases.push_back({"overrun instruction", overrun_instr});
  Bytes overrun_lang = good;
  overrun_lang[13] = 0x40;
  cases.push_back({"overrun language", overrun_lang});
  Bytes huge_count = Encode("", "", "", {});
  huge_count[huge_count.size() - 1] = 0xff;
  huge_count[huge_count.size() - 4] = 0x7f;
  cases.push_back({"huge count", huge_count});
  Bytes count_too_big = Encode("", "", "", {{"p", true}});
  count_too_big[15] = 2;  // claims 2 prompts, holds 1
  cases.push_back({"count exceeds prompts", count_too_big});
  Bytes no_echo = Encode("", "", "", {{"p", true}});
  no_echo.pop_back();
  cases.push_back({"missing echo byte", no_echo});
  Bytes overrun_prompt = Encode("", "", "", {{"p", true}});
  overrun_prompt[19] = 0x30;
  cases.push_back({"overrun prompt", overrun_prompt});
  cases.push_back({"too many prompts",
                   Encode("", "", "", std::vector<PromptSpec>(257, {"", 0}))});
  cases.push_back(
      {"oversized prompt",
       Encode("", "", "", {{std::string(kMaxTextBytes + 1, 'x'), false}})});
  for (const auto& c : cases) {
    auto r = DecodeInfoRequest(c.body);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
  }
}

TEST(KbdIntTest, EncodeResponse) {
  std::vector<SecureBuffer> answers = {ToSecureBuffer(AsBytes("secret")),
                                       SecureBuffer()};
  SecureBuffer msg = EncodeInfoResponse(answers);
  EXPECT_EQ(ToHex(View(msg)), "3d000000020000000673656372657400000000");
}

TEST(KbdIntTest, Sanitize) {
  EXPECT_EQ(SanitizeForTerminal("Password: "), "Password: ");
  EXPECT_EQ(SanitizeForTerminal("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(SanitizeForTerminal("line1\nline2\tx\r"), "line1\nline2\tx\\r");
  EXPECT_EQ(SanitizeForTerminal("\x07\x7f"), "\\x07\\x7f");
  EXPECT_EQ(SanitizeForTerminal("\xc2\x9b"
                                "31m"),
            "\\u{009b}31m");  // C1 CSI
  EXPECT_EQ(SanitizeForTerminal("abc\xe2\x80\xae"
                                "def"),
            "abc\\u{202e}def");
  EXPECT_EQ(SanitizeForTerminal("\xff"), "\xef\xbf\xbd");
  EXPECT_EQ(SanitizeForTerminal("Grüße"), "Grüße");
}

}  // namespace
}  // namespace parley::auth
