#include "core/crypto/pbkdf2.h"

#include <algorithm>

#include "core/base/status_macros.h"

namespace parley::crypto {

absl::StatusOr<SecureBuffer> Pbkdf2Hmac(const CryptoProvider& provider,
                                        HashAlgorithm prf, ByteView password,
                                        ByteView salt, uint32_t iterations,
                                        size_t length) {
  if (iterations == 0 || length == 0) {
    return absl::InvalidArgumentError(
        "PBKDF2 needs at least one iteration and one byte");
  }
  PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<Mac> mac,
                          provider.NewHmac(prf, password));
  const size_t h = mac->tag_size();
  SecureBuffer out(length);
  SecureBuffer u(h), t(h);
  uint8_t index[4];
  for (uint32_t block = 1, done = 0; done < length; ++block) {
    // T_i = U_1 ^ ... ^ U_c, U_1 = PRF(P, S || INT(i)), U_j = PRF(P, U_j-1).
    index[0] = static_cast<uint8_t>(block >> 24);
    index[1] = static_cast<uint8_t>(block >> 16);
    index[2] = static_cast<uint8_t>(block >> 8);
    index[3] = static_cast<uint8_t>(block);
    PARLEY_RETURN_IF_ERROR(
        mac->Compute({salt, ByteView(index, 4)}, MutableByteView(u.data(), h)));
    std::copy(u.begin(), u.end(), t.begin());
    for (uint32_t j = 1; j < iterations; ++j) {
      PARLEY_RETURN_IF_ERROR(
          mac->Compute({ByteView(u.data(), h)}, MutableByteView(u.data(), h)));
      for (size_t k = 0; k < h; ++k) t[k] ^= u[k];
    }
    const size_t n = std::min(h, length - done);
    std::copy(t.begin(), t.begin() + n, out.begin() + done);
    done += n;
  }
  return out;
}

}  // namespace parley::crypto
