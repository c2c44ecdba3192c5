// Reading small configuration and secret files safely. The checks apply to
// the file actually read (fstat() of the open descriptor, no window between
// check and use); FIFOs and devices are refused without blocking on them;
// the size is bounded; secrets go straight into wiping memory. Messages name
// the file and say how to fix it ("chmod 600 it").
#ifndef PARLEY_CORE_BASE_FILE_H_
#define PARLEY_CORE_BASE_FILE_H_

#include <signal.h>

#include <chrono>
#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/base/secure_buffer.h"

namespace parley {

struct FileRules {
  // What the file is, for messages: "secret file", "rules file".
  absl::string_view what = "file";
  size_t max_bytes = 64 * 1024;
  enum class Access {
    kAny,
    // Nobody else may change it (group/others cannot write) and it belongs
    // to the user or root: configuration that decides what runs.
    kTrusted,
    // Only its owner -- the user -- may read it (no group/other bits at
    // all): secrets.
    kPrivate,
  } access = Access::kAny;
  // Refuse a symbolic link as the last path component.
  bool no_follow = false;
};

// Errors: kNotFound (no such file), kPermissionDenied (cannot open it, or
// the access rule), kInvalidArgument (not a regular file, too large, a
// symbolic link with no_follow), kUnavailable (other open errors).
absl::StatusOr<std::string> ReadSmallFile(const std::string& path,
                                          const FileRules& rules);
absl::StatusOr<SecureBuffer> ReadSecretFile(const std::string& path,
                                            const FileRules& rules);

struct LineRead {
  size_t max_bytes = 4096;
  // Give up (kDeadlineExceeded) when no line has come by then.
  absl::optional<std::chrono::steady_clock::time_point> deadline;
  // A flag a signal handler sets: a read interrupted while it is nonzero
  // fails (kCancelled) instead of being retried.
  const volatile sig_atomic_t* interrupted = nullptr;
};

// Reads one line (to a newline or end of file; CRs dropped) from `fd` into
// wiping memory, a byte at a time: nothing past the line is consumed and no
// other buffer ever holds it. kInvalidArgument beyond max_bytes,
// kUnavailable for a read error.
absl::StatusOr<SecureBuffer> ReadSecretLine(int fd, const LineRead& options);

// Replaces `path` with `contents` so that a crash or power loss leaves the
// old file or the new one, never a torn or empty one: a temporary file next
// to it (created exclusively, never through a symbolic link), written and
// fsync()ed, renamed over `path`, then the folder fsync()ed. The new file
// has mode `mode`. Errors name the file (kUnavailable).
absl::Status ReplaceFile(const std::string& path, absl::string_view contents,
                         unsigned mode = 0600);

}  // namespace parley

#endif  // PARLEY_CORE_BASE_FILE_H_
