#include "backends/cryptopp/key_agreement.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/base/secure_buffer.h"
#include "core/base/status_macros.h"
#include "core/crypto/dh_groups.h"
#include "crypto++/asn.h"
#include "crypto++/eccrypto.h"
#include "crypto++/ecp.h"
#include "crypto++/nbtheory.h"
#include "crypto++/oids.h"
#include "crypto++/secblock.h"
#include "crypto++/xed25519.h"

namespace parley::crypto::cryptopp_backend {
namespace {

using CryptoPP::Integer;
using CryptoPP::SecByteBlock;
using CryptoPP::SimpleKeyAgreementDomain;
using EcdhDomain = CryptoPP::ECDH<CryptoPP::ECP>::Domain;

constexpr size_t kX25519Size = 32;
constexpr uint8_t kUncompressedPoint = 0x04;  // SEC1 section 2.3.3

bool IsEcGroup(KexGroup group) {
  return group == KexGroup::kNistP256 || group == KexGroup::kNistP384 ||
         group == KexGroup::kNistP521;
}

// X25519 (the 32-byte Montgomery-curve form) and ECDH on a NIST curve, both
// through Crypto++'s SimpleKeyAgreementDomain. The private value is held in a
// SecByteBlock, which Crypto++ zeroes when it is freed.
class DomainKeyAgreement final : public KeyAgreement {
 public:
  DomainKeyAgreement(KexGroup group,
                     std::unique_ptr<SimpleKeyAgreementDomain> domain,
                     SecByteBlock private_key, Bytes public_value)
      : group_(group),
        domain_(std::move(domain)),
        private_key_(std::move(private_key)),
        public_value_(std::move(public_value)) {}

  KexGroup group() const override { return group_; }
  ByteView public_value() const override { return ByteView(public_value_); }

  absl::StatusOr<SecureBuffer> ComputeSharedSecret(
      ByteView peer_public) const override {
    if (peer_public.size() != domain_->PublicKeyLength()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "peer ", KexGroupName(group_), " public value has the wrong length"));
    }
    // RFC 5656 section 4 sends points uncompressed; refuse the other SEC1
    // forms before Crypto++ sees them.
    if (IsEcGroup(group_) && peer_public[0] != kUncompressedPoint) {
      return absl::InvalidArgumentError(
          "peer EC public value is not an uncompressed point");
    }
    return Guard("key agreement", [&]() -> absl::StatusOr<SecureBuffer> {
      SecureBuffer secret(domain_->AgreedValueLength());
      // With validation on, Agree() rejects an EC point that is not on the
      // curve (or is the identity) and an X25519 point of small order.
      if (!domain_->Agree(secret.data(), private_key_.data(),
                          peer_public.data(),
                          /*validateOtherPublicKey=*/true)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid peer ", KexGroupName(group_), " public value"));
      }
      if (group_ == KexGroup::kX25519) {
        // RFC 7748 section 6.1: an all-zero output means the peer sent a
        // low-order point; checked without branching on the secret.
        uint8_t any = 0;
        for (uint8_t b : secret) any |= b;
        if (any == 0) {
          return absl::InvalidArgumentError(
              "X25519 shared secret is all zero (low-order peer point)");
        }
      }
      return secret;
    });
  }

 private:
  const KexGroup group_;
  const std::unique_ptr<SimpleKeyAgreementDomain> domain_;
  const SecByteBlock private_key_;
  const Bytes public_value_;
};

// RFC 3526 MODP Diffie-Hellman. CryptoPP::Integer keeps its limbs in a
// SecBlock, so the exponent is wiped when the object goes away.
class ModpKeyAgreement final : public KeyAgreement {
 public:
  ModpKeyAgreement(KexGroup group, ByteView prime, Integer p, Integer x,
                   Bytes public_value)
      : group_(group),
        prime_(prime.begin(), prime.end()),
        p_(std::move(p)),
        x_(std::move(x)),
        public_value_(std::move(public_value)) {}

  KexGroup group() const override { return group_; }
  ByteView public_value() const override { return ByteView(public_value_); }

  absl::StatusOr<SecureBuffer> ComputeSharedSecret(
      ByteView peer_public) const override {
    PARLEY_RETURN_IF_ERROR(CheckDhPublicValue(prime_, peer_public));
    return Guard("DH key agreement", [&]() -> absl::StatusOr<SecureBuffer> {
      const Integer z =
          CryptoPP::ModularExponentiation(ToInteger(peer_public), x_, p_);
      return EncodePaddedSecret(z, p_.ByteCount());
    });
  }

 private:
  const KexGroup group_;
  const Bytes prime_;
  const Integer p_;
  const Integer x_;
  const Bytes public_value_;
};

std::unique_ptr<SimpleKeyAgreementDomain> NewDomain(KexGroup group) {
  switch (group) {
    case KexGroup::kX25519:
      return std::make_unique<CryptoPP::x25519>();
    case KexGroup::kNistP256:
      return std::make_unique<EcdhDomain>(CryptoPP::ASN1::secp256r1());
    case KexGroup::kNistP384:
      return std::make_unique<EcdhDomain>(CryptoPP::ASN1::secp384r1());
    case KexGroup::kNistP521:
      return std::make_unique<EcdhDomain>(CryptoPP::ASN1::secp521r1());
    default:
      return nullptr;
  }
}

// Derives the public value and wraps the pair. Both domain types compute the
// public value without randomness.
std::unique_ptr<KeyAgreement> FinishDomainKeyAgreement(
    KexGroup group, std::unique_ptr<SimpleKeyAgreementDomain> domain,
    SecByteBlock private_key) {
  Bytes public_value(domain->PublicKeyLength());
  domain->GeneratePublicKey(CryptoPP::NullRNG(), private_key.data(),
                            public_value.data());
  return std::make_unique<DomainKeyAgreement>(group, std::move(domain),
                                              std::move(private_key),
                                              std::move(public_value));
}

std::unique_ptr<KeyAgreement> FinishModpPair(KexGroup group, ByteView prime,
                                             const Integer& g, Integer x) {
  Integer p = ToInteger(prime);
  Bytes public_value = EncodeMinimal(CryptoPP::ModularExponentiation(g, x, p));
  return std::make_unique<ModpKeyAgreement>(
      group, prime, std::move(p), std::move(x), std::move(public_value));
}

std::unique_ptr<KeyAgreement> FinishModpKeyAgreement(KexGroup group,
                                                     const ModpGroup& params,
                                                     Integer x) {
  return FinishModpPair(group, params.prime, Integer(long{params.generator}),
                        std::move(x));
}

absl::Status UnknownGroup() {
  return absl::UnimplementedError("unsupported key-agreement group");
}

}  // namespace

absl::StatusOr<std::unique_ptr<KeyAgreement>> NewCryptoppKeyAgreement(
    KexGroup group, RandomSource& rng) {
  return Guard(
      "key generation", [&]() -> absl::StatusOr<std::unique_ptr<KeyAgreement>> {
        if (const ModpGroup* params = FindModpGroup(group)) {
          // A random exponent of exactly exponent_bits bits (top bit set, as
          // OpenSSL does for a DH private value of a given length).
          Integer x;
          x.Randomize(rng, params->exponent_bits);
          x.SetBit(params->exponent_bits - 1);
          return FinishModpKeyAgreement(group, *params, std::move(x));
        }
        std::unique_ptr<SimpleKeyAgreementDomain> domain = NewDomain(group);
        if (domain == nullptr) return UnknownGroup();
        // x25519 clamps the scalar; ECDH picks it uniformly in [1, n-1].
        SecByteBlock private_key(domain->PrivateKeyLength());
        domain->GeneratePrivateKey(rng, private_key.data());
        return FinishDomainKeyAgreement(group, std::move(domain),
                                        std::move(private_key));
      });
}

absl::StatusOr<std::unique_ptr<KeyAgreement>> NewCryptoppDhKeyAgreement(
    ByteView p, ByteView g, RandomSource& rng) {
  while (!p.empty() && p[0] == 0) p.remove_prefix(1);
  if (p.empty()) return absl::InvalidArgumentError("empty DH prime");
  PARLEY_RETURN_IF_ERROR(CheckDhPublicValue(p, g));
  return Guard("key generation",
               [&]() -> absl::StatusOr<std::unique_ptr<KeyAgreement>> {
                 const size_t bits = ServerChosenExponentBits(8 * p.size());
                 Integer x;
                 x.Randomize(rng, bits);
                 x.SetBit(bits - 1);
                 return FinishModpPair(KexGroup::kModpServerChosen, p,
                                       ToInteger(g), std::move(x));
               });
}

absl::StatusOr<std::unique_ptr<KeyAgreement>>
NewCryptoppKeyAgreementFromPrivate(KexGroup group, ByteView private_key) {
  return Guard(
      "key import", [&]() -> absl::StatusOr<std::unique_ptr<KeyAgreement>> {
        if (const ModpGroup* params = FindModpGroup(group)) {
          Integer x = ToInteger(private_key);
          const Integer p = ToInteger(params->prime);
          if (x < Integer::Two() || x > p - Integer::Two()) {
            return absl::InvalidArgumentError(
                "DH private exponent must lie in [2, p-2]");
          }
          return FinishModpKeyAgreement(group, *params, std::move(x));
        }
        std::unique_ptr<SimpleKeyAgreementDomain> domain = NewDomain(group);
        if (domain == nullptr) return UnknownGroup();
        SecByteBlock scalar(domain->PrivateKeyLength());
        if (group == KexGroup::kX25519) {
          if (private_key.size() != kX25519Size) {
            return absl::InvalidArgumentError(
                "X25519 private key must be 32 bytes");
          }
          // RFC 7748 section 5 decodeScalar25519. Crypto++ clamps inside the
          // scalar multiplication as well; doing it here keeps the stored
          // scalar canonical whatever the library version does.
          std::copy(private_key.begin(), private_key.end(), scalar.begin());
          scalar[0] &= 248;
          scalar[31] &= 127;
          scalar[31] |= 64;
        } else {
          const auto& ecdh = static_cast<const EcdhDomain&>(*domain);
          const Integer& n = ecdh.GetGroupParameters().GetSubgroupOrder();
          const Integer x = ToInteger(private_key);
          if (private_key.size() > scalar.size() || x.IsZero() || x >= n) {
            return absl::InvalidArgumentError(
                "EC private scalar must lie in [1, n-1]");
          }
          x.Encode(scalar.data(), scalar.size());
        }
        return FinishDomainKeyAgreement(group, std::move(domain),
                                        std::move(scalar));
      });
}

}  // namespace parley::crypto::cryptopp_backend
