#include "plugins/otp/otp.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/base/file.h"

namespace parley::otp {
namespace {

constexpr size_t kMaxSecretFile = 4096;

int Base32Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

// Percent-decoding of a URI query value.
// The result may be a secret: its memory is reserved once (no copy left
// behind by growth) and wiped on error.
absl::StatusOr<std::string> PercentDecode(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto fail = [&out](const char* why) {
    SecureWipe(out.data(), out.size());
    return absl::InvalidArgumentError(why);
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    int hi, lo;
    if (i + 2 >= s.size()) return fail("truncated %-escape in otpauth URI");
    auto hex = [](char c) {
      if (c >= '0' && c <= '9') return c - '0';
      c = absl::ascii_tolower(c);
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    hi = hex(s[i + 1]);
    lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return fail("bad %-escape in otpauth URI");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

const EVP_MD* Md(OtpHash h) {
  switch (h) {
    case OtpHash::kSha1:
      return EVP_sha1();
    case OtpHash::kSha256:
      return EVP_sha256();
    case OtpHash::kSha512:
      return EVP_sha512();
  }
  return EVP_sha1();
}

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<SecureBuffer> DecodeBase32(absl::string_view text) {
  SecureBuffer out;
  uint32_t buffer = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '-') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    const int v = Base32Value(c);
    if (v < 0 || padding) {
      return absl::InvalidArgumentError("the secret is not base32");
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(buffer >> bits));
      buffer &= (1u << bits) - 1;
    }
  }
  buffer = 0;
  if (out.empty()) return absl::InvalidArgumentError("the secret is empty");
  return out;
}

absl::StatusOr<OtpParams> ParseSecret(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  OtpParams p;
  if (!absl::StartsWithIgnoreCase(text, "otpauth://")) {
    absl::StatusOr<SecureBuffer> key = DecodeBase32(text);
    if (!key.ok()) return key.status();
    p.secret = *std::move(key);
    return p;
  }
  absl::string_view rest = text.substr(10);
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) {
    return absl::InvalidArgumentError("otpauth URI without a label");
  }
  const absl::string_view type = rest.substr(0, slash);
  if (absl::EqualsIgnoreCase(type, "totp")) {
    p.type = OtpType::kTotp;
  } else if (absl::EqualsIgnoreCase(type, "hotp")) {
    p.type = OtpType::kHotp;
  } else {
    return absl::InvalidArgumentError("otpauth URI type must be totp or hotp");
  }
  const size_t q = rest.find('?');
  if (q == absl::string_view::npos) {
    return absl::InvalidArgumentError("otpauth URI without parameters");
  }
  bool have_secret = false;
  bool have_counter = false;
  for (absl::string_view kv : absl::StrSplit(rest.substr(q + 1), '&')) {
    const size_t eq = kv.find('=');
    const absl::string_view key = kv.substr(0, eq);
    absl::StatusOr<std::string> value =
        PercentDecode(eq == absl::string_view::npos ? "" : kv.substr(eq + 1));
    if (!value.ok()) return value.status();
    if (absl::EqualsIgnoreCase(key, "secret")) {
      absl::StatusOr<SecureBuffer> k = DecodeBase32(*value);
      SecureWipe(value->data(), value->size());
      if (!k.ok()) return k.status();
      p.secret = *std::move(k);
      have_secret = true;
    } else if (absl::EqualsIgnoreCase(key, "algorithm")) {
      if (absl::EqualsIgnoreCase(*value, "SHA1")) {
        p.hash = OtpHash::kSha1;
      } else if (absl::EqualsIgnoreCase(*value, "SHA256")) {
        p.hash = OtpHash::kSha256;
      } else if (absl::EqualsIgnoreCase(*value, "SHA512")) {
        p.hash = OtpHash::kSha512;
      } else {
        return absl::InvalidArgumentError(
            "otpauth algorithm must be SHA1, SHA256 or SHA512");
      }
    } else if (absl::EqualsIgnoreCase(key, "digits")) {
      if (!absl::SimpleAtoi(*value, &p.digits) || p.digits < 6 ||
          p.digits > 8) {
        return absl::InvalidArgumentError("otpauth digits must be 6 to 8");
      }
    } else if (absl::EqualsIgnoreCase(key, "period")) {
      if (!absl::SimpleAtoi(*value, &p.period) || p.period < 1 ||
          p.period > 3600) {
        return absl::InvalidArgumentError(
            "otpauth period must be 1 to 3600 seconds");
      }
    } else if (absl::EqualsIgnoreCase(key, "counter")) {
      if (!absl::SimpleAtoi(*value, &p.initial_counter)) {
        return absl::InvalidArgumentError("otpauth counter is not a number");
      }
      have_counter = true;
    }
    // issuer, image and others are of no use here.
  }
  if (!have_secret) {
    return absl::InvalidArgumentError("otpauth URI without a secret");
  }
  if (p.type == OtpType::kHotp && !have_counter) {
    return absl::InvalidArgumentError("otpauth hotp URI without a counter");
  }
  return p;
}

absl::StatusOr<std::string> Hotp(const SecureBuffer& key, uint64_t counter,
                                 OtpHash hash, int digits) {
  if (digits < 6 || digits > 8) {
    return absl::InvalidArgumentError("digits must be 6 to 8");
  }
  const Bytes msg = CounterBytes(counter);
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(Md(hash), key.data(), static_cast<int>(key.size()), msg.data(),
           msg.size(), mac, &len) == nullptr ||
      len < 20) {
    return absl::InternalError("HMAC failed");
  }
  absl::StatusOr<std::string> code = CodeFromHmac(ByteView(mac, len), digits);
  SecureWipe(mac, sizeof(mac));
  return code;
}

Bytes CounterBytes(uint64_t counter) {
  Bytes msg(8);
  for (int i = 7; i >= 0; --i, counter >>= 8) {
    msg[i] = static_cast<uint8_t>(counter);
  }
  return msg;
}

absl::StatusOr<std::string> CodeFromHmac(ByteView mac, int digits) {
  if (digits < 6 || digits > 8) {
    return absl::InvalidArgumentError("digits must be 6 to 8");
  }
  if (mac.size() < 20) {
    return absl::InvalidArgumentError("an HMAC shorter than 20 bytes");
  }
  // RFC 4226 section 5.3: dynamic truncation.
  const size_t offset = mac[mac.size() - 1] & 0x0f;
  const uint32_t binary =
      (uint32_t{mac[offset]} & 0x7f) << 24 | uint32_t{mac[offset + 1]} << 16 |
      uint32_t{mac[offset + 2]} << 8 | uint32_t{mac[offset + 3]};
  uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  return absl::StrFormat("%0*u", digits, binary % modulus);
}

absl::StatusOr<uint64_t> UpdateCounterFile(
    const std::string& path,
    const std::function<absl::StatusOr<uint64_t>(absl::optional<uint64_t>)>&
        next) {
  const std::string lock_path = path + ".lock";
  const int lock = ::open(lock_path.c_str(),
                          O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock < 0) return ErrnoError("cannot open", lock_path);
  int rc;
  do {
    rc = ::flock(lock, LOCK_EX);
  } while (rc != 0 && errno == EINTR);
  auto unlock = [lock] { ::close(lock); };
  if (rc != 0) {
    absl::Status s = ErrnoError("cannot lock", lock_path);
    unlock();
    return s;
  }
  absl::optional<uint64_t> current;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[32] = {0};
    const ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
    ::close(fd);
    uint64_t v;
    if (n <= 0 ||
        !absl::SimpleAtoi(absl::StripAsciiWhitespace(
                              absl::string_view(buf, static_cast<size_t>(n))),
                          &v)) {
      unlock();
      return absl::DataLossError(
          absl::StrCat("state file ", path, " is damaged"));
    }
    current = v;
  } else if (errno != ENOENT) {
    absl::Status s = ErrnoError("cannot read", path);
    unlock();
    return s;
  }
  absl::StatusOr<uint64_t> value = next(current);
  if (!value.ok()) {
    unlock();
    return value;
  }
  // A crash or power loss leaves either the old value or the new one.
  absl::Status s = ReplaceFile(path, absl::StrCat(*value, "\n"));
  unlock();
  if (!s.ok()) return s;
  return *value;
}

absl::StatusOr<OtpParams> LoadSecretFile(const std::string& path) {
  FileRules rules;
  rules.what = "secret file";
  rules.max_bytes = kMaxSecretFile;
  rules.access = FileRules::Access::kPrivate;
  rules.no_follow = true;
  absl::StatusOr<SecureBuffer> text = ReadSecretFile(path, rules);
  if (!text.ok()) return text.status();
  absl::StatusOr<OtpParams> p = ParseSecret(absl::string_view(
      reinterpret_cast<const char*>(text->data()), text->size()));
  if (!p.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("secret file ", path, ": ", p.status().message()));
  }
  return p;
}

// A used step further ahead than this is a clock gone back or a damaged
// state file, not a burst of logins.
constexpr uint64_t kMaxStepsAhead = 1000;

absl::StatusOr<MovingFactor> NextMovingFactor(const MovingFactorOptions& o) {
  MovingFactor out;
  if (o.type == OtpType::kHotp) {
    absl::StatusOr<uint64_t> next = UpdateCounterFile(
        o.counter_file,
        [&](absl::optional<uint64_t> c) -> absl::StatusOr<uint64_t> {
          return c.value_or(o.initial_counter) + 1;
        });
    if (!next.ok()) return next.status();
    out.value = *next - 1;
    return out;
  }
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count() +
                      o.time_offset * 1000;
  const uint64_t step = TotpStep(now_ms / 1000, o.period);
  uint64_t wait_for = 0;
  absl::StatusOr<uint64_t> use = UpdateCounterFile(
      o.state_file,
      [&](absl::optional<uint64_t> last) -> absl::StatusOr<uint64_t> {
        if (!last.has_value() || *last < step) return step;
        if (*last - step > kMaxStepsAhead) {
          return absl::FailedPreconditionError(absl::StrCat(
              "state file ", o.state_file, " says the code of a time step ",
              *last - step,
              " steps ahead was used: the clock went back, or the file is "
              "damaged (remove it only if no code was used since)"));
        }
        // This step's code was used: the next one, if the server takes
        // codes that far ahead; otherwise wait for it.
        if (*last + 1 <= step + static_cast<uint64_t>(o.skew)) {
          return *last + 1;
        }
        wait_for = *last + 1 - static_cast<uint64_t>(o.skew);
        return *last;  // unchanged
      });
  if (!use.ok()) return use.status();
  if (wait_for != 0) {
    const int64_t starts_ms = static_cast<int64_t>(wait_for) * o.period * 1000;
    // A little after the step begins, so that the server sees it too.
    out.wait_ms =
        static_cast<uint32_t>(std::max<int64_t>(starts_ms - now_ms, 0)) + 200;
    return out;
  }
  out.value = *use;
  return out;
}

absl::StatusOr<bool> ParseOtpOption(absl::string_view key,
                                    const std::string& value, OtpOptions* o) {
  if (key == "algorithm") {
    const std::string a = absl::AsciiStrToLower(value);
    if (a == "sha1") {
      o->hash = OtpHash::kSha1;
    } else if (a == "sha256") {
      o->hash = OtpHash::kSha256;
    } else if (a == "sha512") {
      o->hash = OtpHash::kSha512;
    } else {
      return absl::InvalidArgumentError(
          "algorithm must be sha1, sha256 or sha512");
    }
  } else if (key == "digits") {
    int d = 0;
    if (!absl::SimpleAtoi(value, &d) || d < 6 || d > 8) {
      return absl::InvalidArgumentError("digits must be 6 to 8");
    }
    o->digits = d;
  } else if (key == "period") {
    int p = 0;
    if (!absl::SimpleAtoi(value, &p) || p < 1 || p > 3600) {
      return absl::InvalidArgumentError("period must be 1 to 3600 seconds");
    }
    o->period = p;
  } else if (key == "skew") {
    if (!absl::SimpleAtoi(value, &o->skew) || o->skew < 0 || o->skew > 10) {
      return absl::InvalidArgumentError("skew must be 0 to 10 time steps");
    }
  } else if (key == "time-offset") {
    if (!absl::SimpleAtoi(value, &o->time_offset)) {
      return absl::InvalidArgumentError(
          "time-offset must be a number of seconds");
    }
  } else {
    return false;
  }
  return true;
}

absl::optional<OtpType> ParseOtpType(absl::string_view value) {
  if (value == "totp") return OtpType::kTotp;
  if (value == "hotp") return OtpType::kHotp;
  return absl::nullopt;
}

std::string DefaultStateFile(const std::string& id) {
  std::string base;
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg == '/') {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home && *home == '/') {
    base = absl::StrCat(home, "/.local/state");
  } else {
    return "";
  }
  std::string dir = base;
  for (const char* part : {"/parley", "/parley/otp"}) {
    dir = base + part;
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return "";
  }
  return absl::StrCat(dir, "/", id, ".step");
}

}  // namespace parley::otp
