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

// Lower-case hex of `b`; for logs of public values and tests only.
std::string ToHex(ByteView b);

// Parses hex (either case, no separators). Returns false on odd length or a
// non-hex character.
bool FromHex(absl::string_view hex, Bytes* out);

}  // namespace parley

#endif  // PARLEY_CORE_BASE_BYTES_H_
