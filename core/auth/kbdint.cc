#include "core/auth/kbdint.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/status_macros.h"
#include "core/transport/messages.h"
#include "core/wire/reader.h"
#include "core/wire/writer.h"

namespace parley::auth {
namespace {

// Decodes one UTF-8 code point at `s[i]`; returns its length, or 0 if the
// sequence is invalid (overlong, surrogate, beyond U+10FFFF, truncated).
size_t DecodeUtf8(absl::string_view s, size_t i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const uint8_t c = b(0);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len;
  uint32_t v;
  if ((c & 0xe0) == 0xc0) {
    len = 2;
    v = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3;
    v = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4;
    v = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    v = v << 6 | (b(k) & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
  *cp = v;
  return len;
}

absl::Status ReadText(wire::Reader& r, const char* what, std::string* out) {
  absl::string_view raw;
  PARLEY_RETURN_IF_ERROR(r.ReadString(&raw));
  if (raw.size() > kMaxTextBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("keyboard-interactive ", what, " of ", raw.size(),
                     " bytes exceeds the limit of ", kMaxTextBytes));
  }
  if (raw.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("keyboard-interactive ", what, " contains a NUL byte"));
  }
  *out = ToValidUtf8(raw);
  return absl::OkStatus();
}

}  // namespace

std::string ToValidUtf8(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  return out;
}

absl::StatusOr<InfoRequest> DecodeInfoRequest(ByteView body) {
  wire::Reader r(body);
  InfoRequest req;
  PARLEY_RETURN_IF_ERROR(ReadText(r, "name", &req.name));
  PARLEY_RETURN_IF_ERROR(ReadText(r, "instruction", &req.instruction));
  absl::string_view lang;
  PARLEY_RETURN_IF_ERROR(r.ReadString(&lang));
  if (lang.size() > 256) {
    return absl::InvalidArgumentError("language tag too long");
  }
  req.language = ToValidUtf8(lang);
  uint32_t count;
  PARLEY_RETURN_IF_ERROR(r.ReadU32(&count));
  // Each prompt takes at least 5 bytes: bound the count before reserving.
  if (count > r.remaining() / 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("INFO_REQUEST claims ", count,
                     " prompts, more than its packet can hold"));
  }
  if (count > kMaxPrompts) {
    return absl::InvalidArgumentError(absl::StrCat(
        "INFO_REQUEST has ", count, " prompts (limit ", kMaxPrompts, ")"));
  }
  req.prompts.resize(count);
  for (Prompt& p : req.prompts) {
    PARLEY_RETURN_IF_ERROR(ReadText(r, "prompt", &p.text));
    PARLEY_RETURN_IF_ERROR(r.ReadBool(&p.echo));
  }
  PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
  return req;
}

SecureBuffer EncodeInfoResponse(const std::vector<SecureBuffer>& responses) {
  SecureBuffer out;
  size_t total = 5;
  for (const auto& r : responses) total += 4 + r.size();
  out.reserve(total);
  wire::SecretWriter w(&out);
  w.WriteU8(transport::kMsgUserauthInfoResponse);
  w.WriteU32(static_cast<uint32_t>(responses.size()));
  for (const auto& r : responses) w.WriteString(View(r));
  return out;
}

std::string SanitizeForTerminal(absl::string_view text) {
  std::string valid = ToValidUtf8(text);
  std::string out;
  out.reserve(valid.size());
  for (size_t i = 0; i < valid.size();) {
    uint32_t cp = 0;
    size_t n = DecodeUtf8(valid, i, &cp);  // always valid now
    if (cp == '\t' || cp == '\n') {
      out.push_back(static_cast<char>(cp));
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp < 0x20 || cp == 0x7f) {
      out += absl::StrFormat("\\x%02x", cp);
    } else if ((cp >= 0x80 && cp < 0xa0) || (cp >= 0x202a && cp <= 0x202e) ||
               (cp >= 0x2066 && cp <= 0x2069)) {
      out += absl::StrFormat("\\u{%04x}", cp);
    } else {
      out.append(valid.data() + i, n);
    }
    i += n;
  }
  return out;
}

}  // namespace parley::auth
