#include "core/base/file.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace parley {
namespace {

absl::Status Check(const std::string& path, const FileRules& rules,
                   const struct stat& st) {
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(rules.what, " ", path, " is not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > rules.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        rules.what, " ", path, " is larger than ", rules.max_bytes, " bytes"));
  }
  const unsigned mode = st.st_mode & 07777;
  switch (rules.access) {
    case FileRules::Access::kAny:
      break;
    case FileRules::Access::kTrusted:
      if ((mode & 022) != 0) {
        return absl::PermissionDeniedError(absl::StrFormat(
            "%s %s is writable by %s (mode %04o): chmod go-w it", rules.what,
            path, (mode & 002) != 0 ? "everyone" : "its group", mode));
      }
      if (st.st_uid != ::geteuid() && st.st_uid != 0) {
        return absl::PermissionDeniedError(
            absl::StrCat(rules.what, " ", path, " is owned by uid ", st.st_uid,
                         ", not by you or root"));
      }
      break;
    case FileRules::Access::kPrivate:
      if ((mode & 077) != 0) {
        return absl::PermissionDeniedError(absl::StrFormat(
            "%s %s is accessible to others (mode %04o): chmod 600 it",
            rules.what, path, mode));
      }
      if (st.st_uid != ::geteuid()) {
        return absl::PermissionDeniedError(
            absl::StrCat(rules.what, " ", path, " is owned by uid ", st.st_uid,
                         ", not by you"));
      }
      break;
  }
  return absl::OkStatus();
}

// Opens, checks and reads `path` into `out` (std::string or SecureBuffer).
template <typename Buffer>
absl::Status Read(const std::string& path, const FileRules& rules,
                  Buffer* out) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
                                  (rules.no_follow ? O_NOFOLLOW : 0));
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    const int err = errno;
    if (err == ELOOP && rules.no_follow) {
      return absl::InvalidArgumentError(
          absl::StrCat(rules.what, " ", path, " is a symbolic link"));
    }
    const std::string message = absl::StrCat("cannot open ", rules.what, " ",
                                             path, ": ", std::strerror(err));
    if (err == ENOENT || err == ENOTDIR) return absl::NotFoundError(message);
    if (err == EACCES || err == EPERM) {
      return absl::PermissionDeniedError(message);
    }
    return absl::UnavailableError(message);
  }
  struct stat st;
  absl::Status status;
  if (::fstat(fd, &st) != 0) {
    status = absl::NotFoundError(absl::StrCat(
        "cannot stat ", rules.what, " ", path, ": ", std::strerror(errno)));
  } else {
    status = Check(path, rules, st);
  }
  if (status.ok()) {
    // To the end of the file, which may have changed since fstat(), but no
    // further than one byte past the limit.
    out->resize(
        std::min<size_t>(static_cast<size_t>(st.st_size), rules.max_bytes) + 1);
    size_t used = 0;
    while (true) {
      if (used == out->size()) {
        if (out->size() > rules.max_bytes) break;
        out->resize(std::min(2 * out->size(), rules.max_bytes + 1));
      }
      const ssize_t n = ::read(fd, out->data() + used, out->size() - used);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = absl::NotFoundError(absl::StrCat(
            "cannot read ", rules.what, " ", path, ": ", std::strerror(errno)));
        break;
      }
      if (n == 0) break;
      used += static_cast<size_t>(n);
    }
    if (status.ok() && used > rules.max_bytes) {
      status = absl::InvalidArgumentError(
          absl::StrCat(rules.what, " ", path, " is larger than ",
                       rules.max_bytes, " bytes"));
    }
    out->resize(status.ok() ? used : 0);
  }
  ::close(fd);
  return status;
}

}  // namespace

absl::StatusOr<std::string> ReadSmallFile(const std::string& path,
                                          const FileRules& rules) {
  std::string out;
  absl::Status s = Read(path, rules, &out);
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<SecureBuffer> ReadSecretFile(const std::string& path,
                                            const FileRules& rules) {
  SecureBuffer out;
  absl::Status s = Read(path, rules, &out);
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<SecureBuffer> ReadSecretLine(int fd, const LineRead& options) {
  SecureBuffer line;
  char c = 0;
  while (true) {
    if (options.deadline.has_value()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *options.deadline - std::chrono::steady_clock::now());
      pollfd pfd = {fd, POLLIN, 0};
      const int r = left.count() > 0
                        ? ::poll(&pfd, 1, static_cast<int>(left.count()))
                        : 0;
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) return absl::DeadlineExceededError("no answer in time");
    }
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) {
      if (options.interrupted != nullptr && *options.interrupted != 0) {
        return absl::CancelledError("interrupted");
      }
      continue;
    }
    if (n < 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot read the answer: ", std::strerror(errno)));
    }
    if (n == 0 || c == '\n') break;
    if (c == '\r') continue;
    if (line.size() >= options.max_bytes) {
      c = 0;
      return absl::InvalidArgumentError("the answer is too long");
    }
    line.push_back(static_cast<uint8_t>(c));
  }
  c = 0;
  return line;
}

absl::Status ReplaceFile(const std::string& path, absl::string_view contents,
                         unsigned mode) {
  auto error = [&](const char* what, const std::string& file) {
    return absl::UnavailableError(
        absl::StrCat(what, " ", file, ": ", std::strerror(errno)));
  };
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  ::unlink(tmp.c_str());  // a leftover of a crashed run with this pid
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
             static_cast<mode_t>(mode));
  if (fd < 0) return error("cannot create", tmp);
  size_t done = 0;
  bool ok = true;
  while (ok && done < contents.size()) {
    const ssize_t n =
        ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fchmod(fd, static_cast<mode_t>(mode)) == 0 && ::fsync(fd) == 0;
  absl::Status status = ok ? absl::OkStatus() : error("cannot write", tmp);
  ::close(fd);
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = error("cannot replace", path);
  }
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  // The rename itself must survive a power loss too.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

}  // namespace parley
