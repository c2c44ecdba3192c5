#include "tools/cli/ssh_config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace parley::cli {
namespace {

// Glob matching of '*' and '?' (ssh's match_pattern), case-insensitive,
// iterative so that hostile patterns cannot recurse deeply.
bool Glob(absl::string_view pattern, absl::string_view s) {
  size_t p = 0, i = 0, star = absl::string_view::npos, mark = 0;
  while (i < s.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '?' ||
         absl::ascii_tolower(pattern[p]) == absl::ascii_tolower(s[i]))) {
      ++p;
      ++i;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = i;
    } else if (star != absl::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// Splits a line's arguments: whitespace-separated, double quotes group.
absl::StatusOr<std::vector<std::string>> Words(absl::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && absl::ascii_isspace(s[i])) ++i;
    if (i == s.size()) break;
    std::string word;
    if (s[i] == '"') {
      const size_t end = s.find('"', i + 1);
      if (end == absl::string_view::npos) {
        return absl::InvalidArgumentError("unterminated quote");
      }
      word = std::string(s.substr(i + 1, end - i - 1));
      i = end + 1;
    } else {
      const size_t start = i;
      while (i < s.size() && !absl::ascii_isspace(s[i]) && s[i] != '"') ++i;
      word = std::string(s.substr(start, i - start));
    }
    out.push_back(std::move(word));
  }
  return out;
}

}  // namespace

absl::StatusOr<SshConfig> ParseSshConfig(absl::string_view text,
                                         const std::string& file) {
  SshConfig config;
  config.file = file;
  if (text.size() > kMaxConfigBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": larger than ", kMaxConfigBytes, " bytes"));
  }
  if (text.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": a NUL byte"));
  }
  config.sections.emplace_back();  // lines before the first Host
  int number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++number;
    auto fail = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ":", number, ": ", why));
    };
    if (raw.size() > kMaxConfigLine) return fail("line too long");
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line[0] == '#') continue;
    // "Keyword value", "Keyword=value" or "Keyword = value".
    size_t end = 0;
    while (end < line.size() && !absl::ascii_isspace(line[end]) &&
           line[end] != '=') {
      ++end;
    }
    const std::string keyword = absl::AsciiStrToLower(line.substr(0, end));
    absl::string_view rest =
        absl::StripLeadingAsciiWhitespace(line.substr(end));
    if (!rest.empty() && rest[0] == '=') {
      rest = absl::StripLeadingAsciiWhitespace(rest.substr(1));
    }
    // A trailing comment after the arguments.
    absl::StatusOr<std::vector<std::string>> args = Words(rest);
    if (!args.ok()) return fail(args.status().message());
    for (size_t i = 0; i < args->size(); ++i) {
      if (!(*args)[i].empty() && (*args)[i][0] == '#') {
        args->resize(i);
        break;
      }
    }
    if (keyword.empty()) return fail("no keyword");
    if (args->empty()) return fail(absl::StrCat(keyword, " has no value"));
    if (keyword == "host") {
      ConfigSection s;
      s.patterns = *std::move(args);
      config.sections.push_back(std::move(s));
      continue;
    }
    if (keyword == "match") {
      ConfigSection s;
      s.match = true;
      config.sections.push_back(std::move(s));
      config.warnings.push_back(
          absl::StrCat(file, ":", number,
                       ": Match is not supported; its lines are not used"));
      continue;
    }
    if (keyword == "include") {
      config.warnings.push_back(absl::StrCat(
          file, ":", number, ": Include is not supported; ignored"));
      continue;
    }
    ConfigLine l;
    l.keyword = keyword;
    l.args = *std::move(args);
    l.line = number;
    config.sections.back().lines.push_back(std::move(l));
  }
  return config;
}

bool HostMatches(const std::vector<std::string>& patterns,
                 absl::string_view host) {
  bool matched = false;
  for (const std::string& p : patterns) {
    if (!p.empty() && p[0] == '!') {
      if (Glob(absl::string_view(p).substr(1), host)) return false;
    } else if (Glob(p, host)) {
      matched = true;
    }
  }
  return matched;
}

std::vector<const ConfigLine*> LinesFor(const SshConfig& config,
                                        absl::string_view host) {
  std::vector<const ConfigLine*> out;
  for (size_t i = 0; i < config.sections.size(); ++i) {
    const ConfigSection& s = config.sections[i];
    if (s.match) continue;
    if (i != 0 && !HostMatches(s.patterns, host)) continue;
    for (const ConfigLine& l : s.lines) out.push_back(&l);
  }
  return out;
}

}  // namespace parley::cli
