// Private keys written by the system's ssh-keygen (openssh-client): every
// supported type, unencrypted and passphrase-protected (bcrypt_pbkdf with
// ssh-keygen's default aes256-ctr and every other -Z cipher Parley
// accepts), loaded with LoadPrivateKeyFile on both backends; the public key
// is compared with ssh-keygen's .pub file, and the key signs with each
// backend and verifies with both. This is also the end-to-end check of
// bcrypt_pbkdf against OpenSSH's own implementation.
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/base/bytes.h"
#include "core/crypto/ssh_keys.h"
#include "core/keys/key_file.h"
#include "core/keys/openssh_key.h"
#include "core/keys/test_util.h"
#include "gtest/gtest.h"

namespace parley::keys {
namespace {

using crypto::KeyType;
using crypto::SignatureAlgorithm;

constexpr char kSshKeygen[] = "/usr/bin/ssh-keygen";
constexpr char kPassphrase[] = "correct horse battery staple";

struct KeySpec {
  std::string name;
  std::string type_args;  // -t / -b
  KeyType type;
  bool encrypted;
  std::string cipher;  // -Z; empty for ssh-keygen's default (aes256-ctr)
  int rounds;          // -a; 0 for ssh-keygen's default (16)
};

class SshKeygenKeysTest : public ::testing::TestWithParam<KeySpec> {
 protected:
  void SetUp() override {
    if (::access(kSshKeygen, X_OK) != 0) {
      GTEST_SKIP() << kSshKeygen << " is not available";
    }
    dir_ = testing::NewTempDir();
  }

  // Runs ssh-keygen for `spec`; returns the private key's path.
  std::string Generate(const KeySpec& spec) {
    const std::string path = absl::StrCat(dir_, "/id_", spec.name);
    std::string args = absl::StrCat(
        " -q ", spec.type_args, " -C ", testing::ShellQuote(Comment()), " -N ",
        testing::ShellQuote(spec.encrypted ? kPassphrase : ""));
    if (!spec.cipher.empty()) absl::StrAppend(&args, " -Z ", spec.cipher);
    if (spec.rounds != 0) absl::StrAppend(&args, " -a ", spec.rounds);
    const std::string command =
        absl::StrCat(kSshKeygen, args, " -f ", testing::ShellQuote(path),
                     " </dev/null >/dev/null 2>&1");
    EXPECT_EQ(testing::RunShell(command), 0) << command;
    return path;
  }

  std::string Comment() const {
    return absl::StrCat("parley-test ", GetParam().name);
  }

  std::string dir_;
};

TEST_P(SshKeygenKeysTest, LoadsAndSignsOnBothBackends) {
  const KeySpec& spec = GetParam();
  const std::string path = Generate(spec);
  const std::string pub_line = testing::ReadFileOrDie(path + ".pub");
  const std::vector<std::string> fields =
      absl::StrSplit(absl::StripAsciiWhitespace(pub_line), ' ');
  ASSERT_GE(fields.size(), 2u) << pub_line;
  std::string pub_blob;
  ASSERT_TRUE(absl::Base64Unescape(fields[1], &pub_blob));

  // The .pub line through Parley's own parser.
  absl::StatusOr<crypto::PublicKey> pub = ParsePublicKeyLine(pub_line);
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->type, spec.type);

  const ByteView passphrase =
      spec.encrypted ? AsBytes(kPassphrase) : ByteView();
  for (const crypto::CryptoProvider* loader : testing::AllProviders()) {
    SCOPED_TRACE(absl::StrCat("loaded with ", loader->name()));
    std::string comment;
    absl::StatusOr<crypto::PrivateKey> key = LoadPrivateKeyFile(
        path, passphrase, *loader, OpenSshKeyOptions(), &comment);
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ(comment, Comment());
    EXPECT_EQ(AsString(crypto::EncodePublicKeyBlob(key->public_key)), pub_blob);
    EXPECT_TRUE(key->public_key == *pub);
    if (spec.type == KeyType::kRsa) {
      EXPECT_FALSE(key->rsa_dp.empty());
      EXPECT_FALSE(key->rsa_dq.empty());
    }

    const Bytes data = {'s', 'e', 's', 's', 'i', 'o', 'n', 0, 1, 2};
    for (SignatureAlgorithm alg : crypto::SignatureAlgorithmsFor(spec.type)) {
      for (const crypto::CryptoProvider* signer : testing::AllProviders()) {
        absl::StatusOr<Bytes> sig = crypto::SignSsh(*signer, *key, alg, data);
        ASSERT_TRUE(sig.ok()) << signer->name() << ": " << sig.status();
        for (const crypto::CryptoProvider* verifier : testing::AllProviders()) {
          crypto::VerifyOptions options;
          options.required = alg;
          EXPECT_TRUE(
              crypto::VerifySshSignature(*verifier, *pub, *sig, data, options)
                  .ok())
              << crypto::SignatureAlgorithmName(alg) << " signed by "
              << signer->name() << ", verified by " << verifier->name();
        }
      }
    }
  }
}

// Encrypted keys: a wrong or missing passphrase is kUnauthenticated with a
// message saying which. Unencrypted keys: any passphrase is ignored.
TEST_P(SshKeygenKeysTest, PassphraseHandling) {
  const KeySpec& spec = GetParam();
  const std::string path = Generate(spec);
  for (const crypto::CryptoProvider* provider : testing::AllProviders()) {
    SCOPED_TRACE(provider->name());
    const ByteView wrong_passphrase = AsBytes("correct horse battery stapler");
    if (!spec.encrypted) {
      EXPECT_TRUE(LoadPrivateKeyFile(path, wrong_passphrase, *provider).ok());
      continue;
    }
    absl::Status wrong =
        LoadPrivateKeyFile(path, wrong_passphrase, *provider).status();
    EXPECT_EQ(wrong.code(), absl::StatusCode::kUnauthenticated) << wrong;
    EXPECT_TRUE(absl::StrContains(wrong.message(), "incorrect passphrase"))
        << wrong;
    absl::Status missing =
        LoadPrivateKeyFile(path, ByteView(), *provider).status();
    EXPECT_EQ(missing.code(), absl::StatusCode::kUnauthenticated) << missing;
    EXPECT_TRUE(absl::StrContains(missing.message(),
                                  "key is encrypted: passphrase required"))
        << missing;
  }
}

std::vector<KeySpec> Specs() {
  std::vector<KeySpec> specs = {
      {"ed25519", "-t ed25519", KeyType::kEd25519, false, "", 0},
      {"ed25519_default_kdf", "-t ed25519", KeyType::kEd25519, true, "", 0},
      {"ecdsa256", "-t ecdsa -b 256", KeyType::kEcdsaP256, false, "", 0},
      {"ecdsa256_enc", "-t ecdsa -b 256", KeyType::kEcdsaP256, true, "", 4},
      {"ecdsa384", "-t ecdsa -b 384", KeyType::kEcdsaP384, false, "", 0},
      {"ecdsa384_enc", "-t ecdsa -b 384", KeyType::kEcdsaP384, true, "", 4},
      {"ecdsa521", "-t ecdsa -b 521", KeyType::kEcdsaP521, false, "", 0},
      {"ecdsa521_enc", "-t ecdsa -b 521", KeyType::kEcdsaP521, true, "", 4},
      {"rsa2048", "-t rsa -b 2048", KeyType::kRsa, false, "", 0},
      {"rsa2048_enc", "-t rsa -b 2048", KeyType::kRsa, true, "", 4},
      {"rsa3072_enc", "-t rsa -b 3072", KeyType::kRsa, true, "", 4},
  };
  for (const char* cipher :
       {"aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-gcm@openssh.com",
        "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com"}) {
    std::string name = absl::StrCat("ed25519_", cipher);
    absl::StrReplaceAll({{"-", "_"}, {"@", "_"}, {".", "_"}}, &name);
    specs.push_back({name, "-t ed25519", KeyType::kEd25519, true, cipher, 4});
  }
  return specs;
}

INSTANTIATE_TEST_SUITE_P(Keys, SshKeygenKeysTest, ::testing::ValuesIn(Specs()),
                         [](const ::testing::TestParamInfo<KeySpec>& info) {
                           return info.param.name;
                         });

// Keys ssh-keygen re-encrypts with a new passphrase (ssh-keygen -p) load
// with the new one only; files it makes are 0600 and a copy with looser
// permissions is refused.
class SshKeygenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kSshKeygen, X_OK) != 0) {
      GTEST_SKIP() << kSshKeygen << " is not available";
    }
    dir_ = testing::NewTempDir();
    path_ = dir_ + "/id_ed25519";
    ASSERT_EQ(testing::RunShell(absl::StrCat(
                  kSshKeygen, " -q -t ed25519 -a 4 -N old -C c -f ",
                  testing::ShellQuote(path_), " </dev/null >/dev/null 2>&1")),
              0);
  }
  std::string dir_;
  std::string path_;
};

TEST_F(SshKeygenFileTest, PassphraseChangedBySshKeygen) {
  ASSERT_TRUE(
      LoadPrivateKeyFile(path_, AsBytes("old"), testing::OpenSsl()).ok());
  ASSERT_EQ(testing::RunShell(absl::StrCat(
                kSshKeygen, " -q -p -a 4 -P old -N new -f ",
                testing::ShellQuote(path_), " </dev/null >/dev/null 2>&1")),
            0);
  EXPECT_TRUE(
      LoadPrivateKeyFile(path_, AsBytes("new"), testing::OpenSsl()).ok());
  EXPECT_EQ(LoadPrivateKeyFile(path_, AsBytes("old"), testing::OpenSsl())
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);
  // And with the passphrase removed.
  ASSERT_EQ(testing::RunShell(absl::StrCat(
                kSshKeygen, " -q -p -P new -N '' -f ",
                testing::ShellQuote(path_), " </dev/null >/dev/null 2>&1")),
            0);
  EXPECT_TRUE(LoadPrivateKeyFile(path_, ByteView(), testing::OpenSsl()).ok());
}

TEST_F(SshKeygenFileTest, LooserCopyIsRefused) {
  const std::string copy = dir_ + "/copy";
  testing::WriteFileOrDie(copy, testing::ReadFileOrDie(path_), 0644);
  absl::Status s =
      LoadPrivateKeyFile(copy, AsBytes("old"), testing::OpenSsl()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "0644")) << s;
}

}  // namespace
}  // namespace parley::keys
