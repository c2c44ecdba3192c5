#include "backends/openssl/asymmetric.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rand.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "backends/openssl/openssl_util.h"
#include "core/base/status_macros.h"
#include "core/crypto/dh_groups.h"

namespace parley::crypto::openssl_backend {
namespace {

const char* CurveName(KexGroup g) {
  switch (g) {
    case KexGroup::kNistP256:
      return "P-256";
    case KexGroup::kNistP384:
      return "P-384";
    case KexGroup::kNistP521:
      return "P-521";
    default:
      return nullptr;
  }
}

const char* CurveName(KeyType t) {
  switch (t) {
    case KeyType::kEcdsaP256:
      return "P-256";
    case KeyType::kEcdsaP384:
      return "P-384";
    case KeyType::kEcdsaP521:
      return "P-521";
    default:
      return nullptr;
  }
}

int CurveNid(const char* name) {
  if (std::strcmp(name, "P-256") == 0) return NID_X9_62_prime256v1;
  if (std::strcmp(name, "P-384") == 0) return NID_secp384r1;
  return NID_secp521r1;
}

size_t FieldSize(const char* curve) {
  if (std::strcmp(curve, "P-256") == 0) return 32;
  if (std::strcmp(curve, "P-384") == 0) return 48;
  return 66;
}

const char* DigestName(SignatureAlgorithm alg) {
  switch (alg) {
    case SignatureAlgorithm::kEcdsaP256Sha256:
    case SignatureAlgorithm::kRsaSha256:
      return "SHA256";
    case SignatureAlgorithm::kEcdsaP384Sha384:
      return "SHA384";
    case SignatureAlgorithm::kEcdsaP521Sha512:
    case SignatureAlgorithm::kRsaSha512:
      return "SHA512";
    case SignatureAlgorithm::kRsaSha1:
      return "SHA1";
    case SignatureAlgorithm::kEd25519:
      return nullptr;
  }
  return nullptr;
}

// EC public point from the private scalar (for keys given without one).
absl::StatusOr<Bytes> EcPublicFromScalar(const char* curve, ByteView scalar) {
  std::unique_ptr<EC_GROUP, Deleter<EC_GROUP, EC_GROUP_free>> group(
      EC_GROUP_new_by_curve_name(CurveNid(curve)));
  std::unique_ptr<EC_POINT, Deleter<EC_POINT, EC_POINT_free>> point(
      group ? EC_POINT_new(group.get()) : nullptr);
  SecretBnPtr d = SecretBnFromBytes(scalar);
  BnCtxPtr bn_ctx(BN_CTX_new());
  if (!point || !d || !bn_ctx || BN_is_zero(d.get()) ||
      BN_cmp(d.get(), EC_GROUP_get0_order(group.get())) >= 0 ||
      EC_POINT_mul(group.get(), point.get(), d.get(), nullptr, nullptr,
                   bn_ctx.get()) != 1) {
    return OpenSslError("invalid EC private scalar",
                        absl::StatusCode::kInvalidArgument);
  }
  Bytes out(1 + 2 * FieldSize(curve));
  if (EC_POINT_point2oct(group.get(), point.get(),
                         POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(),
                         bn_ctx.get()) != out.size()) {
    return OpenSslError("EC_POINT_point2oct");
  }
  return out;
}

absl::StatusOr<PkeyPtr> EcPublicPkey(const char* curve, ByteView point) {
  if (point.size() != 1 + 2 * FieldSize(curve) || point[0] != 0x04) {
    return absl::InvalidArgumentError(
        "EC public value is not an uncompressed point of the curve's size");
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      curve, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       point.data(), point.size()) != 1) {
    return OpenSslError("OSSL_PARAM_BLD");
  }
  auto pkey = PkeyFromParams("EC", EVP_PKEY_PUBLIC_KEY, bld.get());
  if (!pkey.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EC public point is not on the curve: ", pkey.status().message()));
  }
  // Decoding already put the point on the curve; the quick check adds "not
  // the point at infinity". The full check's n*Q = O test is redundant for
  // these prime-order curves (cofactor 1, SP 800-56A 5.6.2.3.4) and costs a
  // second scalar multiplication.
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey->get(), nullptr));
  if (!check || EVP_PKEY_public_check_quick(check.get()) != 1) {
    return OpenSslError("EC public point failed validation",
                        absl::StatusCode::kInvalidArgument);
  }
  return pkey;
}

absl::StatusOr<PkeyPtr> EcPrivatePkey(const char* curve, ByteView scalar,
                                      ByteView point) {
  SecretBnPtr d = SecretBnFromBytes(scalar);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!d || !bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      curve, 0) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       point.data(), point.size()) != 1) {
    return OpenSslError("OSSL_PARAM_BLD");
  }
  return PkeyFromParams("EC", EVP_PKEY_KEYPAIR, bld.get());
}

// ---------------------------------------------------------------------------
// Key agreement

class PkeyAgreement : public KeyAgreement {
 public:
  PkeyAgreement(KexGroup group, PkeyPtr key, Bytes public_value)
      : group_(group), key_(std::move(key)), public_(std::move(public_value)) {}

  KexGroup group() const override { return group_; }
  ByteView public_value() const override { return public_; }

  absl::StatusOr<SecureBuffer> ComputeSharedSecret(
      ByteView peer_public) const override {
    PkeyPtr peer;
    if (group_ == KexGroup::kX25519) {
      if (peer_public.size() != 32) {
        return absl::InvalidArgumentError(
            "X25519 public value is not 32 bytes");
      }
      peer.reset(EVP_PKEY_new_raw_public_key_ex(
          nullptr, "X25519", nullptr, peer_public.data(), peer_public.size()));
      if (!peer) {
        return OpenSslError("X25519 public value",
                            absl::StatusCode::kInvalidArgument);
      }
    } else {
      PARLEY_ASSIGN_OR_RETURN(peer,
                              EcPublicPkey(CurveName(group_), peer_public));
    }
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
    size_t len = 0;
    if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
        // X25519 needs no peer validation beyond its all-zero check; EC
        // peers were validated when decoded.
        EVP_PKEY_derive_set_peer_ex(ctx.get(), peer.get(), 0) != 1 ||
        EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) {
      return OpenSslError("key agreement", absl::StatusCode::kInvalidArgument);
    }
    SecureBuffer secret(len);
    if (EVP_PKEY_derive(ctx.get(), secret.data(), &len) != 1) {
      return OpenSslError("key agreement", absl::StatusCode::kInvalidArgument);
    }
    secret.resize(len);
    // RFC 7748 section 6.1 / RFC 8731 section 3: an all-zero X25519 output
    // means the peer sent a low-order point.
    uint8_t acc = 0;
    for (uint8_t b : secret) acc |= b;
    if (acc == 0) {
      return absl::InvalidArgumentError(
          "key agreement gave an all-zero secret");
    }
    return secret;
  }

 private:
  KexGroup group_;
  PkeyPtr key_;
  Bytes public_;
};

// Finite-field DH over an RFC 3526 group, computed with BIGNUM arithmetic
// (constant-time modular exponentiation with the secret exponent).
class ModpAgreement : public KeyAgreement {
 public:
  ModpAgreement(KexGroup group, ByteView prime, SecretBnPtr x,
                Bytes public_value)
      : group_(group),
        prime_(prime.begin(), prime.end()),
        x_(std::move(x)),
        public_(std::move(public_value)) {}

  KexGroup group() const override { return group_; }
  ByteView public_value() const override { return public_; }

  absl::StatusOr<SecureBuffer> ComputeSharedSecret(
      ByteView peer_public) const override {
    PARLEY_RETURN_IF_ERROR(CheckDhPublicValue(prime_, peer_public));
    BnPtr p = BnFromBytes(prime_);
    BnPtr y = BnFromBytes(peer_public);
    SecretBnPtr k(BN_secure_new());
    BnCtxPtr ctx(BN_CTX_secure_new());
    if (!p || !y || !k || !ctx ||
        BN_mod_exp_mont_consttime(k.get(), y.get(), x_.get(), p.get(),
                                  ctx.get(), nullptr) != 1) {
      return OpenSslError("DH shared secret");
    }
    SecureBuffer out(prime_.size());
    if (!BnToPadded(k.get(), MutableByteView(out))) {
      return absl::InternalError("DH shared secret does not fit");
    }
    return out;
  }

 private:
  KexGroup group_;
  Bytes prime_;
  SecretBnPtr x_;
  Bytes public_;
};

// A pair in the group (p, g): x of `exponent_bits` random bits (top bit
// set) unless `private_key` gives it, y = g^x mod p.
absl::StatusOr<std::unique_ptr<KeyAgreement>> NewModpPair(
    KexGroup group, ByteView prime, ByteView generator, size_t exponent_bits,
    ByteView private_key) {
  SecureBuffer x_bytes;
  if (private_key.empty()) {
    x_bytes.resize((exponent_bits + 7) / 8);
    if (RAND_priv_bytes(x_bytes.data(), static_cast<int>(x_bytes.size())) !=
        1) {
      return OpenSslError("RAND_priv_bytes");
    }
    // Exactly exponent_bits bits: clear the bits above, set the top one.
    const size_t excess = 8 * x_bytes.size() - exponent_bits;
    x_bytes[0] &= static_cast<uint8_t>(0xff >> excess);
    x_bytes[0] |= static_cast<uint8_t>(0x80 >> excess);
  } else {
    x_bytes.assign(private_key.begin(), private_key.end());
  }
  SecretBnPtr x = SecretBnFromBytes(View(x_bytes));
  BnPtr p = BnFromBytes(prime);
  BnPtr g = BnFromBytes(generator);
  BnPtr y(BN_new());
  BnCtxPtr ctx(BN_CTX_secure_new());
  if (!x || !p || !g || !y || !ctx) {
    return OpenSslError("DH key generation");
  }
  if (BN_is_zero(x.get()) || BN_cmp(x.get(), p.get()) >= 0) {
    return absl::InvalidArgumentError("DH private exponent out of range");
  }
  if (BN_mod_exp_mont_consttime(y.get(), g.get(), x.get(), p.get(), ctx.get(),
                                nullptr) != 1) {
    return OpenSslError("DH key generation");
  }
  return std::unique_ptr<KeyAgreement>(
      new ModpAgreement(group, prime, std::move(x), BnToBytes(y.get())));
}

absl::StatusOr<std::unique_ptr<KeyAgreement>> NewModp(KexGroup group,
                                                      ByteView private_key) {
  const ModpGroup& params = *FindModpGroup(group);
  const uint8_t generator = params.generator;
  return NewModpPair(group, params.prime, ByteView(&generator, 1),
                     params.exponent_bits, private_key);
}

// ---------------------------------------------------------------------------
// Signatures

absl::StatusOr<PkeyPtr> RsaPkey(const PublicKey& pub, const PrivateKey* priv) {
  BnPtr n = BnFromBytes(pub.rsa_n);
  BnPtr e = BnFromBytes(pub.rsa_e);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return OpenSslError("OSSL_PARAM_BLD");
  }
  std::vector<SecretBnPtr> secrets;
  if (priv != nullptr) {
    const std::pair<const char*, const SecureBuffer*> fields[] = {
        {OSSL_PKEY_PARAM_RSA_D, &priv->rsa_d},
        {OSSL_PKEY_PARAM_RSA_FACTOR1, &priv->rsa_p},
        {OSSL_PKEY_PARAM_RSA_FACTOR2, &priv->rsa_q},
        {OSSL_PKEY_PARAM_RSA_EXPONENT1, &priv->rsa_dp},
        {OSSL_PKEY_PARAM_RSA_EXPONENT2, &priv->rsa_dq},
        {OSSL_PKEY_PARAM_RSA_COEFFICIENT1, &priv->rsa_qinv}};
    for (const auto& f : fields) {
      if (f.second->empty()) {
        return absl::InvalidArgumentError("RSA private key is incomplete");
      }
      secrets.push_back(SecretBnFromBytes(View(*f.second)));
      if (!secrets.back() ||
          OSSL_PARAM_BLD_push_BN(bld.get(), f.first, secrets.back().get()) !=
              1) {
        return OpenSslError("OSSL_PARAM_BLD");
      }
    }
  }
  return PkeyFromParams(
      "RSA", priv != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
      bld.get());
}

absl::Status CheckPair(KeyType type, SignatureAlgorithm alg) {
  if (KeyTypeFor(alg) != type) {
    return absl::InvalidArgumentError(absl::StrCat(SignatureAlgorithmName(alg),
                                                   " does not fit a ",
                                                   KeyTypeName(type), " key"));
  }
  return absl::OkStatus();
}

size_t RsaModulusBytes(const PublicKey& k) {
  size_t n = k.rsa_n.size();
  for (uint8_t b : k.rsa_n) {
    if (b != 0) break;
    --n;
  }
  return n;
}

class PkeyVerifier : public PublicKeyVerify {
 public:
  PkeyVerifier(SignatureAlgorithm alg, PkeyPtr key, size_t raw_size)
      : alg_(alg), key_(std::move(key)), raw_size_(raw_size) {}

  absl::Status Verify(ByteView message, ByteView signature) const override {
    if (signature.size() != raw_size_) {
      return absl::InvalidArgumentError("signature has the wrong length");
    }
    Bytes der;
    ByteView sig = signature;
    const size_t field = EcFieldSize(KeyTypeFor(alg_));
    if (field != 0) {
      // Raw r || s to the DER form OpenSSL verifies.
      ECDSA_SIG* es = ECDSA_SIG_new();
      BIGNUM* r = BN_bin2bn(signature.data(), static_cast<int>(field), nullptr);
      BIGNUM* s =
          BN_bin2bn(signature.data() + field, static_cast<int>(field), nullptr);
      if (es == nullptr || r == nullptr || s == nullptr ||
          ECDSA_SIG_set0(es, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        return OpenSslError("ECDSA_SIG");
      }
      int len = i2d_ECDSA_SIG(es, nullptr);
      if (len > 0) {
        der.resize(len);
        uint8_t* p = der.data();
        len = i2d_ECDSA_SIG(es, &p);
      }
      ECDSA_SIG_free(es);
      if (len <= 0) return OpenSslError("i2d_ECDSA_SIG");
      sig = der;
    }
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx ||
        EVP_DigestVerifyInit_ex(ctx.get(), nullptr, DigestName(alg_), nullptr,
                                nullptr, key_.get(), nullptr) != 1) {
      return OpenSslError("EVP_DigestVerifyInit_ex");
    }
    const int rc = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(),
                                    message.data(), message.size());
    ClearOpenSslErrors();
    if (rc != 1) return absl::InvalidArgumentError("signature mismatch");
    return absl::OkStatus();
  }

 private:
  SignatureAlgorithm alg_;
  PkeyPtr key_;
  size_t raw_size_;
};

class PkeySigner : public PublicKeySign {
 public:
  PkeySigner(SignatureAlgorithm alg, PkeyPtr key, size_t raw_size)
      : alg_(alg), key_(std::move(key)), raw_size_(raw_size) {}

  absl::StatusOr<Bytes> Sign(ByteView message) const override {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    size_t len = 0;
    if (!ctx ||
        EVP_DigestSignInit_ex(ctx.get(), nullptr, DigestName(alg_), nullptr,
                              nullptr, key_.get(), nullptr) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len, message.data(),
                       message.size()) != 1) {
      return OpenSslError("EVP_DigestSign");
    }
    Bytes sig(len);
    if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(),
                       message.size()) != 1) {
      return OpenSslError("EVP_DigestSign");
    }
    sig.resize(len);
    const size_t field = EcFieldSize(KeyTypeFor(alg_));
    if (field == 0) {
      if (sig.size() != raw_size_) return absl::InternalError("signature size");
      return sig;
    }
    const uint8_t* p = sig.data();
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    if (es == nullptr) return OpenSslError("d2i_ECDSA_SIG");
    Bytes raw(2 * field);
    const bool ok =
        BnToPadded(ECDSA_SIG_get0_r(es), MutableByteView(raw.data(), field)) &&
        BnToPadded(ECDSA_SIG_get0_s(es),
                   MutableByteView(raw.data() + field, field));
    ECDSA_SIG_free(es);
    if (!ok) return absl::InternalError("ECDSA signature does not fit");
    return raw;
  }

 private:
  SignatureAlgorithm alg_;
  PkeyPtr key_;
  size_t raw_size_;
};

absl::StatusOr<Bytes> GetBnParam(EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) {
    return OpenSslError(absl::StrCat("EVP_PKEY_get_bn_param ", name));
  }
  Bytes out = BnToBytes(bn);
  BN_clear_free(bn);
  return out;
}

absl::StatusOr<SecureBuffer> GetSecretBnParam(EVP_PKEY* pkey, const char* name,
                                              size_t pad_to) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) {
    return OpenSslError(absl::StrCat("EVP_PKEY_get_bn_param ", name));
  }
  SecureBuffer out;
  if (pad_to == 0) {
    out = BnToSecureBytes(bn);
  } else {
    out.resize(pad_to);
    BnToPadded(bn, MutableByteView(out));
  }
  BN_clear_free(bn);
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KeyAgreement>> NewOsslKeyAgreement(
    KexGroup group, ByteView private_key) {
  if (FindModpGroup(group) != nullptr) return NewModp(group, private_key);
  PkeyPtr key;
  Bytes pub;
  if (group == KexGroup::kX25519) {
    if (private_key.empty()) {
      key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
    } else if (private_key.size() == 32) {
      key.reset(EVP_PKEY_new_raw_private_key_ex(
          nullptr, "X25519", nullptr, private_key.data(), private_key.size()));
    } else {
      return absl::InvalidArgumentError("X25519 private key is not 32 bytes");
    }
    size_t len = 32;
    pub.resize(len);
    if (!key || EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 ||
        len != 32) {
      return OpenSslError("X25519 key");
    }
  } else if (const char* curve = CurveName(group)) {
    if (private_key.empty()) {
      key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
      pub.resize(1 + 2 * FieldSize(curve));
      size_t len = 0;
      if (!key ||
          EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                          pub.data(), pub.size(), &len) != 1 ||
          len != pub.size()) {
        return OpenSslError("EC key generation");
      }
    } else {
      PARLEY_ASSIGN_OR_RETURN(pub, EcPublicFromScalar(curve, private_key));
      PARLEY_ASSIGN_OR_RETURN(key, EcPrivatePkey(curve, private_key, pub));
    }
  } else {
    return absl::UnimplementedError("key agreement group not supported");
  }
  return std::unique_ptr<KeyAgreement>(
      new PkeyAgreement(group, std::move(key), std::move(pub)));
}

absl::StatusOr<std::unique_ptr<PublicKeyVerify>> NewOsslVerifier(
    const PublicKey& key, SignatureAlgorithm alg) {
  PARLEY_RETURN_IF_ERROR(CheckPair(key.type, alg));
  PkeyPtr pkey;
  size_t raw_size = 0;
  switch (key.type) {
    case KeyType::kEd25519:
      if (key.ed25519.size() != 32) {
        return absl::InvalidArgumentError("Ed25519 public key is not 32 bytes");
      }
      pkey.reset(EVP_PKEY_new_raw_public_key_ex(
          nullptr, "ED25519", nullptr, key.ed25519.data(), key.ed25519.size()));
      if (!pkey) {
        return OpenSslError("Ed25519 public key",
                            absl::StatusCode::kInvalidArgument);
      }
      raw_size = 64;
      break;
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: {
      const char* curve = CurveName(key.type);
      PARLEY_ASSIGN_OR_RETURN(pkey, EcPublicPkey(curve, key.ec_point));
      raw_size = 2 * FieldSize(curve);
      break;
    }
    case KeyType::kRsa: {
      PARLEY_ASSIGN_OR_RETURN(pkey, RsaPkey(key, nullptr));
      raw_size = RsaModulusBytes(key);
      const int bits = EVP_PKEY_get_bits(pkey.get());
      if (bits < static_cast<int>(kMinRsaBits) ||
          bits > static_cast<int>(kMaxRsaBits)) {
        return absl::InvalidArgumentError("RSA modulus size not allowed");
      }
      break;
    }
  }
  return std::unique_ptr<PublicKeyVerify>(
      new PkeyVerifier(alg, std::move(pkey), raw_size));
}

absl::StatusOr<std::unique_ptr<PublicKeySign>> NewOsslSigner(
    const PrivateKey& key, SignatureAlgorithm alg) {
  const PublicKey& pub = key.public_key;
  PARLEY_RETURN_IF_ERROR(CheckPair(pub.type, alg));
  PkeyPtr pkey;
  size_t raw_size = 0;
  switch (pub.type) {
    case KeyType::kEd25519:
      if (key.ed25519_seed.size() != 32) {
        return absl::InvalidArgumentError("Ed25519 seed is not 32 bytes");
      }
      pkey.reset(EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr,
                                                 key.ed25519_seed.data(), 32));
      if (!pkey) return OpenSslError("Ed25519 private key");
      raw_size = 64;
      break;
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: {
      const char* curve = CurveName(pub.type);
      Bytes point = pub.ec_point;
      if (point.empty()) {
        PARLEY_ASSIGN_OR_RETURN(point,
                                EcPublicFromScalar(curve, View(key.ec_scalar)));
      }
      PARLEY_ASSIGN_OR_RETURN(pkey,
                              EcPrivatePkey(curve, View(key.ec_scalar), point));
      raw_size = 2 * FieldSize(curve);
      break;
    }
    case KeyType::kRsa:
      PARLEY_ASSIGN_OR_RETURN(pkey, RsaPkey(pub, &key));
      raw_size = RsaModulusBytes(pub);
      break;
  }
  return std::unique_ptr<PublicKeySign>(
      new PkeySigner(alg, std::move(pkey), raw_size));
}

absl::StatusOr<std::unique_ptr<KeyAgreement>> NewOsslDhKeyAgreement(
    ByteView p, ByteView g) {
  while (!p.empty() && p[0] == 0) p.remove_prefix(1);
  if (p.empty()) return absl::InvalidArgumentError("empty DH prime");
  PARLEY_RETURN_IF_ERROR(CheckDhPublicValue(p, g));
  const size_t bits = 8 * p.size();
  return NewModpPair(KexGroup::kModpServerChosen, p, g,
                     ServerChosenExponentBits(bits), ByteView());
}

absl::Status OsslDerivePublicKey(PrivateKey* key) {
  switch (key->public_key.type) {
    case KeyType::kEd25519: {
      if (key->ed25519_seed.size() != 32) {
        return absl::InvalidArgumentError("an Ed25519 seed is 32 bytes");
      }
      PkeyPtr k(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                             key->ed25519_seed.data(), 32));
      Bytes pub(32);
      size_t len = pub.size();
      if (!k || EVP_PKEY_get_raw_public_key(k.get(), pub.data(), &len) != 1 ||
          len != pub.size()) {
        return OpenSslError("Ed25519 public key",
                            absl::StatusCode::kInvalidArgument);
      }
      key->public_key.ed25519 = std::move(pub);
      return absl::OkStatus();
    }
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: {
      const char* curve = CurveName(key->public_key.type);
      if (key->ec_scalar.size() != FieldSize(curve)) {
        return absl::InvalidArgumentError(
            "the EC scalar is not of the curve's size");
      }
      PARLEY_ASSIGN_OR_RETURN(key->public_key.ec_point,
                              EcPublicFromScalar(curve, key->ec_scalar));
      return absl::OkStatus();
    }
    case KeyType::kRsa:
      break;
  }
  return absl::InvalidArgumentError("an RSA key carries its public half");
}

absl::StatusOr<PrivateKey> OsslGenerateKey(KeyType type, size_t rsa_bits) {
  PrivateKey out;
  out.public_key.type = type;
  switch (type) {
    case KeyType::kEd25519: {
      PkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
      size_t len = 32;
      out.ed25519_seed.resize(32);
      out.public_key.ed25519.resize(32);
      if (!k ||
          EVP_PKEY_get_raw_private_key(k.get(), out.ed25519_seed.data(),
                                       &len) != 1 ||
          EVP_PKEY_get_raw_public_key(k.get(), out.public_key.ed25519.data(),
                                      &len) != 1) {
        return OpenSslError("Ed25519 key generation");
      }
      return out;
    }
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: {
      const char* curve = CurveName(type);
      PkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
      if (!k) return OpenSslError("EC key generation");
      PARLEY_ASSIGN_OR_RETURN(
          out.ec_scalar, GetSecretBnParam(k.get(), OSSL_PKEY_PARAM_PRIV_KEY,
                                          FieldSize(curve)));
      out.public_key.ec_point.resize(1 + 2 * FieldSize(curve));
      size_t len = 0;
      if (EVP_PKEY_get_octet_string_param(
              k.get(), OSSL_PKEY_PARAM_PUB_KEY, out.public_key.ec_point.data(),
              out.public_key.ec_point.size(), &len) != 1 ||
          len != out.public_key.ec_point.size()) {
        return OpenSslError("EC public key");
      }
      return out;
    }
    case KeyType::kRsa: {
      if (rsa_bits < 2048 || rsa_bits > kMaxRsaBits) {
        return absl::InvalidArgumentError("RSA key size must be 2048..16384");
      }
      PkeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", rsa_bits));
      if (!k) return OpenSslError("RSA key generation");
      PARLEY_ASSIGN_OR_RETURN(out.public_key.rsa_n,
                              GetBnParam(k.get(), OSSL_PKEY_PARAM_RSA_N));
      PARLEY_ASSIGN_OR_RETURN(out.public_key.rsa_e,
                              GetBnParam(k.get(), OSSL_PKEY_PARAM_RSA_E));
      const std::pair<const char*, SecureBuffer*> fields[] = {
          {OSSL_PKEY_PARAM_RSA_D, &out.rsa_d},
          {OSSL_PKEY_PARAM_RSA_FACTOR1, &out.rsa_p},
          {OSSL_PKEY_PARAM_RSA_FACTOR2, &out.rsa_q},
          {OSSL_PKEY_PARAM_RSA_EXPONENT1, &out.rsa_dp},
          {OSSL_PKEY_PARAM_RSA_EXPONENT2, &out.rsa_dq},
          {OSSL_PKEY_PARAM_RSA_COEFFICIENT1, &out.rsa_qinv}};
      for (const auto& f : fields) {
        PARLEY_ASSIGN_OR_RETURN(*f.second,
                                GetSecretBnParam(k.get(), f.first, 0));
      }
      return out;
    }
  }
  return absl::UnimplementedError("key type");
}

}  // namespace parley::crypto::openssl_backend
