#include "core/hostkeys/host_key_policy.h"

#include <algorithm>
#include <ctime>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "core/crypto/ssh_keys.h"
#include "core/keys/certificate.h"
#include "core/wire/reader.h"

namespace parley::hostkeys {
namespace {

std::string Locations(const std::vector<KnownHostsLineRef>& lines) {
  return absl::StrJoin(lines, ", ",
                       [](std::string* out, const KnownHostsLineRef& ref) {
                         out->append(ref.Location());
                       });
}

// "ecdsa-sha2-nistp256 at path:1, ..."
std::string OtherTypesList(const HostKeyCheck& check) {
  return absl::StrJoin(check.other_types, ", ",
                       [](std::string* out, const KnownHostsLineRef& ref) {
                         absl::StrAppend(out, ref.key_type, " at ",
                                         ref.Location());
                       });
}

std::string OtherTypesNote(const HostKeyCheck& check) {
  if (check.other_types.empty()) return "";
  return absl::StrCat(" Keys of other types are already known for this host: ",
                      OtherTypesList(check), ".");
}

std::string FilesConsulted(const HostKeyVerifyOptions& options) {
  if (options.known_hosts_files.empty()) {
    return "no known_hosts file is configured";
  }
  return absl::StrCat("not in ",
                      absl::StrJoin(options.known_hosts_files, ", "));
}

absl::Status RevokedError(const HostKeyCheck& check,
                          absl::string_view fingerprint) {
  return absl::UnauthenticatedError(absl::StrCat(
      "WARNING: REVOKED HOST KEY DETECTED! The ", check.key_type,
      " host key for ", check.host_port, " (", fingerprint,
      ") is marked as revoked at ", Locations(check.lines),
      ". This could mean that a stolen key is being used to impersonate "
      "this host. Host key verification failed."));
}

absl::Status ChangedError(const HostKeyCheck& check,
                          absl::string_view fingerprint) {
  return absl::UnauthenticatedError(absl::StrCat(
      "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! The ", check.key_type,
      " host key for ", check.host_port, " is now ", fingerprint,
      ", which differs from the key recorded at ", Locations(check.lines),
      ". Someone could be eavesdropping on you right now (man-in-the-middle "
      "attack), or the host key has just been changed. Offending ",
      check.key_type, " key in ", Locations(check.lines),
      ". Host key verification failed."));
}

// A key of a type the host is not known with, while keys of other types
// are: OpenSSH (checked with ssh 9.2, StrictHostKeyChecking=yes and
// accept-new alike) reports the host identification as changed, names the
// offending lines and records nothing.
absl::Status OtherTypeError(const HostKeyCheck& check,
                            absl::string_view fingerprint) {
  return absl::UnauthenticatedError(absl::StrCat(
      "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! ", check.host_port,
      " presented a ", check.key_type, " host key (", fingerprint,
      "), but only keys of other types are known for it: ",
      OtherTypesList(check),
      ". Someone could be eavesdropping on you right now (man-in-the-middle "
      "attack), or the host's keys have just been changed. Offending keys "
      "in ",
      Locations(check.other_types), ". Host key verification failed."));
}

absl::Status UnknownError(const HostKeyVerifyOptions& options,
                          const HostKeyCheck& check,
                          absl::string_view fingerprint) {
  return absl::UnauthenticatedError(absl::StrCat(
      "Host key for ", check.host_port, " not known: its ", check.key_type,
      " key ", fingerprint, " is ", FilesConsulted(options),
      ", and strict host key checking refuses unknown hosts.",
      OtherTypesNote(check), " Host key verification failed."));
}

void Warn(const HostKeyVerifyOptions& options, absl::string_view message) {
  if (options.on_warning) options.on_warning(message);
}

absl::Status Remember(const HostKeyVerifyOptions& options,
                      const crypto::CryptoProvider& provider,
                      absl::string_view host, uint16_t port, ByteView key_blob,
                      const HostKeyCheck& check) {
  if (options.known_hosts_files.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot record the host key for ", check.host_port,
                     ": no known_hosts file is configured"));
  }
  const std::string& path = options.known_hosts_files.front();
  PARLEY_ASSIGN_OR_RETURN(
      std::string line,
      FormatKnownHostsLine(host, port, key_blob, options.hash_new_entries,
                           provider));
  absl::Status written = AppendKnownHostsLine(path, line);
  if (!written.ok()) {
    return absl::Status(
        written.code(),
        absl::StrCat("cannot record the host key for ", check.host_port,
                     " (refusing it rather than trusting it unrecorded): ",
                     written.message()));
  }
  Warn(options, absl::StrCat("Permanently added '", check.host_port, "' (",
                             check.key_type, ") to the list of known hosts (",
                             path, ")."));
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckHostCertificateAuthority(
    absl::Span<const KnownHostsFile> files,
    const crypto::CryptoProvider& provider, absl::string_view host,
    uint16_t port, const keys::Certificate& cert, uint64_t now) {
  const std::string name = HostPortName(absl::AsciiStrToLower(host), port);
  const Bytes plain = crypto::EncodePublicKeyBlob(cert.key);
  auto same = [](const Bytes& a, const Bytes& b) { return a == b; };
  // A revoked CA or certified key is refused whatever else says.
  for (const KnownHostsFile& file : files) {
    for (const KnownHostsEntry& e : file.entries) {
      if (e.marker == KnownHostsMarker::kRevoked &&
          (same(e.key_blob, cert.signature_key) || same(e.key_blob, plain))) {
        return absl::UnauthenticatedError(absl::StrCat(
            "the host certificate of ", name, " or its CA is revoked (",
            file.path, ":", e.line_number, ")"));
      }
    }
  }
  for (const KnownHostsFile& file : files) {
    for (const KnownHostsEntry& e : file.entries) {
      if (e.marker != KnownHostsMarker::kCertAuthority ||
          !same(e.key_blob, cert.signature_key)) {
        continue;
      }
      PARLEY_ASSIGN_OR_RETURN(bool matches,
                              EntryMatchesHost(e, provider, name));
      if (!matches) continue;
      absl::Status ok =
          keys::CheckHostCertificate(provider, cert, e.key_blob, host, now);
      if (!ok.ok()) {
        return absl::UnauthenticatedError(absl::StrCat(
            ok.message(), " (CA from ", file.path, ":", e.line_number, ")"));
      }
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(
      absl::StrCat("no @cert-authority line for ", name, " names its CA"));
}

absl::StatusOr<bool> HasCertificateAuthority(
    const HostKeyVerifyOptions& options, const crypto::CryptoProvider& provider,
    absl::string_view host, uint16_t port) {
  const std::string name = HostPortName(absl::AsciiStrToLower(host), port);
  for (const std::string& path : options.known_hosts_files) {
    PARLEY_ASSIGN_OR_RETURN(KnownHostsFile file, LoadKnownHosts(path));
    for (const KnownHostsEntry& e : file.entries) {
      if (e.marker != KnownHostsMarker::kCertAuthority) continue;
      PARLEY_ASSIGN_OR_RETURN(bool matches,
                              EntryMatchesHost(e, provider, name));
      if (matches) return true;
    }
  }
  return false;
}

absl::Status VerifyHostKey(const HostKeyVerifyOptions& options,
                           const crypto::CryptoProvider& provider,
                           absl::string_view host, uint16_t port,
                           ByteView key_blob, HostKeyCheck* check_out) {
  if (options.policy == HostKeyPolicy::kCallback && !options.callback) {
    return absl::FailedPreconditionError(
        "host key policy kCallback needs a callback");
  }
  if (options.policy == HostKeyPolicy::kAcceptNew &&
      options.known_hosts_files.empty()) {
    return absl::FailedPreconditionError(
        "host key policy kAcceptNew needs a known_hosts file to write to");
  }

  std::vector<KnownHostsFile> files;
  files.reserve(options.known_hosts_files.size());
  for (const std::string& path : options.known_hosts_files) {
    PARLEY_ASSIGN_OR_RETURN(KnownHostsFile file, LoadKnownHosts(path));
    for (const KnownHostsBadLine& bad : file.bad_lines) {
      if (bad.unsupported_key_type) continue;
      Warn(options, absl::StrCat(path, ":", bad.line_number,
                                 ": ignoring line: ", bad.reason));
    }
    files.push_back(std::move(file));
  }

  // A host certificate: trusted through its CA, refused if a CA for the
  // host names it but it fails a check; with no CA for it, its plain key
  // is checked as any host key (as OpenSSH's client does).
  Bytes plain_blob;
  {
    wire::Reader r(key_blob);
    absl::string_view type;
    if (r.ReadString(&type).ok() && keys::IsCertificateName(type)) {
      PARLEY_ASSIGN_OR_RETURN(keys::Certificate cert,
                              keys::ParseCertificate(key_blob));
      const uint64_t now = options.now
                               ? options.now()
                               : static_cast<uint64_t>(std::time(nullptr));
      absl::Status by_ca =
          CheckHostCertificateAuthority(files, provider, host, port, cert, now);
      if (by_ca.ok() || !absl::IsNotFound(by_ca)) return by_ca;
      plain_blob = crypto::EncodePublicKeyBlob(cert.key);
      key_blob = plain_blob;
    }
  }

  PARLEY_ASSIGN_OR_RETURN(HostKeyCheck check,
                          CheckHostKey(files, provider, host, port, key_blob));
  if (check_out != nullptr) *check_out = check;
  if (check.result == HostKeyResult::kKnown) return absl::OkStatus();
  PARLEY_ASSIGN_OR_RETURN(std::string fingerprint,
                          crypto::FingerprintSha256(provider, key_blob));
  if (check.result == HostKeyResult::kRevoked) {
    return RevokedError(check, fingerprint);
  }

  if (check.result == HostKeyResult::kUnknown && !check.other_types.empty() &&
      options.policy != HostKeyPolicy::kCallback) {
    return OtherTypeError(check, fingerprint);
  }
  switch (options.policy) {
    case HostKeyPolicy::kStrict:
      break;
    case HostKeyPolicy::kAcceptNew:
      if (check.result == HostKeyResult::kUnknown) {
        return Remember(options, provider, host, port, key_blob, check);
      }
      break;
    case HostKeyPolicy::kCallback: {
      HostKeyPrompt prompt;
      prompt.host = std::string(host);
      prompt.port = port;
      prompt.key_type = check.key_type;
      prompt.fingerprint = fingerprint;
      prompt.check = check;
      switch (options.callback(prompt)) {
        case HostKeyDecision::kAccept:
          return absl::OkStatus();
        case HostKeyDecision::kAcceptAndRemember:
          if (check.result == HostKeyResult::kUnknown) {
            return Remember(options, provider, host, port, key_blob, check);
          }
          return absl::OkStatus();
        case HostKeyDecision::kReject:
          break;
      }
      return absl::UnauthenticatedError(absl::StrCat(
          "The ", check.key_type, " host key for ", check.host_port, " (",
          fingerprint, ", ", HostKeyResultName(check.result),
          check.lines.empty() ? "" : " from ", Locations(check.lines),
          ") was rejected by the application. Host key verification "
          "failed."));
    }
  }
  if (check.result == HostKeyResult::kChanged) {
    return ChangedError(check, fingerprint);
  }
  return UnknownError(options, check, fingerprint);
}

}  // namespace parley::hostkeys
