// OpenSSH known_hosts files (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"): parsing,
// host-key lookup, and writing new lines.
//
// A line is `[marker] hostpatterns keytype base64-key [comment]`:
// - markers: `@revoked` (the key must never be accepted) and
//   `@cert-authority` (a CA key for host certificates, used by
//   host_key_policy.h's VerifyHostKey; never matches as a plain host key);
// - host patterns: a comma list of names with `*` and `?` wildcards and
//   `!`-negation, compared case-insensitively; `[host]:port` for ports other
//   than 22; or one hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt,
//   name))` as written by `ssh-keygen -H` / HashKnownHosts;
// - the key type must agree with the type inside the key blob.
//
// Parsing is a pure function of the bytes (no crypto, no I/O): hashed names
// are only compared at lookup time, with the caller's CryptoProvider.
// Malformed lines are skipped and recorded so that callers can warn.
#ifndef PARLEY_CORE_HOSTKEYS_KNOWN_HOSTS_H_
#define PARLEY_CORE_HOSTKEYS_KNOWN_HOSTS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "core/base/bytes.h"
#include "core/crypto/provider.h"
#include "core/crypto/signature.h"

namespace parley::hostkeys {

// Limits on input. A longer line is recorded as a bad line and skipped; more
// lines or bytes than this make the whole parse fail (kResourceExhausted).
inline constexpr size_t kMaxKnownHostsLineLength = 16 * 1024;
inline constexpr size_t kMaxKnownHostsLines = 1 << 20;
inline constexpr size_t kMaxKnownHostsFileSize = 64 * 1024 * 1024;
// Longest host name accepted by lookups and FormatKnownHostsLine.
inline constexpr size_t kMaxHostNameLength = 1024;
// Salt and hash length of `|1|` hashed names (SHA-1), as OpenSSH requires.
inline constexpr size_t kHashedHostSaltSize = 20;

enum class KnownHostsMarker { kNone, kRevoked, kCertAuthority };

struct HostPattern {
  std::string pattern;  // as written, without the leading '!'
  bool negated = false;

  bool operator==(const HostPattern& o) const {
    return pattern == o.pattern && negated == o.negated;
  }
};

// A `|1|salt|hash` host field.
struct HashedHostName {
  Bytes salt;  // kHashedHostSaltSize bytes
  Bytes hash;  // HMAC-SHA1(salt, name), 20 bytes

  bool operator==(const HashedHostName& o) const {
    return salt == o.salt && hash == o.hash;
  }
};

struct KnownHostsEntry {
  size_t line_number = 0;  // 1-based
  KnownHostsMarker marker = KnownHostsMarker::kNone;
  // Exactly one of these describes the host field: `patterns` (non-empty)
  // for a plain field, `hashed` for a hashed one.
  std::vector<HostPattern> patterns;
  absl::optional<HashedHostName> hashed;
  std::string key_type;  // "ssh-ed25519", equal to the blob's own type
  crypto::PublicKey key;
  Bytes key_blob;
  std::string comment;  // the rest of the line, trimmed; may be empty
};

struct KnownHostsBadLine {
  size_t line_number = 0;  // 1-based
  std::string reason;
  // The line is well formed but names a key type Parley does not implement
  // (ssh-dss, sk-*, ...). OpenSSH ignores such lines silently; callers may
  // choose not to warn about them.
  bool unsupported_key_type = false;
};

struct KnownHostsFile {
  std::string path;  // for messages only
  std::vector<KnownHostsEntry> entries;
  std::vector<KnownHostsBadLine> bad_lines;
};

// Parses known_hosts text. Never fails on malformed lines (they go to
// `bad_lines`); fails only with kResourceExhausted when `text` exceeds
// kMaxKnownHostsFileSize or kMaxKnownHostsLines.
absl::StatusOr<KnownHostsFile> ParseKnownHosts(absl::string_view text,
                                               std::string path_for_messages);

// Reads and parses `path`. A missing file gives an empty KnownHostsFile (the
// usual state before the first connection); any other failure to read it is
// an error (kPermissionDenied, kResourceExhausted for an oversized file, ...)
// so that strict checking fails closed.
absl::StatusOr<KnownHostsFile> LoadKnownHosts(const std::string& path);

enum class HostKeyResult {
  kKnown,    // a line for this host carries exactly this key
  kUnknown,  // no line for this host carries a key of this type
  kChanged,  // the host has a key of this type, but a different one
  kRevoked,  // a @revoked line carries this key (whatever its host field)
};
absl::string_view HostKeyResultName(HostKeyResult result);  // "changed"

struct KnownHostsLineRef {
  std::string path;
  size_t line_number = 0;
  std::string key_type;
  // "path:line".
  std::string Location() const;
};

struct HostKeyCheck {
  HostKeyResult result = HostKeyResult::kUnknown;
  // The name looked up: the lower-cased host, or "[host]:port" when the port
  // is not 22.
  std::string host_port;
  std::string key_type;  // type of the presented key
  // The lines behind `result`: kKnown, those carrying the key; kChanged,
  // those with a different key of the same type; kRevoked, the @revoked
  // lines carrying the key. Empty for kUnknown.
  std::vector<KnownHostsLineRef> lines;
  // Lines for this host with keys of other types (OpenSSH reports these as
  // "keys of different type are already known for this host").
  std::vector<KnownHostsLineRef> other_types;
};

// The decision order of every known_hosts lookup (CheckHostKey below and
// the libssh2 knownhost API): a @revoked entry carrying the key refuses it
// whatever its host field; else an entry for the host carrying it makes it
// known; else an entry for the host with another key of the same type makes
// it changed; else it is unknown. @cert-authority entries are not used.
// Entries are given by index, in file order; `host_matches(i)` is asked
// only for unmarked entries. `key_type` is the presented key's type name; an
// entry carries the key if its blob is `key_blob` or its parsed key equals
// `key`.
struct HostKeyMatch {
  std::vector<size_t> revoked, known, changed, other_types;  // indexes
  HostKeyResult result() const;
};
absl::StatusOr<HostKeyMatch> MatchHostKey(
    size_t count, const std::function<const KnownHostsEntry&(size_t)>& entry,
    const std::function<absl::StatusOr<bool>(size_t)>& host_matches,
    const crypto::PublicKey& key, ByteView key_blob,
    absl::string_view key_type);

// Looks up `key_blob` for `host`:`port` (port 0 is invalid). Precedence:
// revoked, then known, then changed, then unknown; across several files a
// key known in any file is known (as OpenSSH does with its user and system
// files). @cert-authority lines are not used here (a plain key never
// matches them; host certificates are checked by VerifyHostKey).
// kInvalidArgument for an unparseable key blob or an invalid host name (see
// FormatKnownHostsLine); provider errors computing hashed names are
// returned, never treated as "no match".
absl::StatusOr<HostKeyCheck> CheckHostKey(
    const KnownHostsFile& file, const crypto::CryptoProvider& provider,
    absl::string_view host, uint16_t port, ByteView key_blob);
absl::StatusOr<HostKeyCheck> CheckHostKey(
    absl::Span<const KnownHostsFile> files,
    const crypto::CryptoProvider& provider, absl::string_view host,
    uint16_t port, ByteView key_blob);

// A known_hosts line (without newline) for `host`:`port` and the key:
// "host ssh-ed25519 AAAA..." or "[host]:2222 ...", or with `hash`, the name
// hashed with kHashedHostSaltSize random bytes from `provider`. The host is
// lower-cased. kInvalidArgument for port 0, an empty or over-long host, or one
// containing whitespace, control characters or any of `,*?![]#|@` (which
// would change the meaning of the line), and for an unparseable key blob.
absl::StatusOr<std::string> FormatKnownHostsLine(
    absl::string_view host, uint16_t port, ByteView key_blob, bool hash,
    const crypto::CryptoProvider& provider);

// Appends `line` and a newline to `path`, creating the file with mode 0600
// if it is missing and first adding a newline if the file does not end with
// one. The parent directory must exist. `line` must be non-empty and hold no
// newline, carriage return or NUL (kInvalidArgument).
absl::Status AppendKnownHostsLine(const std::string& path,
                                  absl::string_view line);

// Building blocks, exposed for tests and tools.

// "host" for port 22, else "[host]:port"; `host` is used as given.
std::string HostPortName(absl::string_view host, uint16_t port);
// OpenSSH wildcard match (`*`, `?`), ASCII case-insensitive.
bool WildcardMatch(absl::string_view pattern, absl::string_view name);
// True when some positive pattern matches `name` and no negated one does.
bool MatchesHostPatterns(absl::Span<const HostPattern> patterns,
                         absl::string_view name);
// The hashed host field `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`.
absl::StatusOr<std::string> HashHostName(const crypto::CryptoProvider& provider,
                                         absl::string_view name, ByteView salt);
// Whether `entry`'s host field matches `name` (a HostPortName, lower-cased).
absl::StatusOr<bool> EntryMatchesHost(const KnownHostsEntry& entry,
                                      const crypto::CryptoProvider& provider,
                                      absl::string_view name);

}  // namespace parley::hostkeys

#endif  // PARLEY_CORE_HOSTKEYS_KNOWN_HOSTS_H_
