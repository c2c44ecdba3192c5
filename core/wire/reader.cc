#include "core/wire/reader.h"

#include "absl/strings/str_cat.h"

namespace parley::wire {
namespace {

absl::Status Truncated(absl::string_view what, size_t need, size_t have) {
  return absl::InvalidArgumentError(absl::StrCat(
      "truncated ", what, ": need ", need, " bytes, ", have, " left"));
}

bool IsNameChar(uint8_t c) { return c > 0x20 && c < 0x7f && c != ','; }

}  // namespace

absl::Status Reader::ReadU8(uint8_t* out) {
  if (remaining() < 1) return Truncated("byte", 1, remaining());
  *out = data_[pos_++];
  return absl::OkStatus();
}

absl::Status Reader::ReadBool(bool* out) {
  if (remaining() < 1) return Truncated("boolean", 1, remaining());
  *out = data_[pos_++] != 0;
  return absl::OkStatus();
}

absl::Status Reader::ReadU32(uint32_t* out) {
  if (remaining() < 4) return Truncated("uint32", 4, remaining());
  const uint8_t* p = data_.data() + pos_;
  *out = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 |
         uint32_t{p[3]};
  pos_ += 4;
  return absl::OkStatus();
}

absl::Status Reader::ReadU64(uint64_t* out) {
  if (remaining() < 8) return Truncated("uint64", 8, remaining());
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | data_[pos_ + i];
  pos_ += 8;
  *out = v;
  return absl::OkStatus();
}

absl::Status Reader::ReadBytes(size_t n, ByteView* out) {
  if (n > remaining()) return Truncated("field", n, remaining());
  *out = data_.subspan(pos_, n);
  pos_ += n;
  return absl::OkStatus();
}

absl::Status Reader::ReadString(ByteView* out) {
  if (remaining() < 4) return Truncated("string length", 4, remaining());
  const size_t start = pos_;
  uint32_t len;
  (void)ReadU32(&len);
  if (len > remaining()) {
    size_t left = remaining();
    pos_ = start;
    return Truncated("string", len, left);
  }
  *out = data_.subspan(pos_, len);
  pos_ += len;
  return absl::OkStatus();
}

absl::Status Reader::ReadString(absl::string_view* out) {
  ByteView b;
  absl::Status s = ReadString(&b);
  if (s.ok()) *out = AsString(b);
  return s;
}

absl::Status Reader::ReadStringReader(Reader* out) {
  ByteView b;
  absl::Status s = ReadString(&b);
  if (s.ok()) *out = Reader(b);
  return s;
}

absl::Status Reader::ReadNameList(std::vector<std::string>* out) {
  const size_t start = pos_;
  ByteView b;
  absl::Status s = ReadString(&b);
  if (!s.ok()) return s;
  std::vector<std::string> names;
  size_t i = 0;
  while (i < b.size()) {
    size_t j = i;
    while (j < b.size() && b[j] != ',') {
      if (!IsNameChar(b[j])) {
        pos_ = start;
        return absl::InvalidArgumentError(
            "name-list holds a character outside printable US-ASCII");
      }
      ++j;
    }
    if (j == i || j - i > kMaxAlgorithmNameLength) {
      pos_ = start;
      return absl::InvalidArgumentError(
          j == i ? "name-list holds an empty name"
                 : "name-list holds a name longer than 64 characters");
    }
    names.emplace_back(reinterpret_cast<const char*>(b.data() + i), j - i);
    i = j + 1;
    if (j + 1 == b.size()) {  // trailing comma
      pos_ = start;
      return absl::InvalidArgumentError("name-list ends with a comma");
    }
  }
  *out = std::move(names);
  return absl::OkStatus();
}

absl::Status CheckMpintEncoding(ByteView body, bool* negative) {
  *negative = !body.empty() && (body[0] & 0x80) != 0;
  if (body.size() >= 2) {
    // A leading 0x00 is needed only before a byte with the top bit set, a
    // leading 0xff only before a byte with it clear.
    if (body[0] == 0x00 && (body[1] & 0x80) == 0) {
      return absl::InvalidArgumentError("mpint has an unneeded leading zero");
    }
    if (body[0] == 0xff && (body[1] & 0x80) != 0) {
      return absl::InvalidArgumentError("mpint has an unneeded leading 0xff");
    }
  } else if (body.size() == 1 && body[0] == 0x00) {
    return absl::InvalidArgumentError("mpint zero must be the empty string");
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadSignedMpint(bool* negative, ByteView* twos_complement,
                                     size_t max_bytes) {
  const size_t start = pos_;
  ByteView body;
  absl::Status s = ReadString(&body);
  if (!s.ok()) return s;
  if (body.size() > max_bytes) {
    pos_ = start;
    return absl::InvalidArgumentError(absl::StrCat(
        "mpint of ", body.size(), " bytes exceeds the limit of ", max_bytes));
  }
  s = CheckMpintEncoding(body, negative);
  if (!s.ok()) {
    pos_ = start;
    return s;
  }
  *twos_complement = body;
  return absl::OkStatus();
}

absl::Status Reader::ReadMpint(ByteView* magnitude, size_t max_bytes) {
  const size_t start = pos_;
  bool negative;
  ByteView body;
  absl::Status s = ReadSignedMpint(&negative, &body, max_bytes);
  if (!s.ok()) return s;
  if (negative) {
    pos_ = start;
    return absl::InvalidArgumentError("mpint is negative");
  }
  if (!body.empty() && body[0] == 0) body.remove_prefix(1);
  *magnitude = body;
  return absl::OkStatus();
}

absl::Status Reader::Skip(size_t n) {
  if (n > remaining()) return Truncated("field", n, remaining());
  pos_ += n;
  return absl::OkStatus();
}

absl::Status Reader::ExpectEnd() const {
  if (remaining() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(remaining(), " unexpected trailing bytes"));
  }
  return absl::OkStatus();
}

}  // namespace parley::wire
