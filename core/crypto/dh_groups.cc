#include "core/crypto/dh_groups.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace parley::crypto {
namespace {

// The primes below are the RFC 3526 values; each equals
// 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) * pi) + c) for the constant c
// the RFC gives (checked when they were written down).
// RFC 3526 section 3: the 2048-bit MODP group (group 14), generator 2.
constexpr char kModp2048Prime[] =
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74"
    "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437"
    "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
    "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05"
    "98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb"
    "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b"
    "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718"
    "3995497cea956ae515d2261898fa051015728e5a8aacaa68ffffffffffffffff";

// RFC 3526 section 5: the 4096-bit MODP group (group 16), generator 2.
constexpr char kModp4096Prime[] =
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74"
    "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437"
    "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
    "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05"
    "98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb"
    "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b"
    "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718"
    "3995497cea956ae515d2261898fa051015728e5a8aaac42dad33170d04507a33"
    "a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7"
    "abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864"
    "d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e2"
    "08e24fa074e5ab3143db5bfce0fd108e4b82d120a92108011a723c12a787e6d7"
    "88719a10bdba5b2699c327186af4e23c1a946834b6150bda2583e9ca2ad44ce8"
    "dbbbc2db04de8ef92e8efc141fbecaa6287c59474e6bc05d99b2964fa090c3a2"
    "233ba186515be7ed1f612970cee2d7afb81bdd762170481cd0069127d5b05aa9"
    "93b4ea988d8fddc186ffb7dc90a6c08f4df435c934063199ffffffffffffffff";

// RFC 3526 section 7: the 8192-bit MODP group (group 18), generator 2.
constexpr char kModp8192Prime[] =
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74"
    "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437"
    "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
    "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05"
    "98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb"
    "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b"
    "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718"
    "3995497cea956ae515d2261898fa051015728e5a8aaac42dad33170d04507a33"
    "a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7"
    "abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864"
    "d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e2"
    "08e24fa074e5ab3143db5bfce0fd108e4b82d120a92108011a723c12a787e6d7"
    "88719a10bdba5b2699c327186af4e23c1a946834b6150bda2583e9ca2ad44ce8"
    "dbbbc2db04de8ef92e8efc141fbecaa6287c59474e6bc05d99b2964fa090c3a2"
    "233ba186515be7ed1f612970cee2d7afb81bdd762170481cd0069127d5b05aa9"
    "93b4ea988d8fddc186ffb7dc90a6c08f4df435c93402849236c3fab4d27c7026"
    "c1d4dcb2602646dec9751e763dba37bdf8ff9406ad9e530ee5db382f413001ae"
    "b06a53ed9027d831179727b0865a8918da3edbebcf9b14ed44ce6cbaced4bb1b"
    "db7f1447e6cc254b332051512bd7af426fb8f401378cd2bf5983ca01c64b92ec"
    "f032ea15d1721d03f482d7ce6e74fef6d55e702f46980c82b5a84031900b1c9e"
    "59e7c97fbec7e8f323a97a7e36cc88be0f1d45b7ff585ac54bd407b22b4154aa"
    "cc8f6d7ebf48e1d814cc5ed20f8037e0a79715eef29be32806a1d58bb7c5da76"
    "f550aa3d8a1fbff0eb19ccb1a313d55cda56c9ec2ef29632387fe8d76e3c0468"
    "043e8f663f4860ee12bf2d5b0b7474d6e694f91e6dbe115974a3926f12fee5e4"
    "38777cb6a932df8cd8bec4d073b931ba3bc832b68d9dd300741fa7bf8afc47ed"
    "2576f6936ba424663aab639c5ae4f5683423b4742bf1c978238f16cbe39d652d"
    "e3fdb8befc848ad922222e04a4037c0713eb57a81a23f0c73473fc646cea306b"
    "4bcbc8862f8385ddfa9d4b7fa2c087e879683303ed5bdd3a062b3cf5b3a278a6"
    "6d2a13f83f44f82ddf310ee074ab6a364597e899a0255dc164f31cc50846851d"
    "f9ab48195ded7ea1b1d510bd7ee74d73faf36bc31ecfa268359046f4eb879f92"
    "4009438b481c6cd7889a002ed5ee382bc9190da6fc026e479558e4475677e9aa"
    "9e3050e2765694dfc81f56e880b96e7160c980dd98edd3dfffffffffffffffff";
constexpr uint8_t HexDigit(char c) {
  return static_cast<uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10);
}

// Decodes a lower-case hex literal at compile time, so that the groups need
// no heap and no static initialisation (backend modules that hold them may
// be unloaded).
template <size_t N>
constexpr std::array<uint8_t, N / 2> HexArray(const char (&hex)[N]) {
  std::array<uint8_t, N / 2> out{};
  for (size_t i = 0; i < N / 2; ++i) {
    out[i] = static_cast<uint8_t>(HexDigit(hex[2 * i]) << 4 |
                                  HexDigit(hex[2 * i + 1]));
  }
  return out;
}

constexpr auto k2048 = HexArray(kModp2048Prime);
constexpr auto k4096 = HexArray(kModp4096Prime);
constexpr auto k8192 = HexArray(kModp8192Prime);
static_assert(k2048.size() == 256 && k4096.size() == 512 &&
              k8192.size() == 1024);

// Private exponent sizes: twice the group's security strength, as
// recommended by RFC 8268 section 4 and done by OpenSSH.
constexpr ModpGroup kGroups[] = {
    {2048, ByteView(k2048.data(), k2048.size()), 2, 2 * 112},
    {4096, ByteView(k4096.data(), k4096.size()), 2, 2 * 152},
    {8192, ByteView(k8192.data(), k8192.size()), 2, 2 * 200},
};

// Compares big-endian numbers of equal length.
int CompareEqualLength(const uint8_t* a, const uint8_t* b, size_t n) {
  return n == 0 ? 0 : std::memcmp(a, b, n);
}

}  // namespace

const ModpGroup* FindModpGroup(KexGroup group) {
  switch (group) {
    case KexGroup::kModp2048:
      return &kGroups[0];
    case KexGroup::kModp4096:
      return &kGroups[1];
    case KexGroup::kModp8192:
      return &kGroups[2];
    default:
      return nullptr;
  }
}

absl::Status CheckDhPublicValue(const ModpGroup& group, ByteView y) {
  return CheckDhPublicValue(group.prime, y);
}

absl::Status CheckDhPublicValue(ByteView p, ByteView y) {
  while (!y.empty() && y[0] == 0) y.remove_prefix(1);
  while (!p.empty() && p[0] == 0) p.remove_prefix(1);
  if (p.empty() || (p.back() & 1) == 0) {
    return absl::InternalError("DH prime is empty or even");
  }
  if (y.size() > p.size()) {
    return absl::InvalidArgumentError("DH public value is larger than p");
  }
  // y >= 2?
  if (y.empty() || (y.size() == 1 && y[0] < 2)) {
    return absl::InvalidArgumentError("DH public value is below 2");
  }
  if (y.size() < p.size()) return absl::OkStatus();
  // Same length as p: need y <= p - 2, computed with borrows (p is odd, so
  // p - 2 >= 1 and never needs a borrow past the number).
  Bytes p_minus_2(p.begin(), p.end());
  unsigned borrow = 2;
  for (size_t i = p_minus_2.size(); i-- > 0 && borrow != 0;) {
    const unsigned v = p_minus_2[i];
    p_minus_2[i] = static_cast<uint8_t>(v - borrow);
    borrow = v < borrow ? 1 : 0;
  }
  if (CompareEqualLength(y.data(), p_minus_2.data(), p.size()) > 0) {
    return absl::InvalidArgumentError("DH public value is above p-2");
  }
  return absl::OkStatus();
}

namespace {

size_t BitLength(ByteView v) {
  while (!v.empty() && v[0] == 0) v.remove_prefix(1);
  if (v.empty()) return 0;
  size_t bits = 8 * (v.size() - 1);
  for (uint8_t top = v[0]; top != 0; top >>= 1) ++bits;
  return bits;
}

}  // namespace

absl::Status CheckServerChosenGroup(ByteView p, ByteView g, uint32_t min_bits,
                                    uint32_t max_bits) {
  const size_t bits = BitLength(p);
  if (bits < min_bits || bits > max_bits) {
    return absl::InvalidArgumentError(
        absl::StrCat("the server's DH group has a ", bits, "-bit prime; ",
                     min_bits, " to ", max_bits, " bits were asked for"));
  }
  if ((p.back() & 1) == 0) {
    return absl::InvalidArgumentError("the server's DH prime is even");
  }
  // The generator is checked like a public value: 2 <= g <= p-2.
  absl::Status s = CheckDhPublicValue(p, g);
  if (!s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the server's DH generator is out of range: ", s.message()));
  }
  return absl::OkStatus();
}

size_t ServerChosenExponentBits(size_t p_bits) {
  size_t strength = 200;  // 8192 bits and more
  if (p_bits < 3072) {
    strength = 112;
  } else if (p_bits < 7680) {
    strength = 128;
  } else if (p_bits < 8192) {
    strength = 192;
  }
  return std::min(2 * strength, p_bits - 1);
}

}  // namespace parley::crypto
