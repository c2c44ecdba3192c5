#include "core/keys/pem_key.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/base64.h"
#include "core/base/secure_buffer.h"
#include "core/base/status_macros.h"
#include "core/crypto/cipher.h"
#include "core/crypto/pbkdf2.h"
#include "core/keys/internal/der.h"
#include "core/keys/internal/key_checks.h"

namespace parley::keys {
namespace {

using crypto::CbcAlgorithm;
using crypto::CryptoProvider;
using crypto::HashAlgorithm;
using crypto::KeyType;
using crypto::PrivateKey;
using internal::DerContext;
using internal::DerReader;
using internal::OidIs;

// Object identifiers, as the contents of their DER encoding.
// RFC 8017 appendix C: rsaEncryption 1.2.840.113549.1.1.1.
constexpr uint8_t kOidRsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                               0x0d, 0x01, 0x01, 0x01};
// RFC 5480 section 2.1.1: id-ecPublicKey 1.2.840.10045.2.1; section 2.1.1.1:
// secp256r1 1.2.840.10045.3.1.7, secp384r1 1.3.132.0.34, secp521r1
// 1.3.132.0.35.
constexpr uint8_t kOidEcPublicKey[] = {0x2a, 0x86, 0x48, 0xce,
                                       0x3d, 0x02, 0x01};
constexpr uint8_t kOidP256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
constexpr uint8_t kOidP384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
constexpr uint8_t kOidP521[] = {0x2b, 0x81, 0x04, 0x00, 0x23};
// RFC 8410 section 3: id-Ed25519 1.3.101.112.
constexpr uint8_t kOidEd25519[] = {0x2b, 0x65, 0x70};
// RFC 8018 appendix A.2 and A.4: PBKDF2 1.2.840.113549.1.5.12, PBES2
// 1.2.840.113549.1.5.13; appendix B.1.2 and B.2: hmacWithSHA1 ...2.7,
// hmacWithSHA256 ...2.9, hmacWithSHA384 ...2.10, hmacWithSHA512 ...2.11;
// appendix B.2.2 and B.2.5: des-ede3-cbc 1.2.840.113549.3.7,
// aes128-CBC-PAD 2.16.840.1.101.3.4.1.2 (aes192 .22, aes256 .42).
constexpr uint8_t kOidPbkdf2[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                  0x0d, 0x01, 0x05, 0x0c};
constexpr uint8_t kOidPbes2[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                 0x0d, 0x01, 0x05, 0x0d};
constexpr uint8_t kOidHmacSha1[] = {0x2a, 0x86, 0x48, 0x86,
                                    0xf7, 0x0d, 0x02, 0x07};
constexpr uint8_t kOidHmacSha256[] = {0x2a, 0x86, 0x48, 0x86,
                                      0xf7, 0x0d, 0x02, 0x09};
constexpr uint8_t kOidHmacSha384[] = {0x2a, 0x86, 0x48, 0x86,
                                      0xf7, 0x0d, 0x02, 0x0a};
constexpr uint8_t kOidHmacSha512[] = {0x2a, 0x86, 0x48, 0x86,
                                      0xf7, 0x0d, 0x02, 0x0b};
constexpr uint8_t kOidDesEde3Cbc[] = {0x2a, 0x86, 0x48, 0x86,
                                      0xf7, 0x0d, 0x03, 0x07};
constexpr uint8_t kOidAes128Cbc[] = {0x60, 0x86, 0x48, 0x01, 0x65,
                                     0x03, 0x04, 0x01, 0x02};
constexpr uint8_t kOidAes192Cbc[] = {0x60, 0x86, 0x48, 0x01, 0x65,
                                     0x03, 0x04, 0x01, 0x16};
constexpr uint8_t kOidAes256Cbc[] = {0x60, 0x86, 0x48, 0x01, 0x65,
                                     0x03, 0x04, 0x01, 0x2a};

template <size_t N>
ByteView Oid(const uint8_t (&oid)[N]) {
  return ByteView(oid, N);
}

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed PEM private key: ", what));
}

absl::Status WrongPassphrase() {
  return absl::UnauthenticatedError(
      "incorrect passphrase: the private key did not decrypt");
}

// An untrusted label or header value for a message: escaped, cut short.
std::string Quoted(absl::string_view s) {
  return absl::StrCat("\"", absl::CHexEscape(s.substr(0, 64)),
                      s.size() > 64 ? "...\"" : "\"");
}

// The text between the armor lines, split into header lines and the
// base64 body.
struct Armor {
  std::string label;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

absl::StatusOr<Armor> ParseArmor(absl::string_view text) {
  constexpr absl::string_view kBegin = "-----BEGIN ";
  constexpr absl::string_view kDashes = "-----";
  text = absl::StripLeadingAsciiWhitespace(text);
  if (!absl::StartsWith(text, kBegin)) return Malformed("no BEGIN line");
  const size_t eol = text.find('\n');
  absl::string_view first = absl::StripAsciiWhitespace(text.substr(0, eol));
  if (!absl::EndsWith(first, kDashes) ||
      first.size() < kBegin.size() + kDashes.size()) {
    return Malformed("the BEGIN line does not end in \"-----\"");
  }
  Armor armor;
  armor.label = std::string(
      first.substr(kBegin.size(), first.size() - kBegin.size() - 5));
  const std::string end_line = absl::StrCat("-----END ", armor.label, "-----");
  if (eol == absl::string_view::npos) return Malformed("no END line");
  absl::string_view rest = text.substr(eol + 1);
  const size_t end = rest.find(end_line);
  if (end == absl::string_view::npos) {
    return Malformed(absl::StrCat("no ", Quoted(end_line), " line"));
  }
  bool in_headers = true;
  for (absl::string_view line : absl::StrSplit(rest.substr(0, end), '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (in_headers) {
      const size_t colon = line.find(':');
      if (colon != absl::string_view::npos) {
        armor.headers.emplace_back(
            std::string(absl::StripAsciiWhitespace(line.substr(0, colon))),
            std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
        continue;
      }
      in_headers = false;
    }
    for (char c : line) {
      if (!absl::ascii_isspace(static_cast<unsigned char>(c))) {
        armor.body.push_back(c);
      }
    }
  }
  return armor;
}

// --- Key structures --------------------------------------------------------

struct Curve {
  KeyType type;
  size_t field_size;
};

absl::StatusOr<Curve> CurveForOid(ByteView oid) {
  if (OidIs(oid, Oid(kOidP256))) return Curve{KeyType::kEcdsaP256, 32};
  if (OidIs(oid, Oid(kOidP384))) return Curve{KeyType::kEcdsaP384, 48};
  if (OidIs(oid, Oid(kOidP521))) return Curve{KeyType::kEcdsaP521, 66};
  return absl::UnimplementedError(
      "EC keys on curves other than P-256, P-384 and P-521 are not supported");
}

// RFC 8017 appendix A.1.2: RSAPrivateKey ::= SEQUENCE { version, modulus,
// publicExponent, privateExponent, prime1, prime2, exponent1, exponent2,
// coefficient }. The CRT exponents are recomputed from d.
absl::Status ReadRsaPrivateKey(ByteView der, PrivateKey* key) {
  DerReader outer(der), r(ByteView{});
  PARLEY_RETURN_IF_ERROR(
      outer.ReadConstructed(internal::kDerSequence, &r, "RSAPrivateKey"));
  PARLEY_RETURN_IF_ERROR(outer.ExpectEnd("RSAPrivateKey"));
  uint32_t version = 0;
  PARLEY_RETURN_IF_ERROR(r.ReadSmall(&version, "RSAPrivateKey version"));
  if (version != 0) {
    return absl::UnimplementedError("multi-prime RSA keys are not supported");
  }
  ByteView n, e, d, p, q, dp, dq, qinv;
  PARLEY_RETURN_IF_ERROR(r.ReadUnsigned(&n, "RSA modulus"));
  PARLEY_RETURN_IF_ERROR(r.ReadUnsigned(&e, "RSA public exponent"));
  PARLEY_RETURN_IF_ERROR(r.ReadUnsigned(&d, "RSA private exponent"));
  PARLEY_RETURN_IF_ERROR(r.ReadUnsigned(&p, "RSA prime 1"));
  PARLEY_RETURN_IF_ERROR(r.ReadUnsigned(&q, "RSA prime 2"));
  PARLEY_RETURN_IF_ERROR(r.ReadUnsigned(&dp, "RSA exponent 1"));
  PARLEY_RETURN_IF_ERROR(r.ReadUnsigned(&dq, "RSA exponent 2"));
  PARLEY_RETURN_IF_ERROR(r.ReadUnsigned(&qinv, "RSA coefficient"));
  PARLEY_RETURN_IF_ERROR(r.ExpectEnd("RSAPrivateKey"));
  return internal::CompleteRsaKey(n, e, d, qinv, p, q, key);
}

// RFC 5915 section 3: ECPrivateKey ::= SEQUENCE { version 1, privateKey
// OCTET STRING, parameters [0] ECParameters OPTIONAL, publicKey [1] BIT
// STRING OPTIONAL }. `outer_curve` is PKCS#8's (empty for SEC1 files).
absl::Status ReadEcPrivateKey(ByteView der, ByteView outer_curve,
                              const CryptoProvider& provider, PrivateKey* key) {
  DerReader outer(der), r(ByteView{});
  PARLEY_RETURN_IF_ERROR(
      outer.ReadConstructed(internal::kDerSequence, &r, "ECPrivateKey"));
  PARLEY_RETURN_IF_ERROR(outer.ExpectEnd("ECPrivateKey"));
  uint32_t version = 0;
  PARLEY_RETURN_IF_ERROR(r.ReadSmall(&version, "ECPrivateKey version"));
  if (version != 1) return Malformed("ECPrivateKey version is not 1");
  ByteView scalar, curve_oid = outer_curve, point;
  PARLEY_RETURN_IF_ERROR(
      r.Read(internal::kDerOctetString, &scalar, "EC private key"));
  if (r.PeekTag() == DerContext(0)) {
    DerReader params(ByteView{});
    ByteView oid;
    PARLEY_RETURN_IF_ERROR(
        r.ReadConstructed(DerContext(0), &params, "EC parameters"));
    PARLEY_RETURN_IF_ERROR(
        params.Read(internal::kDerOid, &oid, "EC named curve"));
    PARLEY_RETURN_IF_ERROR(params.ExpectEnd("EC parameters"));
    if (!outer_curve.empty() && !OidIs(oid, outer_curve)) {
      return Malformed("the key's curve differs from its algorithm's");
    }
    curve_oid = oid;
  }
  if (r.PeekTag() == DerContext(1)) {
    DerReader pub(ByteView{});
    PARLEY_RETURN_IF_ERROR(
        r.ReadConstructed(DerContext(1), &pub, "EC public key"));
    PARLEY_RETURN_IF_ERROR(pub.ReadBitString(&point, "EC public key"));
    PARLEY_RETURN_IF_ERROR(pub.ExpectEnd("EC public key"));
  }
  PARLEY_RETURN_IF_ERROR(r.ExpectEnd("ECPrivateKey"));
  if (curve_oid.empty()) return Malformed("EC key without a named curve");
  PARLEY_ASSIGN_OR_RETURN(const Curve curve, CurveForOid(curve_oid));
  // Some writers drop leading zero bytes of the scalar.
  if (scalar.empty() || scalar.size() > curve.field_size) {
    return Malformed("EC private key of the wrong size for its curve");
  }
  key->public_key.type = curve.type;
  key->ec_scalar = SecureBuffer(curve.field_size - scalar.size(), 0);
  key->ec_scalar.insert(key->ec_scalar.end(), scalar.begin(), scalar.end());
  absl::Status derived = provider.DerivePublicKey(key);
  if (!derived.ok()) {
    return absl::IsInvalidArgument(derived)
               ? Malformed(absl::StrCat("EC private key: ", derived.message()))
               : derived;
  }
  if (!point.empty() &&
      !std::equal(point.begin(), point.end(), key->public_key.ec_point.begin(),
                  key->public_key.ec_point.end())) {
    return Malformed("the EC public key does not belong to the private key");
  }
  return absl::OkStatus();
}

// RFC 5208 section 5 / RFC 5958 section 2: PrivateKeyInfo ::= SEQUENCE {
// version, privateKeyAlgorithm AlgorithmIdentifier, privateKey OCTET
// STRING, attributes [0] OPTIONAL, publicKey [1] OPTIONAL }.
absl::Status ReadPkcs8(ByteView der, const CryptoProvider& provider,
                       PrivateKey* key) {
  DerReader outer(der), r(ByteView{}), alg(ByteView{});
  PARLEY_RETURN_IF_ERROR(
      outer.ReadConstructed(internal::kDerSequence, &r, "PrivateKeyInfo"));
  PARLEY_RETURN_IF_ERROR(outer.ExpectEnd("PrivateKeyInfo"));
  uint32_t version = 0;
  PARLEY_RETURN_IF_ERROR(r.ReadSmall(&version, "PrivateKeyInfo version"));
  if (version > 1) return Malformed("PrivateKeyInfo version is not 0 or 1");
  PARLEY_RETURN_IF_ERROR(
      r.ReadConstructed(internal::kDerSequence, &alg, "key algorithm"));
  ByteView oid, inner;
  PARLEY_RETURN_IF_ERROR(alg.Read(internal::kDerOid, &oid, "key algorithm"));
  PARLEY_RETURN_IF_ERROR(
      r.Read(internal::kDerOctetString, &inner, "private key"));
  // Attributes and (version 1) the public key are not needed.
  while (r.PeekTag() == DerContext(0) || r.PeekTag() == 0x80 ||
         r.PeekTag() == DerContext(1) || r.PeekTag() == 0x81) {
    ByteView skipped;
    PARLEY_RETURN_IF_ERROR(r.Read(r.PeekTag(), &skipped, "optional field"));
  }
  PARLEY_RETURN_IF_ERROR(r.ExpectEnd("PrivateKeyInfo"));
  if (OidIs(oid, Oid(kOidRsa))) {
    if (alg.PeekTag() == internal::kDerNull) {
      ByteView null;
      PARLEY_RETURN_IF_ERROR(alg.Read(internal::kDerNull, &null, "RSA"));
    }
    PARLEY_RETURN_IF_ERROR(alg.ExpectEnd("RSA algorithm parameters"));
    return ReadRsaPrivateKey(inner, key);
  }
  if (OidIs(oid, Oid(kOidEcPublicKey))) {
    ByteView curve;
    PARLEY_RETURN_IF_ERROR(alg.Read(internal::kDerOid, &curve, "EC curve"));
    PARLEY_RETURN_IF_ERROR(alg.ExpectEnd("EC algorithm parameters"));
    return ReadEcPrivateKey(inner, curve, provider, key);
  }
  if (OidIs(oid, Oid(kOidEd25519))) {
    // RFC 8410 section 7: CurvePrivateKey ::= OCTET STRING (the seed).
    PARLEY_RETURN_IF_ERROR(alg.ExpectEnd("Ed25519 algorithm parameters"));
    DerReader seed_reader(inner);
    ByteView seed;
    PARLEY_RETURN_IF_ERROR(
        seed_reader.Read(internal::kDerOctetString, &seed, "Ed25519 key"));
    PARLEY_RETURN_IF_ERROR(seed_reader.ExpectEnd("Ed25519 key"));
    if (seed.size() != 32) return Malformed("an Ed25519 key is 32 bytes");
    key->public_key.type = KeyType::kEd25519;
    key->ed25519_seed = ToSecureBuffer(seed);
    return provider.DerivePublicKey(key);
  }
  return absl::UnimplementedError(
      "PKCS#8 keys other than RSA, EC and Ed25519 (DSA, Ed448, ...) are not "
      "supported");
}

// --- Decryption ------------------------------------------------------------

// Removes PKCS#7 padding (RFC 5652 section 6.3); false if there is none.
bool Unpad(SecureBuffer* data, size_t block) {
  if (data->empty() || data->size() % block != 0) return false;
  const uint8_t n = data->back();
  if (n == 0 || n > block) return false;
  uint8_t bad = 0;
  for (size_t i = data->size() - n; i < data->size(); ++i) {
    bad |= static_cast<uint8_t>((*data)[i] ^ n);
  }
  if (bad != 0) return false;
  data->resize(data->size() - n);
  return true;
}

absl::StatusOr<SecureBuffer> CbcDecrypt(const CryptoProvider& provider,
                                        CbcAlgorithm alg, ByteView key,
                                        ByteView iv, ByteView ciphertext) {
  const size_t block = crypto::CbcBlockSize(alg);
  if (ciphertext.empty() || ciphertext.size() % block != 0) {
    return Malformed("encrypted key is not a whole number of blocks");
  }
  PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<crypto::CbcCipher> cipher,
                          provider.NewCbc(alg, key, iv, /*encrypt=*/false));
  SecureBuffer plain(ciphertext.size());
  PARLEY_RETURN_IF_ERROR(cipher->Crypt(ciphertext, plain.data()));
  if (!Unpad(&plain, block)) return WrongPassphrase();
  return plain;
}

// OpenSSL's legacy PEM encryption: "DEK-Info: <cipher>,<hex IV>", the key
// EVP_BytesToKey(MD5, salt = the IV's first 8 bytes, one round):
// D_1 = MD5(passphrase || salt), D_i = MD5(D_i-1 || passphrase || salt).
absl::StatusOr<SecureBuffer> DecryptDekInfo(const CryptoProvider& provider,
                                            absl::string_view dek_info,
                                            ByteView passphrase,
                                            ByteView ciphertext) {
  const size_t comma = dek_info.find(',');
  const absl::string_view name = dek_info.substr(0, comma);
  CbcAlgorithm alg;
  if (name == "AES-128-CBC") {
    alg = CbcAlgorithm::kAes128;
  } else if (name == "AES-192-CBC") {
    alg = CbcAlgorithm::kAes192;
  } else if (name == "AES-256-CBC") {
    alg = CbcAlgorithm::kAes256;
  } else if (name == "DES-EDE3-CBC") {
    alg = CbcAlgorithm::kTripleDes;
  } else {
    return absl::UnimplementedError(
        absl::StrCat("PEM encryption ", Quoted(name),
                     " is not supported (AES-*-CBC and "
                     "DES-EDE3-CBC are)"));
  }
  if (comma == absl::string_view::npos) return Malformed("DEK-Info has no IV");
  const absl::string_view iv_hex = dek_info.substr(comma + 1);
  Bytes iv;
  if (iv_hex.size() != 2 * crypto::CbcBlockSize(alg) || !FromHex(iv_hex, &iv)) {
    return Malformed("DEK-Info IV is not one block in hex");
  }
  if (passphrase.empty()) {
    return absl::UnauthenticatedError(
        "private key is encrypted: passphrase required");
  }
  const ByteView salt = ByteView(iv).first(8);
  SecureBuffer key, previous;
  while (key.size() < crypto::CbcKeySize(alg)) {
    SecureBuffer input = previous;
    input.insert(input.end(), passphrase.begin(), passphrase.end());
    input.insert(input.end(), salt.begin(), salt.end());
    PARLEY_ASSIGN_OR_RETURN(Bytes digest, provider.LegacyMd5(View(input)));
    previous = ToSecureBuffer(digest);
    std::fill(digest.begin(), digest.end(), 0);
    key.insert(key.end(), previous.begin(), previous.end());
  }
  key.resize(crypto::CbcKeySize(alg));
  return CbcDecrypt(provider, alg, View(key), iv, ciphertext);
}

// RFC 8018 appendix A.4: EncryptedPrivateKeyInfo with PBES2 (PBKDF2 and a
// CBC cipher).
absl::StatusOr<SecureBuffer> DecryptPkcs8(const CryptoProvider& provider,
                                          ByteView der, ByteView passphrase,
                                          const PemKeyOptions& options) {
  DerReader outer(der), info(ByteView{}), alg(ByteView{}), params(ByteView{}),
      kdf(ByteView{}), kdf_params(ByteView{}), scheme(ByteView{});
  PARLEY_RETURN_IF_ERROR(outer.ReadConstructed(internal::kDerSequence, &info,
                                               "EncryptedPrivateKeyInfo"));
  PARLEY_RETURN_IF_ERROR(outer.ExpectEnd("EncryptedPrivateKeyInfo"));
  PARLEY_RETURN_IF_ERROR(info.ReadConstructed(internal::kDerSequence, &alg,
                                              "encryption algorithm"));
  ByteView ciphertext, oid;
  PARLEY_RETURN_IF_ERROR(
      info.Read(internal::kDerOctetString, &ciphertext, "encrypted data"));
  PARLEY_RETURN_IF_ERROR(info.ExpectEnd("EncryptedPrivateKeyInfo"));
  PARLEY_RETURN_IF_ERROR(alg.Read(internal::kDerOid, &oid, "encryption"));
  if (!OidIs(oid, Oid(kOidPbes2))) {
    return absl::UnimplementedError(
        "PKCS#8 encryption other than PBES2 (PKCS#5 v1.5, PKCS#12 PBE) is "
        "not supported; re-encrypt with \"openssl pkcs8 -topk8 -v2 "
        "aes-256-cbc\"");
  }
  PARLEY_RETURN_IF_ERROR(
      alg.ReadConstructed(internal::kDerSequence, &params, "PBES2 params"));
  PARLEY_RETURN_IF_ERROR(alg.ExpectEnd("PBES2"));
  PARLEY_RETURN_IF_ERROR(
      params.ReadConstructed(internal::kDerSequence, &kdf, "PBES2 KDF"));
  PARLEY_RETURN_IF_ERROR(
      params.ReadConstructed(internal::kDerSequence, &scheme, "PBES2 cipher"));
  PARLEY_RETURN_IF_ERROR(params.ExpectEnd("PBES2 params"));

  // PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount,
  // keyLength OPTIONAL, prf AlgorithmIdentifier DEFAULT hmacWithSHA1 }.
  PARLEY_RETURN_IF_ERROR(kdf.Read(internal::kDerOid, &oid, "PBES2 KDF"));
  if (!OidIs(oid, Oid(kOidPbkdf2))) {
    return absl::UnimplementedError(
        "PBES2 KDFs other than PBKDF2 (scrypt) "
        "are not supported");
  }
  PARLEY_RETURN_IF_ERROR(
      kdf.ReadConstructed(internal::kDerSequence, &kdf_params, "PBKDF2"));
  PARLEY_RETURN_IF_ERROR(kdf.ExpectEnd("PBES2 KDF"));
  ByteView salt;
  uint32_t iterations = 0, key_length = 0;
  PARLEY_RETURN_IF_ERROR(
      kdf_params.Read(internal::kDerOctetString, &salt, "PBKDF2 salt"));
  PARLEY_RETURN_IF_ERROR(kdf_params.ReadSmall(&iterations, "PBKDF2 count"));
  if (kdf_params.PeekTag() == internal::kDerInteger) {
    PARLEY_RETURN_IF_ERROR(kdf_params.ReadSmall(&key_length, "key length"));
  }
  HashAlgorithm prf = HashAlgorithm::kSha1;
  if (kdf_params.PeekTag() == internal::kDerSequence) {
    DerReader prf_alg(ByteView{});
    PARLEY_RETURN_IF_ERROR(kdf_params.ReadConstructed(internal::kDerSequence,
                                                      &prf_alg, "PBKDF2 PRF"));
    PARLEY_RETURN_IF_ERROR(prf_alg.Read(internal::kDerOid, &oid, "PRF"));
    if (prf_alg.PeekTag() == internal::kDerNull) {
      ByteView null;
      PARLEY_RETURN_IF_ERROR(prf_alg.Read(internal::kDerNull, &null, "PRF"));
    }
    PARLEY_RETURN_IF_ERROR(prf_alg.ExpectEnd("PBKDF2 PRF"));
    if (OidIs(oid, Oid(kOidHmacSha1))) {
      prf = HashAlgorithm::kSha1;
    } else if (OidIs(oid, Oid(kOidHmacSha256))) {
      prf = HashAlgorithm::kSha256;
    } else if (OidIs(oid, Oid(kOidHmacSha384))) {
      prf = HashAlgorithm::kSha384;
    } else if (OidIs(oid, Oid(kOidHmacSha512))) {
      prf = HashAlgorithm::kSha512;
    } else {
      return absl::UnimplementedError(
          "PBKDF2 PRF is not HMAC-SHA1/256/384/512");
    }
  }
  PARLEY_RETURN_IF_ERROR(kdf_params.ExpectEnd("PBKDF2 params"));
  if (iterations == 0) return Malformed("PBKDF2 iteration count is zero");
  if (iterations > options.max_pbkdf2_iterations) {
    return absl::InvalidArgumentError(
        absl::StrCat("private key asks for ", iterations,
                     " PBKDF2 iterations, more than the limit of ",
                     options.max_pbkdf2_iterations));
  }

  PARLEY_RETURN_IF_ERROR(scheme.Read(internal::kDerOid, &oid, "PBES2 cipher"));
  CbcAlgorithm cbc;
  if (OidIs(oid, Oid(kOidAes128Cbc))) {
    cbc = CbcAlgorithm::kAes128;
  } else if (OidIs(oid, Oid(kOidAes192Cbc))) {
    cbc = CbcAlgorithm::kAes192;
  } else if (OidIs(oid, Oid(kOidAes256Cbc))) {
    cbc = CbcAlgorithm::kAes256;
  } else if (OidIs(oid, Oid(kOidDesEde3Cbc))) {
    cbc = CbcAlgorithm::kTripleDes;
  } else {
    return absl::UnimplementedError(
        "PBES2 ciphers other than AES-CBC and DES-EDE3-CBC are not supported");
  }
  ByteView iv;
  PARLEY_RETURN_IF_ERROR(scheme.Read(internal::kDerOctetString, &iv, "IV"));
  PARLEY_RETURN_IF_ERROR(scheme.ExpectEnd("PBES2 cipher"));
  if (iv.size() != crypto::CbcBlockSize(cbc)) {
    return Malformed("PBES2 IV is not one block");
  }
  if (key_length != 0 && key_length != crypto::CbcKeySize(cbc)) {
    return Malformed("PBKDF2 key length does not fit the cipher");
  }
  if (passphrase.empty()) {
    return absl::UnauthenticatedError(
        "private key is encrypted: passphrase required");
  }
  PARLEY_ASSIGN_OR_RETURN(
      SecureBuffer key,
      crypto::Pbkdf2Hmac(provider, prf, passphrase, salt, iterations,
                         crypto::CbcKeySize(cbc)));
  return CbcDecrypt(provider, cbc, View(key), iv, ciphertext);
}

}  // namespace

bool LooksLikePemPrivateKey(absl::string_view text) {
  text = absl::StripLeadingAsciiWhitespace(text);
  for (absl::string_view label :
       {"-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN EC PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----", "-----BEGIN ENCRYPTED PRIVATE KEY-----",
        "-----BEGIN DSA PRIVATE KEY-----"}) {
    if (absl::StartsWith(text, label)) return true;
  }
  return false;
}

absl::StatusOr<PrivateKey> ParsePemPrivateKey(absl::string_view text,
                                              ByteView passphrase,
                                              const CryptoProvider& provider,
                                              const PemKeyOptions& options) {
  PARLEY_ASSIGN_OR_RETURN(Armor armor, ParseArmor(text));
  enum class Kind { kPkcs1, kSec1, kPkcs8, kEncryptedPkcs8 } kind;
  if (armor.label == "RSA PRIVATE KEY") {
    kind = Kind::kPkcs1;
  } else if (armor.label == "EC PRIVATE KEY") {
    kind = Kind::kSec1;
  } else if (armor.label == "PRIVATE KEY") {
    kind = Kind::kPkcs8;
  } else if (armor.label == "ENCRYPTED PRIVATE KEY") {
    kind = Kind::kEncryptedPkcs8;
  } else if (armor.label == "DSA PRIVATE KEY") {
    return absl::UnimplementedError("DSA keys are not supported");
  } else {
    return Malformed(absl::StrCat("unexpected armor ", Quoted(armor.label)));
  }
  SecureBuffer der;
  if (!DecodeBase64(armor.body, &der)) return Malformed("bad base64");
  std::fill(armor.body.begin(), armor.body.end(), '\0');

  // Legacy encryption headers (PKCS#1 and SEC1 files only).
  absl::string_view proc_type, dek_info;
  for (const auto& [name, value] : armor.headers) {
    if (name == "Proc-Type") {
      proc_type = value;
    } else if (name == "DEK-Info") {
      dek_info = value;
    } else {
      return Malformed(absl::StrCat("unknown header ", Quoted(name)));
    }
  }
  bool encrypted = false;
  if (!proc_type.empty() || !dek_info.empty()) {
    if (proc_type != "4,ENCRYPTED" || dek_info.empty() ||
        (kind != Kind::kPkcs1 && kind != Kind::kSec1)) {
      return Malformed(
          "Proc-Type / DEK-Info headers are not 4,ENCRYPTED "
          "with a cipher on an RSA or EC key");
    }
    PARLEY_ASSIGN_OR_RETURN(
        der, DecryptDekInfo(provider, dek_info, passphrase, View(der)));
    encrypted = true;
  }
  if (kind == Kind::kEncryptedPkcs8) {
    PARLEY_ASSIGN_OR_RETURN(
        der, DecryptPkcs8(provider, View(der), passphrase, options));
    encrypted = true;
    kind = Kind::kPkcs8;
  }

  PrivateKey key;
  absl::Status s;
  switch (kind) {
    case Kind::kPkcs1:
      s = ReadRsaPrivateKey(View(der), &key);
      break;
    case Kind::kSec1:
      s = ReadEcPrivateKey(View(der), ByteView(), provider, &key);
      break;
    case Kind::kPkcs8:
    case Kind::kEncryptedPkcs8:
      s = ReadPkcs8(View(der), provider, &key);
      break;
  }
  if (!s.ok()) {
    // Garbage that happened to unpad is what a wrong passphrase gives.
    if (encrypted && absl::IsInvalidArgument(s)) return WrongPassphrase();
    if (absl::IsInvalidArgument(s) &&
        !absl::StartsWith(s.message(), "malformed PEM")) {
      return Malformed(s.message());
    }
    return s;
  }
  absl::Status checked = internal::SelfTest(provider, key);
  if (absl::IsInvalidArgument(checked)) return Malformed(checked.message());
  PARLEY_RETURN_IF_ERROR(checked);
  return key;
}

}  // namespace parley::keys
