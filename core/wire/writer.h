// A writer for the SSH data types of RFC 4251 section 5, appending to a
// byte container. BasicWriter<SecureBuffer> (SecretWriter) is used wherever
// the encoding holds a secret, such as the shared secret K in key derivation.
#ifndef PARLEY_CORE_WIRE_WRITER_H_
#define PARLEY_CORE_WIRE_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/base/bytes.h"
#include "core/base/secure_buffer.h"

namespace parley::wire {

template <typename Buffer>
class BasicWriter {
 public:
  explicit BasicWriter(Buffer* out) : out_(out) {}

  void WriteU8(uint8_t v) { out_->push_back(v); }
  void WriteBool(bool v) { out_->push_back(v ? 1 : 0); }
  void WriteU32(uint32_t v) {
    uint8_t b[4] = {static_cast<uint8_t>(v >> 24),
                    static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
                    static_cast<uint8_t>(v)};
    out_->insert(out_->end(), b, b + 4);
  }
  void WriteU64(uint64_t v) {
    WriteU32(static_cast<uint32_t>(v >> 32));
    WriteU32(static_cast<uint32_t>(v));
  }
  void WriteRaw(ByteView b) { out_->insert(out_->end(), b.begin(), b.end()); }
  void WriteString(ByteView b) {
    WriteU32(static_cast<uint32_t>(b.size()));
    WriteRaw(b);
  }
  void WriteString(absl::string_view s) { WriteString(AsBytes(s)); }
  // Joins `names` with commas. Names must not contain commas (caller's
  // contract: they come from Parley's own algorithm tables).
  void WriteNameList(absl::Span<const std::string> names) {
    size_t len = names.empty() ? 0 : names.size() - 1;
    for (const auto& n : names) len += n.size();
    WriteU32(static_cast<uint32_t>(len));
    for (size_t i = 0; i < names.size(); ++i) {
      if (i != 0) out_->push_back(',');
      WriteRaw(AsBytes(names[i]));
    }
  }
  // Writes the non-negative big-endian integer `magnitude` as an mpint:
  // leading zero bytes dropped, a zero byte added when the top bit is set.
  void WriteMpint(ByteView magnitude) {
    size_t skip = 0;
    while (skip < magnitude.size() && magnitude[skip] == 0) ++skip;
    magnitude.remove_prefix(skip);
    const bool pad = !magnitude.empty() && (magnitude[0] & 0x80) != 0;
    WriteU32(static_cast<uint32_t>(magnitude.size() + (pad ? 1 : 0)));
    if (pad) out_->push_back(0);
    WriteRaw(magnitude);
  }
  // Starts a string whose contents are written next; returns a mark for
  // EndString(), which fills in the length.
  size_t BeginString() {
    size_t mark = out_->size();
    WriteU32(0);
    return mark;
  }
  void EndString(size_t mark) {
    uint32_t len = static_cast<uint32_t>(out_->size() - mark - 4);
    (*out_)[mark] = static_cast<uint8_t>(len >> 24);
    (*out_)[mark + 1] = static_cast<uint8_t>(len >> 16);
    (*out_)[mark + 2] = static_cast<uint8_t>(len >> 8);
    (*out_)[mark + 3] = static_cast<uint8_t>(len);
  }

  size_t size() const { return out_->size(); }

 private:
  Buffer* out_;
};

using Writer = BasicWriter<Bytes>;
using SecretWriter = BasicWriter<SecureBuffer>;

}  // namespace parley::wire

#endif  // PARLEY_CORE_WIRE_WRITER_H_
