// The SCP protocol's control lines (rcp's protocol as OpenSSH's scp speaks
// it in its remote modes, `scp -f` and `scp -t`), parsed and formatted
// here as pure functions; the C API drives them on a channel
// (core/capi/scp.cc).
//
// Every line or block is acknowledged by one status byte: 0 for success,
// 1 (a warning) or 2 (fatal) followed by a message line. Lines:
//   T<mtime> <usec> <atime> <usec>   times of the next file
//   C<mode> <size> <name>            a file (mode in octal), data follows
//   D<mode> 0 <name> / E             a directory and its end
#ifndef PARLEY_CORE_TRANSFER_SCP_PROTOCOL_H_
#define PARLEY_CORE_TRANSFER_SCP_PROTOCOL_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace parley::transfer {

// Control lines longer than this are refused.
inline constexpr size_t kMaxScpLine = 4096;

struct ScpLine {
  enum Kind { kTimes, kFile, kDirectory, kEndDirectory, kError } kind;
  int64_t mtime = 0, atime = 0;  // kTimes
  uint32_t mode = 0;             // kFile, kDirectory: permission bits
  int64_t size = 0;              // kFile
  std::string name;              // kFile, kDirectory
  std::string message;           // kError (1 or 2 and a message)
  bool fatal = false;            // kError: 2
};

// Parses one control line without its newline. kInvalidArgument (with
// the line made printable) for anything else: negative or non-numeric
// numbers, a mode that is not octal, a name with '/' or that is "." or
// "..", an empty line.
absl::StatusOr<ScpLine> ParseScpLine(absl::string_view line);

// "T<mtime> 0 <atime> 0\n" and "C<mode> <size> <name>\n" (mode as four
// octal digits of its permission bits).
std::string FormatScpTimes(int64_t mtime, int64_t atime);
std::string FormatScpFile(uint32_t mode, int64_t size, absl::string_view name);

// `s` with bytes outside printable ASCII replaced by '?', cut to 256 bytes:
// for messages that quote the peer.
std::string ScpPrintable(absl::string_view s);

}  // namespace parley::transfer

#endif  // PARLEY_CORE_TRANSFER_SCP_PROTOCOL_H_
