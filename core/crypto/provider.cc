#include "core/crypto/provider.h"

#include "core/base/status_macros.h"

namespace parley::crypto {

absl::StatusOr<Bytes> Digest(const CryptoProvider& provider, HashAlgorithm alg,
                             ByteView data) {
  PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<Hash> h, provider.NewHash(alg));
  PARLEY_RETURN_IF_ERROR(h->Update(data));
  Bytes out(h->digest_size());
  PARLEY_RETURN_IF_ERROR(h->Finish(MutableByteView(out)));
  return out;
}

}  // namespace parley::crypto
