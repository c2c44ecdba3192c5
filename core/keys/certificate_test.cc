// OpenSSH certificates: parsing what ssh-keygen -s writes, the host checks
// on certificates built here (so that each field can be set), and a table
// of malformed blobs.
#include "core/keys/certificate.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/crypto/ssh_keys.h"
#include "core/keys/test_util.h"
#include "core/wire/writer.h"
#include "gtest/gtest.h"

namespace parley::keys {
namespace {

using crypto::KeyType;

struct Fields {
  uint32_t type = kHostCertificate;
  std::vector<std::string> principals = {"host.example"};
  uint64_t valid_after = 1000, valid_before = 2000;
  std::vector<std::pair<std::string, std::string>> critical;
};

// A certificate for `key` signed by `ca` (PROTOCOL.certkeys layout).
Bytes Build(const crypto::CryptoProvider& p, const crypto::PublicKey& key,
            const crypto::PrivateKey& ca, const Fields& f) {
  Bytes blob;
  wire::Writer w(&blob);
  w.WriteString(
      absl::StrCat(crypto::KeyTypeName(key.type), "-cert-v01@openssh.com"));
  w.WriteString(Bytes(32, 7));  // nonce
  w.WriteString(ByteView(key.ed25519));
  w.WriteU64(42);  // serial
  w.WriteU32(f.type);
  w.WriteString(absl::string_view("key id"));
  Bytes principals;
  wire::Writer pw(&principals);
  for (const std::string& s : f.principals) pw.WriteString(s);
  w.WriteString(principals);
  w.WriteU64(f.valid_after);
  w.WriteU64(f.valid_before);
  Bytes critical;
  wire::Writer cw(&critical);
  for (const auto& [name, data] : f.critical) {
    cw.WriteString(name);
    cw.WriteString(data);
  }
  w.WriteString(critical);
  w.WriteString(Bytes());  // extensions
  w.WriteString(Bytes());  // reserved
  w.WriteString(crypto::EncodePublicKeyBlob(ca.public_key));
  auto sig = crypto::SignSsh(p, ca, crypto::SignatureAlgorithm::kEd25519, blob);
  EXPECT_TRUE(sig.ok());
  w.WriteString(*sig);
  return blob;
}

class CertificateTest : public ::testing::Test {
 protected:
  const crypto::CryptoProvider& p_ = testing::OpenSsl();
  crypto::PrivateKey host_ = *p_.GenerateKey(KeyType::kEd25519, 0);
  crypto::PrivateKey ca_ = *p_.GenerateKey(KeyType::kEd25519, 0);
  crypto::PrivateKey other_ca_ = *p_.GenerateKey(KeyType::kEd25519, 0);
  Bytes ca_blob_ = crypto::EncodePublicKeyBlob(ca_.public_key);

  absl::Status Check(const Fields& f, absl::string_view host = "host.example",
                     uint64_t now = 1500) {
    auto cert = ParseCertificate(Build(p_, host_.public_key, ca_, f));
    EXPECT_TRUE(cert.ok()) << cert.status();
    if (!cert.ok()) return cert.status();
    EXPECT_TRUE(cert->key == host_.public_key);
    return CheckHostCertificate(p_, *cert, ca_blob_, host, now);
  }
};

TEST_F(CertificateTest, HostChecks) {
  EXPECT_TRUE(Check(Fields()).ok());
  EXPECT_TRUE(Check(Fields(), "HOST.example").ok());  // case-insensitive
  Fields user;
  user.type = kUserCertificate;
  EXPECT_TRUE(absl::IsPermissionDenied(Check(user)));
  EXPECT_TRUE(absl::IsPermissionDenied(Check(Fields(), "other.example")));
  EXPECT_TRUE(absl::IsPermissionDenied(Check(Fields(), "host.example", 999)));
  EXPECT_TRUE(absl::IsPermissionDenied(Check(Fields(), "host.example", 2000)));
  Fields nobody;
  nobody.principals.clear();
  EXPECT_TRUE(absl::IsPermissionDenied(Check(nobody)));
  Fields critical;
  critical.critical = {{"force-command", "x"}};
  absl::Status s = Check(critical);
  EXPECT_TRUE(absl::IsPermissionDenied(s));
  EXPECT_NE(s.message().find("force-command"), std::string::npos);
  // Another CA's certificate, and a forged signature.
  auto cert =
      ParseCertificate(Build(p_, host_.public_key, other_ca_, Fields()));
  ASSERT_TRUE(cert.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(
      CheckHostCertificate(p_, *cert, ca_blob_, "host.example", 1500)));
  Bytes forged = Build(p_, host_.public_key, ca_, Fields());
  forged[forged.size() - 1] ^= 1;
  cert = ParseCertificate(forged);
  ASSERT_TRUE(cert.ok());
  s = CheckHostCertificate(p_, *cert, ca_blob_, "host.example", 1500);
  EXPECT_NE(s.message().find("bad signature"), std::string::npos) << s;
}

TEST_F(CertificateTest, MalformedBlobsAreRefused) {
  const Bytes good = Build(p_, host_.public_key, ca_, Fields());
  ASSERT_TRUE(ParseCertificate(good).ok());
  // Every truncation fails; so do trailing bytes.
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(ParseCertificate(ByteView(good).first(n)).ok()) << n;
  }
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_FALSE(ParseCertificate(longer).ok());
  // A plain key blob is no certificate; out-of-order options are refused.
  EXPECT_FALSE(
      ParseCertificate(crypto::EncodePublicKeyBlob(host_.public_key)).ok());
  Fields unordered;
  unordered.critical = {{"b", ""}, {"a", ""}};
  EXPECT_FALSE(
      ParseCertificate(Build(p_, host_.public_key, ca_, unordered)).ok());
  Fields bad_type;
  bad_type.type = 3;
  EXPECT_FALSE(
      ParseCertificate(Build(p_, host_.public_key, ca_, bad_type)).ok());
  EXPECT_FALSE(ParseCertificateLine("ssh-ed25519-cert-v01@openssh.com").ok());
  EXPECT_FALSE(
      ParseCertificateLine("ssh-ed25519-cert-v01@openssh.com !!!").ok());
}

// What ssh-keygen -s writes parses with its fields.
TEST(CertificateKeygenTest, ParsesSshKeygenCertificates) {
  if (::access("/usr/bin/ssh-keygen", X_OK) != 0) {
    GTEST_SKIP() << "ssh-keygen is not available";
  }
  const std::string dir = testing::NewTempDir();
  const std::string q = testing::ShellQuote(dir);
  ASSERT_EQ(testing::RunShell(
                "cd " + q +
                " && ssh-keygen -q -t ed25519 -N '' -C '' -f ca && ssh-keygen "
                "-q -t rsa -b 2048 -N '' -C '' -f k && ssh-keygen -q -s ca -I "
                "the-id -z 7 -n alice,bob -V 20300101:20300102 -O "
                "force-command=true k.pub </dev/null >/dev/null 2>&1"),
            0);
  auto cert = ParseCertificateLine(testing::ReadFileOrDie(dir + "/k-cert.pub"));
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(cert->type_name, "ssh-rsa-cert-v01@openssh.com");
  EXPECT_EQ(cert->key.type, KeyType::kRsa);
  EXPECT_EQ(cert->type, kUserCertificate);
  EXPECT_EQ(cert->serial, 7u);
  EXPECT_EQ(cert->key_id, "the-id");
  EXPECT_EQ(cert->principals, (std::vector<std::string>{"alice", "bob"}));
  ASSERT_EQ(cert->critical_options.size(), 1u);
  EXPECT_EQ(cert->critical_options[0].first, "force-command");
  EXPECT_FALSE(cert->extensions.empty());
  EXPECT_LT(cert->valid_after, cert->valid_before);
}

}  // namespace
}  // namespace parley::keys
