#include "backends/cryptopp/signature.h"

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/base/secure_buffer.h"
#include "crypto++/asn.h"
#include "crypto++/eccrypto.h"
#include "crypto++/ecp.h"
#include "crypto++/integer.h"
#include "crypto++/nbtheory.h"
#include "crypto++/oids.h"
#include "crypto++/pkcspad.h"
#include "crypto++/rsa.h"
#include "crypto++/sha.h"
#include "crypto++/xed25519.h"

namespace parley::crypto::cryptopp_backend {
namespace {

using CryptoPP::ECP;
using CryptoPP::Integer;
using EcParams = CryptoPP::DL_GroupParameters_EC<ECP>;

constexpr size_t kEd25519KeySize = 32;
constexpr size_t kEd25519SignatureSize = 64;
constexpr uint8_t kUncompressedPoint = 0x04;  // SEC1 section 2.3.3
constexpr long kRsaPublicExponent = 65537;

bool KnownAlgorithm(SignatureAlgorithm alg) {
  switch (alg) {
    case SignatureAlgorithm::kEd25519:
    case SignatureAlgorithm::kEcdsaP256Sha256:
    case SignatureAlgorithm::kEcdsaP384Sha384:
    case SignatureAlgorithm::kEcdsaP521Sha512:
    case SignatureAlgorithm::kRsaSha256:
    case SignatureAlgorithm::kRsaSha512:
    case SignatureAlgorithm::kRsaSha1:
      return true;
  }
  return false;
}

absl::Status CheckAlgorithmForKey(SignatureAlgorithm alg, KeyType type) {
  if (!KnownAlgorithm(alg)) {
    return absl::UnimplementedError("unsupported signature algorithm");
  }
  if (KeyTypeFor(alg) != type) {
    return absl::InvalidArgumentError(absl::StrCat(SignatureAlgorithmName(alg),
                                                   " cannot be used with a ",
                                                   KeyTypeName(type), " key"));
  }
  return absl::OkStatus();
}

// Only called with an ECDSA key type.
CryptoPP::OID CurveOid(KeyType type) {
  switch (type) {
    case KeyType::kEcdsaP384:
      return CryptoPP::ASN1::secp384r1();
    case KeyType::kEcdsaP521:
      return CryptoPP::ASN1::secp521r1();
    default:
      return CryptoPP::ASN1::secp256r1();
  }
}

// Decodes 0x04 || X || Y (X, Y of `field` bytes) and checks that the point is
// on the curve, is not the identity and has the group's order.
absl::StatusOr<ECP::Point> DecodeEcPoint(const EcParams& params, size_t field,
                                         ByteView encoded) {
  if (encoded.size() != 1 + 2 * field || encoded[0] != kUncompressedPoint) {
    return absl::InvalidArgumentError(
        "EC public key is not an uncompressed point of the curve's size");
  }
  ECP::Point point(ToInteger(encoded.subspan(1, field)),
                   ToInteger(encoded.subspan(1 + field, field)));
  if (!params.ValidateElement(3, point, nullptr)) {
    return absl::InvalidArgumentError("EC public key is not on the curve");
  }
  return point;
}

Bytes EncodeEcPoint(const EcParams& params, const ECP::Point& point) {
  Bytes out(params.GetCurve().EncodedPointSize(/*compressed=*/false));
  params.GetCurve().EncodePoint(out.data(), point, /*compressed=*/false);
  return out;
}

// Checks the modulus size and the exponent (odd, 3 <= e < n).
absl::StatusOr<CryptoPP::RSA::PublicKey> ImportRsaPublic(const PublicKey& key) {
  const Integer n = ToInteger(key.rsa_n);
  const Integer e = ToInteger(key.rsa_e);
  const size_t bits = n.BitCount();
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA modulus of ", bits, " bits is outside [", kMinRsaBits,
                     ", ", kMaxRsaBits, "]"));
  }
  if (n.IsEven() || e.IsEven() || e < Integer(3) || e >= n) {
    return absl::InvalidArgumentError("malformed RSA public key");
  }
  CryptoPP::RSA::PublicKey public_key;
  public_key.Initialize(n, e);
  return public_key;
}

// --- Verifiers and signers ---------------------------------------------------

// Any Crypto++ PK_Verifier over raw signatures of one exact length.
class CryptoppVerifier final : public PublicKeyVerify {
 public:
  CryptoppVerifier(std::unique_ptr<CryptoPP::PK_Verifier> verifier,
                   size_t signature_size)
      : verifier_(std::move(verifier)), signature_size_(signature_size) {}

  absl::Status Verify(ByteView message, ByteView signature) const override {
    if (signature.size() != signature_size_) {
      return absl::InvalidArgumentError(
          absl::StrCat("signature must be ", signature_size_, " bytes, got ",
                       signature.size()));
    }
    return Guard("signature verification", [&] {
      if (!verifier_->VerifyMessage(Ptr(message), message.size(),
                                    signature.data(), signature.size())) {
        return absl::InvalidArgumentError("signature mismatch");
      }
      return absl::OkStatus();
    });
  }

 private:
  const std::unique_ptr<CryptoPP::PK_Verifier> verifier_;
  const size_t signature_size_;
};

class CryptoppSigner final : public PublicKeySign {
 public:
  CryptoppSigner(std::unique_ptr<CryptoPP::PK_Signer> signer,
                 std::shared_ptr<RandomSource> rng)
      : signer_(std::move(signer)), rng_(std::move(rng)) {}

  absl::StatusOr<Bytes> Sign(ByteView message) const override {
    return Guard("signing", [&]() -> absl::StatusOr<Bytes> {
      Bytes signature(signer_->MaxSignatureLength());
      const size_t n = signer_->SignMessage(*rng_, Ptr(message), message.size(),
                                            signature.data());
      signature.resize(n);
      return signature;
    });
  }

 private:
  const std::unique_ptr<CryptoPP::PK_Signer> signer_;
  const std::shared_ptr<RandomSource> rng_;
};

template <typename H>
std::unique_ptr<CryptoPP::PK_Verifier> MakeEcdsaVerifier(
    const EcParams& params, const ECP::Point& point) {
  typename CryptoPP::ECDSA<ECP, H>::PublicKey public_key;
  public_key.Initialize(params, point);
  return std::make_unique<typename CryptoPP::ECDSA<ECP, H>::Verifier>(
      public_key);
}

// RFC 6979 deterministic nonces: no dependence on the RNG for k.
template <typename H>
std::unique_ptr<CryptoPP::PK_Signer> MakeEcdsaSigner(const EcParams& params,
                                                     const Integer& x) {
  typename CryptoPP::ECDSA_RFC6979<ECP, H>::PrivateKey private_key;
  private_key.Initialize(params, x);
  return std::make_unique<typename CryptoPP::ECDSA_RFC6979<ECP, H>::Signer>(
      private_key);
}

template <typename H>
std::unique_ptr<CryptoPP::PK_Verifier> MakeRsaVerifier(
    const CryptoPP::RSA::PublicKey& key) {
  return std::make_unique<
      typename CryptoPP::RSASS<CryptoPP::PKCS1v15, H>::Verifier>(key);
}

template <typename H>
std::unique_ptr<CryptoPP::PK_Signer> MakeRsaSigner(
    const CryptoPP::InvertibleRSAFunction& key) {
  return std::make_unique<
      typename CryptoPP::RSASS<CryptoPP::PKCS1v15, H>::Signer>(key);
}

absl::StatusOr<std::unique_ptr<PublicKeyVerify>> NewVerifierUnguarded(
    const PublicKey& key, SignatureAlgorithm alg) {
  std::unique_ptr<CryptoPP::PK_Verifier> verifier;
  size_t signature_size = 0;
  switch (key.type) {
    case KeyType::kEd25519: {
      if (key.ed25519.size() != kEd25519KeySize) {
        return absl::InvalidArgumentError(
            "Ed25519 public key must be 32 bytes");
      }
      verifier =
          std::make_unique<CryptoPP::ed25519Verifier>(key.ed25519.data());
      signature_size = kEd25519SignatureSize;
      break;
    }
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: {
      const EcParams params(CurveOid(key.type));
      const size_t field = EcFieldSize(key.type);
      absl::StatusOr<ECP::Point> point =
          DecodeEcPoint(params, field, key.ec_point);
      if (!point.ok()) return point.status();
      if (alg == SignatureAlgorithm::kEcdsaP256Sha256) {
        verifier = MakeEcdsaVerifier<CryptoPP::SHA256>(params, *point);
      } else if (alg == SignatureAlgorithm::kEcdsaP384Sha384) {
        verifier = MakeEcdsaVerifier<CryptoPP::SHA384>(params, *point);
      } else {
        verifier = MakeEcdsaVerifier<CryptoPP::SHA512>(params, *point);
      }
      // r || s, each padded to the field size (which equals the byte length
      // of the group order for these curves, as Crypto++ pads them).
      signature_size = 2 * field;
      break;
    }
    case KeyType::kRsa: {
      absl::StatusOr<CryptoPP::RSA::PublicKey> public_key =
          ImportRsaPublic(key);
      if (!public_key.ok()) return public_key.status();
      if (alg == SignatureAlgorithm::kRsaSha256) {
        verifier = MakeRsaVerifier<CryptoPP::SHA256>(*public_key);
      } else if (alg == SignatureAlgorithm::kRsaSha512) {
        verifier = MakeRsaVerifier<CryptoPP::SHA512>(*public_key);
      } else {
        verifier = MakeRsaVerifier<CryptoPP::SHA1>(*public_key);
      }
      signature_size = public_key->GetModulus().ByteCount();
      break;
    }
  }
  if (verifier == nullptr) {
    return absl::UnimplementedError("unsupported public key type");
  }
  if (verifier->SignatureLength() != signature_size) {
    return absl::InternalError("Crypto++ signature length differs from SSH's");
  }
  return std::make_unique<CryptoppVerifier>(std::move(verifier),
                                            signature_size);
}

absl::StatusOr<std::unique_ptr<CryptoPP::PK_Signer>> NewEd25519Signer(
    const PrivateKey& key) {
  if (key.ed25519_seed.size() != kEd25519KeySize) {
    return absl::InvalidArgumentError("Ed25519 seed must be 32 bytes");
  }
  auto signer =
      std::make_unique<CryptoPP::ed25519Signer>(key.ed25519_seed.data());
  // The nonce depends only on the seed and the message but the challenge
  // hashes in the public key, so signatures of one message under two public
  // keys reveal the secret scalar: a stored public key must be the seed's.
  const auto& derived =
      static_cast<const CryptoPP::ed25519PrivateKey&>(signer->GetPrivateKey());
  const uint8_t* public_key = derived.GetPublicKeyBytePtr();
  if (!key.public_key.ed25519.empty() &&
      !std::equal(key.public_key.ed25519.begin(), key.public_key.ed25519.end(),
                  public_key, public_key + kEd25519KeySize)) {
    return absl::InvalidArgumentError(
        "Ed25519 public key does not match the seed");
  }
  return std::unique_ptr<CryptoPP::PK_Signer>(std::move(signer));
}

absl::StatusOr<std::unique_ptr<CryptoPP::PK_Signer>> NewEcdsaSigner(
    const PrivateKey& key, SignatureAlgorithm alg) {
  const KeyType type = key.public_key.type;
  const EcParams params(CurveOid(type));
  const size_t field = EcFieldSize(type);
  const Integer x = ToInteger(View(key.ec_scalar));
  if (key.ec_scalar.size() > field || x.IsZero() ||
      x >= params.GetSubgroupOrder()) {
    return absl::InvalidArgumentError("EC private scalar must lie in [1, n-1]");
  }
  if (!key.public_key.ec_point.empty() &&
      EncodeEcPoint(params, params.ExponentiateBase(x)) !=
          key.public_key.ec_point) {
    return absl::InvalidArgumentError(
        "EC public key does not match the private scalar");
  }
  if (alg == SignatureAlgorithm::kEcdsaP256Sha256) {
    return MakeEcdsaSigner<CryptoPP::SHA256>(params, x);
  }
  if (alg == SignatureAlgorithm::kEcdsaP384Sha384) {
    return MakeEcdsaSigner<CryptoPP::SHA384>(params, x);
  }
  return MakeEcdsaSigner<CryptoPP::SHA512>(params, x);
}

// Recovers p and q from (n, e, d) as in NIST SP 800-56B rev. 2 appendix C.2:
// with d*e - 1 = 2^t * r (r odd), g^r for a random g leads by squaring to a
// non-trivial square root of 1 mod n, and so to a factor, with probability at
// least 1/2 per g. (Crypto++'s InvertibleRSAFunction::Initialize(n, e, d)
// runs the same search with no bound on the number of g, and never returns
// for some malformed keys, e.g. a prime or prime-power n.)
absl::StatusOr<std::pair<Integer, Integer>> FactorModulus(
    const Integer& n, const Integer& e, const Integer& d,
    CryptoPP::RandomNumberGenerator& rng) {
  constexpr int kMaxAttempts = 128;
  const Integer k = d * e - Integer::One();
  if (d >= n || k.IsNegative() || k.IsZero() || k.IsOdd()) {
    return absl::InvalidArgumentError("malformed RSA private exponent");
  }
  unsigned int t = 0;
  Integer r = k;
  while (r.IsEven()) {
    r >>= 1;
    ++t;
  }
  const Integer n_minus_1 = n - Integer::One();
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    const Integer g(rng, Integer::Two(), n - Integer::Two());
    Integer y = CryptoPP::ModularExponentiation(g, r, n);
    if (y == Integer::One() || y == n_minus_1) continue;
    for (unsigned int j = 0; j < t; ++j) {
      Integer x = CryptoPP::ModularMultiplication(y, y, n);
      if (x == Integer::One()) {  // y is a non-trivial square root of 1
        Integer p = Integer::Gcd(y - Integer::One(), n);
        Integer q = n / p;
        return std::make_pair(std::move(p), std::move(q));
      }
      if (x == n_minus_1) break;
      y = std::move(x);
    }
  }
  return absl::InvalidArgumentError(
      "cannot recover the RSA primes from (n, e, d): inconsistent key");
}

absl::StatusOr<std::unique_ptr<CryptoPP::PK_Signer>> NewRsaSigner(
    const PrivateKey& key, SignatureAlgorithm alg, RandomSource& rng) {
  absl::StatusOr<CryptoPP::RSA::PublicKey> public_key =
      ImportRsaPublic(key.public_key);
  if (!public_key.ok()) return public_key.status();
  const Integer& n = public_key->GetModulus();
  const Integer& e = public_key->GetPublicExponent();
  const Integer d = ToInteger(View(key.rsa_d));
  if (d.IsZero()) {
    return absl::InvalidArgumentError("RSA private exponent is missing");
  }
  Integer p, q;
  if (key.rsa_p.empty() && key.rsa_q.empty()) {
    absl::StatusOr<std::pair<Integer, Integer>> factors =
        FactorModulus(n, e, d, rng);
    if (!factors.ok()) return factors.status();
    std::tie(p, q) = *std::move(factors);
  } else {
    p = ToInteger(View(key.rsa_p));
    q = ToInteger(View(key.rsa_q));
    if (p <= Integer::One() || q <= Integer::One()) {
      return absl::InvalidArgumentError("malformed RSA prime");
    }
  }
  // Missing CRT values are derived; OpenSSH's key format, for one, stores
  // only iqmp (u = q^-1 mod p, Crypto++'s convention too).
  const Integer dp = key.rsa_dp.empty() ? d % (p - Integer::One())
                                        : ToInteger(View(key.rsa_dp));
  const Integer dq = key.rsa_dq.empty() ? d % (q - Integer::One())
                                        : ToInteger(View(key.rsa_dq));
  const Integer u =
      key.rsa_qinv.empty() ? q.InverseMod(p) : ToInteger(View(key.rsa_qinv));
  CryptoPP::InvertibleRSAFunction private_key;
  private_key.Initialize(n, e, d, p, q, dp, dq, u);
  // Level 1: p*q = n, e*d = 1 mod lcm(p-1, q-1), and the CRT values agree.
  // A CRT signature from inconsistent values would leak a factor of n.
  if (!private_key.Validate(rng, 1)) {
    return absl::InvalidArgumentError("inconsistent RSA private key");
  }
  if (alg == SignatureAlgorithm::kRsaSha256) {
    return MakeRsaSigner<CryptoPP::SHA256>(private_key);
  }
  if (alg == SignatureAlgorithm::kRsaSha512) {
    return MakeRsaSigner<CryptoPP::SHA512>(private_key);
  }
  return MakeRsaSigner<CryptoPP::SHA1>(private_key);
}

absl::StatusOr<PrivateKey> GenerateUnguarded(KeyType type, size_t rsa_bits,
                                             RandomSource& rng) {
  PrivateKey key;
  key.public_key.type = type;
  switch (type) {
    case KeyType::kEd25519: {
      key.ed25519_seed.resize(kEd25519KeySize);
      rng.GenerateBlock(key.ed25519_seed.data(), key.ed25519_seed.size());
      CryptoPP::ed25519Signer signer(key.ed25519_seed.data());
      const auto& derived = static_cast<const CryptoPP::ed25519PrivateKey&>(
          signer.GetPrivateKey());
      key.public_key.ed25519.assign(
          derived.GetPublicKeyBytePtr(),
          derived.GetPublicKeyBytePtr() + kEd25519KeySize);
      return key;
    }
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: {
      const EcParams params(CurveOid(type));
      const Integer x(rng, Integer::One(),
                      params.GetSubgroupOrder() - Integer::One());
      key.ec_scalar = EncodePaddedSecret(x, EcFieldSize(type));
      key.public_key.ec_point =
          EncodeEcPoint(params, params.ExponentiateBase(x));
      return key;
    }
    case KeyType::kRsa: {
      if (rsa_bits < kMinRsaBits || rsa_bits > kMaxRsaBits) {
        return absl::InvalidArgumentError(
            absl::StrCat("RSA key size ", rsa_bits, " is outside [",
                         kMinRsaBits, ", ", kMaxRsaBits, "]"));
      }
      CryptoPP::InvertibleRSAFunction f;
      f.Initialize(rng, static_cast<unsigned int>(rsa_bits),
                   Integer(kRsaPublicExponent));
      key.public_key.rsa_n = EncodeMinimal(f.GetModulus());
      key.public_key.rsa_e = EncodeMinimal(f.GetPublicExponent());
      key.rsa_d = EncodeMinimalSecret(f.GetPrivateExponent());
      key.rsa_p = EncodeMinimalSecret(f.GetPrime1());
      key.rsa_q = EncodeMinimalSecret(f.GetPrime2());
      key.rsa_dp = EncodeMinimalSecret(f.GetModPrime1PrivateExponent());
      key.rsa_dq = EncodeMinimalSecret(f.GetModPrime2PrivateExponent());
      key.rsa_qinv =
          EncodeMinimalSecret(f.GetMultiplicativeInverseOfPrime2ModPrime1());
      return key;
    }
  }
  return absl::UnimplementedError("unsupported key type");
}

}  // namespace

absl::StatusOr<std::unique_ptr<PublicKeyVerify>> NewCryptoppVerifier(
    const PublicKey& key, SignatureAlgorithm alg) {
  absl::Status s = CheckAlgorithmForKey(alg, key.type);
  if (!s.ok()) return s;
  return Guard("verifier setup",
               [&] { return NewVerifierUnguarded(key, alg); });
}

absl::StatusOr<std::unique_ptr<PublicKeySign>> NewCryptoppSigner(
    const PrivateKey& key, SignatureAlgorithm alg,
    std::shared_ptr<RandomSource> rng) {
  absl::Status s = CheckAlgorithmForKey(alg, key.public_key.type);
  if (!s.ok()) return s;
  return Guard(
      "signer setup", [&]() -> absl::StatusOr<std::unique_ptr<PublicKeySign>> {
        absl::StatusOr<std::unique_ptr<CryptoPP::PK_Signer>> signer;
        switch (key.public_key.type) {
          case KeyType::kEd25519:
            signer = NewEd25519Signer(key);
            break;
          case KeyType::kEcdsaP256:
          case KeyType::kEcdsaP384:
          case KeyType::kEcdsaP521:
            signer = NewEcdsaSigner(key, alg);
            break;
          case KeyType::kRsa:
            signer = NewRsaSigner(key, alg, *rng);
            break;
          default:
            return absl::UnimplementedError("unsupported private key type");
        }
        if (!signer.ok()) return signer.status();
        return std::make_unique<CryptoppSigner>(*std::move(signer),
                                                std::move(rng));
      });
}

absl::Status CryptoppDerivePublicKey(PrivateKey* key) {
  return Guard("public key derivation", [&]() -> absl::Status {
    switch (key->public_key.type) {
      case KeyType::kEd25519: {
        if (key->ed25519_seed.size() != kEd25519KeySize) {
          return absl::InvalidArgumentError("an Ed25519 seed is 32 bytes");
        }
        CryptoPP::ed25519Signer signer(key->ed25519_seed.data());
        const auto& derived = static_cast<const CryptoPP::ed25519PrivateKey&>(
            signer.GetPrivateKey());
        key->public_key.ed25519.assign(
            derived.GetPublicKeyBytePtr(),
            derived.GetPublicKeyBytePtr() + kEd25519KeySize);
        return absl::OkStatus();
      }
      case KeyType::kEcdsaP256:
      case KeyType::kEcdsaP384:
      case KeyType::kEcdsaP521: {
        const KeyType type = key->public_key.type;
        if (key->ec_scalar.size() != EcFieldSize(type)) {
          return absl::InvalidArgumentError(
              "the EC scalar is not of the curve's size");
        }
        const EcParams params(CurveOid(type));
        const Integer x(key->ec_scalar.data(), key->ec_scalar.size());
        if (x.IsZero() || x >= params.GetSubgroupOrder()) {
          return absl::InvalidArgumentError("invalid EC private scalar");
        }
        key->public_key.ec_point =
            EncodeEcPoint(params, params.ExponentiateBase(x));
        return absl::OkStatus();
      }
      case KeyType::kRsa:
        break;
    }
    return absl::InvalidArgumentError("an RSA key carries its public half");
  });
}

absl::StatusOr<PrivateKey> GenerateCryptoppKey(KeyType type, size_t rsa_bits,
                                               RandomSource& rng) {
  return Guard("key generation",
               [&] { return GenerateUnguarded(type, rsa_bits, rng); });
}

}  // namespace parley::crypto::cryptopp_backend
