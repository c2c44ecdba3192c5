#include "core/plugin/spec.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/base/file.h"

namespace parley::plugin {
namespace {

bool NameChar(char c) {
  return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '.' ||
         c == '-' || c == '_';
}

bool KeyChar(char c) {
  return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' ||
         c == '_' || c == '.';
}

absl::Status At(size_t pos, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("responder spec: ", what, " at column ", pos + 1));
}

// Parses one spec starting at `pos`; stops at ';' (outside quotes) or the
// end. Advances `pos`.
absl::StatusOr<ResponderSpec> ParseOne(absl::string_view s, size_t* pos) {
  ResponderSpec spec;
  size_t i = *pos;
  while (i < s.size() && absl::ascii_isspace(s[i])) ++i;
  const size_t start = i;
  while (i < s.size() && NameChar(s[i])) ++i;
  spec.name = std::string(s.substr(start, i - start));
  if (!ValidName(spec.name)) return At(start, "expected a responder name");
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (i < s.size() && s[i] == '@') {
      ++i;
      const size_t p = i;
      while (i < s.size() && s[i] != ';') ++i;
      spec.config_file =
          std::string(absl::StripAsciiWhitespace(s.substr(p, i - p)));
      if (spec.config_file.empty()) return At(p, "expected a file after @");
    } else {
      while (true) {
        const size_t k = i;
        while (i < s.size() && KeyChar(s[i])) ++i;
        std::string key(s.substr(k, i - k));
        if (key.empty()) return At(k, "expected a key");
        if (i >= s.size() || s[i] != '=') return At(i, "expected '='");
        ++i;
        std::string value;
        if (i < s.size() && s[i] == '"') {
          ++i;
          bool closed = false;
          while (i < s.size()) {
            const char c = s[i++];
            if (c == '"') {
              closed = true;
              break;
            }
            if (c == '\\') {
              if (i >= s.size() || (s[i] != '"' && s[i] != '\\')) {
                return At(i, "only \\\" and \\\\ may be escaped");
              }
              value.push_back(s[i++]);
              continue;
            }
            if (absl::ascii_iscntrl(static_cast<unsigned char>(c))) {
              return At(i - 1, "control character in a value");
            }
            value.push_back(c);
          }
          if (!closed) return At(i, "unterminated quoted value");
        } else {
          while (i < s.size() && s[i] != ',' && s[i] != ';') {
            if (s[i] == '"' ||
                absl::ascii_iscntrl(static_cast<unsigned char>(s[i]))) {
              return At(i, "quote or control character in a bare value");
            }
            value.push_back(s[i++]);
          }
          // "a=x ; b" means "x", not "x ".
          while (!value.empty() && absl::ascii_isspace(value.back())) {
            value.pop_back();
          }
        }
        if (spec.config.size() >= kMaxConfigEntries) {
          return At(k, "too many configuration entries");
        }
        spec.config.emplace_back(std::move(key), std::move(value));
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        break;
      }
    }
  }
  while (i < s.size() && absl::ascii_isspace(s[i])) ++i;
  if (i < s.size() && s[i] != ';') return At(i, "unexpected character");
  *pos = i;
  return spec;
}

}  // namespace

absl::string_view ShortName(absl::string_view name) {
  const size_t dot = name.rfind('.');
  return dot == absl::string_view::npos ? name : name.substr(dot + 1);
}

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '.' ||
      name.back() == '.') {
    return false;
  }
  for (char c : name) {
    if (!NameChar(c)) return false;
  }
  return !ShortName(name).empty();
}

absl::StatusOr<ResponderSpec> ParseResponderSpec(absl::string_view text) {
  if (text.size() > kMaxSpecBytes) {
    return absl::InvalidArgumentError("responder spec is too long");
  }
  size_t pos = 0;
  absl::StatusOr<ResponderSpec> spec = ParseOne(text, &pos);
  if (!spec.ok()) return spec;
  if (pos != text.size()) return At(pos, "one responder expected, found ';'");
  return spec;
}

absl::StatusOr<std::vector<ResponderSpec>> ParseResponderSpecs(
    absl::string_view text) {
  if (text.size() > kMaxSpecBytes) {
    return absl::InvalidArgumentError("responder list is too long");
  }
  std::vector<ResponderSpec> out;
  size_t pos = 0;
  while (pos < text.size()) {
    // Empty entries (";;", a trailing ';') are skipped.
    while (pos < text.size() &&
           (text[pos] == ';' || absl::ascii_isspace(text[pos]))) {
      ++pos;
    }
    if (pos >= text.size()) break;
    absl::StatusOr<ResponderSpec> spec = ParseOne(text, &pos);
    if (!spec.ok()) return spec.status();
    out.push_back(*std::move(spec));
  }
  return out;
}

absl::StatusOr<Config> ParseConfigFile(absl::string_view text,
                                       absl::string_view path) {
  if (text.size() > kMaxSpecBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": configuration file is too large"));
  }
  Config config;
  size_t line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == absl::string_view::npos) end = text.size();
    absl::string_view line =
        absl::StripAsciiWhitespace(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_no, ": expected key = value"));
    }
    std::string key(absl::StripAsciiWhitespace(line.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    bool key_ok = !key.empty();
    for (char c : key) key_ok = key_ok && KeyChar(c);
    if (!key_ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_no, ": bad key"));
    }
    for (char c : value) {
      if (absl::ascii_iscntrl(static_cast<unsigned char>(c))) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", line_no, ": control character in value"));
      }
    }
    if (config.size() >= kMaxConfigEntries) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": too many entries"));
    }
    config.emplace_back(std::move(key), std::move(value));
  }
  return config;
}

absl::StatusOr<ResponderSpec> ResolveConfigFile(ResponderSpec spec) {
  if (spec.config_file.empty()) return spec;
  FileRules rules;
  rules.what = "responder configuration";
  rules.max_bytes = kMaxSpecBytes;
  // It names files and commands a responder uses.
  rules.access = FileRules::Access::kTrusted;
  absl::StatusOr<std::string> text = ReadSmallFile(spec.config_file, rules);
  if (!text.ok()) return text.status();
  absl::StatusOr<Config> config = ParseConfigFile(*text, spec.config_file);
  if (!config.ok()) return config.status();
  spec.config = *std::move(config);
  return spec;
}

}  // namespace parley::plugin
