// Strict base64 (RFC 4648 section 4) for key files and known_hosts, decoding
// into a wiping buffer because an unencrypted private key file is the key
// itself.
#ifndef PARLEY_CORE_BASE_BASE64_H_
#define PARLEY_CORE_BASE_BASE64_H_

#include "absl/strings/string_view.h"
#include "core/base/secure_buffer.h"

namespace parley {

// Decodes `in`: the standard alphabet, padded with '=' to a multiple of four
// characters, no whitespace, zero bits after the last byte (one encoding per
// byte string, as OpenSSH's b64_pton requires). Characters are mapped without
// branching on their values. Returns false, leaving `out` empty, on anything
// else (including empty input).
bool DecodeBase64(absl::string_view in, SecureBuffer* out);

}  // namespace parley

#endif  // PARLEY_CORE_BASE_BASE64_H_
