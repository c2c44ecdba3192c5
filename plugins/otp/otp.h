// One-time passwords for the OTP responder plugin: HOTP (RFC 4226) and TOTP
// (RFC 6238) with HMAC-SHA-1/256/512 and 6 to 8 digits; secrets as bare
// base32 (RFC 4648) or as an otpauth:// URI (the Key Uri Format of
// authenticator apps); and the state kept between logins and processes (the
// HOTP counter, the last TOTP time step used), locked and replaced
// atomically so that a crash mid-write loses nothing.
#ifndef PARLEY_PLUGINS_OTP_OTP_H_
#define PARLEY_PLUGINS_OTP_OTP_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "core/base/bytes.h"
#include "core/base/secure_buffer.h"

namespace parley::otp {

enum class OtpType { kTotp, kHotp };
enum class OtpHash { kSha1, kSha256, kSha512 };

struct OtpParams {
  OtpType type = OtpType::kTotp;
  OtpHash hash = OtpHash::kSha1;
  int digits = 6;                // 6 to 8
  int period = 30;               // TOTP step, seconds
  uint64_t initial_counter = 0;  // HOTP, from the URI
  SecureBuffer secret;
};

// RFC 4648 base32, case-insensitive, '=' padding and spaces allowed.
absl::StatusOr<SecureBuffer> DecodeBase32(absl::string_view text);

// A secret file's content: "otpauth://totp/Label?secret=...&algorithm=SHA256
// &digits=8&period=60" (hotp with counter=N) or a bare base32 secret.
absl::StatusOr<OtpParams> ParseSecret(absl::string_view text);

// HOTP(K, C) of RFC 4226 section 5.3 (dynamic truncation), `digits` long.
absl::StatusOr<std::string> Hotp(const SecureBuffer& key, uint64_t counter,
                                 OtpHash hash, int digits);

// The 8-byte big-endian counter HOTP hashes (RFC 4226 section 5.2).
Bytes CounterBytes(uint64_t counter);

// The code of an HMAC value (RFC 4226 section 5.3, dynamic truncation):
// for HMACs computed elsewhere, e.g. on a smartcard.
absl::StatusOr<std::string> CodeFromHmac(ByteView mac, int digits);

// The TOTP time step of `unix_seconds` (RFC 6238 section 4.2).
inline uint64_t TotpStep(int64_t unix_seconds, int period) {
  return unix_seconds <= 0 ? 0 : static_cast<uint64_t>(unix_seconds) / period;
}

// A counter kept in a file, shared between processes: Update() locks
// `path + ".lock"`, reads the value (nullopt when the file does not exist
// yet), lets `next` compute the new one, and writes it to a temporary file
// that is synced and renamed over `path`.
absl::StatusOr<uint64_t> UpdateCounterFile(
    const std::string& path,
    const std::function<absl::StatusOr<uint64_t>(absl::optional<uint64_t>)>&
        next);

// Which HOTP counter or TOTP time step the next code uses, kept in a state
// file so that no code is sent twice, across processes too.
struct MovingFactorOptions {
  OtpType type = OtpType::kTotp;
  int period = 30;
  uint64_t initial_counter = 0;  // HOTP: when the counter file is new
  int skew = 0;                  // TOTP steps ahead the server accepts
  int64_t time_offset = 0;       // seconds added to the clock
  std::string state_file;        // TOTP: the last step used
  std::string counter_file;      // HOTP: the next counter
};
struct MovingFactor {
  uint64_t value = 0;    // the counter or time step to use
  uint32_t wait_ms = 0;  // nonzero: none usable yet, ask again this late
};
absl::StatusOr<MovingFactor> NextMovingFactor(const MovingFactorOptions& o);

// The default TOTP state file for a secret with id `id`:
// $XDG_STATE_HOME/parley/otp/<id>.step (or ~/.local/state/...), made if
// need be; "" when there is neither.
std::string DefaultStateFile(const std::string& id);

// The responder options every one-time-code responder takes:
// algorithm=sha1|sha256|sha512, digits=6..8, period=1..3600, skew=0..10,
// time-offset=SECONDS. Unset ones keep the secret's (or the defaults).
struct OtpOptions {
  absl::optional<OtpHash> hash;
  absl::optional<int> digits;
  absl::optional<int> period;
  int skew = 0;
  int64_t time_offset = 0;
};
// Applies `key`=`value` to `o`: false when `key` is not one of these
// options, kInvalidArgument for a bad value.
absl::StatusOr<bool> ParseOtpOption(absl::string_view key,
                                    const std::string& value, OtpOptions* o);
// "totp" or "hotp"; nullopt for anything else.
absl::optional<OtpType> ParseOtpType(absl::string_view value);

// Reads a secret file: a regular file no one but its owner can read or
// write (mode 0600 or stricter), at most 4 KiB.
absl::StatusOr<OtpParams> LoadSecretFile(const std::string& path);

}  // namespace parley::otp

#endif  // PARLEY_PLUGINS_OTP_OTP_H_
