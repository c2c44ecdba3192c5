#include "core/keys/key_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/secure_buffer.h"
#include "core/base/status_macros.h"
#include "core/keys/private_key.h"

namespace parley::keys {
namespace {

absl::Status ErrnoStatus(int err, absl::string_view what,
                         const std::string& path) {
  const std::string message =
      absl::StrCat(what, " \"", path, "\": ", strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

class FileCloser {
 public:
  explicit FileCloser(int fd) : fd_(fd) {}
  ~FileCloser() { ::close(fd_); }
  FileCloser(const FileCloser&) = delete;
  FileCloser& operator=(const FileCloser&) = delete;

 private:
  int fd_;
};

// Reads the whole key file after checking its type, size and mode on the
// open descriptor (so the checks apply to the file actually read).
absl::StatusOr<SecureBuffer> ReadKeyFile(const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus(errno, "cannot open private key", path);
  FileCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return ErrnoStatus(errno, "cannot stat private key", path);
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("private key \"", path, "\" is not a regular file"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "permissions %04o for private key \"%s\" are too open: a private key "
        "file must not be accessible by group or others (chmod 600 it)",
        st.st_mode & 07777, path));
  }
  if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > kMaxKeyFileSize) {
    return absl::InvalidArgumentError(absl::StrCat("private key \"", path,
                                                   "\" is larger than ",
                                                   kMaxKeyFileSize, " bytes"));
  }
  // Read to end of file (it may have changed since fstat), growing the
  // buffer up to one byte past the limit; a reallocation wipes the old copy.
  SecureBuffer contents(static_cast<size_t>(st.st_size) + 1);
  size_t used = 0;
  for (;;) {
    if (used == contents.size()) {
      if (contents.size() > kMaxKeyFileSize) break;
      contents.resize(std::min(2 * contents.size(), kMaxKeyFileSize + 1));
    }
    const ssize_t n =
        ::read(fd, contents.data() + used, contents.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "cannot read private key", path);
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  if (used > kMaxKeyFileSize) {
    return absl::InvalidArgumentError(absl::StrCat("private key \"", path,
                                                   "\" is larger than ",
                                                   kMaxKeyFileSize, " bytes"));
  }
  contents.resize(used);
  return contents;
}

}  // namespace

absl::StatusOr<crypto::PrivateKey> LoadPrivateKeyFile(
    const std::string& path, ByteView passphrase,
    const crypto::CryptoProvider& provider) {
  return LoadPrivateKeyFile(path, passphrase, provider, OpenSshKeyOptions(),
                            nullptr);
}

absl::StatusOr<crypto::PrivateKey> LoadPrivateKeyFile(
    const std::string& path, ByteView passphrase,
    const crypto::CryptoProvider& provider, const OpenSshKeyOptions& options,
    std::string* comment) {
  PARLEY_ASSIGN_OR_RETURN(SecureBuffer contents, ReadKeyFile(path));
  PrivateKeyOptions all;
  all.openssh = options;
  return ParsePrivateKey(AsString(View(contents)), passphrase, provider, all,
                         comment);
}

}  // namespace parley::keys
