// OTP secrets: otpauth:// URIs and base32 (plugins/otp/otp.h), and the
// one-time-code options.
#include <string>

#include "plugins/otp/otp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)parley::otp::ParseSecret(text);
  (void)parley::otp::DecodeBase32(text);
  const size_t eq = text.find('=');
  if (eq != std::string::npos) {
    parley::otp::OtpOptions o;
    (void)parley::otp::ParseOtpOption(text.substr(0, eq), text.substr(eq + 1),
                                      &o);
  }
  return 0;
}
