#include "core/transport/version.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace parley::transport {

absl::Status VersionExchange::Feed(ByteView in, size_t* consumed) {
  *consumed = 0;
  if (done_) return absl::OkStatus();
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = static_cast<char>(in[i]);
    ++*consumed;
    if (++total_ > kMaxPreVersionBytes) {
      return absl::InvalidArgumentError(
          "server sent more than 64 KiB before its version string");
    }
    if (c == '\n') {
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      absl::Status s = FinishLine();
      if (!s.ok() || done_) return s;
      continue;
    }
    if (c == '\0') {
      return absl::InvalidArgumentError("NUL byte in server identification");
    }
    line_.push_back(c);
    if (absl::StartsWith(line_, "SSH-") && line_.size() > kMaxVersionLine - 1) {
      return absl::InvalidArgumentError(
          "server version string exceeds 255 bytes");
    }
    if (line_.size() > 8192) {
      return absl::InvalidArgumentError("over-long line before version string");
    }
  }
  return absl::OkStatus();
}

absl::Status VersionExchange::FinishLine() {
  std::string line;
  line.swap(line_);
  if (!absl::StartsWith(line, "SSH-")) {
    if (++lines_ > kMaxPreVersionLines) {
      return absl::InvalidArgumentError(
          "too many lines before the server's version string");
    }
    return absl::OkStatus();
  }
  if (absl::StartsWith(line, "SSH-2.0-") ||
      absl::StartsWith(line, "SSH-1.99-")) {
    for (char c : line) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return absl::InvalidArgumentError(
            "control character in server version string");
      }
    }
    version_ = std::move(line);
    done_ = true;
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("server speaks an unsupported protocol version: \"",
                   absl::CHexEscape(line.substr(0, 64)), "\""));
}

absl::string_view SoftwareVersion(absl::string_view v) {
  size_t dash = v.find('-', 4);
  if (dash == absl::string_view::npos) return "";
  v.remove_prefix(dash + 1);
  size_t space = v.find(' ');
  return v.substr(0, space);
}

}  // namespace parley::transport
