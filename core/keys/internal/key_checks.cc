#include "core/keys/internal/key_checks.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "core/base/secure_buffer.h"
#include "core/base/status_macros.h"
#include "core/keys/internal/bignum.h"

namespace parley::keys::internal {
namespace {

using crypto::KeyType;

crypto::SignatureAlgorithm SelfTestAlgorithm(KeyType type) {
  switch (type) {
    case KeyType::kEd25519:
      return crypto::SignatureAlgorithm::kEd25519;
    case KeyType::kEcdsaP256:
      return crypto::SignatureAlgorithm::kEcdsaP256Sha256;
    case KeyType::kEcdsaP384:
      return crypto::SignatureAlgorithm::kEcdsaP384Sha384;
    case KeyType::kEcdsaP521:
      return crypto::SignatureAlgorithm::kEcdsaP521Sha512;
    case KeyType::kRsa:
      break;
  }
  return crypto::SignatureAlgorithm::kRsaSha256;
}

}  // namespace

absl::Status CompleteRsaKey(ByteView n, ByteView e, ByteView d, ByteView iqmp,
                            ByteView p, ByteView q, crypto::PrivateKey* key) {
  n = StripLeadingZeros(n);
  e = StripLeadingZeros(e);
  d = StripLeadingZeros(d);
  iqmp = StripLeadingZeros(iqmp);
  p = StripLeadingZeros(p);
  q = StripLeadingZeros(q);
  const size_t bits = n.size() * 8;
  if (bits < crypto::kMinRsaBits || bits > crypto::kMaxRsaBits + 8 ||
      e.empty() || e.size() > 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA modulus of ", n.size(),
                     " bytes or public exponent is out of range"));
  }
  if (d.empty() || iqmp.empty() || p.size() > n.size() || q.size() > n.size() ||
      p.size() + q.size() < n.size()) {
    return absl::InvalidArgumentError(
        "RSA private values are zero or of impossible sizes");
  }
  if (!MagnitudesEqual(View(Multiply(p, q)), n)) {
    return absl::InvalidArgumentError(
        "RSA primes do not multiply to the modulus");
  }
  PARLEY_ASSIGN_OR_RETURN(SecureBuffer qinv, Mod(iqmp, p));
  PARLEY_ASSIGN_OR_RETURN(SecureBuffer check,
                          Mod(View(Multiply(View(qinv), q)), p));
  if (check.size() != 1 || check[0] != 1) {
    return absl::InvalidArgumentError(
        "RSA iqmp is not the inverse of q modulo p");
  }
  PARLEY_ASSIGN_OR_RETURN(SecureBuffer p1, SubtractOne(p));
  PARLEY_ASSIGN_OR_RETURN(SecureBuffer q1, SubtractOne(q));
  if (p1.empty() || q1.empty()) {
    return absl::InvalidArgumentError("RSA prime is 1");
  }
  PARLEY_ASSIGN_OR_RETURN(key->rsa_dp, Mod(d, View(p1)));
  PARLEY_ASSIGN_OR_RETURN(key->rsa_dq, Mod(d, View(q1)));
  key->public_key.type = KeyType::kRsa;
  key->public_key.rsa_n.assign(n.begin(), n.end());
  key->public_key.rsa_e.assign(e.begin(), e.end());
  key->rsa_d = ToSecureBuffer(d);
  key->rsa_p = ToSecureBuffer(p);
  key->rsa_q = ToSecureBuffer(q);
  key->rsa_qinv = std::move(qinv);
  return absl::OkStatus();
}

absl::Status SelfTest(const crypto::CryptoProvider& provider,
                      const crypto::PrivateKey& key) {
  static constexpr char kMessage[] = "Parley private key self-test";
  const ByteView message = AsBytes(kMessage);
  const crypto::SignatureAlgorithm alg = SelfTestAlgorithm(key.public_key.type);
  absl::StatusOr<std::unique_ptr<crypto::PublicKeySign>> signer =
      provider.NewSigner(key, alg);
  if (!signer.ok()) {
    if (absl::IsInvalidArgument(signer.status())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "inconsistent private key: ", signer.status().message()));
    }
    return signer.status();
  }
  PARLEY_ASSIGN_OR_RETURN(Bytes signature, (*signer)->Sign(message));
  PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<crypto::PublicKeyVerify> verifier,
                          provider.NewVerifier(key.public_key, alg));
  if (!verifier->Verify(message, signature).ok()) {
    return absl::InvalidArgumentError(
        "the private key does not match its public key (self-test signature "
        "did not verify)");
  }
  return absl::OkStatus();
}

}  // namespace parley::keys::internal
