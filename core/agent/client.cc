#include "core/agent/client.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/bytes.h"

namespace parley::agent {
namespace {

using Clock = std::chrono::steady_clock;

absl::Status Io(const std::string& path, absl::string_view what, int err) {
  return absl::UnavailableError(
      absl::StrCat("agent ", path, ": ", what, err != 0 ? ": " : "",
                   err != 0 ? std::strerror(err) : ""));
}

// Waits until `fd` is ready for `events` or `deadline` passes.
absl::Status Wait(int fd, short events, Clock::time_point deadline,
                  const std::string& path) {
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    if (left.count() <= 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("agent ", path, " did not answer in time"));
    }
    pollfd p = {fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r > 0) return absl::OkStatus();
    if (r < 0 && errno != EINTR) return Io(path, "poll", errno);
  }
}

}  // namespace

std::string AgentSocketPath(const std::string& configured) {
  std::string v = configured;
  if (v == "none") return "";
  if (v == "SSH_AUTH_SOCK" || v.empty()) v = "$SSH_AUTH_SOCK";
  if (v.front() == '$') {
    const char* env = std::getenv(v.c_str() + 1);
    return env != nullptr ? env : "";
  }
  return v;
}

absl::StatusOr<std::unique_ptr<AgentClient>> AgentClient::Connect(
    const std::string& path, std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("agent socket path \"", path, "\" is empty or too long"));
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Io(path, "socket", errno);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    ::close(fd);
    return Io(path, "cannot connect", err);
  }
  // Non-blocking, so that every wait has the time limit.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return std::unique_ptr<AgentClient>(new AgentClient(fd, path, timeout));
}

AgentClient::~AgentClient() { ::close(fd_); }

absl::StatusOr<Bytes> AgentClient::Call(ByteView request) {
  const Clock::time_point deadline = Clock::now() + timeout_;
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n =
        ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (absl::Status s = Wait(fd_, POLLOUT, deadline, path_); !s.ok()) {
        return s;
      }
    } else {
      return Io(path_, "cannot send", errno);
    }
  }
  // uint32 length, then that many bytes.
  uint8_t header[4];
  Bytes body;
  size_t want = sizeof(header), got = 0;
  bool in_body = false;
  while (got < want) {
    uint8_t* into = in_body ? body.data() + got : header + got;
    const ssize_t n = ::recv(fd_, into, want - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n == 0) {
      return Io(path_, "closed the connection", 0);
    } else if (errno == EAGAIN || errno == EINTR) {
      if (absl::Status s = Wait(fd_, POLLIN, deadline, path_); !s.ok()) {
        return s;
      }
      continue;
    } else {
      return Io(path_, "cannot receive", errno);
    }
    if (!in_body && got == want) {
      const uint32_t len = LoadBe32(header);
      if (len == 0 || len > kMaxMessage) {
        return absl::DataLossError(absl::StrCat(
            "agent ", path_, " sent a message of ", len, " bytes"));
      }
      body.resize(len);
      want = len;
      got = 0;
      in_body = true;
    }
  }
  return body;
}

absl::StatusOr<std::vector<Identity>> AgentClient::ListIdentities() {
  absl::StatusOr<Bytes> answer = Call(RequestIdentities());
  if (!answer.ok()) return answer.status();
  return ParseIdentitiesAnswer(*answer);
}

absl::StatusOr<Bytes> AgentClient::Sign(ByteView key_blob, ByteView data,
                                        uint32_t flags) {
  absl::StatusOr<Bytes> answer = Call(SignRequest(key_blob, data, flags));
  if (!answer.ok()) return answer.status();
  return ParseSignResponse(*answer);
}

}  // namespace parley::agent
