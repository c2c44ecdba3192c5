#include "core/crypto/mac.h"

#include "core/base/secure_buffer.h"

namespace parley::crypto {

absl::Status Mac::Verify(std::initializer_list<ByteView> parts, ByteView tag) {
  uint8_t computed[64];
  const size_t n = tag_size();
  if (n > sizeof(computed) || tag.size() != n) {
    return absl::DataLossError("MAC has the wrong length");
  }
  absl::Status s = Compute(parts, MutableByteView(computed, n));
  if (!s.ok()) return s;
  const bool equal = ConstantTimeEquals(ByteView(computed, n), tag);
  SecureWipe(computed, sizeof(computed));
  if (!equal) return absl::DataLossError("MAC mismatch");
  return absl::OkStatus();
}

}  // namespace parley::crypto
