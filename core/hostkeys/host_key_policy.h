// Host-key verification policy: what the client does with the server's host
// key before it sends any credential. The checks are those of known_hosts.h;
// this layer decides, writes new lines, and words the refusal the way OpenSSH
// does, so that users recognise it.
//
// Every refusal to trust the key is kUnauthenticated (the server failed to
// authenticate itself), with a message naming the host, the key type, its
// SHA256 fingerprint and the known_hosts file:line involved. Other codes mean
// the check itself could not be made: kInvalidArgument (bad key blob or host
// name), kFailedPrecondition (options misused), I/O errors reading or writing
// known_hosts (the check fails closed), or the provider's error.
#ifndef PARLEY_CORE_HOSTKEYS_HOST_KEY_POLICY_H_
#define PARLEY_CORE_HOSTKEYS_HOST_KEY_POLICY_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/base/bytes.h"
#include "core/crypto/provider.h"
#include "core/hostkeys/known_hosts.h"
#include "core/keys/certificate.h"

namespace parley::hostkeys {

enum class HostKeyPolicy {
  // OpenSSH StrictHostKeyChecking=yes: only known keys are accepted.
  kStrict,
  // StrictHostKeyChecking=accept-new: an unknown host's key is recorded in
  // the first known_hosts file and accepted; changed or revoked keys fail.
  kAcceptNew,
  // The application decides about unknown and changed keys (a prompt).
  kCallback,
};

enum class HostKeyDecision {
  kReject,
  kAccept,  // for this connection only
  // Accept, and for an unknown host record the key in the first known_hosts
  // file. For a changed key this is kAccept: Parley never rewrites
  // known_hosts, and the stale line would keep its old key trusted.
  kAcceptAndRemember,
};

// What the callback is asked about.
struct HostKeyPrompt {
  std::string host;  // as given to VerifyHostKey
  uint16_t port = 22;
  std::string key_type;     // "ssh-ed25519"
  std::string fingerprint;  // "SHA256:..."
  HostKeyCheck check;       // kUnknown or kChanged, with the lines involved
};

// Called on the verifying thread. Known keys never reach it, and revoked keys
// are refused without asking.
using HostKeyCallback = std::function<HostKeyDecision(const HostKeyPrompt&)>;

struct HostKeyVerifyOptions {
  HostKeyPolicy policy = HostKeyPolicy::kStrict;
  // Files consulted, like OpenSSH's UserKnownHostsFile followed by
  // GlobalKnownHostsFile. Missing files count as empty. New keys are
  // appended to the first one (which must then be given).
  std::vector<std::string> known_hosts_files;
  // Write new lines with hashed host names (HashKnownHosts=yes).
  bool hash_new_entries = false;
  // Required for kCallback.
  HostKeyCallback callback;
  // Optional: told about malformed known_hosts lines ("path:line: reason";
  // lines with unsupported key types are not reported, as in OpenSSH) and
  // about keys added ("Permanently added ...").
  std::function<void(absl::string_view)> on_warning;
  // Seconds since the epoch, for certificate validity (tests); unset: the
  // system clock.
  std::function<uint64_t()> now;
};

// Host certificates (OpenSSH's *-cert-v01@openssh.com host keys): OK when
// a `@cert-authority` line whose patterns match `host`:`port` names the
// certificate's CA and keys::CheckHostCertificate passes (validity at
// `now`, `host` among the principals, no critical option, the CA's
// signature); kUnauthenticated when such a CA refuses it or a `@revoked`
// line carries the CA or the certified key; kNotFound when no CA line
// names its CA (VerifyHostKey then checks the certified plain key).
absl::Status CheckHostCertificateAuthority(
    absl::Span<const KnownHostsFile> files,
    const crypto::CryptoProvider& provider, absl::string_view host,
    uint16_t port, const keys::Certificate& cert, uint64_t now);
// Whether a `@cert-authority` line in `options`' files matches
// `host`:`port`: then clients offer certificate host-key algorithms
// first, as OpenSSH does.
absl::StatusOr<bool> HasCertificateAuthority(
    const HostKeyVerifyOptions& options, const crypto::CryptoProvider& provider,
    absl::string_view host, uint16_t port);

// Decides whether to trust `key_blob` as the host key of `host`:`port`
// (a plain key, or a host certificate: see CheckHostCertificateAuthority).
// OK means trusted. If `check` is not null it receives the known_hosts
// lookup result whenever the lookup was made.
absl::Status VerifyHostKey(const HostKeyVerifyOptions& options,
                           const crypto::CryptoProvider& provider,
                           absl::string_view host, uint16_t port,
                           ByteView key_blob, HostKeyCheck* check = nullptr);

}  // namespace parley::hostkeys

#endif  // PARLEY_CORE_HOSTKEYS_HOST_KEY_POLICY_H_
