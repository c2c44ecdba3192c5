#include "core/hostkeys/known_hosts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/base64.h"
#include "core/base/secure_buffer.h"
#include "core/base/status_macros.h"
#include "core/crypto/mac.h"
#include "core/crypto/ssh_keys.h"

namespace parley::hostkeys {
namespace {

constexpr absl::string_view kHashMagic = "|1|";
constexpr size_t kHmacSha1Size = 20;
constexpr uint16_t kDefaultSshPort = 22;

bool IsFieldSpace(char c) { return c == ' ' || c == '\t'; }

absl::string_view SkipFieldSpace(absl::string_view s) {
  size_t i = 0;
  while (i < s.size() && IsFieldSpace(s[i])) ++i;
  return s.substr(i);
}

absl::string_view TrimFieldSpace(absl::string_view s) {
  s = SkipFieldSpace(s);
  while (!s.empty() && IsFieldSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Removes and returns the next space/tab-separated field of `*rest`; empty
// when none is left.
absl::string_view NextField(absl::string_view* rest) {
  absl::string_view s = SkipFieldSpace(*rest);
  size_t end = 0;
  while (end < s.size() && !IsFieldSpace(s[end])) ++end;
  *rest = s.substr(end);
  return s.substr(0, end);
}

// A short, printable rendering of untrusted text for messages.
std::string Quote(absl::string_view s) {
  constexpr size_t kMaxShown = 64;
  const bool cut = s.size() > kMaxShown;
  return absl::StrCat("\"", absl::CHexEscape(s.substr(0, kMaxShown)),
                      cut ? "...\"" : "\"");
}

// Strict RFC 4648 base64, one encoding per byte string (as OpenSSH's
// b64_pton requires).
bool DecodeBase64Strict(absl::string_view in, Bytes* out) {
  SecureBuffer decoded;
  if (!DecodeBase64(in, &decoded)) return false;
  out->assign(decoded.begin(), decoded.end());
  return true;
}

std::string EncodeBase64(ByteView b) { return absl::Base64Escape(AsString(b)); }

absl::StatusOr<Bytes> HmacSha1(const crypto::CryptoProvider& provider,
                               ByteView key, absl::string_view message) {
  PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<crypto::Mac> mac,
                          provider.NewHmac(crypto::HashAlgorithm::kSha1, key));
  if (mac->tag_size() != kHmacSha1Size) {
    return absl::InternalError("HMAC-SHA1 tag is not 20 bytes");
  }
  Bytes tag(kHmacSha1Size);
  PARLEY_RETURN_IF_ERROR(
      mac->Compute({AsBytes(message)}, MutableByteView(tag)));
  return tag;
}

absl::Status ValidateHostName(absl::string_view host) {
  if (host.empty()) return absl::InvalidArgumentError("empty host name");
  if (host.size() > kMaxHostNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("host name longer than ", kMaxHostNameLength, " bytes"));
  }
  for (char c : host) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f ||
        absl::string_view(",*?![]#|@").find(c) != absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("host name ", Quote(host),
                       " contains a character not allowed in known_hosts"));
    }
  }
  return absl::OkStatus();
}

// Parses a `|1|salt|hash` host field.
bool ParseHashedHost(absl::string_view field, HashedHostName* out,
                     std::string* reason) {
  if (!absl::StartsWith(field, kHashMagic)) {
    *reason = absl::StrCat("unsupported hashed host name format ",
                           Quote(field.substr(0, 3)));
    return false;
  }
  absl::string_view rest = field.substr(kHashMagic.size());
  const size_t bar = rest.find('|');
  if (bar == absl::string_view::npos) {
    *reason = "hashed host name lacks the '|' before the hash";
    return false;
  }
  if (!DecodeBase64Strict(rest.substr(0, bar), &out->salt) ||
      !DecodeBase64Strict(rest.substr(bar + 1), &out->hash)) {
    *reason = "hashed host name is not valid base64";
    return false;
  }
  if (out->salt.size() != kHashedHostSaltSize ||
      out->hash.size() != kHmacSha1Size) {
    *reason = absl::StrCat("hashed host name salt and hash must be ",
                           kHashedHostSaltSize, " bytes each");
    return false;
  }
  return true;
}

// Parses one line (without its '\n'). Appends to `file->entries` or
// `file->bad_lines`, or nothing for blank and comment lines.
void ParseLine(absl::string_view line, size_t line_number,
               KnownHostsFile* file) {
  auto bad = [&](std::string reason, bool unsupported = false) {
    file->bad_lines.push_back({line_number, std::move(reason), unsupported});
  };
  if (line.size() > kMaxKnownHostsLineLength) {
    bad(absl::StrCat("line longer than ", kMaxKnownHostsLineLength, " bytes"));
    return;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  line = SkipFieldSpace(line);
  if (line.empty() || line[0] == '#') return;
  if (line.find('\0') != absl::string_view::npos) {
    bad("line contains a NUL byte");
    return;
  }

  KnownHostsEntry entry;
  entry.line_number = line_number;
  absl::string_view rest = line;
  absl::string_view field = NextField(&rest);
  if (field[0] == '@') {
    if (field == "@revoked") {
      entry.marker = KnownHostsMarker::kRevoked;
    } else if (field == "@cert-authority") {
      entry.marker = KnownHostsMarker::kCertAuthority;
    } else {
      bad(absl::StrCat("unknown marker ", Quote(field)));
      return;
    }
    field = NextField(&rest);
    if (field.empty()) {
      bad("missing host patterns after marker");
      return;
    }
  }
  const absl::string_view hosts = field;
  const absl::string_view key_type = NextField(&rest);
  if (key_type.empty()) {
    bad("missing key type");
    return;
  }
  const absl::string_view key_data = NextField(&rest);
  if (key_data.empty()) {
    bad("missing key data");
    return;
  }
  entry.comment = std::string(TrimFieldSpace(rest));

  if (hosts[0] == '|') {
    HashedHostName hashed;
    std::string reason;
    if (!ParseHashedHost(hosts, &hashed, &reason)) {
      bad(std::move(reason));
      return;
    }
    entry.hashed = std::move(hashed);
  } else {
    for (absl::string_view p : absl::StrSplit(hosts, ',')) {
      HostPattern pattern;
      if (!p.empty() && p[0] == '!') {
        pattern.negated = true;
        p.remove_prefix(1);
      }
      if (p.empty()) continue;  // an empty pattern matches no host name
      pattern.pattern = std::string(p);
      entry.patterns.push_back(std::move(pattern));
    }
    if (entry.patterns.empty()) {
      bad("no host patterns");
      return;
    }
  }

  crypto::KeyType type;
  if (!crypto::KeyTypeFromName(key_type, &type)) {
    bad(absl::StrCat("unsupported key type ", Quote(key_type)),
        /*unsupported=*/true);
    return;
  }
  if (!DecodeBase64Strict(key_data, &entry.key_blob)) {
    bad("key data is not valid base64");
    return;
  }
  absl::StatusOr<crypto::PublicKey> key =
      crypto::ParsePublicKeyBlob(entry.key_blob);
  if (!key.ok()) {
    bad(absl::StrCat("key data is not a valid ", key_type,
                     " key: ", key.status().message()));
    return;
  }
  if (key->type != type) {
    bad(absl::StrCat("key type ", Quote(key_type),
                     " does not match the key's own type \"",
                     crypto::KeyTypeName(key->type), "\""));
    return;
  }
  entry.key_type = std::string(key_type);
  entry.key = *std::move(key);
  file->entries.push_back(std::move(entry));
}

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Closes now and reports a failure (a write error may surface here).
  absl::Status Close(absl::string_view what) {
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return absl::ErrnoToStatus(errno, what);
    return absl::OkStatus();
  }

 private:
  int fd_;
};

}  // namespace

absl::StatusOr<KnownHostsFile> ParseKnownHosts(absl::string_view text,
                                               std::string path_for_messages) {
  if (text.size() > kMaxKnownHostsFileSize) {
    return absl::ResourceExhaustedError(
        absl::StrCat("known_hosts file ", path_for_messages, " is larger than ",
                     kMaxKnownHostsFileSize, " bytes"));
  }
  KnownHostsFile file;
  file.path = std::move(path_for_messages);
  size_t line_number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == absl::string_view::npos) end = text.size();
    if (++line_number > kMaxKnownHostsLines) {
      return absl::ResourceExhaustedError(
          absl::StrCat("known_hosts file ", file.path, " has more than ",
                       kMaxKnownHostsLines, " lines"));
    }
    ParseLine(text.substr(pos, end - pos), line_number, &file);
    pos = end + 1;
  }
  return file;
}

absl::StatusOr<KnownHostsFile> LoadKnownHosts(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) {
      KnownHostsFile empty;
      empty.path = path;
      return empty;
    }
    return absl::ErrnoToStatus(
        err, absl::StrCat("cannot open known_hosts file ", path));
  }
  FdCloser closer(fd);
  std::string text;
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      return absl::ErrnoToStatus(
          err, absl::StrCat("cannot read known_hosts file ", path));
    }
    if (n == 0) break;
    if (text.size() + static_cast<size_t>(n) > kMaxKnownHostsFileSize) {
      return absl::ResourceExhaustedError(
          absl::StrCat("known_hosts file ", path, " is larger than ",
                       kMaxKnownHostsFileSize, " bytes"));
    }
    text.append(buf, static_cast<size_t>(n));
  }
  return ParseKnownHosts(text, path);
}

absl::string_view HostKeyResultName(HostKeyResult result) {
  switch (result) {
    case HostKeyResult::kKnown:
      return "known";
    case HostKeyResult::kUnknown:
      return "unknown";
    case HostKeyResult::kChanged:
      return "changed";
    case HostKeyResult::kRevoked:
      return "revoked";
  }
  return "invalid";
}

std::string KnownHostsLineRef::Location() const {
  return absl::StrCat(path, ":", line_number);
}

std::string HostPortName(absl::string_view host, uint16_t port) {
  if (port == kDefaultSshPort) return std::string(host);
  return absl::StrCat("[", host, "]:", port);
}

namespace {

// Whether `segment` (no '*'; '?' matches any byte) matches `name` at `at`,
// ignoring ASCII case. The caller checks that it fits.
bool SegmentMatchesAt(absl::string_view segment, absl::string_view name,
                      size_t at) {
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '?' &&
        absl::ascii_tolower(segment[i]) != absl::ascii_tolower(name[at + i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool WildcardMatch(absl::string_view pattern, absl::string_view name) {
  // The pattern is cut at its '*'s: the first piece must match at the
  // start of the name, the last at its end, and each piece between at its
  // leftmost place after the one before (a later place never helps the
  // pieces that follow). Every position of the name is tried at most once
  // per piece boundary, so the cost is O(|name| * longest piece): linear
  // for the "*a*b*c" shapes that make backtracking matchers superlinear.
  const size_t first_star = pattern.find('*');
  if (first_star == absl::string_view::npos) {
    return pattern.size() == name.size() && SegmentMatchesAt(pattern, name, 0);
  }
  const size_t last_star = pattern.rfind('*');
  const absl::string_view head = pattern.substr(0, first_star);
  const absl::string_view tail = pattern.substr(last_star + 1);
  if (head.size() + tail.size() > name.size() ||
      !SegmentMatchesAt(head, name, 0) ||
      !SegmentMatchesAt(tail, name, name.size() - tail.size())) {
    return false;
  }
  size_t pos = head.size();
  const size_t end = name.size() - tail.size();
  absl::string_view middle =
      pattern.substr(first_star + 1, last_star - first_star);
  while (!middle.empty()) {
    const size_t star = middle.find('*');
    const absl::string_view piece = middle.substr(0, star);
    middle.remove_prefix(star == absl::string_view::npos ? middle.size()
                                                         : star + 1);
    if (piece.empty()) continue;
    bool found = false;
    for (; pos + piece.size() <= end; ++pos) {
      if (SegmentMatchesAt(piece, name, pos)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
    pos += piece.size();
  }
  return true;
}

bool MatchesHostPatterns(absl::Span<const HostPattern> patterns,
                         absl::string_view name) {
  bool positive = false;
  for (const HostPattern& p : patterns) {
    if (!WildcardMatch(p.pattern, name)) continue;
    if (p.negated) return false;
    positive = true;
  }
  return positive;
}

absl::StatusOr<std::string> HashHostName(const crypto::CryptoProvider& provider,
                                         absl::string_view name,
                                         ByteView salt) {
  if (salt.size() != kHashedHostSaltSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hashed host salt must be ", kHashedHostSaltSize, " bytes"));
  }
  PARLEY_ASSIGN_OR_RETURN(Bytes hash, HmacSha1(provider, salt, name));
  return absl::StrCat(kHashMagic, EncodeBase64(salt), "|", EncodeBase64(hash));
}

absl::StatusOr<bool> EntryMatchesHost(const KnownHostsEntry& entry,
                                      const crypto::CryptoProvider& provider,
                                      absl::string_view name) {
  if (!entry.hashed.has_value()) {
    return MatchesHostPatterns(entry.patterns, name);
  }
  PARLEY_ASSIGN_OR_RETURN(Bytes hash,
                          HmacSha1(provider, entry.hashed->salt, name));
  return ConstantTimeEquals(hash, entry.hashed->hash);
}

HostKeyResult HostKeyMatch::result() const {
  if (!revoked.empty()) return HostKeyResult::kRevoked;
  if (!known.empty()) return HostKeyResult::kKnown;
  if (!changed.empty()) return HostKeyResult::kChanged;
  return HostKeyResult::kUnknown;
}

absl::StatusOr<HostKeyMatch> MatchHostKey(
    size_t count, const std::function<const KnownHostsEntry&(size_t)>& entry,
    const std::function<absl::StatusOr<bool>(size_t)>& host_matches,
    const crypto::PublicKey& key, ByteView key_blob,
    absl::string_view key_type) {
  HostKeyMatch m;
  // A key that was not parsed (no material) compares by blob only.
  const bool parsed =
      !key.ed25519.empty() || !key.ec_point.empty() || !key.rsa_n.empty();
  for (size_t i = 0; i < count; ++i) {
    const KnownHostsEntry& e = entry(i);
    const bool carries =
        ByteView(e.key_blob) == key_blob || (parsed && e.key == key);
    switch (e.marker) {
      case KnownHostsMarker::kCertAuthority:
        continue;
      case KnownHostsMarker::kRevoked:
        // A revoked key is refused for every host, whatever the line's
        // host field says: it is presumed compromised.
        if (carries) m.revoked.push_back(i);
        continue;
      case KnownHostsMarker::kNone:
        break;
    }
    PARLEY_ASSIGN_OR_RETURN(bool matches, host_matches(i));
    if (!matches) continue;
    if (e.key_type != key_type) {
      m.other_types.push_back(i);
    } else if (carries) {
      m.known.push_back(i);
    } else {
      m.changed.push_back(i);
    }
  }
  return m;
}

absl::StatusOr<HostKeyCheck> CheckHostKey(
    const KnownHostsFile& file, const crypto::CryptoProvider& provider,
    absl::string_view host, uint16_t port, ByteView key_blob) {
  return CheckHostKey(absl::MakeConstSpan(&file, 1), provider, host, port,
                      key_blob);
}

absl::StatusOr<HostKeyCheck> CheckHostKey(
    absl::Span<const KnownHostsFile> files,
    const crypto::CryptoProvider& provider, absl::string_view host,
    uint16_t port, ByteView key_blob) {
  PARLEY_RETURN_IF_ERROR(ValidateHostName(host));
  if (port == 0) return absl::InvalidArgumentError("port 0 is not valid");
  absl::StatusOr<crypto::PublicKey> key = crypto::ParsePublicKeyBlob(key_blob);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("host key blob is not valid: ", key.status().message()));
  }

  HostKeyCheck check;
  check.host_port = HostPortName(absl::AsciiStrToLower(host), port);
  check.key_type = std::string(crypto::KeyTypeName(key->type));
  // Across several files a key known in any file is known (as OpenSSH does
  // with its user and system files): the lists are merged, then decided.
  std::vector<KnownHostsLineRef> revoked, known, changed;
  for (const KnownHostsFile& file : files) {
    PARLEY_ASSIGN_OR_RETURN(
        HostKeyMatch m,
        MatchHostKey(
            file.entries.size(),
            [&](size_t i) -> const KnownHostsEntry& { return file.entries[i]; },
            [&](size_t i) {
              return EntryMatchesHost(file.entries[i], provider,
                                      check.host_port);
            },
            *key, key_blob, check.key_type));
    auto refs = [&](const std::vector<size_t>& idx,
                    std::vector<KnownHostsLineRef>* out) {
      for (size_t i : idx) {
        const KnownHostsEntry& e = file.entries[i];
        out->push_back({file.path, e.line_number, e.key_type});
      }
    };
    refs(m.revoked, &revoked);
    refs(m.known, &known);
    refs(m.changed, &changed);
    refs(m.other_types, &check.other_types);
  }
  HostKeyMatch merged;  // only the emptiness of the lists matters here
  merged.revoked.resize(revoked.size());
  merged.known.resize(known.size());
  merged.changed.resize(changed.size());
  check.result = merged.result();
  switch (check.result) {
    case HostKeyResult::kRevoked:
      check.lines = std::move(revoked);
      break;
    case HostKeyResult::kKnown:
      check.lines = std::move(known);
      break;
    case HostKeyResult::kChanged:
      check.lines = std::move(changed);
      break;
    case HostKeyResult::kUnknown:
      break;
  }
  return check;
}

absl::StatusOr<std::string> FormatKnownHostsLine(
    absl::string_view host, uint16_t port, ByteView key_blob, bool hash,
    const crypto::CryptoProvider& provider) {
  PARLEY_RETURN_IF_ERROR(ValidateHostName(host));
  if (port == 0) return absl::InvalidArgumentError("port 0 is not valid");
  absl::StatusOr<crypto::PublicKey> key = crypto::ParsePublicKeyBlob(key_blob);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("host key blob is not valid: ", key.status().message()));
  }
  std::string field = HostPortName(absl::AsciiStrToLower(host), port);
  if (hash) {
    Bytes salt(kHashedHostSaltSize);
    PARLEY_RETURN_IF_ERROR(provider.RandomBytes(MutableByteView(salt)));
    PARLEY_ASSIGN_OR_RETURN(field, HashHostName(provider, field, salt));
  }
  return absl::StrCat(field, " ", crypto::KeyTypeName(key->type), " ",
                      EncodeBase64(key_blob));
}

absl::Status AppendKnownHostsLine(const std::string& path,
                                  absl::string_view line) {
  if (line.empty() || line.find_first_of(absl::string_view("\n\r\0", 3)) !=
                          absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "known_hosts line must be non-empty and hold no newline, carriage "
        "return or NUL");
  }
  const int fd =
      ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    return absl::ErrnoToStatus(
        err,
        absl::StrCat("cannot open known_hosts file ", path, " for appending"));
  }
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    return absl::ErrnoToStatus(err, absl::StrCat("cannot stat ", path));
  }
  std::string out;
  out.reserve(line.size() + 2);
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    char last = '\n';
    ssize_t n;
    do {
      n = ::pread(fd, &last, 1, st.st_size - 1);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      const int err = errno;
      return absl::ErrnoToStatus(err, absl::StrCat("cannot read ", path));
    }
    if (n == 1 && last != '\n') out.push_back('\n');
  }
  out.append(line.data(), line.size());
  out.push_back('\n');
  // One write() where possible, so that concurrent appenders (O_APPEND)
  // do not interleave within a line.
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::write(fd, out.data() + done, out.size() - done);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      return absl::ErrnoToStatus(err, absl::StrCat("cannot write ", path));
    }
    if (n == 0)
      return absl::DataLossError(absl::StrCat("short write to ", path));
    done += static_cast<size_t>(n);
  }
  return closer.Close(absl::StrCat("cannot write ", path));
}

}  // namespace parley::hostkeys
