// CryptoProvider: the seam between Parley's protocol code and a crypto
// library. A session holds one provider (chosen by name at run time, see
// backend_loader.h); nothing in core/ links a crypto library itself.
//
// Contract for implementations:
// - Every method returns a status; no exception and no library error queue
//   escapes. An algorithm the backend lacks is kUnimplemented.
// - Key lengths and parameters are checked in New*(): a bad length is an
//   error value, never a half-built object.
// - Objects made by a provider may outlive neither the provider nor the
//   shared object it came from (the loader's handle keeps both alive).
#ifndef PARLEY_CORE_CRYPTO_PROVIDER_H_
#define PARLEY_CORE_CRYPTO_PROVIDER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/crypto/aead.h"
#include "core/crypto/algorithms.h"
#include "core/crypto/cipher.h"
#include "core/crypto/hash.h"
#include "core/crypto/key_agreement.h"
#include "core/crypto/mac.h"
#include "core/crypto/signature.h"

namespace parley::crypto {

class CryptoProvider {
 public:
  virtual ~CryptoProvider() = default;

  // Short name used to select the backend ("openssl", "cryptopp").
  virtual absl::string_view name() const = 0;
  // The underlying library and its version, for logs and benchmarks.
  virtual std::string library_version() const = 0;
  // The SSH algorithms this backend implements, in its default order.
  virtual AlgorithmLists Algorithms() const = 0;

  virtual absl::StatusOr<std::unique_ptr<Hash>> NewHash(
      HashAlgorithm alg) const = 0;
  virtual absl::StatusOr<std::unique_ptr<Mac>> NewHmac(HashAlgorithm alg,
                                                       ByteView key) const = 0;
  virtual absl::StatusOr<std::unique_ptr<Poly1305>> NewPoly1305() const = 0;
  // key: 16, 24 or 32 bytes; iv: 16-byte initial counter block.
  virtual absl::StatusOr<std::unique_ptr<StreamCipher>> NewAesCtr(
      ByteView key, ByteView iv) const = 0;
  // key: 16 or 32 bytes (24 accepted where the backend has it).
  virtual absl::StatusOr<std::unique_ptr<Aead>> NewAesGcm(
      ByteView key) const = 0;
  virtual absl::StatusOr<std::unique_ptr<ChaCha20>> NewChaCha20(
      ByteView key) const = 0;
  // CBC for legacy uses (cipher.h); key CbcKeySize(), iv CbcBlockSize().
  virtual absl::StatusOr<std::unique_ptr<CbcCipher>> NewCbc(
      CbcAlgorithm alg, ByteView key, ByteView iv, bool encrypt) const = 0;

  // A fresh ephemeral key pair from the provider's CSPRNG.
  virtual absl::StatusOr<std::unique_ptr<KeyAgreement>> NewKeyAgreement(
      KexGroup group) const = 0;
  // An ephemeral pair in a group the server chose (RFC 4419): p and g as
  // big-endian magnitudes, already checked with CheckServerChosenGroup();
  // the private exponent has ServerChosenExponentBits() bits. Its group()
  // is kModpServerChosen; peer values are checked against this p.
  virtual absl::StatusOr<std::unique_ptr<KeyAgreement>> NewDhKeyAgreement(
      ByteView p, ByteView g) const = 0;
  // A key pair from a given private value (known-answer tests; X25519 and
  // NIST curves take the raw scalar).
  virtual absl::StatusOr<std::unique_ptr<KeyAgreement>>
  NewKeyAgreementFromPrivate(KexGroup group, ByteView private_key) const = 0;

  virtual absl::StatusOr<std::unique_ptr<PublicKeyVerify>> NewVerifier(
      const PublicKey& key, SignatureAlgorithm alg) const = 0;
  virtual absl::StatusOr<std::unique_ptr<PublicKeySign>> NewSigner(
      const PrivateKey& key, SignatureAlgorithm alg) const = 0;
  // Fills in key->public_key from the private half, for key formats that
  // leave it out: the Ed25519 public key from the seed, the EC point from
  // the scalar (key->public_key.type says which). kInvalidArgument for an
  // invalid private value; RSA keys always carry their public half.
  virtual absl::Status DerivePublicKey(PrivateKey* key) const = 0;
  // A new key pair; `rsa_bits` is used for KeyType::kRsa only.
  virtual absl::StatusOr<PrivateKey> GenerateKey(KeyType type,
                                                 size_t rsa_bits) const = 0;

  // Fills `out` from the backend's CSPRNG.
  virtual absl::Status RandomBytes(MutableByteView out) const = 0;

  // MD5, for two legacy formats only: the host-key fingerprint
  // libssh2_hostkey_hash(LIBSSH2_HOSTKEY_HASH_MD5) returns, and the key
  // derivation of OpenSSL's DEK-Info encrypted PEM files. MD5 is broken;
  // nothing else in Parley may hash with it, which is why it is not a
  // HashAlgorithm.
  virtual absl::StatusOr<Bytes> LegacyMd5(ByteView data) const = 0;
};

// Shorthand used by protocol code: one-shot digest.
absl::StatusOr<Bytes> Digest(const CryptoProvider& provider, HashAlgorithm alg,
                             ByteView data);

}  // namespace parley::crypto

#endif  // PARLEY_CORE_CRYPTO_PROVIDER_H_
