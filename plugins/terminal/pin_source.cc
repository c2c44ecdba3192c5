#include "plugins/terminal/pin_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/auth/kbdint.h"
#include "core/base/file.h"
#include "plugins/terminal/tty.h"

namespace parley::tty {

std::string PinWarning(const pkcs11::PinRequest& r) {
  const std::string token = auth::SanitizeForTerminal(r.token_label);
  if (r.final_try) {
    return absl::StrCat("token \"", token, "\": one more wrong PIN locks it");
  }
  if (r.count_low) {
    return absl::StrCat("token \"", token,
                        "\": a wrong PIN was entered before");
  }
  return "";
}

pkcs11::PinSource PinSource(int fd,
                            std::function<void(absl::string_view)> warn) {
  return [fd, warn = std::move(warn)](
             const pkcs11::PinRequest& r) -> absl::StatusOr<SecureBuffer> {
    const std::string warning = PinWarning(r);
    if (!warning.empty() && warn) warn(warning);
    absl::StatusOr<SecureBuffer> pin;
    if (fd >= 0) {
      LineRead options;
      options.max_bytes = 256;
      pin = ReadSecretLine(fd, options);
    } else {
      AskOptions options;
      options.askpass = AskpassModeFromEnv();
      pin = Ask(
          options,
          "Enter PIN for '" + auth::SanitizeForTerminal(r.token_label) + "': ",
          false);
    }
    if (!pin.ok()) return absl::CancelledError(pin.status().message());
    // An empty PIN is no PIN (end of input, or just Enter): never sent.
    if (pin->empty()) return absl::CancelledError("no PIN was given");
    return pin;
  };
}

}  // namespace parley::tty
