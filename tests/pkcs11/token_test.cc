// PKCS#11 keys on SoftHSM2 tokens: finding them (pkcs11: URIs through
// p11-kit), signing on the token with each key type (verified with both
// crypto backends), the PIN asked once per token, a wrong PIN never
// retried (and the token not locked by it), a token that is gone.
#include "core/pkcs11/token.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "absl/strings/match.h"
#include "core/crypto/ssh_keys.h"
#include "core/pkcs11/signer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/softhsm.h"
#include "tests/crypto/backend_fixture.h"

namespace parley::pkcs11 {
namespace {

using ::testing::HasSubstr;
using testing::kSoftHsmModule;

// One token directory for the process (SoftHSM reads SOFTHSM2_CONF once).
class TokenEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const auto dir = std::filesystem::path(::testing::TempDir()) / "softhsm";
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(hsm.Start(dir).ok());
    ASSERT_TRUE(hsm.InitToken("alpha", "1111").ok());
    ASSERT_TRUE(hsm.InitToken("beta", "2222").ok());
    ASSERT_TRUE(
        hsm.GenerateKey("alpha", "1111", "EC:prime256v1", "ec-key", "01").ok());
    ASSERT_TRUE(
        hsm.GenerateKey("alpha", "1111", "rsa:2048", "rsa-key", "02").ok());
    ASSERT_TRUE(
        hsm.GenerateKey("alpha", "1111", "EC:edwards25519", "ed-key", "03")
            .ok());
    ASSERT_TRUE(
        hsm.GenerateKey("beta", "2222", "EC:secp384r1", "p384-key", "04").ok());
    ASSERT_TRUE(hsm.InitToken("gamma", "3333").ok());
    ASSERT_TRUE(hsm.InitToken("delta", "4444").ok());  // secret keys
    ASSERT_TRUE(
        hsm.GenerateKey("gamma", "3333", "EC:prime256v1", "gamma-key", "05")
            .ok());
  }
  testing::SoftHsm hsm;
};

std::shared_ptr<Module> Load() {
  auto m = Module::Load(kSoftHsmModule);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : nullptr;
}

// Answers with `pin` and counts the calls.
struct CountingPin {
  explicit CountingPin(std::string p) : pin(std::move(p)) {}
  std::string pin;
  int calls = 0;
  PinRequest last;
  PinSource source() {
    return [this](const PinRequest& r) -> absl::StatusOr<SecureBuffer> {
      ++calls;
      last = r;
      return SecureBuffer(pin.begin(), pin.end());
    };
  }
};

// A secret imported as a non-extractable key computes RFC 2202's HMAC-SHA-1
// on the token; names that select nothing or several are errors.
TEST(TokenTest, ImportedSecretsComputeHmacOnTheToken) {
  auto m = Load();
  ASSERT_NE(m, nullptr);
  CountingPin pin("4444");
  const SecureBuffer key(20, 0x0b);  // RFC 2202 test case 1
  ASSERT_TRUE(
      m->ImportSecret("pkcs11:token=delta", "mac", {0x10}, key, pin.source())
          .ok());
  const std::string data = "Hi There";
  auto mac = m->Hmac("pkcs11:token=delta;object=mac", HmacHash::kSha1,
                     AsBytes(data), pin.source());
  ASSERT_TRUE(mac.ok()) << mac.status();
  EXPECT_EQ(ToHex(ByteView(mac->data(), mac->size())),
            "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_EQ(pin.calls, 1);
  EXPECT_EQ(m->ImportSecret("pkcs11:token=delta", "mac", {}, key, pin.source())
                .code(),
            absl::StatusCode::kAlreadyExists);
  auto none = m->Hmac("pkcs11:token=delta;object=nope", HmacHash::kSha1,
                      AsBytes(data), pin.source());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  auto several = m->Hmac("pkcs11:object=mac", HmacHash::kSha1, AsBytes(data),
                         pin.source());
  EXPECT_EQ(several.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(several.status().message(), HasSubstr("tokens match"));
  auto absent = m->Hmac("pkcs11:token=omega;object=mac", HmacHash::kSha1,
                        AsBytes(data), pin.source());
  EXPECT_EQ(absent.status().code(), absl::StatusCode::kNotFound);
  auto tokens = m->Tokens("pkcs11:token=delta");
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 1u);
  EXPECT_EQ(tokens->front().label, "delta");
}

TEST(TokenTest, FindsKeysOfEveryTokenAndType) {
  auto m = Load();
  ASSERT_NE(m, nullptr);
  auto keys = m->FindKeys("");
  ASSERT_TRUE(keys.ok()) << keys.status();
  std::map<std::string, TokenKey> by_label;
  for (const TokenKey& k : *keys) by_label[k.label] = k;
  ASSERT_EQ(by_label.size(), 5u);
  EXPECT_EQ(by_label["ec-key"].public_key.type, crypto::KeyType::kEcdsaP256);
  EXPECT_EQ(by_label["rsa-key"].public_key.type, crypto::KeyType::kRsa);
  EXPECT_EQ(by_label["ed-key"].public_key.type, crypto::KeyType::kEd25519);
  EXPECT_EQ(by_label["p384-key"].public_key.type, crypto::KeyType::kEcdsaP384);
  EXPECT_EQ(by_label["p384-key"].token_label, "beta");
  EXPECT_EQ(by_label["rsa-key"].id, (Bytes{0x02}));
  EXPECT_TRUE(crypto::ParsePublicKeyBlob(by_label["rsa-key"].blob).ok());
}

TEST(TokenTest, UrisSelectTokensAndObjects) {
  auto m = Load();
  ASSERT_NE(m, nullptr);
  auto labels = [&](const std::string& uri) {
    std::vector<std::string> out;
    auto keys = m->FindKeys(uri);
    EXPECT_TRUE(keys.ok()) << uri << ": " << keys.status();
    if (keys.ok()) {
      for (const TokenKey& k : *keys) out.push_back(k.label);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(labels("pkcs11:token=beta"), std::vector<std::string>{"p384-key"});
  EXPECT_EQ(labels("pkcs11:token=alpha;object=rsa-key"),
            std::vector<std::string>{"rsa-key"});
  EXPECT_EQ(labels("pkcs11:id=%01"), std::vector<std::string>{"ec-key"});
  EXPECT_EQ(labels("pkcs11:token=alpha;type=private"),
            (std::vector<std::string>{"ec-key", "ed-key", "rsa-key"}));
  EXPECT_TRUE(labels("pkcs11:token=delta").empty());
  // Mistakes.
  EXPECT_THAT(std::string(m->FindKeys("pkcs11:token=%zz").status().message()),
              HasSubstr("bad pkcs11: URI"));
  auto sel = ParseKeySelection(std::string("pkcs11:token=beta?module-path=") +
                               kSoftHsmModule);
  ASSERT_TRUE(sel.ok()) << sel.status();
  EXPECT_EQ(sel->module_path, kSoftHsmModule);
  EXPECT_THAT(std::string(ParseKeySelection("pkcs11:token=beta?pin-value=1111")
                              .status()
                              .message()),
              HasSubstr("must not hold the PIN"));
  EXPECT_THAT(
      std::string(ParseKeySelection("pkcs11:token=beta").status().message()),
      HasSubstr("names no module"));
  EXPECT_EQ(ParseKeySelection("/x/module.so")->module_path, "/x/module.so");
}

TEST(TokenTest, SignsOnTheTokenWithEveryKeyType) {
  auto m = Load();
  ASSERT_NE(m, nullptr);
  auto keys = m->FindKeys("");
  ASSERT_TRUE(keys.ok());
  CountingPin alpha("1111"), beta("2222");
  const Bytes data = {'t', 'o', 'k', 'e', 'n'};
  for (const char* backend : {"openssl", "cryptopp"}) {
    auto provider = crypto::testing::MustLoad(backend);
    ASSERT_NE(provider, nullptr);
    for (const TokenKey& k : *keys) {
      if (k.token_label == "gamma") continue;  // the wrong-PIN test's
      std::vector<crypto::SignatureAlgorithm> algs;
      switch (k.public_key.type) {
        case crypto::KeyType::kRsa:
          algs = {crypto::SignatureAlgorithm::kRsaSha256,
                  crypto::SignatureAlgorithm::kRsaSha512};
          break;
        case crypto::KeyType::kEcdsaP256:
          algs = {crypto::SignatureAlgorithm::kEcdsaP256Sha256};
          break;
        case crypto::KeyType::kEcdsaP384:
          algs = {crypto::SignatureAlgorithm::kEcdsaP384Sha384};
          break;
        default:
          algs = {crypto::SignatureAlgorithm::kEd25519};
      }
      for (auto alg : algs) {
        auto sig = m->Sign(k, alg, data, *provider,
                           (k.token_label == "alpha" ? alpha : beta).source());
        ASSERT_TRUE(sig.ok()) << k.label << ": " << sig.status();
        crypto::VerifyOptions vo;
        vo.required = alg;
        EXPECT_TRUE(
            crypto::VerifySshSignature(*provider, k.public_key, *sig, data, vo)
                .ok())
            << k.label << " " << backend;
      }
    }
  }
  // Asked once per token, whatever the number of signatures.
  EXPECT_EQ(alpha.calls, 1);
  EXPECT_EQ(beta.calls, 1);
  EXPECT_EQ(alpha.last.token_label, "alpha");
}

TEST(TokenTest, AWrongPinIsNeverRetriedAndDoesNotLockTheToken) {
  auto m = Load();
  ASSERT_NE(m, nullptr);
  // Token gamma: nothing has logged in to it yet.
  auto keys = m->FindKeys("pkcs11:token=gamma");
  ASSERT_TRUE(keys.ok() && keys->size() == 1u);
  auto provider = crypto::testing::MustLoad("openssl");
  CountingPin wrong("0000");
  auto bad =
      m->Sign(keys->front(), crypto::SignatureAlgorithm::kEcdsaP256Sha256,
              Bytes{1}, *provider, wrong.source());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("PIN incorrect"));
  EXPECT_EQ(wrong.calls, 1);  // not asked again
  EXPECT_FALSE(wrong.last.count_low);
  // The right PIN still works; the token says a wrong one was given.
  CountingPin right("3333");
  auto good =
      m->Sign(keys->front(), crypto::SignatureAlgorithm::kEcdsaP256Sha256,
              Bytes{1}, *provider, right.source());
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(right.calls, 1);
  EXPECT_TRUE(right.last.count_low);
}

TEST(TokenTest, ATokenThatIsGoneIsAClearError) {
  auto m = Load();
  ASSERT_NE(m, nullptr);
  auto keys = m->FindKeys("pkcs11:token=beta");
  ASSERT_TRUE(keys.ok() && !keys->empty());
  TokenKey gone = keys->front();
  gone.token_serial = "no-such-serial";
  auto provider = crypto::testing::MustLoad("openssl");
  CountingPin pin("2222");
  auto r = m->Sign(gone, crypto::SignatureAlgorithm::kEcdsaP384Sha384, Bytes{1},
                   *provider, pin.source());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("removed"));
  EXPECT_EQ(pin.calls, 0);
  // A module that is not one.
  EXPECT_FALSE(Module::Load("/nonexistent/module.so").ok());
}

TEST(TokenTest, SignersWorkInTheBackground) {
  auto provider = crypto::testing::MustLoad("cryptopp");
  CountingPin pin("2222");
  auto signers = TokenSigners(KeySelection{kSoftHsmModule, "pkcs11:token=beta"},
                              provider, pin.source());
  ASSERT_TRUE(signers.ok()) << signers.status();
  ASSERT_EQ(signers->size(), 1u);
  auth::Signer& s = *signers->front().signer;
  EXPECT_TRUE(s.query_first());
  WakeSource wake;
  auth::SignRequest req;
  req.data = {9, 9};
  req.algorithm = crypto::SignatureAlgorithm::kEcdsaP384Sha384;
  req.waker = wake.waker();
  Bytes sig;
  ASSERT_EQ(*s.Sign(req, &sig), auth::SignResult::kRetryLater);
  for (int i = 0; i < 500 && !wake.woken(); ++i) ::usleep(10000);
  ASSERT_TRUE(wake.TakeWake());
  auto done = s.Sign(req, &sig);
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_EQ(*done, auth::SignResult::kSigned);
  crypto::VerifyOptions vo;
  vo.required = req.algorithm;
  EXPECT_TRUE(
      crypto::VerifySshSignature(*provider, s.public_key(), sig, req.data, vo)
          .ok());
}

}  // namespace
}  // namespace parley::pkcs11

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new parley::pkcs11::TokenEnvironment);
  return RUN_ALL_TESTS();
}
