// ParseOpenSshPrivateKey and ParsePublicKeyLine on files built here from
// keys the backends generate: every key type round-trips on both backends,
// and a table of malformed files each fail cleanly with the right code.
// (Files made by the real ssh-keygen are in ssh_keygen_keys_test.cc.)
#include "core/keys/openssh_key.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/base/bytes.h"
#include "core/base/secure_buffer.h"
#include "core/crypto/ssh_keys.h"
#include "core/keys/bcrypt_pbkdf.h"
#include "core/keys/test_util.h"
#include "core/wire/writer.h"
#include "gtest/gtest.h"

namespace parley::keys {
namespace {

using crypto::KeyType;
using crypto::PrivateKey;

constexpr absl::string_view kComment = "user@example";

// The pieces of an openssh-key-v1 file, to be varied by the tests.
struct Parts {
  std::string magic = std::string("openssh-key-v1\0", 15);
  std::string cipher = "none";
  std::string kdf = "none";
  Bytes kdf_options;
  uint32_t nkeys = 1;
  Bytes public_blob;
  Bytes private_section;  // plaintext, or ciphertext once encrypted
  Bytes tag;              // after the private section (AEAD ciphers)
  Bytes trailing;
};

Bytes Encode(const Parts& p) {
  Bytes out(p.magic.begin(), p.magic.end());
  wire::Writer w(&out);
  w.WriteString(absl::string_view(p.cipher));
  w.WriteString(absl::string_view(p.kdf));
  w.WriteString(ByteView(p.kdf_options));
  w.WriteU32(p.nkeys);
  w.WriteString(ByteView(p.public_blob));
  w.WriteString(ByteView(p.private_section));
  w.WriteRaw(p.tag);
  w.WriteRaw(p.trailing);
  return out;
}

std::string Text(const Parts& p) { return testing::Armor(Encode(p)); }

// check1 || check2 || key fields || comment || 1, 2, 3, ... to `block`.
Bytes PrivateSection(const Bytes& key_fields, uint32_t check1 = 0x5eed1e55,
                     uint32_t check2 = 0x5eed1e55,
                     absl::string_view comment = kComment, size_t block = 8) {
  Bytes out;
  wire::Writer w(&out);
  w.WriteU32(check1);
  w.WriteU32(check2);
  w.WriteRaw(key_fields);
  w.WriteString(comment);
  for (uint8_t i = 1; out.size() % block != 0; ++i) out.push_back(i);
  return out;
}

Parts Unencrypted(const PrivateKey& key) {
  Parts p;
  p.public_blob = crypto::EncodePublicKeyBlob(key.public_key);
  p.private_section = PrivateSection(testing::EncodePrivateKeyFields(key));
  return p;
}

// Encrypts `p` (whose private section is 16-byte padded plaintext) with
// bcrypt + aes256-ctr as ssh-keygen does.
void EncryptAes256Ctr(Parts* p, absl::string_view passphrase,
                      uint32_t rounds = 2) {
  const Bytes salt = {0x73, 0x61, 0x6c, 0x74, 0x73, 0x61, 0x6c, 0x74,
                      0x73, 0x61, 0x6c, 0x74, 0x73, 0x61, 0x6c, 0x74};
  p->cipher = "aes256-ctr";
  p->kdf = "bcrypt";
  p->kdf_options.clear();
  wire::Writer w(&p->kdf_options);
  w.WriteString(ByteView(salt));
  w.WriteU32(rounds);
  Bytes key_iv(48);
  ASSERT_TRUE(BcryptPbkdf(testing::OpenSsl(), AsBytes(passphrase), salt, rounds,
                          MutableByteView(key_iv))
                  .ok());
  auto ctr = testing::OpenSsl().NewAesCtr(ByteView(key_iv.data(), 32),
                                          ByteView(key_iv.data() + 32, 16));
  ASSERT_TRUE(ctr.ok());
  ASSERT_TRUE(
      (*ctr)->Crypt(p->private_section, p->private_section.data()).ok());
}

class Keys {
 public:
  static const PrivateKey& Get(KeyType type) {
    static auto* const keys = [] {
      auto* m = new std::map<KeyType, PrivateKey>;
      for (KeyType t :
           {KeyType::kEd25519, KeyType::kEcdsaP256, KeyType::kEcdsaP384,
            KeyType::kEcdsaP521, KeyType::kRsa}) {
        auto key = testing::OpenSsl().GenerateKey(t, 2048);
        if (!key.ok()) std::abort();
        (*m)[t] = *std::move(key);
      }
      return m;
    }();
    return keys->at(type);
  }
};

std::string Hex(const SecureBuffer& b) { return ToHex(View(b)); }

absl::Status Parse(
    const std::string& text, absl::string_view passphrase = "",
    const crypto::CryptoProvider& provider = testing::OpenSsl()) {
  return ParseOpenSshPrivateKey(text, AsBytes(passphrase), provider).status();
}

// --- Valid files
// --------------------------------------------------------------

class RoundTripTest
    : public ::testing::TestWithParam<std::tuple<KeyType, int>> {
 protected:
  KeyType type() const { return std::get<0>(GetParam()); }
  const crypto::CryptoProvider& provider() const {
    return *testing::AllProviders()[static_cast<size_t>(
        std::get<1>(GetParam()))];
  }
};

void ExpectSameKey(const PrivateKey& got, const PrivateKey& want) {
  EXPECT_TRUE(got.public_key == want.public_key);
  EXPECT_EQ(Hex(got.ed25519_seed), Hex(want.ed25519_seed));
  EXPECT_EQ(Hex(got.ec_scalar), Hex(want.ec_scalar));
  EXPECT_EQ(Hex(got.rsa_d), Hex(want.rsa_d));
  EXPECT_EQ(Hex(got.rsa_p), Hex(want.rsa_p));
  EXPECT_EQ(Hex(got.rsa_q), Hex(want.rsa_q));
  // The CRT exponents are computed by the loader (OpenSSH's format omits
  // them); OpenSSL's key generation gives the expected values.
  EXPECT_EQ(Hex(got.rsa_dp), Hex(want.rsa_dp));
  EXPECT_EQ(Hex(got.rsa_dq), Hex(want.rsa_dq));
  EXPECT_EQ(Hex(got.rsa_qinv), Hex(want.rsa_qinv));
}

TEST_P(RoundTripTest, Unencrypted) {
  const PrivateKey& key = Keys::Get(type());
  std::string comment;
  absl::StatusOr<PrivateKey> got =
      ParseOpenSshPrivateKey(Text(Unencrypted(key)), ByteView(), provider(),
                             OpenSshKeyOptions(), &comment);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameKey(*got, key);
  EXPECT_EQ(comment, kComment);
}

TEST_P(RoundTripTest, EncryptedAes256Ctr) {
  const PrivateKey& key = Keys::Get(type());
  Parts p = Unencrypted(key);
  p.private_section = PrivateSection(testing::EncodePrivateKeyFields(key),
                                     0x01020304, 0x01020304, kComment, 16);
  EncryptAes256Ctr(&p, "sesame");
  absl::StatusOr<PrivateKey> got =
      ParseOpenSshPrivateKey(Text(p), AsBytes("sesame"), provider());
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameKey(*got, key);

  absl::Status wrong = Parse(Text(p), "Sesame", provider());
  EXPECT_EQ(wrong.code(), absl::StatusCode::kUnauthenticated) << wrong;
  EXPECT_TRUE(absl::StrContains(wrong.message(), "incorrect passphrase"))
      << wrong;
  absl::Status missing = Parse(Text(p), "", provider());
  EXPECT_EQ(missing.code(), absl::StatusCode::kUnauthenticated) << missing;
  EXPECT_TRUE(absl::StrContains(missing.message(), "passphrase required"))
      << missing;
}

INSTANTIATE_TEST_SUITE_P(
    AllTypesBothBackends, RoundTripTest,
    ::testing::Combine(::testing::Values(KeyType::kEd25519, KeyType::kEcdsaP256,
                                         KeyType::kEcdsaP384,
                                         KeyType::kEcdsaP521, KeyType::kRsa),
                       ::testing::Values(0, 1)),
    [](const ::testing::TestParamInfo<std::tuple<KeyType, int>>& info) {
      std::string name(crypto::KeyTypeName(std::get<0>(info.param)));
      absl::StrReplaceAll({{"-", "_"}}, &name);
      return absl::StrCat(
          name, std::get<1>(info.param) == 0 ? "_openssl" : "_cryptopp");
    });

TEST(OpenSshKeyTest, ArmorToleratesCrlfAndSurroundingWhitespace) {
  const std::string text = Text(Unencrypted(Keys::Get(KeyType::kEd25519)));
  const std::string crlf = absl::StrReplaceAll(text, {{"\n", "\r\n"}});
  EXPECT_TRUE(Parse(crlf).ok()) << Parse(crlf);
  const std::string padded = "\n  \n" + text + "\n\n";
  EXPECT_TRUE(Parse(padded).ok()) << Parse(padded);
  // One long line of base64 instead of 70-column lines.
  std::string one_line = text;
  const size_t body = one_line.find('\n') + 1;
  const size_t end = one_line.find("-----END");
  std::string b64 = one_line.substr(body, end - body);
  b64.erase(std::remove(b64.begin(), b64.end(), '\n'), b64.end());
  one_line.replace(body, end - body, b64 + "\n");
  EXPECT_TRUE(Parse(one_line).ok()) << Parse(one_line);
}

TEST(OpenSshKeyTest, PassphraseIgnoredForUnencryptedKeys) {
  EXPECT_TRUE(Parse(Text(Unencrypted(Keys::Get(KeyType::kEd25519))), "x").ok());
}

TEST(OpenSshKeyTest, PaddingLongerThanOneBlockIsAccepted) {
  // OpenSSH checks only the 1, 2, 3, ... pattern, not its length.
  Parts p = Unencrypted(Keys::Get(KeyType::kEd25519));
  for (uint8_t i = 0; i < 8; ++i) {
    p.private_section.push_back(
        static_cast<uint8_t>(p.private_section.back() + 1));
  }
  EXPECT_TRUE(Parse(Text(p)).ok()) << Parse(Text(p));
}

// --- Malformed files
// ------------------------------------------------------------

struct BadCase {
  std::string name;
  std::function<std::string()> text;
  absl::StatusCode code;
  std::string message;  // a substring of the error
  std::string passphrase = "";
};

// Padded to 16 bytes, so that switching the cipher name to an AES mode
// leaves the block size right and the case tests what it means to.
Parts Ed25519Parts() {
  const PrivateKey& key = Keys::Get(KeyType::kEd25519);
  Parts p = Unencrypted(key);
  p.private_section = PrivateSection(testing::EncodePrivateKeyFields(key),
                                     0x5eed1e55, 0x5eed1e55, kComment, 16);
  return p;
}

std::string WithEd25519Parts(const std::function<void(Parts*)>& mutate) {
  Parts p = Ed25519Parts();
  mutate(&p);
  return Text(p);
}

Bytes U32(uint32_t v) {
  Bytes out;
  wire::Writer(&out).WriteU32(v);
  return out;
}

Bytes BcryptOptions(const Bytes& salt, uint32_t rounds) {
  Bytes out;
  wire::Writer w(&out);
  w.WriteString(ByteView(salt));
  w.WriteU32(rounds);
  return out;
}

// An Ed25519 key whose private fields are replaced by `fields`.
std::string Ed25519WithFields(
    const std::function<void(wire::Writer*)>& fields) {
  Parts p = Ed25519Parts();
  Bytes f;
  wire::Writer w(&f);
  fields(&w);
  p.private_section = PrivateSection(f);
  return Text(p);
}

std::vector<BadCase> BadCases() {
  const PrivateKey& ed = Keys::Get(KeyType::kEd25519);
  const PrivateKey& rsa = Keys::Get(KeyType::kRsa);
  const PrivateKey& p256 = Keys::Get(KeyType::kEcdsaP256);
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  const auto kUnimpl = absl::StatusCode::kUnimplemented;
  const auto kUnauth = absl::StatusCode::kUnauthenticated;
  const std::string good = Text(Ed25519Parts());

  std::vector<BadCase> cases = {
      // Armor and base64.
      {"empty file", [] { return std::string(); }, kInvalid, "no \"-----BEGIN"},
      {"garbage", [] { return std::string("hello\n"); }, kInvalid,
       "no \"-----BEGIN"},
      {"other armor",
       [] { return std::string("-----BEGIN CERTIFICATE-----\nAAAA\n"); },
       kInvalid, "unexpected armor"},
      {"PEM RSA key",
       [] {
         return std::string(
             "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n"
             "-----END RSA PRIVATE KEY-----\n");
       },
       kUnimpl, "ssh-keygen -p"},
      {"PKCS#8 key",
       [] {
         return std::string(
             "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
       },
       kUnimpl, "PEM private keys"},
      {"public key line",
       [] { return std::string("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 x\n"); },
       kInvalid, "public key line"},
      {"no END line", [good] { return good.substr(0, good.find("-----END")); },
       kInvalid, "no \"-----END"},
      {"text after BEGIN",
       [good] {
         return absl::StrReplaceAll(good, {{"KEY-----\n", "KEY----- x\n"}});
       },
       kInvalid, "after the BEGIN"},
      {"data after END", [good] { return good + "more\n"; }, kInvalid,
       "after the END"},
      {"stray armor line inside",
       [good] {
         std::string t = good;
         t.insert(t.find('\n') + 1, "-----BEGIN X-----\n");
         return t;
       },
       kInvalid, "unexpected armor line"},
      {"empty body",
       [] {
         return std::string(
             "-----BEGIN OPENSSH PRIVATE KEY-----\n"
             "-----END OPENSSH PRIVATE KEY-----\n");
       },
       kInvalid, "empty key body"},
      {"bad base64 character",
       [good] {
         std::string t = good;
         t[t.find('\n') + 5] = '!';
         return t;
       },
       kInvalid, "base64"},
      {"base64 missing a character",
       [good] {
         std::string t = good;
         t.erase(t.find('\n') + 5, 1);
         return t;
       },
       kInvalid, "base64"},
      // Header.
      {"wrong magic",
       [] {
         return WithEd25519Parts(
             [](Parts* p) { p->magic = std::string("openssh-key-v2\0", 15); });
       },
       kInvalid, "magic"},
      {"magic without NUL",
       [] {
         return WithEd25519Parts([](Parts* p) { p->magic = "openssh-key-v1"; });
       },
       kInvalid, ""},
      {"huge cipher name length",
       [] {
         Bytes b(15);
         std::copy_n("openssh-key-v1", 15, b.begin());
         const Bytes len = U32(0xffffffff);
         b.insert(b.end(), len.begin(), len.end());
         b.insert(b.end(), 16, 'A');
         return testing::Armor(b);
       },
       kInvalid, "cipher name: truncated"},
      {"zero keys",
       [] { return WithEd25519Parts([](Parts* p) { p->nkeys = 0; }); },
       kInvalid, "holds 0 keys"},
      {"two keys",
       [] { return WithEd25519Parts([](Parts* p) { p->nkeys = 2; }); },
       kInvalid, "holds 2 keys"},
      {"huge key count",
       [] { return WithEd25519Parts([](Parts* p) { p->nkeys = 0xffffffff; }); },
       kInvalid, "exactly one"},
      {"unknown cipher",
       [] {
         return WithEd25519Parts([](Parts* p) { p->cipher = "aes256-cbc"; });
       },
       kUnimpl, "cipher \"aes256-cbc\" is not supported"},
      {"unknown KDF",
       [] {
         return WithEd25519Parts([](Parts* p) {
           p->cipher = "aes256-ctr";
           p->kdf = "scrypt";
         });
       },
       kUnimpl, "KDF \"scrypt\" is not supported"},
      {"cipher without KDF",
       [] {
         return WithEd25519Parts([](Parts* p) { p->cipher = "aes256-ctr"; });
       },
       kInvalid, "without a KDF"},
      {"bcrypt with cipher none",
       [] {
         return WithEd25519Parts([](Parts* p) {
           p->kdf = "bcrypt";
           p->kdf_options = BcryptOptions(Bytes(16, 1), 16);
         });
       },
       kInvalid, "cipher \"none\""},
      {"KDF none with options",
       [] {
         return WithEd25519Parts([](Parts* p) {
           p->kdf_options = {0, 0, 0, 0};
         });
       },
       kInvalid, "non-empty KDF options"},
      {"unsupported key type",
       [] {
         return WithEd25519Parts([](Parts* p) {
           p->public_blob.clear();
           wire::Writer w(&p->public_blob);
           w.WriteString(absl::string_view("ssh-dss"));
           w.WriteString(absl::string_view("xxxx"));
         });
       },
       kUnimpl, "ssh-dss"},
      {"malformed public key",
       [] {
         return WithEd25519Parts([](Parts* p) { p->public_blob.pop_back(); });
       },
       kInvalid, "public key:"},
      {"trailing bytes",
       [] { return WithEd25519Parts([](Parts* p) { p->trailing = {0}; }); },
       kInvalid, "1 trailing bytes"},
      {"private section not a multiple of the block size",
       [] {
         return WithEd25519Parts(
             [](Parts* p) { p->private_section.pop_back(); });
       },
       kInvalid, "block size"},
      {"empty private section",
       [] {
         return WithEd25519Parts([](Parts* p) { p->private_section.clear(); });
       },
       kInvalid, "block size"},
      {"huge private section length",
       [] {
         Parts p = Ed25519Parts();
         Bytes blob = Encode(p);
         // The private section's length field sits right before it.
         const size_t at = blob.size() - p.private_section.size() - 4;
         blob[at] = 0xff;
         return testing::Armor(blob);
       },
       kInvalid, "private section: truncated"},
      {"GCM without its tag",
       [] {
         return WithEd25519Parts([](Parts* p) {
           p->cipher = "aes256-gcm@openssh.com";
           p->kdf = "bcrypt";
           p->kdf_options = BcryptOptions(Bytes(16, 1), 2);
           p->tag = Bytes(8, 0);
         });
       },
       kInvalid, "authentication tag: truncated"},
      // KDF options.
      {"truncated bcrypt options",
       [] {
         return WithEd25519Parts([](Parts* p) {
           p->cipher = "aes256-ctr";
           p->kdf = "bcrypt";
           p->kdf_options = BcryptOptions(Bytes(16, 1), 16);
           p->kdf_options.pop_back();
         });
       },
       kInvalid, "bcrypt rounds: truncated"},
      {"trailing bcrypt options",
       [] {
         return WithEd25519Parts([](Parts* p) {
           p->cipher = "aes256-ctr";
           p->kdf = "bcrypt";
           p->kdf_options = BcryptOptions(Bytes(16, 1), 16);
           p->kdf_options.push_back(0);
         });
       },
       kInvalid, "trailing bytes in the KDF options"},
      {"empty salt",
       [] {
         return WithEd25519Parts([](Parts* p) {
           p->cipher = "aes256-ctr";
           p->kdf = "bcrypt";
           p->kdf_options = BcryptOptions(Bytes(), 16);
         });
       },
       kInvalid, "empty bcrypt salt"},
      {"zero rounds",
       [] {
         return WithEd25519Parts([](Parts* p) {
           p->cipher = "aes256-ctr";
           p->kdf = "bcrypt";
           p->kdf_options = BcryptOptions(Bytes(16, 1), 0);
         });
       },
       kInvalid, "rounds is zero"},
      {"absurd rounds",
       [] {
         return WithEd25519Parts([](Parts* p) {
           p->cipher = "aes256-ctr";
           p->kdf = "bcrypt";
           p->kdf_options = BcryptOptions(Bytes(16, 1), 0xffffffff);
         });
       },
       kInvalid, "more than the limit", "passphrase"},
      {"encrypted without passphrase",
       [] {
         return WithEd25519Parts([](Parts* p) {
           p->cipher = "aes256-ctr";
           p->kdf = "bcrypt";
           p->kdf_options = BcryptOptions(Bytes(16, 1), 16);
         });
       },
       kUnauth, "private key is encrypted: passphrase required"},
      // Private section.
      {"check integers differ",
       [ed] {
         Parts p = Unencrypted(ed);
         p.private_section =
             PrivateSection(testing::EncodePrivateKeyFields(ed), 1, 2);
         return Text(p);
       },
       kInvalid, "check integers differ"},
      {"bad padding",
       [] {
         return WithEd25519Parts(
             [](Parts* p) { p->private_section.back() ^= 0x40; });
       },
       kInvalid, "bad padding"},
      {"private key type differs",
       [ed, p256] {
         Parts p = Unencrypted(ed);
         p.private_section =
             PrivateSection(testing::EncodePrivateKeyFields(p256));
         return Text(p);
       },
       kInvalid, "differs from the public key's ssh-ed25519"},
      {"public key of another key",
       [ed] {
         Parts p = Unencrypted(ed);
         auto other = testing::OpenSsl().GenerateKey(KeyType::kEd25519, 0);
         p.public_blob = crypto::EncodePublicKeyBlob(other->public_key);
         return Text(p);
       },
       kInvalid, "differs from the file's public key"},
      {"Ed25519 private key of 32 bytes",
       [ed] {
         return Ed25519WithFields([&ed](wire::Writer* w) {
           w->WriteString(absl::string_view("ssh-ed25519"));
           w->WriteString(ByteView(ed.public_key.ed25519));
           w->WriteString(View(ed.ed25519_seed));
         });
       },
       kInvalid, "not 64 bytes"},
      {"Ed25519 embedded public key differs",
       [ed] {
         return Ed25519WithFields([&ed](wire::Writer* w) {
           w->WriteString(absl::string_view("ssh-ed25519"));
           w->WriteString(ByteView(ed.public_key.ed25519));
           Bytes sk(ed.ed25519_seed.begin(), ed.ed25519_seed.end());
           sk.insert(sk.end(), 32, 0x55);
           w->WriteString(ByteView(sk));
         });
       },
       kInvalid, "copy of the public key differs"},
      {"Ed25519 seed of another key",
       [ed] {
         return Ed25519WithFields([&ed](wire::Writer* w) {
           w->WriteString(absl::string_view("ssh-ed25519"));
           w->WriteString(ByteView(ed.public_key.ed25519));
           Bytes sk(32, 0x42);
           sk.insert(sk.end(), ed.public_key.ed25519.begin(),
                     ed.public_key.ed25519.end());
           w->WriteString(ByteView(sk));
         });
       },
       kInvalid, "private key"},
      {"missing comment",
       [ed] {
         Parts p = Unencrypted(ed);
         Bytes s;
         wire::Writer w(&s);
         w.WriteU32(7);
         w.WriteU32(7);
         w.WriteRaw(testing::EncodePrivateKeyFields(ed));
         p.private_section = s;  // ends right after the key
         while (p.private_section.size() % 8 != 0)
           p.private_section.push_back(0);
         return Text(p);
       },
       kInvalid, ""},
      {"NUL in comment",
       [ed] {
         Parts p = Unencrypted(ed);
         p.private_section = PrivateSection(testing::EncodePrivateKeyFields(ed),
                                            9, 9, absl::string_view("a\0b", 3));
         return Text(p);
       },
       kInvalid, "NUL byte in the comment"},
      // ECDSA.
      {"ECDSA scalar of another key",
       [p256] {
         PrivateKey k;
         k.public_key = p256.public_key;
         k.ec_scalar = SecureBuffer(32, 0x11);
         Parts p = Unencrypted(p256);
         p.private_section = PrivateSection(testing::EncodePrivateKeyFields(k));
         return Text(p);
       },
       kInvalid, "private key"},
      {"ECDSA zero scalar",
       [p256] {
         PrivateKey k;
         k.public_key = p256.public_key;
         Parts p = Unencrypted(p256);
         p.private_section = PrivateSection(testing::EncodePrivateKeyFields(k));
         return Text(p);
       },
       kInvalid, "zero or too long"},
      // RSA.
      {"RSA p of another key",
       [rsa] {
         PrivateKey k = rsa;
         k.rsa_p.back() ^= 2;
         Parts p = Unencrypted(rsa);
         p.private_section = PrivateSection(testing::EncodePrivateKeyFields(k));
         return Text(p);
       },
       kInvalid, "do not multiply to the modulus"},
      {"RSA iqmp wrong",
       [rsa] {
         PrivateKey k = rsa;
         k.rsa_qinv.back() ^= 4;
         Parts p = Unencrypted(rsa);
         p.private_section = PrivateSection(testing::EncodePrivateKeyFields(k));
         return Text(p);
       },
       kInvalid, "iqmp is not the inverse"},
      {"RSA d wrong",
       [rsa] {
         PrivateKey k = rsa;
         k.rsa_d.back() ^= 8;
         Parts p = Unencrypted(rsa);
         p.private_section = PrivateSection(testing::EncodePrivateKeyFields(k));
         return Text(p);
       },
       kInvalid, "private key"},
      {"RSA modulus differs",
       [rsa] {
         PrivateKey k = rsa;
         k.public_key.rsa_n.back() ^= 2;
         Parts p = Unencrypted(rsa);
         p.private_section = PrivateSection(testing::EncodePrivateKeyFields(k));
         return Text(p);
       },
       kInvalid, "differs from the file's public key"},
  };
  return cases;
}

TEST(OpenSshKeyTest, MalformedFilesFailCleanly) {
  for (const crypto::CryptoProvider* provider : testing::AllProviders()) {
    for (const BadCase& c : BadCases()) {
      const std::string text = c.text();
      absl::Status s = Parse(text, c.passphrase, *provider);
      EXPECT_EQ(s.code(), c.code)
          << c.name << " (" << provider->name() << "): " << s;
      EXPECT_TRUE(absl::StrContains(s.message(), c.message))
          << c.name << " (" << provider->name() << "): " << s;
    }
  }
}

TEST(OpenSshKeyTest, EncryptedCheckIntegerMismatchIsWrongPassphrase) {
  const PrivateKey& key = Keys::Get(KeyType::kEd25519);
  Parts p = Unencrypted(key);
  p.private_section =
      PrivateSection(testing::EncodePrivateKeyFields(key), 1, 2, kComment, 16);
  EncryptAes256Ctr(&p, "right");
  absl::Status s = Parse(Text(p), "right");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "incorrect passphrase")) << s;
}

TEST(OpenSshKeyTest, RoundsLimitIsConfigurable) {
  const PrivateKey& key = Keys::Get(KeyType::kEd25519);
  Parts p = Unencrypted(key);
  p.private_section =
      PrivateSection(testing::EncodePrivateKeyFields(key), 3, 3, kComment, 16);
  EncryptAes256Ctr(&p, "pw", 3);
  OpenSshKeyOptions options;
  options.max_bcrypt_rounds = 2;
  absl::Status s = ParseOpenSshPrivateKey(Text(p), AsBytes("pw"),
                                          testing::OpenSsl(), options, nullptr)
                       .status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  options.max_bcrypt_rounds = 3;
  EXPECT_TRUE(ParseOpenSshPrivateKey(Text(p), AsBytes("pw"), testing::OpenSsl(),
                                     options, nullptr)
                  .ok());
}

// Every strict prefix of a valid file is a clean kInvalidArgument.
TEST(OpenSshKeyTest, EveryTruncationFails) {
  for (KeyType type : {KeyType::kEd25519, KeyType::kEcdsaP521, KeyType::kRsa}) {
    const Bytes blob = Encode(Unencrypted(Keys::Get(type)));
    for (size_t len = 0; len < blob.size(); ++len) {
      absl::Status s = Parse(testing::Armor(ByteView(blob.data(), len)));
      ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument)
          << crypto::KeyTypeName(type) << " cut to " << len << ": " << s;
    }
  }
}

// Flipping any single bit never yields a different key: either the parse
// fails cleanly or (in the comment) the same key comes back.
TEST(OpenSshKeyTest, BitFlipsNeverYieldAnotherKey) {
  for (KeyType type : {KeyType::kEd25519, KeyType::kEcdsaP256}) {
    const PrivateKey& key = Keys::Get(type);
    const Bytes blob = Encode(Unencrypted(key));
    for (size_t i = 0; i < blob.size(); ++i) {
      for (int bit : {0, 7}) {
        Bytes mutated = blob;
        mutated[i] ^= static_cast<uint8_t>(1 << bit);
        absl::StatusOr<PrivateKey> got = ParseOpenSshPrivateKey(
            testing::Armor(mutated), ByteView(), testing::OpenSsl());
        if (got.ok()) {
          EXPECT_TRUE(got->public_key == key.public_key) << "byte " << i;
          EXPECT_EQ(Hex(got->ed25519_seed), Hex(key.ed25519_seed));
          EXPECT_EQ(Hex(got->ec_scalar), Hex(key.ec_scalar));
        } else {
          EXPECT_NE(got.status().code(), absl::StatusCode::kInternal)
              << "byte " << i << ": " << got.status();
        }
      }
    }
  }
}

// --- Public-key lines
// -----------------------------------------------------------

std::string PubLine(const crypto::PublicKey& key, absl::string_view comment) {
  return absl::StrCat(
      crypto::KeyTypeName(key.type), " ",
      absl::Base64Escape(AsString(crypto::EncodePublicKeyBlob(key))),
      comment.empty() ? "" : " ", comment);
}

TEST(PublicKeyLineTest, ParsesPubFileLines) {
  for (KeyType type :
       {KeyType::kEd25519, KeyType::kEcdsaP256, KeyType::kEcdsaP384,
        KeyType::kEcdsaP521, KeyType::kRsa}) {
    const crypto::PublicKey& pub = Keys::Get(type).public_key;
    for (const std::string& line :
         {PubLine(pub, ""), PubLine(pub, "user@host"),
          PubLine(pub, "a comment with  spaces") + "\r\n",
          "  " + PubLine(pub, "x") + "\t\n"}) {
      absl::StatusOr<crypto::PublicKey> got = ParsePublicKeyLine(line);
      ASSERT_TRUE(got.ok()) << line << ": " << got.status();
      EXPECT_TRUE(*got == pub) << line;
    }
  }
}

TEST(PublicKeyLineTest, SkipsAuthorizedKeysOptions) {
  const crypto::PublicKey& pub = Keys::Get(KeyType::kEd25519).public_key;
  for (const std::string& prefix :
       {std::string("no-pty "), std::string("restrict,pty "),
        std::string("from=\"10.0.0.1,host name\",command=\"echo \\\"hi "
                    "there\\\"\" ")}) {
    absl::StatusOr<crypto::PublicKey> got =
        ParsePublicKeyLine(prefix + PubLine(pub, "c"));
    ASSERT_TRUE(got.ok()) << prefix << ": " << got.status();
    EXPECT_TRUE(*got == pub);
  }
}

TEST(PublicKeyLineTest, RejectsBadLines) {
  const crypto::PublicKey& ed = Keys::Get(KeyType::kEd25519).public_key;
  const crypto::PublicKey& p256 = Keys::Get(KeyType::kEcdsaP256).public_key;
  const std::string ed_b64 =
      absl::Base64Escape(AsString(crypto::EncodePublicKeyBlob(ed)));
  struct {
    std::string line;
    absl::StatusCode code;
  } cases[] = {
      {"", absl::StatusCode::kInvalidArgument},
      {"   \r\n", absl::StatusCode::kInvalidArgument},
      {"# a comment", absl::StatusCode::kInvalidArgument},
      {"ssh-ed25519", absl::StatusCode::kInvalidArgument},
      {"ssh-ed25519 !!!!", absl::StatusCode::kInvalidArgument},
      {"ssh-ed25519 " + ed_b64.substr(0, ed_b64.size() - 4),
       absl::StatusCode::kInvalidArgument},
      // The type name must match the blob.
      {"ecdsa-sha2-nistp256 " + ed_b64, absl::StatusCode::kInvalidArgument},
      {"ssh-ed25519 " +
           absl::Base64Escape(AsString(crypto::EncodePublicKeyBlob(p256))),
       absl::StatusCode::kInvalidArgument},
      {"ssh-dss AAAAB3NzaC1kc3M= c", absl::StatusCode::kUnimplemented},
      {"no-pty ssh-dss AAAAB3NzaC1kc3M= c", absl::StatusCode::kUnimplemented},
      {"from=\"unterminated ssh-ed25519 " + ed_b64,
       absl::StatusCode::kUnimplemented},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ParsePublicKeyLine(c.line).status().code(), c.code)
        << "\"" << c.line << "\": " << ParsePublicKeyLine(c.line).status();
  }
}

}  // namespace
}  // namespace parley::keys
