// The agent protocol's messages, and every kind of malformed answer.
#include "core/agent/protocol.h"

#include "core/wire/writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace parley::agent {
namespace {

using ::testing::HasSubstr;

Bytes Body(uint8_t type, const Bytes& contents = {}) {
  Bytes b = {type};
  b.insert(b.end(), contents.begin(), contents.end());
  return b;
}

Bytes Identities(uint32_t n,
                 const std::vector<std::pair<Bytes, std::string>>& ids) {
  Bytes c;
  wire::Writer w(&c);
  w.WriteU32(n);
  for (const auto& [blob, comment] : ids) {
    w.WriteString(ByteView(blob));
    w.WriteString(comment);
  }
  return c;
}

TEST(AgentProtocolTest, RequestsAreFramed) {
  EXPECT_EQ(RequestIdentities(), (Bytes{0, 0, 0, 1, kRequestIdentities}));
  const Bytes r = SignRequest(Bytes{1, 2}, Bytes{3}, kRsaSha2_512);
  // length 1+4+2+4+1+4 = 16, type 13, blob, data, flags.
  EXPECT_EQ(
      r, (Bytes{0, 0, 0, 16, 13, 0, 0, 0, 2, 1, 2, 0, 0, 0, 1, 3, 0, 0, 0, 4}));
  EXPECT_EQ(SignFlags(crypto::SignatureAlgorithm::kRsaSha256), kRsaSha2_256);
  EXPECT_EQ(SignFlags(crypto::SignatureAlgorithm::kRsaSha512), kRsaSha2_512);
  EXPECT_EQ(SignFlags(crypto::SignatureAlgorithm::kEd25519), 0u);
}

TEST(AgentProtocolTest, ParsesIdentities) {
  auto ids = ParseIdentitiesAnswer(
      Body(kIdentitiesAnswer,
           Identities(2, {{Bytes{1, 2, 3}, "alice@laptop"}, {Bytes{4}, ""}})));
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_EQ((*ids)[0].key_blob, (Bytes{1, 2, 3}));
  EXPECT_EQ((*ids)[0].comment, "alice@laptop");
  auto none = ParseIdentitiesAnswer(Body(kIdentitiesAnswer, Identities(0, {})));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(AgentProtocolTest, MalformedAnswersAreErrors) {
  Bytes cut = Identities(2, {{Bytes{1}, "a"}});
  Bytes extra = Identities(1, {{Bytes{1}, "a"}});
  extra.push_back(0);
  Bytes empty_blob = Identities(1, {{Bytes{}, "a"}});
  Bytes huge = Identities(kMaxIdentities + 1, {});
  struct Case {
    Bytes message;
    absl::StatusCode code;
    const char* text;
  } cases[] = {
      {{}, absl::StatusCode::kDataLoss, "empty message"},
      {Body(kFailure), absl::StatusCode::kFailedPrecondition, "refused"},
      {Body(kSuccess), absl::StatusCode::kDataLoss, "message type 6"},
      {Body(kIdentitiesAnswer), absl::StatusCode::kDataLoss,
       "no identity count"},
      {Body(kIdentitiesAnswer, cut), absl::StatusCode::kDataLoss,
       "identity 2 of 2 is cut short"},
      {Body(kIdentitiesAnswer, extra), absl::StatusCode::kDataLoss,
       "bytes after"},
      {Body(kIdentitiesAnswer, empty_blob), absl::StatusCode::kDataLoss,
       "without a key"},
      {Body(kIdentitiesAnswer, huge), absl::StatusCode::kDataLoss,
       "identities (at most"},
  };
  for (const Case& c : cases) {
    auto r = ParseIdentitiesAnswer(c.message);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), c.code) << r.status();
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.text));
  }
}

TEST(AgentProtocolTest, SignResponses) {
  Bytes ok;
  wire::Writer(&ok).WriteString(ByteView(Bytes{9, 9}));
  auto sig = ParseSignResponse(Body(kSignResponse, ok));
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(*sig, (Bytes{9, 9}));
  EXPECT_EQ(ParseSignResponse(Body(kFailure)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  Bytes empty;
  wire::Writer(&empty).WriteString(ByteView());
  EXPECT_THAT(
      std::string(
          ParseSignResponse(Body(kSignResponse, empty)).status().message()),
      HasSubstr("no signature"));
  ok.push_back(1);
  EXPECT_THAT(
      std::string(
          ParseSignResponse(Body(kSignResponse, ok)).status().message()),
      HasSubstr("bytes after"));
  EXPECT_FALSE(ParseSignResponse(Body(kIdentitiesAnswer)).ok());
}

}  // namespace
}  // namespace parley::agent
