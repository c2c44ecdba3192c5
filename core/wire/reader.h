// A bounded, non-owning reader for the SSH data types of RFC 4251 section 5.
//
// Every read checks the bytes it needs against the bytes left before using a
// length, in an order that cannot overflow. A failed read leaves the reader
// where it was and returns kInvalidArgument naming what was malformed.
// Decoders finish with ExpectEnd(): trailing bytes are an error.
#ifndef PARLEY_CORE_WIRE_READER_H_
#define PARLEY_CORE_WIRE_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"

namespace parley::wire {

// Largest mpint accepted by default: 16384-bit magnitude plus a sign byte,
// enough for RSA-16384 and the 8192-bit DH group.
inline constexpr size_t kDefaultMaxMpintBytes = 16384 / 8 + 1;

// RFC 4251 section 6 limits algorithm names to 64 characters.
inline constexpr size_t kMaxAlgorithmNameLength = 64;

class Reader {
 public:
  explicit Reader(ByteView data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }
  // The unread bytes (not consumed).
  ByteView rest() const { return data_.subspan(pos_); }

  absl::Status ReadU8(uint8_t* out);
  // RFC 4251: any non-zero byte is TRUE.
  absl::Status ReadBool(bool* out);
  absl::Status ReadU32(uint32_t* out);
  absl::Status ReadU64(uint64_t* out);
  // `n` raw bytes (no length prefix).
  absl::Status ReadBytes(size_t n, ByteView* out);
  // A uint32 length and that many bytes; `out` views into the input.
  absl::Status ReadString(ByteView* out);
  absl::Status ReadString(absl::string_view* out);
  // A string whose contents are parsed by a sub-reader.
  absl::Status ReadStringReader(Reader* out);
  // A comma-separated name-list. Each name must be non-empty, at most 64
  // printable US-ASCII characters, without comma or whitespace.
  absl::Status ReadNameList(std::vector<std::string>* out);
  // A non-negative mpint in minimal two's-complement form; `magnitude` is the
  // big-endian value without sign byte (empty for zero). Negative values and
  // values longer than `max_bytes` are rejected.
  absl::Status ReadMpint(ByteView* magnitude,
                         size_t max_bytes = kDefaultMaxMpintBytes);
  // Any mpint in minimal form; `twos_complement` is the raw field.
  absl::Status ReadSignedMpint(bool* negative, ByteView* twos_complement,
                               size_t max_bytes = kDefaultMaxMpintBytes);
  // Skips `n` bytes.
  absl::Status Skip(size_t n);
  // kInvalidArgument if bytes remain.
  absl::Status ExpectEnd() const;

 private:
  ByteView data_;
  size_t pos_ = 0;
};

// Validates an mpint body (without the length prefix) against RFC 4251's
// minimal-encoding rule. Exposed for the writer's tests and fuzzers.
absl::Status CheckMpintEncoding(ByteView body, bool* negative);

}  // namespace parley::wire

#endif  // PARLEY_CORE_WIRE_READER_H_
