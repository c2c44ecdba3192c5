// libssh2_knownhost_*: known_hosts collections on core/hostkeys' parser.
//
// One entry per known_hosts line (libssh2 splits "a,b keytype key" into
// one entry per name; Parley keeps the line whole so that negated patterns
// keep their meaning, and `name` is the host field as written). Host
// patterns with wildcards and negation match as in OpenSSH; hashed names
// (|1|salt|hash) are compared with the session's crypto provider.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <list>
#include <memory>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/file.h"
#include "core/base/status_macros.h"
#include "core/capi/internal.h"
#include "core/crypto/ssh_keys.h"
#include "core/hostkeys/known_hosts.h"
#include "core/wire/reader.h"

namespace parley::capi {
namespace {

constexpr unsigned kEntryMagic = 0x504b4e48;  // "PKNH"

struct KeyTypeBits {
  const char* name;
  int bits;
};
constexpr KeyTypeBits kKeyTypes[] = {
    {"ssh-rsa", LIBSSH2_KNOWNHOST_KEY_SSHRSA},
    {"ssh-dss", LIBSSH2_KNOWNHOST_KEY_SSHDSS},
    {"ecdsa-sha2-nistp256", LIBSSH2_KNOWNHOST_KEY_ECDSA_256},
    {"ecdsa-sha2-nistp384", LIBSSH2_KNOWNHOST_KEY_ECDSA_384},
    {"ecdsa-sha2-nistp521", LIBSSH2_KNOWNHOST_KEY_ECDSA_521},
    {"ssh-ed25519", LIBSSH2_KNOWNHOST_KEY_ED25519},
};

int BitsForKeyType(absl::string_view name) {
  for (const KeyTypeBits& k : kKeyTypes) {
    if (name == k.name) return k.bits;
  }
  return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
}

const char* KeyTypeForBits(int bits) {
  for (const KeyTypeBits& k : kKeyTypes) {
    if (bits == k.bits) return k.name;
  }
  return nullptr;
}

// The key type named at the start of a public-key blob.
absl::StatusOr<std::string> BlobKeyType(ByteView blob) {
  wire::Reader r(blob);
  absl::string_view type;
  absl::Status s = r.ReadString(&type);
  if (!s.ok() || type.empty() || type.size() > 64) {
    return absl::InvalidArgumentError("the key is not an SSH public-key blob");
  }
  return std::string(type);
}

}  // namespace

class KnownHosts {
 public:
  explicit KnownHosts(SessionHandle* session) : session_(session) {}
  virtual ~KnownHosts() = default;

  static constexpr uint32_t kMagic = 0x504b4853;  // "PKHS"
  bool valid() const { return magic_ == kMagic && session_->valid(); }
  SessionHandle* session() const { return session_; }

  int Add(const char* host, const char* salt, const char* key, size_t keylen,
          absl::optional<absl::string_view> comment, int typemask,
          libssh2_knownhost** store);
  int Check(const char* host, int port, const char* key, size_t keylen,
            int typemask, libssh2_knownhost** store);
  int Del(libssh2_knownhost* entry);
  int ReadLine(absl::string_view line, int type);
  int ReadFile(const char* filename, int type);
  int WriteLine(libssh2_knownhost* known, char* buffer, size_t buflen,
                size_t* outlen, int type);
  int WriteFile(const char* filename, int type);
  int Get(libssh2_knownhost** store, libssh2_knownhost* prev);

 private:
  struct Node {
    hostkeys::KnownHostsEntry entry;  // host field, marker, key, comment
    int host_type = LIBSSH2_KNOWNHOST_TYPE_PLAIN;
    std::string custom;  // the host of a TYPE_CUSTOM entry
    bool has_comment = false;
    std::string name;  // `ext.name`
    std::string key_base64;
    libssh2_knownhost ext = {};
  };
  using NodeList = std::list<std::unique_ptr<Node>>;

  // Fills in `ext` and appends the node.
  Node* Append(std::unique_ptr<Node> node);
  NodeList::iterator Find(const libssh2_knownhost* ext);
  std::string Line(const Node& node) const;
  int TypeError(int type);
  // Decodes `key` per the KEYENC bits of `typemask`.
  absl::StatusOr<Bytes> KeyBlob(const char* key, size_t keylen,
                                int typemask) const;

  uint32_t magic_ = kMagic;
  SessionHandle* session_;
  NodeList nodes_;
};

KnownHosts::Node* KnownHosts::Append(std::unique_ptr<Node> node) {
  Node& n = *node;
  n.key_base64 = absl::Base64Escape(AsString(n.entry.key_blob));
  if (n.host_type == LIBSSH2_KNOWNHOST_TYPE_PLAIN) {
    std::vector<std::string> parts;
    for (const hostkeys::HostPattern& p : n.entry.patterns) {
      parts.push_back(absl::StrCat(p.negated ? "!" : "", p.pattern));
    }
    n.name = absl::StrJoin(parts, ",");
  }
  n.ext.magic = kEntryMagic;
  n.ext.node = &n;
  n.ext.name = n.host_type == LIBSSH2_KNOWNHOST_TYPE_PLAIN
                   ? const_cast<char*>(n.name.c_str())
                   : nullptr;
  n.ext.key = const_cast<char*>(n.key_base64.c_str());
  n.ext.typemask = n.host_type | LIBSSH2_KNOWNHOST_KEYENC_BASE64 |
                   BitsForKeyType(n.entry.key_type);
  nodes_.push_back(std::move(node));
  return &n;
}

KnownHosts::NodeList::iterator KnownHosts::Find(const libssh2_knownhost* ext) {
  if (ext == nullptr || ext->magic != kEntryMagic) return nodes_.end();
  for (auto it = nodes_.begin(); it != nodes_.end(); ++it) {
    if (&(*it)->ext == ext) return it;
  }
  return nodes_.end();
}

int KnownHosts::TypeError(int type) {
  return session_->SetError(
      LIBSSH2_ERROR_METHOD_NOT_SUPPORTED,
      absl::StrCat("Unsupported type of known-host information store: ", type,
                   " (only LIBSSH2_KNOWNHOST_FILE_OPENSSH)"));
}

absl::StatusOr<Bytes> KnownHosts::KeyBlob(const char* key, size_t keylen,
                                          int typemask) const {
  if (key == nullptr) return absl::InvalidArgumentError("key is NULL");
  if ((typemask & LIBSSH2_KNOWNHOST_KEYENC_MASK) ==
      LIBSSH2_KNOWNHOST_KEYENC_BASE64) {
    const absl::string_view text =
        keylen > 0 ? absl::string_view(key, keylen) : absl::string_view(key);
    std::string raw;
    if (!absl::Base64Unescape(text, &raw) || raw.empty()) {
      return absl::InvalidArgumentError("the key is not valid base64");
    }
    return Bytes(raw.begin(), raw.end());
  }
  if (keylen == 0) return absl::InvalidArgumentError("keylen is 0");
  const auto* p = reinterpret_cast<const uint8_t*>(key);
  return Bytes(p, p + keylen);
}

namespace {

// What may stand in a host field written to known_hosts: no whitespace,
// control characters or list separator (which would split it into several
// patterns), and for a plain host no pattern characters either.
bool SafeHostField(absl::string_view h, bool plain) {
  if (h.empty() || h.size() > hostkeys::kMaxHostNameLength) return false;
  for (char c : h) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == ',' || c == '#') return false;
    if (plain && (c == '*' || c == '?' || c == '!' || c == '|' || c == '@')) {
      return false;
    }
  }
  return true;
}

// A comment ends the line: no line breaks or NULs.
bool SafeComment(absl::string_view c) {
  return c.find_first_of(absl::string_view("\r\n\0", 3)) ==
         absl::string_view::npos;
}

}  // namespace

int KnownHosts::Add(const char* host, const char* salt, const char* key,
                    size_t keylen, absl::optional<absl::string_view> comment,
                    int typemask, libssh2_knownhost** store) {
  if (store != nullptr) *store = nullptr;
  if (host == nullptr) {
    return session_->SetError(LIBSSH2_ERROR_INVAL, "host is NULL");
  }
  auto node = std::make_unique<Node>();
  node->host_type = typemask & LIBSSH2_KNOWNHOST_TYPE_MASK;
  switch (node->host_type) {
    case LIBSSH2_KNOWNHOST_TYPE_PLAIN:
      if (!SafeHostField(host, /*plain=*/true)) {
        return session_->SetError(LIBSSH2_ERROR_INVAL, "bad host name");
      }
      node->entry.patterns.push_back({absl::AsciiStrToLower(host), false});
      break;
    case LIBSSH2_KNOWNHOST_TYPE_SHA1: {
      hostkeys::HashedHostName hashed;
      std::string raw_salt, raw_hash;
      if (salt == nullptr || !absl::Base64Unescape(salt, &raw_salt) ||
          !absl::Base64Unescape(host, &raw_hash) ||
          raw_salt.size() != hostkeys::kHashedHostSaltSize ||
          raw_hash.size() != 20) {
        return session_->SetError(
            LIBSSH2_ERROR_INVAL,
            "a SHA1 host needs base64 of a 20-byte salt and hash");
      }
      hashed.salt.assign(raw_salt.begin(), raw_salt.end());
      hashed.hash.assign(raw_hash.begin(), raw_hash.end());
      node->entry.hashed = std::move(hashed);
      break;
    }
    case LIBSSH2_KNOWNHOST_TYPE_CUSTOM:
      if (!SafeHostField(host, /*plain=*/false)) {
        return session_->SetError(LIBSSH2_ERROR_INVAL, "bad custom host name");
      }
      node->custom = host;
      break;
    default:
      return session_->SetError(LIBSSH2_ERROR_INVAL, "unknown host type");
  }
  absl::StatusOr<Bytes> blob = KeyBlob(key, keylen, typemask);
  if (!blob.ok()) {
    return session_->SetError(LIBSSH2_ERROR_INVAL, blob.status().message());
  }
  absl::StatusOr<std::string> blob_type = BlobKeyType(*blob);
  if (!blob_type.ok()) {
    return session_->SetError(LIBSSH2_ERROR_INVAL,
                              blob_type.status().message());
  }
  const int bits = typemask & LIBSSH2_KNOWNHOST_KEY_MASK;
  if (bits != 0 && bits != LIBSSH2_KNOWNHOST_KEY_UNKNOWN) {
    const char* named = KeyTypeForBits(bits);
    if (named == nullptr || *blob_type != named) {
      return session_->SetError(
          LIBSSH2_ERROR_INVAL,
          absl::StrCat("the key is ", *blob_type,
                       ", not the type given in typemask"));
    }
  }
  node->entry.key_type = *blob_type;
  node->entry.key_blob = *std::move(blob);
  if (comment.has_value()) {
    if (!SafeComment(*comment)) {
      return session_->SetError(LIBSSH2_ERROR_INVAL,
                                "comment contains a line break or NUL");
    }
    node->has_comment = true;
    node->entry.comment = std::string(*comment);
  }
  Node* n = Append(std::move(node));
  if (store != nullptr) *store = &n->ext;
  return 0;
}

int KnownHosts::Check(const char* host, int port, const char* key,
                      size_t keylen, int typemask, libssh2_knownhost** store) {
  if (store != nullptr) *store = nullptr;
  if (host == nullptr) {
    session_->SetError(LIBSSH2_ERROR_INVAL, "host is NULL");
    return LIBSSH2_KNOWNHOST_CHECK_FAILURE;
  }
  const int host_type = typemask & LIBSSH2_KNOWNHOST_TYPE_MASK;
  if (host_type != LIBSSH2_KNOWNHOST_TYPE_PLAIN &&
      host_type != LIBSSH2_KNOWNHOST_TYPE_CUSTOM) {
    session_->SetError(LIBSSH2_ERROR_INVAL,
                       "hosts are checked by plain or custom name");
    return LIBSSH2_KNOWNHOST_CHECK_FAILURE;
  }
  absl::StatusOr<Bytes> blob = KeyBlob(key, keylen, typemask);
  if (!blob.ok()) {
    session_->SetError(LIBSSH2_ERROR_INVAL, blob.status().message());
    return LIBSSH2_KNOWNHOST_CHECK_FAILURE;
  }
  // The key type compared: the typemask's, else the blob's own.
  std::string key_type;
  const int bits = typemask & LIBSSH2_KNOWNHOST_KEY_MASK;
  if (bits != 0 && KeyTypeForBits(bits) != nullptr) {
    key_type = KeyTypeForBits(bits);
  } else {
    absl::StatusOr<std::string> t = BlobKeyType(*blob);
    if (!t.ok()) {
      session_->SetError(LIBSSH2_ERROR_INVAL, t.status().message());
      return LIBSSH2_KNOWNHOST_CHECK_FAILURE;
    }
    key_type = *t;
  }
  // Names tried: "[host]:port" (plain "host" for 22) and, as libssh2 does,
  // the plain host too.
  std::vector<std::string> names;
  const std::string lower = absl::AsciiStrToLower(host);
  if (port >= 0 && port <= 65535) {
    names.push_back(absl::AsciiStrToLower(
        hostkeys::HostPortName(host, static_cast<uint16_t>(port))));
  }
  if (names.empty() || names[0] != lower) names.push_back(lower);

  // Key types Parley cannot parse (ssh-dss...) still compare by blob.
  absl::StatusOr<crypto::PublicKey> presented =
      crypto::ParsePublicKeyBlob(*blob);
  if (!presented.ok()) presented = crypto::PublicKey();
  std::vector<Node*> nodes;
  for (const auto& n : nodes_) nodes.push_back(n.get());
  const crypto::CryptoProvider* provider = nullptr;
  // The decision order is the core's (hostkeys::MatchHostKey); only how a
  // host field matches is libssh2's: custom names compare as strings, and
  // both "[host]:port" and the plain host are tried.
  auto host_matches = [&](size_t i) -> absl::StatusOr<bool> {
    const Node& n = *nodes[i];
    if (host_type == LIBSSH2_KNOWNHOST_TYPE_CUSTOM) {
      return n.host_type == LIBSSH2_KNOWNHOST_TYPE_CUSTOM && n.custom == host;
    }
    if (n.host_type == LIBSSH2_KNOWNHOST_TYPE_CUSTOM) return false;
    if (n.entry.hashed.has_value() && provider == nullptr) {
      provider = session_->Provider();
      if (provider == nullptr) {
        return absl::FailedPreconditionError(session_->last_error());
      }
    }
    for (const std::string& name : names) {
      if (!n.entry.hashed.has_value()) {
        if (hostkeys::MatchesHostPatterns(n.entry.patterns, name)) return true;
        continue;
      }
      PARLEY_ASSIGN_OR_RETURN(
          bool m, hostkeys::EntryMatchesHost(n.entry, *provider, name));
      if (m) return true;
    }
    return false;
  };
  absl::StatusOr<hostkeys::HostKeyMatch> m = hostkeys::MatchHostKey(
      nodes.size(),
      [&](size_t i) -> const hostkeys::KnownHostsEntry& {
        return nodes[i]->entry;
      },
      host_matches, *presented, *blob, key_type);
  if (!m.ok()) {
    if (provider != nullptr || host_type != LIBSSH2_KNOWNHOST_TYPE_CUSTOM) {
      session_->SetError(LIBSSH2_ERROR_KNOWN_HOSTS, m.status().message());
    }
    return LIBSSH2_KNOWNHOST_CHECK_FAILURE;
  }
  switch (m->result()) {
    case hostkeys::HostKeyResult::kRevoked:
      session_->SetError(LIBSSH2_ERROR_KNOWN_HOSTS,
                         "the host key is marked @revoked");
      if (store != nullptr) *store = &nodes[m->revoked.front()]->ext;
      return LIBSSH2_KNOWNHOST_CHECK_MISMATCH;
    case hostkeys::HostKeyResult::kKnown:
      if (store != nullptr) *store = &nodes[m->known.front()]->ext;
      return LIBSSH2_KNOWNHOST_CHECK_MATCH;
    case hostkeys::HostKeyResult::kChanged:
      if (store != nullptr) *store = &nodes[m->changed.front()]->ext;
      return LIBSSH2_KNOWNHOST_CHECK_MISMATCH;
    case hostkeys::HostKeyResult::kUnknown:
      break;
  }
  return LIBSSH2_KNOWNHOST_CHECK_NOTFOUND;
}

int KnownHosts::Del(libssh2_knownhost* entry) {
  auto it = Find(entry);
  if (it == nodes_.end()) {
    return session_->SetError(LIBSSH2_ERROR_INVAL,
                              "the entry is not in this collection");
  }
  entry->magic = 0;
  nodes_.erase(it);
  return 0;
}

int KnownHosts::ReadLine(absl::string_view line, int type) {
  if (type != LIBSSH2_KNOWNHOST_FILE_OPENSSH) return TypeError(type);
  absl::StatusOr<hostkeys::KnownHostsFile> parsed =
      hostkeys::ParseKnownHosts(line, "line");
  if (!parsed.ok()) {
    return session_->SetError(LIBSSH2_ERROR_KNOWN_HOSTS,
                              parsed.status().message());
  }
  if (!parsed->bad_lines.empty()) {
    return session_->SetError(LIBSSH2_ERROR_KNOWN_HOSTS,
                              absl::StrCat("Failed to parse known_hosts line: ",
                                           parsed->bad_lines[0].reason));
  }
  for (hostkeys::KnownHostsEntry& e : parsed->entries) {
    auto node = std::make_unique<Node>();
    node->host_type = e.hashed.has_value() ? LIBSSH2_KNOWNHOST_TYPE_SHA1
                                           : LIBSSH2_KNOWNHOST_TYPE_PLAIN;
    node->has_comment = !e.comment.empty();
    node->entry = std::move(e);
    Append(std::move(node));
  }
  return 0;
}

int KnownHosts::ReadFile(const char* filename, int type) {
  if (type != LIBSSH2_KNOWNHOST_FILE_OPENSSH) return TypeError(type);
  // The known_hosts parser's own limit is 64 MiB.
  absl::StatusOr<std::string> text =
      ReadSmallFile(filename, FileRules{"known_hosts file", 64u << 20});
  if (!text.ok()) {
    return session_->SetError(
        LIBSSH2_ERROR_FILE,
        absl::StrCat("Failed to read file: ", text.status().message()));
  }
  absl::StatusOr<hostkeys::KnownHostsFile> parsed =
      hostkeys::ParseKnownHosts(*text, filename);
  if (!parsed.ok()) {
    return session_->SetError(LIBSSH2_ERROR_KNOWN_HOSTS,
                              parsed.status().message());
  }
  int count = 0;
  for (hostkeys::KnownHostsEntry& e : parsed->entries) {
    auto node = std::make_unique<Node>();
    node->host_type = e.hashed.has_value() ? LIBSSH2_KNOWNHOST_TYPE_SHA1
                                           : LIBSSH2_KNOWNHOST_TYPE_PLAIN;
    node->has_comment = !e.comment.empty();
    node->entry = std::move(e);
    Append(std::move(node));
    ++count;
  }
  return count;
}

std::string KnownHosts::Line(const Node& n) const {
  std::string line;
  if (n.entry.marker == hostkeys::KnownHostsMarker::kRevoked) {
    line = "@revoked ";
  } else if (n.entry.marker == hostkeys::KnownHostsMarker::kCertAuthority) {
    line = "@cert-authority ";
  }
  switch (n.host_type) {
    case LIBSSH2_KNOWNHOST_TYPE_SHA1:
      absl::StrAppend(&line, "|1|",
                      absl::Base64Escape(AsString(n.entry.hashed->salt)), "|",
                      absl::Base64Escape(AsString(n.entry.hashed->hash)));
      break;
    case LIBSSH2_KNOWNHOST_TYPE_CUSTOM:
      absl::StrAppend(&line, n.custom);
      break;
    default:
      absl::StrAppend(&line, n.name);
      break;
  }
  absl::StrAppend(&line, " ", n.entry.key_type, " ", n.key_base64);
  if (n.has_comment) absl::StrAppend(&line, " ", n.entry.comment);
  line.push_back('\n');
  return line;
}

int KnownHosts::WriteLine(libssh2_knownhost* known, char* buffer, size_t buflen,
                          size_t* outlen, int type) {
  if (type != LIBSSH2_KNOWNHOST_FILE_OPENSSH) return TypeError(type);
  if (outlen == nullptr || (buffer == nullptr && buflen > 0)) {
    return session_->SetError(LIBSSH2_ERROR_INVAL, "NULL argument");
  }
  auto it = Find(known);
  if (it == nodes_.end()) {
    return session_->SetError(LIBSSH2_ERROR_INVAL,
                              "the entry is not in this collection");
  }
  const std::string line = Line(**it);
  if (line.size() >= buflen) {
    *outlen = line.size() + 1;  // what the buffer needs, with the NUL
    return session_->SetError(LIBSSH2_ERROR_BUFFER_TOO_SMALL,
                              "Known-host write buffer too small");
  }
  memcpy(buffer, line.data(), line.size());
  buffer[line.size()] = '\0';
  *outlen = line.size();
  return 0;
}

int KnownHosts::WriteFile(const char* filename, int type) {
  if (type != LIBSSH2_KNOWNHOST_FILE_OPENSSH) return TypeError(type);
  std::string text;
  for (const auto& n : nodes_) text += Line(*n);
  const int fd = open(filename, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return session_->SetError(
        LIBSSH2_ERROR_FILE,
        absl::StrCat("Failed to open file ", filename, ": ", strerror(errno)));
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      close(fd);
      return session_->SetError(
          LIBSSH2_ERROR_FILE,
          absl::StrCat("Failed to write file ", filename, ": ", strerror(e)));
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0) {
    return session_->SetError(LIBSSH2_ERROR_FILE,
                              absl::StrCat("Failed to write file ", filename));
  }
  return 0;
}

int KnownHosts::Get(libssh2_knownhost** store, libssh2_knownhost* prev) {
  if (store == nullptr) {
    return session_->SetError(LIBSSH2_ERROR_INVAL, "store is NULL");
  }
  auto it = nodes_.begin();
  if (prev != nullptr) {
    it = Find(prev);
    if (it == nodes_.end()) {
      return session_->SetError(LIBSSH2_ERROR_INVAL,
                                "prev is not in this collection");
    }
    ++it;
  }
  if (it == nodes_.end()) return 1;
  *store = &(*it)->ext;
  return 0;
}

}  // namespace parley::capi

struct _LIBSSH2_KNOWNHOSTS final : parley::capi::KnownHosts {
  using KnownHosts::KnownHosts;
};

// ---------------------------------------------------------------------------
// The C API

using parley::capi::Guarded;

namespace {

_LIBSSH2_KNOWNHOSTS* K(LIBSSH2_KNOWNHOSTS* hosts) {
  return hosts != nullptr && hosts->valid() ? hosts : nullptr;
}

}  // namespace

extern "C" {

LIBSSH2_KNOWNHOSTS* libssh2_knownhost_init(LIBSSH2_SESSION* session) {
  if (session == nullptr || !session->valid()) return nullptr;
  auto* hosts = Guarded<_LIBSSH2_KNOWNHOSTS*>(nullptr, nullptr, [&] {
    return new (std::nothrow) _LIBSSH2_KNOWNHOSTS(session);
  });
  if (hosts == nullptr) {
    session->SetError(LIBSSH2_ERROR_ALLOC,
                      "Unable to allocate memory for known-hosts collection");
  }
  return hosts;
}

int libssh2_knownhost_add(LIBSSH2_KNOWNHOSTS* hosts, const char* host,
                          const char* salt, const char* key, size_t keylen,
                          int typemask, struct libssh2_knownhost** store) {
  auto* h = K(hosts);
  if (h == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(h->session(), LIBSSH2_ERROR_ALLOC, [&] {
    return h->Add(host, salt, key, keylen, absl::nullopt, typemask, store);
  });
}

int libssh2_knownhost_addc(LIBSSH2_KNOWNHOSTS* hosts, const char* host,
                           const char* salt, const char* key, size_t keylen,
                           const char* comment, size_t commentlen, int typemask,
                           struct libssh2_knownhost** store) {
  auto* h = K(hosts);
  if (h == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(h->session(), LIBSSH2_ERROR_ALLOC, [&] {
    absl::optional<absl::string_view> c;
    if (comment != nullptr) c = absl::string_view(comment, commentlen);
    return h->Add(host, salt, key, keylen, c, typemask, store);
  });
}

int libssh2_knownhost_check(LIBSSH2_KNOWNHOSTS* hosts, const char* host,
                            const char* key, size_t keylen, int typemask,
                            struct libssh2_knownhost** store) {
  return libssh2_knownhost_checkp(hosts, host, -1, key, keylen, typemask,
                                  store);
}

int libssh2_knownhost_checkp(LIBSSH2_KNOWNHOSTS* hosts, const char* host,
                             int port, const char* key, size_t keylen,
                             int typemask, struct libssh2_knownhost** store) {
  auto* h = K(hosts);
  if (h == nullptr) return LIBSSH2_KNOWNHOST_CHECK_FAILURE;
  return Guarded(h->session(), LIBSSH2_KNOWNHOST_CHECK_FAILURE, [&] {
    return h->Check(host, port, key, keylen, typemask, store);
  });
}

int libssh2_knownhost_del(LIBSSH2_KNOWNHOSTS* hosts,
                          struct libssh2_knownhost* entry) {
  auto* h = K(hosts);
  if (h == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(h->session(), LIBSSH2_ERROR_ALLOC,
                 [&] { return h->Del(entry); });
}

void libssh2_knownhost_free(LIBSSH2_KNOWNHOSTS* hosts) {
  if (K(hosts) != nullptr) delete hosts;
}

int libssh2_knownhost_readline(LIBSSH2_KNOWNHOSTS* hosts, const char* line,
                               size_t len, int type) {
  auto* h = K(hosts);
  if (h == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if (line == nullptr) {
    return h->session()->SetError(LIBSSH2_ERROR_INVAL, "line is NULL");
  }
  return Guarded(h->session(), LIBSSH2_ERROR_ALLOC, [&] {
    return h->ReadLine(absl::string_view(line, len), type);
  });
}

int libssh2_knownhost_readfile(LIBSSH2_KNOWNHOSTS* hosts, const char* filename,
                               int type) {
  auto* h = K(hosts);
  if (h == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if (filename == nullptr) {
    return h->session()->SetError(LIBSSH2_ERROR_INVAL, "filename is NULL");
  }
  return Guarded(h->session(), LIBSSH2_ERROR_ALLOC,
                 [&] { return h->ReadFile(filename, type); });
}

int libssh2_knownhost_writeline(LIBSSH2_KNOWNHOSTS* hosts,
                                struct libssh2_knownhost* known, char* buffer,
                                size_t buflen, size_t* outlen, int type) {
  auto* h = K(hosts);
  if (h == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(h->session(), LIBSSH2_ERROR_ALLOC, [&] {
    return h->WriteLine(known, buffer, buflen, outlen, type);
  });
}

int libssh2_knownhost_writefile(LIBSSH2_KNOWNHOSTS* hosts, const char* filename,
                                int type) {
  auto* h = K(hosts);
  if (h == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if (filename == nullptr) {
    return h->session()->SetError(LIBSSH2_ERROR_INVAL, "filename is NULL");
  }
  return Guarded(h->session(), LIBSSH2_ERROR_ALLOC,
                 [&] { return h->WriteFile(filename, type); });
}

int libssh2_knownhost_get(LIBSSH2_KNOWNHOSTS* hosts,
                          struct libssh2_knownhost** store,
                          struct libssh2_knownhost* prev) {
  auto* h = K(hosts);
  if (h == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(h->session(), LIBSSH2_ERROR_ALLOC,
                 [&] { return h->Get(store, prev); });
}

}  // extern "C"
