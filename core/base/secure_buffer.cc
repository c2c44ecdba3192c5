#include "core/base/secure_buffer.h"

#include <string.h>

namespace parley {

void SecureWipe(void* p, size_t len) {
  if (p == nullptr || len == 0) return;
  // glibc's explicit_bzero is documented not to be optimised away.
  explicit_bzero(p, len);
}

bool ConstantTimeEquals(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  volatile uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = diff | static_cast<uint8_t>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace parley
