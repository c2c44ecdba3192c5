#include "tools/cli/destination.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/auth/kbdint.h"

namespace parley::cli {
namespace {

std::string Safe(absl::string_view s) { return auth::SanitizeForTerminal(s); }

}  // namespace

absl::StatusOr<Destination> ParseDestination(const std::string& text,
                                             bool allow_port) {
  Destination d;
  d.as_written = text;
  std::string rest = text;
  const size_t at = rest.rfind('@');
  if (at != std::string::npos) {
    d.user = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (d.user->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", text, "\": an empty user name"));
    }
  }
  if (allow_port) {
    std::string port;
    if (!rest.empty() && rest[0] == '[') {
      const size_t close = rest.find(']');
      if (close == std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", text, "\": an unclosed ["));
      }
      if (close + 1 < rest.size()) {
        if (rest[close + 1] != ':') {
          return absl::InvalidArgumentError(
              absl::StrCat("\"", text, "\": text after ]"));
        }
        port = rest.substr(close + 2);
      }
      rest = rest.substr(1, close - 1);
    } else if (std::count(rest.begin(), rest.end(), ':') == 1) {
      const size_t colon = rest.find(':');
      port = rest.substr(colon + 1);
      rest = rest.substr(0, colon);
    }
    if (!port.empty() || (allow_port && text.back() == ':')) {
      int p = 0;
      if (!absl::SimpleAtoi(port, &p) || p < 1 || p > 65535) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", text, "\": a bad port"));
      }
      d.port = static_cast<uint16_t>(p);
    }
  }
  if (rest.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\": no host"));
  }
  for (char c : rest) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '\\') {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", Safe(text), "\": not a host name"));
    }
  }
  d.host = rest;
  return d;
}

absl::StatusOr<std::vector<Destination>> ParseHostsFile(
    absl::string_view text, const std::string& file) {
  if (text.size() > kMaxHostsFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": larger than ", kMaxHostsFileBytes, " bytes"));
  }
  std::vector<Destination> out;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    if (const size_t hash = line.find('#'); hash != absl::string_view::npos) {
      line = line.substr(0, hash);
    }
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    if (out.size() == kMaxHosts) {
      return absl::ResourceExhaustedError(
          absl::StrCat(file, ": more than ", kMaxHosts, " hosts"));
    }
    absl::StatusOr<Destination> d =
        ParseDestination(std::string(line), /*allow_port=*/true);
    if (!d.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ":", number, ": ", d.status().message()));
    }
    out.push_back(*std::move(d));
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": no hosts"));
  }
  return out;
}

}  // namespace parley::cli
