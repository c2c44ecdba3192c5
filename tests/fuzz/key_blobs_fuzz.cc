// Public-key and signature blobs (core/crypto/ssh_keys.h), public-key
// lines (core/keys/openssh_key.h) and OpenSSH certificates
// (core/keys/certificate.h).
#include <string>

#include "core/crypto/ssh_keys.h"
#include "core/keys/certificate.h"
#include "core/keys/openssh_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const parley::ByteView in(data, size);
  auto key = parley::crypto::ParsePublicKeyBlob(in);
  if (key.ok()) {
    (void)parley::crypto::EncodePublicKeyBlob(*key);
  }
  // The same bytes as a signature for each key type.
  for (auto type :
       {parley::crypto::KeyType::kEd25519, parley::crypto::KeyType::kEcdsaP256,
        parley::crypto::KeyType::kRsa}) {
    parley::crypto::PublicKey k;
    k.type = type;
    if (key.ok() && key->type == type) k = *key;
    (void)parley::crypto::ParseSignatureBlob(in, k);
  }
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)parley::keys::ParsePublicKeyLine(text);
  (void)parley::keys::ParseCertificate(in);
  (void)parley::keys::ParseCertificateLine(text);
  return 0;
}
