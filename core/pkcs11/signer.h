// Token keys as auth::Signer: the login engine offers them like any key;
// the token signs on a worker thread (BackgroundSigner), so a slow token or
// a PIN prompt never stalls the session.
#ifndef PARLEY_CORE_PKCS11_SIGNER_H_
#define PARLEY_CORE_PKCS11_SIGNER_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "core/auth/signer.h"
#include "core/pkcs11/token.h"

namespace parley::pkcs11 {

struct TokenSigner {
  std::shared_ptr<auth::Signer> signer;
  TokenKey key;
};

// A signer for `key` of `module`; the PIN, when the token needs one, comes
// from `pin` (called on the worker thread).
std::shared_ptr<auth::Signer> NewTokenSigner(
    std::shared_ptr<Module> module, TokenKey key,
    std::shared_ptr<const crypto::CryptoProvider> provider, PinSource pin);

// Every key `selection` names, as signers.
absl::StatusOr<std::vector<TokenSigner>> TokenSigners(
    const KeySelection& selection,
    std::shared_ptr<const crypto::CryptoProvider> provider, PinSource pin);

}  // namespace parley::pkcs11

#endif  // PARLEY_CORE_PKCS11_SIGNER_H_
