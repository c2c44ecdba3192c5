// A token's PIN from a person or a descriptor: read from descriptor `fd`
// (one line) when fd >= 0, else asked on the terminal or through
// SSH_ASKPASS as OpenSSH asks it ("Enter PIN for 'LABEL': "). The token's
// warnings (a wrong PIN was given before; one more locks it) go to `warn`
// first. An empty answer (end of input, or just Enter) is kCancelled: no
// PIN is sent. Used by the parley command and the smartcard responder.
#ifndef PARLEY_PLUGINS_TERMINAL_PIN_SOURCE_H_
#define PARLEY_PLUGINS_TERMINAL_PIN_SOURCE_H_

#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "core/pkcs11/token.h"

namespace parley::tty {

// The warning for `r`, or "" when there is none.
std::string PinWarning(const pkcs11::PinRequest& r);

pkcs11::PinSource PinSource(int fd,
                            std::function<void(absl::string_view)> warn);

}  // namespace parley::tty

#endif  // PARLEY_PLUGINS_TERMINAL_PIN_SOURCE_H_
