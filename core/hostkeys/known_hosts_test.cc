#include "core/hostkeys/known_hosts.h"

#include <sys/stat.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/ssh_keys.h"
#include "core/hostkeys/test_util.h"
#include "gtest/gtest.h"

namespace parley::hostkeys {
namespace {

using testing::Base64;
using testing::EcdsaP256Blob;
using testing::Ed25519Blob;
using testing::Line;
using testing::Provider;

// HMAC-SHA1 with salt 00 01 .. 13, computed independently (Python hmac).
constexpr absl::string_view kSaltB64 = "AAECAwQFBgcICQoLDA0ODxAREhM=";
constexpr absl::string_view kHashedExampleCom =
    "|1|AAECAwQFBgcICQoLDA0ODxAREhM=|nnUK16ANsXd3hL31YfAkGOluSjU=";
constexpr absl::string_view kHashedExampleCom2222 =
    "|1|AAECAwQFBgcICQoLDA0ODxAREhM=|Wgcx+Fm+LmaWwC7rQ80eIf2uHe0=";

Bytes KnownSalt() {
  Bytes salt(20);
  for (size_t i = 0; i < salt.size(); ++i) salt[i] = static_cast<uint8_t>(i);
  return salt;
}

KnownHostsFile ParseOrDie(absl::string_view text) {
  absl::StatusOr<KnownHostsFile> file = ParseKnownHosts(text, "kh");
  EXPECT_TRUE(file.ok()) << file.status();
  return file.ok() ? *std::move(file) : KnownHostsFile{};
}

HostKeyResult Check(const KnownHostsFile& file, absl::string_view host,
                    uint16_t port, const Bytes& blob) {
  absl::StatusOr<HostKeyCheck> check =
      CheckHostKey(file, Provider(), host, port, blob);
  EXPECT_TRUE(check.ok()) << check.status();
  return check.ok() ? check->result : HostKeyResult::kUnknown;
}

// One line in, one entry, one bad line, or nothing out.
TEST(ParseKnownHostsTest, LineTable) {
  const Bytes ed = Ed25519Blob(1);
  const Bytes ec = EcdsaP256Blob(2);
  const std::string ed64 = Base64(ed);
  Bytes trailing = ed;
  trailing.push_back(0);
  enum Want { kEntry, kBad, kUnsupported, kNothing };
  const struct {
    const char* name;
    std::string line;
    Want want;
    const char* reason;  // substring of the bad-line reason
  } kCases[] = {
      // Accepted.
      {"plain", Line("example.com", ed), kEntry, ""},
      {"comma list", Line("a.example,b.example,192.0.2.1", ed), kEntry, ""},
      {"port", Line("[example.com]:2222", ed), kEntry, ""},
      {"ipv6 port", Line("[2001:db8::1]:2222", ed), kEntry, ""},
      {"hashed", Line(kHashedExampleCom, ed), kEntry, ""},
      {"wildcards", Line("*.example.com,host?", ed), kEntry, ""},
      {"negation", Line("*.example.com,!bad.example.com", ed), kEntry, ""},
      {"only negated", Line("!bad.example.com", ed), kEntry, ""},
      {"empty list items", Line(",a.example,,", ed), kEntry, ""},
      {"revoked", "@revoked " + Line("*", ed), kEntry, ""},
      {"cert authority", "@cert-authority " + Line("*.example.com", ec), kEntry,
       ""},
      {"comment", Line("example.com", ed) + " root@example  # x", kEntry, ""},
      {"tabs and indent", "\t " + Line("example.com", ed) + "\t", kEntry, ""},
      {"crlf", Line("example.com", ed) + "\r", kEntry, ""},
      {"ecdsa", Line("example.com", ec), kEntry, ""},
      {"max length",
       Line("example.com", ed) + " " +
           std::string(
               kMaxKnownHostsLineLength - Line("example.com", ed).size() - 1,
               'c'),
       kEntry, ""},
      // Skipped silently.
      {"blank", "", kNothing, ""},
      {"spaces", "  \t ", kNothing, ""},
      {"cr only", "\r", kNothing, ""},
      {"comment line", "# " + Line("example.com", ed), kNothing, ""},
      {"indented comment", "   #x", kNothing, ""},
      // Recorded as bad.
      {"bad base64 char", "example.com ssh-ed25519 AAAA*AAA", kBad, "base64"},
      {"base64 unpadded", "example.com ssh-ed25519 " + ed64.substr(0, 67), kBad,
       "base64"},
      {"base64 non-canonical", "example.com ssh-ed25519 AB==", kBad, "base64"},
      {"base64 data after pad", "example.com ssh-ed25519 AA=A", kBad, "base64"},
      {"base64 pad in middle", "example.com ssh-ed25519 AA==AAAA", kBad,
       "base64"},
      {"not a key", "example.com ssh-ed25519 AAAAAAAA", kBad, "not a valid"},
      {"trailing blob bytes", "example.com ssh-ed25519 " + Base64(trailing),
       kBad, "not a valid"},
      {"unknown key type", "example.com ssh-foo " + ed64, kUnsupported,
       "unsupported key type"},
      {"ssh-dss", "example.com ssh-dss " + ed64, kUnsupported,
       "unsupported key type"},
      {"rsa1 style", "example.com 1024 35 1234567", kUnsupported,
       "unsupported key type"},
      {"type mismatch", "example.com ecdsa-sha2-nistp256 " + ed64, kBad,
       "does not match"},
      {"missing key type", "example.com", kBad, "missing key type"},
      {"missing key", "example.com ssh-ed25519", kBad, "missing key data"},
      {"missing key crlf", "example.com ssh-ed25519 \r", kBad,
       "missing key data"},
      {"marker only", "@revoked", kBad, "missing host patterns"},
      {"marker no key", "@revoked *", kBad, "missing key type"},
      {"unknown marker", "@trusted " + Line("*", ed), kBad, "unknown marker"},
      {"no patterns", Line(",!,", ed), kBad, "no host patterns"},
      {"nul byte", Line("example.com", ed) + std::string(1, '\0'), kBad, "NUL"},
      {"over-long line",
       Line("example.com", ed) + " " +
           std::string(kMaxKnownHostsLineLength, 'c'),
       kBad, "longer than"},
      {"hash version", Line("|2|" + std::string(kSaltB64) + "|AAAA", ed), kBad,
       "unsupported hashed"},
      {"hash no bar", Line("|1|" + std::string(kSaltB64), ed), kBad, "'|'"},
      {"hash bad base64", Line("|1|" + std::string(kSaltB64) + "|A*==", ed),
       kBad, "base64"},
      {"hash short salt", Line("|1|AAAA|" + std::string(kSaltB64), ed), kBad,
       "20 bytes"},
      {"hash comma list",
       Line(std::string(kHashedExampleCom) + ",other.example", ed), kBad,
       "base64"},
      {"lone bar", Line("|", ed), kBad, "unsupported hashed"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    KnownHostsFile file = ParseOrDie(c.line);
    switch (c.want) {
      case kEntry:
        EXPECT_EQ(file.entries.size(), 1u);
        EXPECT_TRUE(file.bad_lines.empty())
            << (file.bad_lines.empty() ? "" : file.bad_lines[0].reason);
        break;
      case kNothing:
        EXPECT_TRUE(file.entries.empty());
        EXPECT_TRUE(file.bad_lines.empty());
        break;
      case kBad:
      case kUnsupported:
        EXPECT_TRUE(file.entries.empty());
        ASSERT_EQ(file.bad_lines.size(), 1u);
        EXPECT_EQ(file.bad_lines[0].line_number, 1u);
        EXPECT_TRUE(absl::StrContains(file.bad_lines[0].reason, c.reason))
            << file.bad_lines[0].reason;
        EXPECT_EQ(file.bad_lines[0].unsupported_key_type,
                  c.want == kUnsupported);
        break;
    }
  }
}

TEST(ParseKnownHostsTest, EntryFields) {
  const Bytes ed = Ed25519Blob(1);
  const Bytes ec = EcdsaP256Blob(2);
  const std::string text = absl::StrCat(
      "# known hosts\r\n",                                         // 1
      Line("A.example,!b.example,[c.example]:22022", ed), "\r\n",  // 2
      "\n",                                                        // 3
      "@revoked ", Line("*", ec), "  the  comment \n",             // 4
      "broken line\n",                                             // 5
      "@cert-authority ", Line(kHashedExampleCom, ed));            // 6
  KnownHostsFile file = ParseOrDie(text);
  EXPECT_EQ(file.path, "kh");
  ASSERT_EQ(file.entries.size(), 3u);
  ASSERT_EQ(file.bad_lines.size(), 1u);
  EXPECT_EQ(file.bad_lines[0].line_number, 5u);

  const KnownHostsEntry& e1 = file.entries[0];
  EXPECT_EQ(e1.line_number, 2u);
  EXPECT_EQ(e1.marker, KnownHostsMarker::kNone);
  EXPECT_EQ(e1.patterns,
            (std::vector<HostPattern>{{"A.example", false},
                                      {"b.example", true},
                                      {"[c.example]:22022", false}}));
  EXPECT_FALSE(e1.hashed.has_value());
  EXPECT_EQ(e1.key_type, "ssh-ed25519");
  EXPECT_EQ(e1.key_blob, ed);
  EXPECT_EQ(e1.key.type, crypto::KeyType::kEd25519);
  EXPECT_EQ(e1.comment, "");

  const KnownHostsEntry& e2 = file.entries[1];
  EXPECT_EQ(e2.line_number, 4u);
  EXPECT_EQ(e2.marker, KnownHostsMarker::kRevoked);
  EXPECT_EQ(e2.key_type, "ecdsa-sha2-nistp256");
  EXPECT_EQ(e2.comment, "the  comment");

  const KnownHostsEntry& e3 = file.entries[2];
  EXPECT_EQ(e3.line_number, 6u);
  EXPECT_EQ(e3.marker, KnownHostsMarker::kCertAuthority);
  ASSERT_TRUE(e3.hashed.has_value());
  EXPECT_EQ(e3.hashed->salt, KnownSalt());
  EXPECT_TRUE(e3.patterns.empty());
}

TEST(ParseKnownHostsTest, LineNumbersAndLastLineWithoutNewline) {
  const Bytes ed = Ed25519Blob(1);
  KnownHostsFile file =
      ParseOrDie(absl::StrCat("\n\nx\n", Line("h", ed), "\n\ny\n", "z"));
  ASSERT_EQ(file.entries.size(), 1u);
  EXPECT_EQ(file.entries[0].line_number, 4u);
  ASSERT_EQ(file.bad_lines.size(), 3u);
  EXPECT_EQ(file.bad_lines[0].line_number, 3u);
  EXPECT_EQ(file.bad_lines[1].line_number, 6u);
  EXPECT_EQ(file.bad_lines[2].line_number, 7u);
}

TEST(ParseKnownHostsTest, OverLongLineDoesNotSwallowTheNext) {
  const Bytes ed = Ed25519Blob(1);
  KnownHostsFile file = ParseOrDie(absl::StrCat(std::string(100000, 'x'), "\n",
                                                Line("example.com", ed), "\n"));
  ASSERT_EQ(file.bad_lines.size(), 1u);
  EXPECT_EQ(file.bad_lines[0].line_number, 1u);
  ASSERT_EQ(file.entries.size(), 1u);
  EXPECT_EQ(file.entries[0].line_number, 2u);
}

TEST(ParseKnownHostsTest, Limits) {
  std::string many(kMaxKnownHostsLines, '\n');
  EXPECT_TRUE(ParseKnownHosts(many, "kh").ok());
  many.push_back('x');
  EXPECT_EQ(ParseKnownHosts(many, "kh").status().code(),
            absl::StatusCode::kResourceExhausted);
  std::string huge(kMaxKnownHostsFileSize + 1, '#');
  EXPECT_EQ(ParseKnownHosts(huge, "kh").status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(WildcardMatchTest, Table) {
  const struct {
    const char* pattern;
    const char* name;
    bool match;
  } kCases[] = {
      {"example.com", "example.com", true},
      {"EXAMPLE.com", "example.COM", true},
      {"example.com", "example.co", false},
      {"example.co", "example.com", false},
      {"*", "anything", true},
      {"*", "", true},
      {"", "", true},
      {"", "a", false},
      {"*.example.com", "www.example.com", true},
      {"*.example.com", "a.b.example.com", true},
      {"*.example.com", "example.com", false},
      {"host?", "host1", true},
      {"host?", "host", false},
      {"host?", "host12", false},
      {"h*t*s*t", "hostsxt", true},
      {"a*b*c", "aXbYc", true},
      {"a*b*c", "aXbY", false},
      {"192.0.2.*", "192.0.2.17", true},
      {"[*.example]:2222", "[a.example]:2222", true},
      {"[*.example]:2222", "[a.example]:22", false},
      {"**", "x", true},
      {"a*", "a", true},
      {"*a", "ba", true},
      {"*a", "ab", false},
      {"a*a", "a", false},
      {"a*a", "aa", true},
      {"*ab*ab*", "abab", true},
      {"*ab*ab*", "aba", false},
      {"*?*", "", false},
      {"*?*", "x", true},
      {"a?*?b", "axyb", true},
      {"a?*?b", "axb", false},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(WildcardMatch(c.pattern, c.name), c.match)
        << c.pattern << " vs " << c.name;
  }
  // Pathological backtracking stays fast.
  EXPECT_FALSE(
      WildcardMatch(std::string(200, '*') + "b" + std::string(200, '*') + "c",
                    std::string(1000, 'a')));
}

// A plain backtracking matcher, exponential but obviously right, as the
// reference for the linear one on every short pattern and name.
bool ReferenceMatch(absl::string_view p, absl::string_view n) {
  if (p.empty()) return n.empty();
  if (p[0] == '*') {
    for (size_t i = 0; i <= n.size(); ++i) {
      if (ReferenceMatch(p.substr(1), n.substr(i))) return true;
    }
    return false;
  }
  return !n.empty() &&
         (p[0] == '?' ||
          absl::ascii_tolower(p[0]) == absl::ascii_tolower(n[0])) &&
         ReferenceMatch(p.substr(1), n.substr(1));
}

TEST(WildcardMatchTest, AgreesWithABacktrackingReference) {
  // Every pattern over {a, b, ?, *} up to 5 characters against every name
  // over {a, b, A} up to 5 characters.
  auto all = [](absl::string_view alphabet, size_t max_len) {
    std::vector<std::string> out = {""};
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i].size() == max_len) continue;
      for (char c : alphabet) out.push_back(out[i] + c);
    }
    return out;
  };
  const std::vector<std::string> patterns = all("ab?*", 5);
  const std::vector<std::string> names = all("abA", 5);
  for (const std::string& p : patterns) {
    for (const std::string& n : names) {
      ASSERT_EQ(WildcardMatch(p, n), ReferenceMatch(p, n))
          << "'" << p << "' vs '" << n << "'";
    }
  }
}

TEST(MatchesHostPatternsTest, Negation) {
  const std::vector<HostPattern> patterns = {
      {"*.example.com", false}, {"bad.example.com", true}, {"10.0.0.?", false}};
  EXPECT_TRUE(MatchesHostPatterns(patterns, "good.example.com"));
  EXPECT_FALSE(MatchesHostPatterns(patterns, "bad.example.com"));
  EXPECT_FALSE(MatchesHostPatterns(patterns, "BAD.example.com"));
  EXPECT_TRUE(MatchesHostPatterns(patterns, "10.0.0.1"));
  EXPECT_FALSE(MatchesHostPatterns(patterns, "other.org"));
  EXPECT_FALSE(MatchesHostPatterns({{"bad.example.com", true}}, "x.org"));
  EXPECT_FALSE(MatchesHostPatterns({}, "x.org"));
}

TEST(HashHostNameTest, KnownAnswers) {
  absl::StatusOr<std::string> h =
      HashHostName(Provider(), "example.com", KnownSalt());
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(*h, kHashedExampleCom);
  h = HashHostName(Provider(), "[example.com]:2222", KnownSalt());
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(*h, kHashedExampleCom2222);
  EXPECT_EQ(HashHostName(Provider(), "x", Bytes(19)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CheckHostKeyTest, KnownUnknownChanged) {
  const Bytes key = Ed25519Blob(1);
  const Bytes other = Ed25519Blob(9);
  const Bytes ec = EcdsaP256Blob(2);
  KnownHostsFile file =
      ParseOrDie(absl::StrCat(Line("example.com,192.0.2.1", key), "\n",  // 1
                              Line("[example.com]:2222", other), "\n",   // 2
                              Line("ec-only.example", ec), "\n"));       // 3

  EXPECT_EQ(Check(file, "example.com", 22, key), HostKeyResult::kKnown);
  EXPECT_EQ(Check(file, "Example.COM", 22, key), HostKeyResult::kKnown);
  EXPECT_EQ(Check(file, "192.0.2.1", 22, key), HostKeyResult::kKnown);
  EXPECT_EQ(Check(file, "example.com", 22, other), HostKeyResult::kChanged);
  EXPECT_EQ(Check(file, "example.com", 2222, other), HostKeyResult::kKnown);
  EXPECT_EQ(Check(file, "example.com", 2222, key), HostKeyResult::kChanged);
  EXPECT_EQ(Check(file, "example.com", 2200, key), HostKeyResult::kUnknown);
  EXPECT_EQ(Check(file, "example.org", 22, key), HostKeyResult::kUnknown);
  EXPECT_EQ(Check(file, "ec-only.example", 22, ec), HostKeyResult::kKnown);

  absl::StatusOr<HostKeyCheck> check =
      CheckHostKey(file, Provider(), "example.com", 22, other);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(check->host_port, "example.com");
  EXPECT_EQ(check->key_type, "ssh-ed25519");
  ASSERT_EQ(check->lines.size(), 1u);
  EXPECT_EQ(check->lines[0].Location(), "kh:1");
  EXPECT_EQ(check->lines[0].key_type, "ssh-ed25519");

  // Only another key type is known: unknown, with the other type reported.
  check = CheckHostKey(file, Provider(), "ec-only.example", 22, key);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(check->result, HostKeyResult::kUnknown);
  EXPECT_TRUE(check->lines.empty());
  ASSERT_EQ(check->other_types.size(), 1u);
  EXPECT_EQ(check->other_types[0].Location(), "kh:3");
  EXPECT_EQ(check->other_types[0].key_type, "ecdsa-sha2-nistp256");

  check = CheckHostKey(file, Provider(), "EXAMPLE.com", 2222, other);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->host_port, "[example.com]:2222");
  EXPECT_EQ(check->lines[0].Location(), "kh:2");
}

TEST(CheckHostKeyTest, SameTypeDifferentCurveIsAnotherType) {
  const Bytes p256 = EcdsaP256Blob(2);
  Bytes p384;  // a syntactically valid nistp384 blob
  {
    absl::StatusOr<crypto::PrivateKey> k =
        Provider().GenerateKey(crypto::KeyType::kEcdsaP384, 0);
    ASSERT_TRUE(k.ok()) << k.status();
    p384 = crypto::EncodePublicKeyBlob(k->public_key);
  }
  KnownHostsFile file = ParseOrDie(Line("h.example", p384));
  absl::StatusOr<HostKeyCheck> check =
      CheckHostKey(file, Provider(), "h.example", 22, p256);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->result, HostKeyResult::kUnknown);
  EXPECT_EQ(check->other_types.size(), 1u);
}

TEST(CheckHostKeyTest, AnyMatchingLineWins) {
  const Bytes a = Ed25519Blob(1);
  const Bytes b = Ed25519Blob(2);
  // A wildcard line with another key does not make the host "changed" when
  // a specific line carries the presented key.
  KnownHostsFile file = ParseOrDie(
      absl::StrCat(Line("*.example", a), "\n", Line("h.example", b), "\n"));
  EXPECT_EQ(Check(file, "h.example", 22, b), HostKeyResult::kKnown);
  EXPECT_EQ(Check(file, "h.example", 22, a), HostKeyResult::kKnown);
  EXPECT_EQ(Check(file, "g.example", 22, b), HostKeyResult::kChanged);
}

TEST(CheckHostKeyTest, WildcardsAndNegation) {
  const Bytes key = Ed25519Blob(1);
  KnownHostsFile file = ParseOrDie(
      Line("*.example.com,!evil.example.com,[*.example.com]:2222", key));
  EXPECT_EQ(Check(file, "www.example.com", 22, key), HostKeyResult::kKnown);
  EXPECT_EQ(Check(file, "www.example.com", 2222, key), HostKeyResult::kKnown);
  EXPECT_EQ(Check(file, "www.example.com", 2200, key), HostKeyResult::kUnknown);
  EXPECT_EQ(Check(file, "evil.example.com", 22, key), HostKeyResult::kUnknown);
  EXPECT_EQ(Check(file, "EVIL.example.com", 22, key), HostKeyResult::kUnknown);
}

TEST(CheckHostKeyTest, RevokedForEveryHostAndFirst) {
  const Bytes key = Ed25519Blob(1);
  const Bytes other = Ed25519Blob(2);
  KnownHostsFile file = ParseOrDie(
      absl::StrCat(Line("example.com", key), "\n",                       // 1
                   "@revoked ", Line("unrelated.example", key), "\n"));  // 2
  absl::StatusOr<HostKeyCheck> check =
      CheckHostKey(file, Provider(), "example.com", 22, key);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->result, HostKeyResult::kRevoked);
  ASSERT_EQ(check->lines.size(), 1u);
  EXPECT_EQ(check->lines[0].Location(), "kh:2");
  EXPECT_EQ(Check(file, "anything.example", 2222, key),
            HostKeyResult::kRevoked);
  EXPECT_EQ(Check(file, "example.com", 22, other), HostKeyResult::kChanged);
}

TEST(CheckHostKeyTest, CertAuthorityNeverMatchesAsHostKey) {
  const Bytes key = Ed25519Blob(1);
  const Bytes other = Ed25519Blob(2);
  KnownHostsFile file =
      ParseOrDie("@cert-authority " + Line("*.example.com", key));
  ASSERT_EQ(file.entries.size(), 1u);
  EXPECT_EQ(Check(file, "h.example.com", 22, key), HostKeyResult::kUnknown);
  EXPECT_EQ(Check(file, "h.example.com", 22, other), HostKeyResult::kUnknown);
}

TEST(CheckHostKeyTest, HashedEntries) {
  const Bytes key = Ed25519Blob(1);
  const Bytes other = Ed25519Blob(2);
  KnownHostsFile file = ParseOrDie(absl::StrCat(
      Line(kHashedExampleCom, key), "\n", Line(kHashedExampleCom2222, other)));
  EXPECT_EQ(Check(file, "example.com", 22, key), HostKeyResult::kKnown);
  EXPECT_EQ(Check(file, "EXAMPLE.COM", 22, key), HostKeyResult::kKnown);
  EXPECT_EQ(Check(file, "example.com", 22, other), HostKeyResult::kChanged);
  EXPECT_EQ(Check(file, "example.com", 2222, other), HostKeyResult::kKnown);
  EXPECT_EQ(Check(file, "example.org", 22, key), HostKeyResult::kUnknown);
}

TEST(CheckHostKeyTest, SeveralFiles) {
  const Bytes key = Ed25519Blob(1);
  const Bytes old_key = Ed25519Blob(2);
  std::vector<KnownHostsFile> files;
  files.push_back(*ParseKnownHosts(Line("h.example", old_key), "user"));
  files.push_back(*ParseKnownHosts(Line("h.example", key), "global"));
  absl::StatusOr<HostKeyCheck> check =
      CheckHostKey(files, Provider(), "h.example", 22, key);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->result, HostKeyResult::kKnown);
  EXPECT_EQ(check->lines[0].Location(), "global:1");

  files.push_back(*ParseKnownHosts("@revoked " + Line("*", key), "revoked"));
  check = CheckHostKey(files, Provider(), "h.example", 22, key);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->result, HostKeyResult::kRevoked);
  EXPECT_EQ(check->lines[0].Location(), "revoked:1");
}

TEST(CheckHostKeyTest, InvalidArguments) {
  KnownHostsFile file;
  const Bytes key = Ed25519Blob(1);
  for (absl::string_view host :
       {"", "a b", "a,b", "a*", "[a]", "#a", "|1|x", "a\n", "@a"}) {
    EXPECT_EQ(CheckHostKey(file, Provider(), host, 22, key).status().code(),
              absl::StatusCode::kInvalidArgument)
        << host;
  }
  EXPECT_EQ(CheckHostKey(file, Provider(), std::string(1025, 'a'), 22, key)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckHostKey(file, Provider(), "h", 0, key).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      CheckHostKey(file, Provider(), "h", 22, Bytes{1, 2, 3}).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(FormatKnownHostsLineTest, PlainAndPort) {
  const Bytes key = Ed25519Blob(1);
  absl::StatusOr<std::string> line =
      FormatKnownHostsLine("Example.COM", 22, key, false, Provider());
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line, "example.com ssh-ed25519 " + Base64(key));
  line = FormatKnownHostsLine("2001:db8::1", 2222, key, false, Provider());
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line, "[2001:db8::1]:2222 ssh-ed25519 " + Base64(key));

  EXPECT_FALSE(FormatKnownHostsLine("a b", 22, key, false, Provider()).ok());
  EXPECT_FALSE(FormatKnownHostsLine("h", 0, key, false, Provider()).ok());
  EXPECT_FALSE(FormatKnownHostsLine("h", 22, Bytes{0}, false, Provider()).ok());
}

TEST(FormatKnownHostsLineTest, HashedRoundTrip) {
  const Bytes key = EcdsaP256Blob(3);
  for (uint16_t port : {22, 2222}) {
    absl::StatusOr<std::string> line =
        FormatKnownHostsLine("Host.Example", port, key, true, Provider());
    ASSERT_TRUE(line.ok()) << line.status();
    EXPECT_TRUE(absl::StartsWith(*line, "|1|")) << *line;
    EXPECT_FALSE(absl::StrContains(*line, "host.example"));
    absl::StatusOr<std::string> again =
        FormatKnownHostsLine("host.example", port, key, true, Provider());
    ASSERT_TRUE(again.ok());
    EXPECT_NE(*line, *again);  // fresh salt each time

    KnownHostsFile file = ParseOrDie(*line);
    ASSERT_EQ(file.entries.size(), 1u);
    ASSERT_TRUE(file.entries[0].hashed.has_value());
    EXPECT_EQ(Check(file, "host.example", port, key), HostKeyResult::kKnown);
    EXPECT_EQ(Check(file, "host.example", port == 22 ? 2222 : 22, key),
              HostKeyResult::kUnknown);
  }
}

TEST(KnownHostsFileTest, AppendAndLoad) {
  const std::string dir = testing::NewTempDir();
  const std::string path = dir + "/known_hosts";
  absl::StatusOr<KnownHostsFile> loaded = LoadKnownHosts(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->path, path);
  EXPECT_TRUE(loaded->entries.empty());

  const Bytes key = Ed25519Blob(1);
  ASSERT_TRUE(AppendKnownHostsLine(path, Line("a.example", key)).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(testing::ReadFileOrDie(path), Line("a.example", key) + "\n");

  // A file without a final newline gets one before the new line.
  testing::WriteFileOrDie(path, "# no newline");
  ASSERT_TRUE(AppendKnownHostsLine(path, Line("b.example", key)).ok());
  EXPECT_EQ(testing::ReadFileOrDie(path),
            "# no newline\n" + Line("b.example", key) + "\n");
  loaded = LoadKnownHosts(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->entries.size(), 1u);
  EXPECT_EQ(loaded->entries[0].line_number, 2u);

  for (absl::string_view bad :
       {absl::string_view(""), absl::string_view("a\nb"),
        absl::string_view("a\r"), absl::string_view("a\0b", 3)}) {
    EXPECT_EQ(AppendKnownHostsLine(path, bad).code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(AppendKnownHostsLine(dir + "/missing/known_hosts", "x").ok());
}

TEST(KnownHostsFileTest, UnreadableIsAnError) {
  const std::string dir = testing::NewTempDir();
  EXPECT_FALSE(LoadKnownHosts(dir).ok());  // a directory
  testing::WriteFileOrDie(dir + "/file", "");
  EXPECT_FALSE(LoadKnownHosts(dir + "/file/x").ok());
  EXPECT_TRUE(LoadKnownHosts("/dev/null").ok());
}

// A cheap stand-in for the fuzz target: random edits of valid lines must
// never crash, and every result must be self-consistent.
TEST(ParseKnownHostsTest, SurvivesRandomEdits) {
  const Bytes ed = Ed25519Blob(1);
  const Bytes ec = EcdsaP256Blob(2);
  const std::vector<std::string> seeds = {
      Line("example.com,[h]:2222,!x", ed),
      "@revoked " + Line("*", ec),
      "@cert-authority " + Line("*.example", ed) + " c",
      Line(kHashedExampleCom, ec),
      "# comment",
  };
  const std::string alphabet("|,!*?[]:@# \t\r\n=+/Aa0\0", 21);
  std::mt19937 rng(12345);
  for (int iter = 0; iter < 10000; ++iter) {
    std::string text;
    const int lines = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < lines; ++i) {
      text += seeds[rng() % seeds.size()];
      text += '\n';
    }
    const int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const size_t pos = rng() % text.size();
      switch (rng() % 4) {
        case 0:
          text[pos] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          text.erase(pos, 1 + rng() % 8);
          break;
        case 2:
          text.insert(pos, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 3:
          text[pos] = static_cast<char>(rng());
          break;
      }
    }
    absl::StatusOr<KnownHostsFile> file = ParseKnownHosts(text, "fuzz");
    ASSERT_TRUE(file.ok());
    for (const KnownHostsEntry& e : file->entries) {
      EXPECT_GE(e.line_number, 1u);
      EXPECT_EQ(e.patterns.empty(), e.hashed.has_value());
      EXPECT_EQ(crypto::KeyTypeName(e.key.type), e.key_type);
    }
    // Lookups on whatever survived must work too.
    absl::StatusOr<HostKeyCheck> check =
        CheckHostKey(*file, Provider(), "example.com", 22, ed);
    ASSERT_TRUE(check.ok()) << check.status();
    // Parsing is a pure function of the bytes.
    absl::StatusOr<KnownHostsFile> again = ParseKnownHosts(text, "fuzz");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->entries.size(), file->entries.size());
    EXPECT_EQ(again->bad_lines.size(), file->bad_lines.size());
  }
}

}  // namespace
}  // namespace parley::hostkeys
