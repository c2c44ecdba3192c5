// A reader for the DER subset that private key files use (ITU-T X.690):
// SEQUENCE, INTEGER, OCTET STRING, BIT STRING, NULL, OBJECT IDENTIFIER and
// context-specific explicit tags, each with definite lengths. Every read
// checks its bounds; nothing is copied (views into the input).
#ifndef PARLEY_CORE_KEYS_INTERNAL_DER_H_
#define PARLEY_CORE_KEYS_INTERNAL_DER_H_

#include <cstdint>

#include "absl/status/status.h"
#include "core/base/bytes.h"

namespace parley::keys::internal {

inline constexpr uint8_t kDerInteger = 0x02;
inline constexpr uint8_t kDerBitString = 0x03;
inline constexpr uint8_t kDerOctetString = 0x04;
inline constexpr uint8_t kDerNull = 0x05;
inline constexpr uint8_t kDerOid = 0x06;
inline constexpr uint8_t kDerSequence = 0x30;
// [n] EXPLICIT (constructed, context-specific).
constexpr uint8_t DerContext(int n) { return static_cast<uint8_t>(0xa0 + n); }

class DerReader {
 public:
  explicit DerReader(ByteView data) : data_(data) {}

  bool empty() const { return data_.empty(); }
  // The next element's tag, or 0 at the end.
  uint8_t PeekTag() const { return data_.empty() ? 0 : data_[0]; }

  // The contents of the next element, which must have tag `tag`.
  // kInvalidArgument (naming `what`) for another tag, an indefinite,
  // non-minimal or overlong length, or a length past the end.
  absl::Status Read(uint8_t tag, ByteView* contents, const char* what);
  // A SEQUENCE (or an explicit [n]) whose contents `inner` then reads.
  absl::Status ReadConstructed(uint8_t tag, DerReader* inner, const char* what);
  // A non-negative INTEGER as a big-endian magnitude without leading zeros
  // (zero is empty); negative integers are refused.
  absl::Status ReadUnsigned(ByteView* magnitude, const char* what);
  // A non-negative INTEGER that fits in 32 bits.
  absl::Status ReadSmall(uint32_t* value, const char* what);
  // A BIT STRING with no unused bits, as bytes.
  absl::Status ReadBitString(ByteView* bytes, const char* what);
  absl::Status ExpectEnd(const char* what) const;

 private:
  ByteView data_;
};

// Whether `oid` (an OBJECT IDENTIFIER's contents) is `expected`.
bool OidIs(ByteView oid, ByteView expected);

}  // namespace parley::keys::internal

#endif  // PARLEY_CORE_KEYS_INTERNAL_DER_H_
