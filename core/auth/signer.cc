#include "core/auth/signer.h"

#include "core/base/status_macros.h"
#include "core/crypto/ssh_keys.h"

namespace parley::auth {

std::vector<crypto::SignatureAlgorithm> Signer::algorithms() const {
  return crypto::SignatureAlgorithmsFor(public_key().type);
}

KeySigner::KeySigner(std::shared_ptr<const crypto::CryptoProvider> provider,
                     crypto::PrivateKey key)
    : provider_(std::move(provider)),
      key_(std::move(key)),
      blob_(crypto::EncodePublicKeyBlob(key_.public_key)) {}

absl::StatusOr<SignResult> KeySigner::Sign(const SignRequest& request,
                                           Bytes* signature) {
  PARLEY_ASSIGN_OR_RETURN(
      *signature,
      crypto::SignSsh(*provider_, key_, request.algorithm, request.data));
  return SignResult::kSigned;
}

PreferredAlgorithmsSigner::PreferredAlgorithmsSigner(
    std::shared_ptr<Signer> inner,
    std::vector<crypto::SignatureAlgorithm> wanted)
    : ForwardingSigner(std::move(inner)) {
  const crypto::KeyType type = public_key().type;
  for (crypto::SignatureAlgorithm a : wanted) {
    if (crypto::KeyTypeFor(a) == type) algorithms_.push_back(a);
  }
  if (algorithms_.empty()) algorithms_ = ForwardingSigner::algorithms();
}

}  // namespace parley::auth
