#include "core/pkcs11/signer.h"

#include "core/auth/background_signer.h"

namespace parley::pkcs11 {

std::shared_ptr<auth::Signer> NewTokenSigner(
    std::shared_ptr<Module> module, TokenKey key,
    std::shared_ptr<const crypto::CryptoProvider> provider, PinSource pin) {
  crypto::PublicKey public_key = key.public_key;
  Bytes blob = key.blob;
  auth::BackgroundSigner::SignFunction sign =
      [module, key = std::move(key), provider, pin](
          const Bytes& data, crypto::SignatureAlgorithm alg) {
        return module->Sign(key, alg, data, *provider, pin);
      };
  return std::make_shared<auth::BackgroundSigner>(
      std::move(public_key), std::move(blob),
      std::vector<crypto::SignatureAlgorithm>{}, std::move(sign));
}

absl::StatusOr<std::vector<TokenSigner>> TokenSigners(
    const KeySelection& selection,
    std::shared_ptr<const crypto::CryptoProvider> provider, PinSource pin) {
  absl::StatusOr<std::shared_ptr<Module>> module =
      Module::Load(selection.module_path);
  if (!module.ok()) return module.status();
  absl::StatusOr<std::vector<TokenKey>> keys =
      (*module)->FindKeys(selection.uri);
  if (!keys.ok()) return keys.status();
  std::vector<TokenSigner> out;
  for (TokenKey& k : *keys) {
    TokenSigner t;
    t.key = k;
    t.signer = NewTokenSigner(*module, std::move(k), provider, pin);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace parley::pkcs11
