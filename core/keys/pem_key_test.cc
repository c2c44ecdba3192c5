// PEM private keys as the system's tools write them: `ssh-keygen -m PEM`
// (PKCS#1 and SEC1, with and without OpenSSL's DEK-Info encryption),
// `openssl genpkey` (PKCS#8), `openssl pkcs8 -topk8 -v2 ...` (PBES2 with
// AES-CBC or 3DES, PBKDF2 with SHA-1 or SHA-256) and `openssl rsa|ec
// -traditional -aes256|-des3`. Each is loaded with LoadPrivateKeyFile on
// both backends; its public half must equal what `ssh-keygen -y` derives
// from the same file (openssl's for Ed25519, which OpenSSH cannot read in
// PKCS#8), and it must sign for both backends' verifiers. Then
// the refusals: wrong and missing passphrases, PBES1, DSA, tampered and
// truncated files, a PBKDF2 count over the limit; and the DER reader's
// table of malformed encodings.
#include "core/keys/pem_key.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/base/bytes.h"
#include "core/crypto/ssh_keys.h"
#include "core/keys/internal/der.h"
#include "core/keys/key_file.h"
#include "core/keys/openssh_key.h"
#include "core/keys/private_key.h"
#include "core/keys/test_util.h"
#include "gtest/gtest.h"

namespace parley::keys {
namespace {

using crypto::KeyType;
using crypto::SignatureAlgorithm;

constexpr char kPassphrase[] = "pem pass phrase";

struct PemSpec {
  std::string name;
  // Shell commands writing $K (the key file); may use $P (the passphrase).
  std::string command;
  KeyType type;
  bool encrypted;
  std::string first_line;  // the armor ssh-keygen/openssl wrote
};

std::string Q(const std::string& s) { return testing::ShellQuote(s); }

const char kGenRsa[] =
    "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $K.p8";
const char kGenEc384[] =
    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 "
    "-out $K.p8";

std::vector<PemSpec> Specs() {
  const std::string rsa = "-----BEGIN RSA PRIVATE KEY-----";
  const std::string ec = "-----BEGIN EC PRIVATE KEY-----";
  const std::string p8 = "-----BEGIN PRIVATE KEY-----";
  const std::string ep8 = "-----BEGIN ENCRYPTED PRIVATE KEY-----";
  return {
      // ssh-keygen -m PEM: PKCS#1 / SEC1, DEK-Info AES-128-CBC when
      // encrypted.
      {"keygen_rsa", "ssh-keygen -q -m PEM -t rsa -b 2048 -N '' -f $K",
       KeyType::kRsa, false, rsa},
      {"keygen_rsa_enc", "ssh-keygen -q -m PEM -t rsa -b 2048 -N \"$P\" -f $K",
       KeyType::kRsa, true, rsa},
      {"keygen_p256", "ssh-keygen -q -m PEM -t ecdsa -b 256 -N '' -f $K",
       KeyType::kEcdsaP256, false, ec},
      {"keygen_p384_enc",
       "ssh-keygen -q -m PEM -t ecdsa -b 384 -N \"$P\" -f $K",
       KeyType::kEcdsaP384, true, ec},
      {"keygen_p521_enc",
       "ssh-keygen -q -m PEM -t ecdsa -b 521 -N \"$P\" -f $K",
       KeyType::kEcdsaP521, true, ec},
      // openssl genpkey: PKCS#8.
      {"genpkey_ed25519", "openssl genpkey -algorithm ed25519 -out $K",
       KeyType::kEd25519, false, p8},
      {"genpkey_p384", std::string(kGenEc384) + " && mv $K.p8 $K",
       KeyType::kEcdsaP384, false, p8},
      {"genpkey_rsa", std::string(kGenRsa) + " && mv $K.p8 $K", KeyType::kRsa,
       false, p8},
      // openssl pkcs8 -topk8 -v2: PBES2 (OpenSSL 3 defaults to
      // PBKDF2-HMAC-SHA256).
      {"pkcs8_ed25519_aes256",
       "openssl genpkey -algorithm ed25519 -out $K.p8 && openssl pkcs8 "
       "-topk8 -v2 aes-256-cbc -in $K.p8 -out $K -passout pass:\"$P\"",
       KeyType::kEd25519, true, ep8},
      {"pkcs8_rsa_aes128",
       std::string(kGenRsa) +
           " && openssl pkcs8 -topk8 -v2 aes-128-cbc -in $K.p8 -out $K "
           "-passout pass:\"$P\"",
       KeyType::kRsa, true, ep8},
      {"pkcs8_p384_des3_sha1",
       std::string(kGenEc384) +
           " && openssl pkcs8 -topk8 -v2 des3 -v2prf hmacWithSHA1 -in $K.p8 "
           "-out $K -passout pass:\"$P\"",
       KeyType::kEcdsaP384, true, ep8},
      {"pkcs8_p384_aes192_sha512",
       std::string(kGenEc384) +
           " && openssl pkcs8 -topk8 -v2 aes-192-cbc -v2prf hmacWithSHA512 "
           "-iter 5000 -in $K.p8 -out $K -passout pass:\"$P\"",
       KeyType::kEcdsaP384, true, ep8},
      // OpenSSL's traditional formats with DEK-Info AES-256 and 3DES.
      {"traditional_rsa_aes256",
       std::string(kGenRsa) +
           " && openssl rsa -traditional -aes256 -in $K.p8 -out $K -passout "
           "pass:\"$P\" 2>/dev/null",
       KeyType::kRsa, true, rsa},
      {"traditional_p384_des3",
       std::string(kGenEc384) +
           " && openssl ec -des3 -in $K.p8 -out $K -passout pass:\"$P\" "
           "2>/dev/null",
       KeyType::kEcdsaP384, true, ec},
  };
}

bool HaveTools() {
  return ::access("/usr/bin/ssh-keygen", X_OK) == 0 &&
         ::access("/usr/bin/openssl", X_OK) == 0;
}

class PemKeyTest : public ::testing::TestWithParam<PemSpec> {
 protected:
  void SetUp() override {
    if (!HaveTools()) {
      // Under CI (root, after tools/setup) both are installed: a skip
      // there is a failure of the environment, reported by tools/test.
      GTEST_SKIP() << "ssh-keygen or openssl is not available";
    }
    dir_ = testing::NewTempDir();
  }

  std::string Make(const PemSpec& spec) {
    const std::string path = absl::StrCat(dir_, "/", spec.name);
    const std::string command =
        absl::StrCat("K=", Q(path), " P=", Q(kPassphrase), "; ", spec.command,
                     " </dev/null >/dev/null 2>&1 && chmod 600 \"$K\"");
    EXPECT_EQ(testing::RunShell(command), 0) << command;
    return path;
  }

  // What ssh-keygen derives from the private key file; for Ed25519 in
  // PKCS#8, which OpenSSH 9.2 cannot read, what openssl derives (the last
  // 32 bytes of the SubjectPublicKeyInfo, RFC 8410 section 4).
  crypto::PublicKey KeygenPublic(const std::string& path, bool encrypted,
                                 KeyType type) {
    const std::string out = path + ".derived";
    if (type == KeyType::kEd25519) {
      const std::string command = absl::StrCat(
          "openssl pkey -in ", Q(path), " -passin pass:", Q(kPassphrase),
          " -pubout -outform DER | tail -c 32 > ", Q(out));
      EXPECT_EQ(testing::RunShell(command), 0) << command;
      const std::string raw = testing::ReadFileOrDie(out);
      crypto::PublicKey pub;
      pub.type = KeyType::kEd25519;
      pub.ed25519.assign(raw.begin(), raw.end());
      EXPECT_EQ(pub.ed25519.size(), 32u);
      return pub;
    }
    const std::string command =
        absl::StrCat("ssh-keygen -y -P ", Q(encrypted ? kPassphrase : ""),
                     " -f ", Q(path), " > ", Q(out));
    EXPECT_EQ(testing::RunShell(command), 0) << command;
    absl::StatusOr<crypto::PublicKey> pub =
        ParsePublicKeyLine(testing::ReadFileOrDie(out));
    EXPECT_TRUE(pub.ok()) << pub.status();
    return pub.ok() ? *pub : crypto::PublicKey();
  }

  std::string dir_;
};

TEST_P(PemKeyTest, LoadsMatchesSshKeygenAndSigns) {
  const PemSpec& spec = GetParam();
  const std::string path = Make(spec);
  const std::string text = testing::ReadFileOrDie(path);
  ASSERT_EQ(text.substr(0, spec.first_line.size()), spec.first_line) << text;
  const crypto::PublicKey expected =
      KeygenPublic(path, spec.encrypted, spec.type);
  const ByteView pass = spec.encrypted ? AsBytes(kPassphrase) : ByteView();
  for (const crypto::CryptoProvider* p : testing::AllProviders()) {
    absl::StatusOr<crypto::PrivateKey> key = LoadPrivateKeyFile(path, pass, *p);
    ASSERT_TRUE(key.ok()) << p->name() << ": " << key.status();
    EXPECT_EQ(key->public_key.type, spec.type);
    EXPECT_TRUE(key->public_key == expected) << p->name();
    for (SignatureAlgorithm alg : crypto::SignatureAlgorithmsFor(spec.type)) {
      auto signer = p->NewSigner(*key, alg);
      ASSERT_TRUE(signer.ok()) << signer.status();
      const Bytes message = {1, 2, 3};
      auto sig = (*signer)->Sign(message);
      ASSERT_TRUE(sig.ok()) << sig.status();
      for (const crypto::CryptoProvider* q : testing::AllProviders()) {
        auto verifier = q->NewVerifier(expected, alg);
        ASSERT_TRUE(verifier.ok());
        EXPECT_TRUE((*verifier)->Verify(message, *sig).ok())
            << p->name() << " signs, " << q->name() << " verifies";
      }
    }
    if (spec.encrypted) {
      auto wrong = LoadPrivateKeyFile(path, AsBytes("not the pass phrase"), *p);
      EXPECT_TRUE(absl::IsUnauthenticated(wrong.status())) << wrong.status();
      auto missing = LoadPrivateKeyFile(path, ByteView(), *p);
      EXPECT_TRUE(absl::IsUnauthenticated(missing.status()))
          << missing.status();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Tools, PemKeyTest, ::testing::ValuesIn(Specs()),
                         [](const ::testing::TestParamInfo<PemSpec>& info) {
                           return info.param.name;
                         });

class PemRefusalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveTools()) GTEST_SKIP() << "ssh-keygen or openssl is not available";
    dir_ = testing::NewTempDir();
  }
  std::string Run(const std::string& commands) {
    const std::string path = dir_ + "/k";
    const std::string command =
        absl::StrCat("K=", Q(path), " P=", Q(kPassphrase), "; ", commands,
                     " </dev/null >/dev/null 2>&1");
    EXPECT_EQ(testing::RunShell(command), 0) << command;
    return testing::ReadFileOrDie(path);
  }
  std::string dir_;
};

TEST_F(PemRefusalTest, UnsupportedFormatsSaySo) {
  const std::string pbes1 = Run(
      "openssl genpkey -algorithm ed25519 -out $K.p8 && openssl pkcs8 -topk8 "
      "-v1 PBE-SHA1-3DES -in $K.p8 -out $K -passout pass:\"$P\"");
  auto r = ParsePemPrivateKey(pbes1, AsBytes(kPassphrase), testing::OpenSsl());
  EXPECT_TRUE(absl::IsUnimplemented(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("PBES2"), std::string::npos);

  const std::string x448 = Run("openssl genpkey -algorithm x448 -out $K");
  r = ParsePemPrivateKey(x448, ByteView(), testing::OpenSsl());
  EXPECT_TRUE(absl::IsUnimplemented(r.status())) << r.status();

  const std::string dsa =
      "-----BEGIN DSA PRIVATE KEY-----\nMAA=\n-----END DSA PRIVATE KEY-----\n";
  r = ParsePrivateKey(dsa, ByteView(), testing::OpenSsl());
  EXPECT_TRUE(absl::IsUnimplemented(r.status())) << r.status();
}

TEST_F(PemRefusalTest, IterationLimitIsCheckedBeforeAnyWork) {
  const std::string text = Run(
      "openssl genpkey -algorithm ed25519 -out $K.p8 && openssl pkcs8 -topk8 "
      "-v2 aes-256-cbc -iter 3000 -in $K.p8 -out $K -passout pass:\"$P\"");
  PemKeyOptions options;
  options.max_pbkdf2_iterations = 2999;
  auto r = ParsePemPrivateKey(text, AsBytes(kPassphrase), testing::OpenSsl(),
                              options);
  EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("3000 PBKDF2 iterations"),
            std::string::npos);
  options.max_pbkdf2_iterations = 3000;
  EXPECT_TRUE(ParsePemPrivateKey(text, AsBytes(kPassphrase), testing::OpenSsl(),
                                 options)
                  .ok());
}

// Every byte of an unencrypted SEC1 key changed in turn, and every
// truncation: never a crash, never a key that differs from the original.
TEST_F(PemRefusalTest, TamperedAndTruncatedFilesFailClosed) {
  const std::string text =
      Run("ssh-keygen -q -m PEM -t ecdsa -b 256 -N '' -f $K");
  auto good = ParsePemPrivateKey(text, ByteView(), testing::OpenSsl());
  ASSERT_TRUE(good.ok()) << good.status();
  const size_t body = text.find('\n') + 1;
  const size_t end = text.find("-----END");
  for (size_t i = body; i < end; ++i) {
    if (text[i] == '\n') continue;
    std::string bad = text;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    auto r = ParsePemPrivateKey(bad, ByteView(), testing::OpenSsl());
    if (r.ok()) {
      // A change in base64 padding bits may decode to the same DER.
      EXPECT_TRUE(r->public_key == good->public_key) << "byte " << i;
      EXPECT_EQ(View(r->ec_scalar), View(good->ec_scalar)) << "byte " << i;
    }
  }
  for (size_t n = 0; n < text.size(); n += 7) {
    auto r =
        ParsePemPrivateKey(text.substr(0, n), ByteView(), testing::OpenSsl());
    EXPECT_FALSE(r.ok()) << "cut at " << n;
  }
}

TEST(DerReaderTest, MalformedEncodingsAreRefused) {
  using internal::DerReader;
  const struct {
    const char* name;
    Bytes der;
  } kBad[] = {
      {"empty", {}},
      {"truncated header", {0x02}},
      {"indefinite length", {0x30, 0x80, 0x00, 0x00}},
      {"length past the end", {0x02, 0x05, 0x01}},
      {"non-minimal long length", {0x02, 0x81, 0x01, 0x01}},
      {"leading zero length byte", {0x02, 0x82, 0x00, 0x81, 0x01}},
      {"five length bytes", {0x02, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00}},
      {"negative integer", {0x02, 0x01, 0x80}},
      {"non-minimal integer", {0x02, 0x02, 0x00, 0x01}},
      {"empty integer", {0x02, 0x00}},
      {"wrong tag", {0x04, 0x01, 0x00}},
  };
  for (const auto& c : kBad) {
    DerReader r(c.der);
    ByteView v;
    EXPECT_FALSE(r.ReadUnsigned(&v, "value").ok()) << c.name;
  }
  // A well-formed integer with a sign byte, then trailing bytes.
  const Bytes ok = {0x02, 0x02, 0x00, 0x80, 0x05, 0x00};
  DerReader r(ok);
  ByteView v;
  ASSERT_TRUE(r.ReadUnsigned(&v, "value").ok());
  EXPECT_EQ(Bytes(v.begin(), v.end()), Bytes{0x80});
  EXPECT_FALSE(r.ExpectEnd("value").ok());
  const Bytes big = {0x02, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00};
  uint32_t small = 0;
  EXPECT_FALSE(DerReader(big).ReadSmall(&small, "value").ok());
  const Bytes bits = {0x03, 0x02, 0x01, 0xff};
  EXPECT_FALSE(DerReader(bits).ReadBitString(&v, "bits").ok());
}

}  // namespace
}  // namespace parley::keys
