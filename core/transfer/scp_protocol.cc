#include "core/transfer/scp_protocol.h"

#include <cstdio>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace parley::transfer {
namespace {

absl::Status Bad(absl::string_view line) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid SCP line \"", ScpPrintable(line), "\""));
}

bool ParseDecimal(absl::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 19 ||
      s.find_first_not_of("0123456789") != absl::string_view::npos) {
    return false;
  }
  return absl::SimpleAtoi(s, out);
}

bool ParseMode(absl::string_view s, uint32_t* out) {
  if (s.empty() || s.size() > 5 ||
      s.find_first_not_of("01234567") != absl::string_view::npos) {
    return false;
  }
  uint32_t mode = 0;
  for (char d : s) mode = mode * 8 + static_cast<uint32_t>(d - '0');
  *out = mode & 07777;
  return true;
}

}  // namespace

std::string ScpPrintable(absl::string_view s) {
  std::string out;
  for (char c : s.substr(0, 256)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

absl::StatusOr<ScpLine> ParseScpLine(absl::string_view line) {
  if (line.empty() || line.size() > kMaxScpLine) return Bad(line);
  ScpLine out;
  const char kind = line[0];
  const absl::string_view rest = line.substr(1);
  if (kind == 1 || kind == 2) {
    out.kind = ScpLine::kError;
    out.fatal = kind == 2;
    out.message = ScpPrintable(rest);
    return out;
  }
  if (kind == 'E') {
    if (!rest.empty()) return Bad(line);
    out.kind = ScpLine::kEndDirectory;
    return out;
  }
  if (kind == 'T') {
    std::vector<absl::string_view> f = absl::StrSplit(rest, ' ');
    int64_t usec;
    if (f.size() != 4 || !ParseDecimal(f[0], &out.mtime) ||
        !ParseDecimal(f[1], &usec) || !ParseDecimal(f[2], &out.atime) ||
        !ParseDecimal(f[3], &usec)) {
      return Bad(line);
    }
    out.kind = ScpLine::kTimes;
    return out;
  }
  if (kind == 'C' || kind == 'D') {
    std::vector<absl::string_view> f =
        absl::StrSplit(rest, absl::MaxSplits(' ', 2));
    if (f.size() != 3 || !ParseMode(f[0], &out.mode) ||
        !ParseDecimal(f[1], &out.size) || f[2].empty() || f[2] == "." ||
        f[2] == ".." || f[2].find('/') != absl::string_view::npos) {
      return Bad(line);
    }
    out.kind = kind == 'C' ? ScpLine::kFile : ScpLine::kDirectory;
    out.name = std::string(f[2]);
    return out;
  }
  return Bad(line);
}

std::string FormatScpTimes(int64_t mtime, int64_t atime) {
  return absl::StrCat("T", mtime, " 0 ", atime, " 0\n");
}

std::string FormatScpFile(uint32_t mode, int64_t size, absl::string_view name) {
  char octal[8];
  std::snprintf(octal, sizeof(octal), "%04o", mode & 07777u);
  return absl::StrCat("C", octal, " ", size, " ", name, "\n");
}

}  // namespace parley::transfer
