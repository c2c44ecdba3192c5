// Byte containers and views shared by every layer.
#ifndef PARLEY_CORE_BASE_BYTES_H_
#define PARLEY_CORE_BASE_BYTES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace parley {

using Bytes = std::vector<uint8_t>;
using ByteView = absl::Span<const uint8_t>;
using MutableByteView = absl::Span<uint8_t>;

inline ByteView AsBytes(absl::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

inline absl::string_view AsString(ByteView b) {
  return absl::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

// Big-endian integers in byte arrays (SSH's network byte order).
inline uint32_t LoadBe32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 |
         uint32_t{p[3]};
}
inline void StoreBe32(uint32_t v, uint8_t* p) {
  for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}
inline void StoreBe64(uint64_t v, uint8_t* p) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}

// Lower-case hex of `b`; for logs of public values and tests only.
std::string ToHex(ByteView b);

// Parses hex (either case, no separators). Returns false on odd length or a
// non-hex character.
bool FromHex(absl::string_view hex, Bytes* out);

}  // namespace parley

#endif  // PARLEY_CORE_BASE_BYTES_H_
