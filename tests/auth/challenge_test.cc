// Challenge signing (core/auth/challenge.h): finding the nonce in prompts,
// answers signed with each key type and verified under both backends, and
// the format checked against OpenSSH's own SSHSIG implementation in both
// directions (ssh-keygen -Y check-novalidate accepts our answers; answers
// made by ssh-keygen -Y sign pass our verifier). Malformed answers are
// refused with a reason.
#include "core/auth/challenge.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/crypto/ssh_keys.h"
#include "core/keys/key_file.h"
#include "core/wire/writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/crypto/backend_fixture.h"
#include "tests/sshd/sshd_harness.h"
#include "tests/sshd/subprocess.h"

namespace parley::auth::challenge {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kNonce = "q83vEjRWeJC6_-0123456789abcdefABCDEFghijk";

TEST(ChallengeTest, FindsTheNonceInAPrompt) {
  struct Case {
    std::string prompt;
    absl::optional<std::string> want;
  };
  const std::string n22(22, 'A'), n128(128, 'z'), n129(129, 'z');
  const Case cases[] = {
      {"Sign with your card: parley-challenge:v1:" + kNonce + "\nSignature: ",
       kNonce},
      {"parley-challenge:v1:" + n22, n22},
      {"parley-challenge:v1:" + n128 + " ", n128},
      {"parley-challenge:v1:" + std::string(21, 'A'), absl::nullopt},
      {"parley-challenge:v1:" + n129, absl::nullopt},
      {"parley-challenge:v2:" + kNonce, absl::nullopt},
      {"parley-challenge:v1:+/+/+/+/+/+/+/+/+/+/+/+/", absl::nullopt},
      // A bad first one, a good second one.
      {"parley-challenge:v1:short parley-challenge:v1:" + kNonce, kNonce},
      {"Password: ", absl::nullopt},
      {"", absl::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FindNonce(c.prompt), c.want) << c.prompt;
  }
}

// A raw SSHSIG blob made field by field, for malformed answers.
std::string Blob(absl::string_view magic, uint32_t version,
                 absl::string_view ns, absl::string_view reserved,
                 absl::string_view hash, absl::string_view trailing = "") {
  Bytes b;
  wire::Writer w(&b);
  w.WriteRaw(AsBytes(magic));
  w.WriteU32(version);
  w.WriteString(absl::string_view("key"));
  w.WriteString(ns);
  w.WriteString(reserved);
  w.WriteString(hash);
  w.WriteString(absl::string_view("sig"));
  w.WriteRaw(AsBytes(trailing));
  return absl::Base64Escape(AsString(b));
}

TEST(ChallengeTest, RefusesMalformedAnswers) {
  struct Case {
    std::string answer;
    const char* why;
  };
  const std::string good = Blob("SSHSIG", 1, kNamespace, "", "sha512");
  ASSERT_TRUE(ParseAnswer(good).ok());
  const Case cases[] = {
      {"", "empty"},
      {std::string(kMaxAnswer + 4, 'A'), "too long"},
      {"not base64!", "not base64"},
      {good.substr(0, good.size() - 4), "not an SSHSIG"},
      {Blob("SSHSIH", 1, kNamespace, "", "sha512"), "not an SSHSIG"},
      {Blob("SSHSIG", 2, kNamespace, "", "sha512"), "version 2"},
      {Blob("SSHSIG", 1, "file", "", "sha512"), "another namespace"},
      {Blob("SSHSIG", 1, kNamespace, "x", "sha512"), "reserved"},
      {Blob("SSHSIG", 1, kNamespace, "", "sha256"), "hash"},
      {Blob("SSHSIG", 1, kNamespace, "", "sha512", "extra"), "not an SSHSIG"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Answer> a = ParseAnswer(c.answer);
    ASSERT_FALSE(a.ok()) << c.why;
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument) << c.why;
    EXPECT_THAT(a.status().message(), HasSubstr(c.why));
  }
}

class ChallengeKeysTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    provider_ = crypto::testing::MustLoad(GetParam());
    ASSERT_NE(provider_, nullptr);
    dir_ = fs::path(::testing::TempDir()) / ("challenge-" + GetParam());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }

  // A key made by ssh-keygen, loaded.
  crypto::PrivateKey MakeKey(testing::KeyType type, const std::string& name) {
    const fs::path path = dir_ / name;
    auto pair = testing::GenerateKeyPair(type, path);
    EXPECT_TRUE(pair.ok()) << pair.status();
    auto key = keys::LoadPrivateKeyFile(path.string(), {}, *provider_);
    EXPECT_TRUE(key.ok()) << key.status();
    return key.ok() ? *key : crypto::PrivateKey{};
  }

  std::string Answer(const crypto::PrivateKey& key,
                     crypto::SignatureAlgorithm alg, absl::string_view nonce,
                     absl::string_view user) {
    auto digest = crypto::Digest(*provider_, crypto::HashAlgorithm::kSha512,
                                 AsBytes(Message(nonce, user)));
    EXPECT_TRUE(digest.ok());
    auto sig = crypto::SignSsh(*provider_, key, alg, SignedData(*digest));
    EXPECT_TRUE(sig.ok()) << sig.status();
    return EncodeAnswer(crypto::EncodePublicKeyBlob(key.public_key), *sig);
  }

  // ssh-keygen -Y check-novalidate on `answer` for `message`.
  bool OpenSshAccepts(const std::string& answer, const std::string& message) {
    std::string armored = "-----BEGIN SSH SIGNATURE-----\n";
    for (size_t i = 0; i < answer.size(); i += 70) {
      absl::StrAppend(&armored, answer.substr(i, 70), "\n");
    }
    absl::StrAppend(&armored, "-----END SSH SIGNATURE-----\n");
    std::ofstream(dir_ / "answer.sig") << armored;
    std::ofstream(dir_ / "message") << message;
    auto r = testing::RunSubprocess(
        {"/bin/sh", "-c",
         absl::StrCat("ssh-keygen -Y check-novalidate -n ", kNamespace, " -s '",
                      (dir_ / "answer.sig").string(), "' < '",
                      (dir_ / "message").string(), "'")});
    EXPECT_TRUE(r.ok());
    return r.ok() && r->exit_code == 0;
  }

  std::shared_ptr<const crypto::CryptoProvider> provider_;
  fs::path dir_;
};

TEST_P(ChallengeKeysTest, AnswersVerifyHereAndWithOpenSsh) {
  struct KeyCase {
    testing::KeyType type;
    crypto::SignatureAlgorithm alg;
  };
  const KeyCase cases[] = {
      {testing::KeyType::kEcdsaP256,
       crypto::SignatureAlgorithm::kEcdsaP256Sha256},
      {testing::KeyType::kEcdsaP384,
       crypto::SignatureAlgorithm::kEcdsaP384Sha384},
      {testing::KeyType::kEd25519, crypto::SignatureAlgorithm::kEd25519},
      {testing::KeyType::kRsa3072, crypto::SignatureAlgorithm::kRsaSha512},
      {testing::KeyType::kRsa3072, crypto::SignatureAlgorithm::kRsaSha256},
  };
  const crypto::PrivateKey other = MakeKey(testing::KeyType::kEd25519, "other");
  int n = 0;
  for (const KeyCase& c : cases) {
    SCOPED_TRACE(crypto::SignatureAlgorithmName(c.alg));
    const crypto::PrivateKey key = MakeKey(c.type, absl::StrCat("k", n++));
    const std::string answer = Answer(key, c.alg, kNonce, "alice");
    EXPECT_TRUE(Verify(*provider_, answer, kNonce, "alice",
                       {other.public_key, key.public_key})
                    .ok());
    EXPECT_TRUE(OpenSshAccepts(answer, Message(kNonce, "alice")));
    // Another user, another nonce, a key not allowed: refused.
    EXPECT_EQ(
        Verify(*provider_, answer, kNonce, "bob", {key.public_key}).code(),
        absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(
        Verify(*provider_, answer, kNonce + "x", "alice", {key.public_key})
            .code(),
        absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(
        Verify(*provider_, answer, kNonce, "alice", {other.public_key}).code(),
        absl::StatusCode::kPermissionDenied);
    EXPECT_FALSE(OpenSshAccepts(answer, Message(kNonce, "bob")));
  }
}

TEST_P(ChallengeKeysTest, AcceptsAnswersSignedByOpenSsh) {
  const fs::path key_path = dir_ / "signer";
  auto pair = testing::GenerateKeyPair(testing::KeyType::kEcdsaP256, key_path);
  ASSERT_TRUE(pair.ok()) << pair.status();
  std::ofstream(dir_ / "message") << Message(kNonce, "alice");
  auto r = testing::RunSubprocess(
      {"/bin/sh", "-c",
       absl::StrCat("ssh-keygen -q -Y sign -n ", kNamespace, " -f '",
                    key_path.string(), "' < '", (dir_ / "message").string(),
                    "'")});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exit_code, 0) << r->DebugString();
  std::string answer;
  for (absl::string_view line : absl::StrSplit(r->stdout_text, '\n')) {
    if (!line.empty() && line[0] != '-') absl::StrAppend(&answer, line);
  }
  auto key = crypto::ParsePublicKeyBlob(pair->public_key_blob);
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(Verify(*provider_, answer, kNonce, "alice", {*key}).ok());
  EXPECT_FALSE(Verify(*provider_, answer, kNonce, "mallory", {*key}).ok());
}

TEST_P(ChallengeKeysTest, NoncesAreFreshAndFindable) {
  auto a = NewNonce(*provider_);
  auto b = NewNonce(*provider_);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 43u);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(FindNonce(absl::StrCat(kPrefix, *a, "\n")), *a);
}

INSTANTIATE_TEST_SUITE_P(Backends, ChallengeKeysTest,
                         ::testing::ValuesIn(crypto::testing::AllBackends()));

}  // namespace
}  // namespace parley::auth::challenge
