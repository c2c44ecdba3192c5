// Keyboard-interactive authentication (RFC 4256): the typed challenge a
// server's SSH_MSG_USERAUTH_INFO_REQUEST decodes into, the decoder (a pure
// function of the packet bytes, fuzzable), the INFO_RESPONSE encoder, and
// the text policy.
//
// Text policy: RFC 4256 says name, instruction and prompts are UTF-8. Parley
// decodes them as UTF-8, replaces each invalid sequence with U+FFFD (real
// PAM stacks do send Latin-1), and rejects a NUL character anywhere
// (kInvalidArgument): C callers see these strings as C strings, and a NUL
// would hide the rest of a prompt from them. The language tag is kept as
// sent (RFC 3066 tags are ASCII) and is not used.
#ifndef PARLEY_CORE_AUTH_KBDINT_H_
#define PARLEY_CORE_AUTH_KBDINT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/base/secure_buffer.h"

namespace parley::auth {

// Limits on what a server may ask in one round. A prompt needs at least five
// bytes (string length + echo byte), so a packet bounds the count anyway;
// these caps keep a hostile server from making a responder do silly work.
inline constexpr size_t kMaxPrompts = 256;
inline constexpr size_t kMaxTextBytes = 64 * 1024;  // name, instruction, prompt

struct Prompt {
  std::string text;  // UTF-8, NUL-free
  bool echo = false;
};

struct InfoRequest {
  std::string name;
  std::string instruction;
  std::string language;
  std::vector<Prompt> prompts;
};

// Decodes the body of an INFO_REQUEST (after the message number): string
// name, string instruction, string language tag, uint32 num-prompts, then
// num-prompts x (string prompt, boolean echo). Every length is checked
// against the bytes left, the count against what the packet can hold and
// kMaxPrompts; trailing bytes are an error. kInvalidArgument on any fault.
absl::StatusOr<InfoRequest> DecodeInfoRequest(ByteView body);

// Encodes an INFO_RESPONSE (message number included) into a wiping buffer.
// `responses` must have one entry per prompt of the round.
SecureBuffer EncodeInfoResponse(const std::vector<SecureBuffer>& responses);

// Makes server-supplied text safe to print on a terminal: invalid UTF-8
// becomes U+FFFD; C0 controls other than TAB and LF, DEL, and C1 controls
// (which include CSI and OSC introducers) are shown as "\xNN" / "\u{NNNN}",
// so no escape sequence reaches the terminal; CR is shown as "\r" (it could
// overwrite a line). Bidirectional overrides (U+202A-202E, U+2066-2069) are
// shown escaped too.
std::string SanitizeForTerminal(absl::string_view text);

// UTF-8 validation with replacement (the decoder's policy), exposed for
// other parsers of server text.
std::string ToValidUtf8(absl::string_view text);

}  // namespace parley::auth

#endif  // PARLEY_CORE_AUTH_KBDINT_H_
