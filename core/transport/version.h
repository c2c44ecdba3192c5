// SSH protocol version exchange (RFC 4253 section 4.2).
//
// The server may send other lines before its version string; each line ends
// in CR LF (a bare LF is tolerated, as OpenSSH does). The version line is at
// most 255 bytes including CR LF and must be "SSH-2.0-..." (or "SSH-1.99-",
// which announces SSH-2 compatibility). SSH-1 servers are refused.
#ifndef PARLEY_CORE_TRANSPORT_VERSION_H_
#define PARLEY_CORE_TRANSPORT_VERSION_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"

namespace parley::transport {

inline constexpr char kParleyVersion[] = "SSH-2.0-Parley_0.1";
inline constexpr size_t kMaxVersionLine = 255;
// Bound on what a server may send before its version line.
inline constexpr size_t kMaxPreVersionBytes = 64 * 1024;
inline constexpr size_t kMaxPreVersionLines = 1024;

// Incremental parser for the server's identification.
class VersionExchange {
 public:
  // Consumes bytes from the start of `in` up to and including the version
  // line. Returns OK with done() true once the version line was read (and
  // `*consumed` tells how many bytes it took; the rest are binary packets);
  // OK with done() false when more input is needed (everything consumed);
  // an error for a malformed or refused identification.
  absl::Status Feed(ByteView in, size_t* consumed);

  bool done() const { return done_; }
  // The server's version line without CR LF ("SSH-2.0-OpenSSH_9.2p1 ...").
  const std::string& server_version() const { return version_; }
  // Lines the server sent before its version (banners), for diagnostics.
  size_t pre_version_lines() const { return lines_; }

 private:
  absl::Status FinishLine();

  std::string line_;
  std::string version_;
  size_t total_ = 0;
  size_t lines_ = 0;
  bool done_ = false;
};

// Software version of a version line ("OpenSSH_9.2p1" of
// "SSH-2.0-OpenSSH_9.2p1 Debian-2"), for quirks and logs.
absl::string_view SoftwareVersion(absl::string_view version_line);

}  // namespace parley::transport

#endif  // PARLEY_CORE_TRANSPORT_VERSION_H_
