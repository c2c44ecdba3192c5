#include "core/keys/internal/der.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace parley::keys::internal {
namespace {

absl::Status Bad(const char* what, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", why));
}

}  // namespace

absl::Status DerReader::Read(uint8_t tag, ByteView* contents,
                             const char* what) {
  if (data_.size() < 2) return Bad(what, "truncated");
  if (data_[0] != tag) {
    return Bad(what, absl::StrCat("tag 0x", absl::Hex(data_[0]), " where 0x",
                                  absl::Hex(tag), " was expected"));
  }
  size_t length = data_[1];
  size_t header = 2;
  if (length & 0x80) {
    // X.690 section 8.1.3.5: long form; DER forbids the indefinite form
    // (0x80) and lengths that fit a shorter form.
    const size_t count = length & 0x7f;
    if (count == 0) return Bad(what, "indefinite length");
    if (count > 4) return Bad(what, "length too large");
    if (data_.size() < 2 + count) return Bad(what, "truncated length");
    length = 0;
    for (size_t i = 0; i < count; ++i) length = (length << 8) | data_[2 + i];
    if (data_[2] == 0 || length < 0x80) {
      return Bad(what, "length not in its shortest form");
    }
    header += count;
  }
  if (length > data_.size() - header) return Bad(what, "length past the end");
  *contents = data_.subspan(header, length);
  data_ = data_.subspan(header + length);
  return absl::OkStatus();
}

absl::Status DerReader::ReadConstructed(uint8_t tag, DerReader* inner,
                                        const char* what) {
  ByteView contents;
  absl::Status s = Read(tag, &contents, what);
  if (!s.ok()) return s;
  *inner = DerReader(contents);
  return absl::OkStatus();
}

absl::Status DerReader::ReadUnsigned(ByteView* magnitude, const char* what) {
  ByteView v;
  absl::Status s = Read(kDerInteger, &v, what);
  if (!s.ok()) return s;
  if (v.empty()) return Bad(what, "empty INTEGER");
  if (v[0] & 0x80) return Bad(what, "negative INTEGER");
  if (v.size() > 1 && v[0] == 0 && !(v[1] & 0x80)) {
    return Bad(what, "INTEGER not in its shortest form");
  }
  size_t zeros = 0;
  while (zeros < v.size() && v[zeros] == 0) ++zeros;
  *magnitude = v.subspan(zeros);
  return absl::OkStatus();
}

absl::Status DerReader::ReadSmall(uint32_t* value, const char* what) {
  ByteView m;
  absl::Status s = ReadUnsigned(&m, what);
  if (!s.ok()) return s;
  if (m.size() > 4) return Bad(what, "INTEGER too large");
  uint32_t v = 0;
  for (uint8_t b : m) v = (v << 8) | b;
  *value = v;
  return absl::OkStatus();
}

absl::Status DerReader::ReadBitString(ByteView* bytes, const char* what) {
  ByteView v;
  absl::Status s = Read(kDerBitString, &v, what);
  if (!s.ok()) return s;
  if (v.empty() || v[0] != 0) return Bad(what, "BIT STRING with unused bits");
  *bytes = v.subspan(1);
  return absl::OkStatus();
}

absl::Status DerReader::ExpectEnd(const char* what) const {
  if (data_.empty()) return absl::OkStatus();
  return Bad(what, absl::StrCat(data_.size(), " unexpected trailing bytes"));
}

bool OidIs(ByteView oid, ByteView expected) {
  return oid.size() == expected.size() &&
         std::equal(oid.begin(), oid.end(), expected.begin());
}

}  // namespace parley::keys::internal
