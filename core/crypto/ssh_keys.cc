#include "core/crypto/ssh_keys.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/wire/reader.h"
#include "core/wire/writer.h"

namespace parley::crypto {
namespace {

size_t BitLength(ByteView magnitude) {
  while (!magnitude.empty() && magnitude[0] == 0) magnitude.remove_prefix(1);
  if (magnitude.empty()) return 0;
  size_t bits = (magnitude.size() - 1) * 8;
  for (uint8_t top = magnitude[0]; top != 0; top >>= 1) ++bits;
  return bits;
}

absl::Status CheckRsaPublic(ByteView e, ByteView n) {
  const size_t bits = BitLength(n);
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA modulus of ", bits, " bits is outside [", kMinRsaBits,
                     ", ", kMaxRsaBits, "]"));
  }
  if (e.empty() || (e.back() & 1) == 0 || BitLength(e) < 2 || e.size() > 8) {
    return absl::InvalidArgumentError("RSA public exponent is invalid");
  }
  return absl::OkStatus();
}

// Left-pads `v` with zeros to `size` bytes; false if it is longer.
bool PadTo(ByteView v, size_t size, Bytes* out) {
  while (!v.empty() && v[0] == 0 && v.size() > size) v.remove_prefix(1);
  if (v.size() > size) return false;
  out->insert(out->end(), size - v.size(), 0);
  out->insert(out->end(), v.begin(), v.end());
  return true;
}

}  // namespace

absl::Status ReadPublicKeyFields(wire::Reader& r, KeyType type,
                                 PublicKey* out) {
  PublicKey key;
  key.type = type;
  switch (key.type) {
    case KeyType::kEd25519: {
      ByteView pk;
      PARLEY_RETURN_IF_ERROR(r.ReadString(&pk));
      if (pk.size() != 32) {
        return absl::InvalidArgumentError("ssh-ed25519 key is not 32 bytes");
      }
      key.ed25519.assign(pk.begin(), pk.end());
      break;
    }
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: {
      absl::string_view curve;
      ByteView q;
      PARLEY_RETURN_IF_ERROR(r.ReadString(&curve));
      PARLEY_RETURN_IF_ERROR(r.ReadString(&q));
      if (curve != EcCurveName(key.type)) {
        return absl::InvalidArgumentError(
            "ECDSA key's curve does not match its type");
      }
      const size_t field = EcFieldSize(key.type);
      if (q.size() != 1 + 2 * field || q[0] != 0x04) {
        return absl::InvalidArgumentError(
            "ECDSA public point is not an uncompressed point of the curve's "
            "size");
      }
      key.ec_point.assign(q.begin(), q.end());
      break;
    }
    case KeyType::kRsa: {
      ByteView e, n;
      PARLEY_RETURN_IF_ERROR(r.ReadMpint(&e));
      PARLEY_RETURN_IF_ERROR(r.ReadMpint(&n));
      PARLEY_RETURN_IF_ERROR(CheckRsaPublic(e, n));
      key.rsa_e.assign(e.begin(), e.end());
      key.rsa_n.assign(n.begin(), n.end());
      break;
    }
  }
  *out = std::move(key);
  return absl::OkStatus();
}

absl::StatusOr<PublicKey> ParsePublicKeyBlob(ByteView blob) {
  wire::Reader r(blob);
  absl::string_view type_name;
  PARLEY_RETURN_IF_ERROR(r.ReadString(&type_name));
  KeyType type;
  if (!KeyTypeFromName(type_name, &type)) {
    return absl::UnimplementedError(
        absl::StrCat("unsupported public key type \"",
                     absl::CHexEscape(type_name.substr(0, 64)), "\""));
  }
  PublicKey key;
  PARLEY_RETURN_IF_ERROR(ReadPublicKeyFields(r, type, &key));
  PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
  return key;
}

Bytes EncodePublicKeyBlob(const PublicKey& key) {
  Bytes out;
  wire::Writer w(&out);
  w.WriteString(KeyTypeName(key.type));
  switch (key.type) {
    case KeyType::kEd25519:
      w.WriteString(ByteView(key.ed25519));
      break;
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521:
      w.WriteString(EcCurveName(key.type));
      w.WriteString(ByteView(key.ec_point));
      break;
    case KeyType::kRsa:
      w.WriteMpint(key.rsa_e);
      w.WriteMpint(key.rsa_n);
      break;
  }
  return out;
}

absl::StatusOr<ParsedSignature> ParseSignatureBlob(ByteView blob,
                                                   const PublicKey& key) {
  wire::Reader r(blob);
  absl::string_view alg_name;
  ByteView body;
  PARLEY_RETURN_IF_ERROR(r.ReadString(&alg_name));
  PARLEY_RETURN_IF_ERROR(r.ReadString(&body));
  PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
  ParsedSignature sig;
  if (!SignatureAlgorithmFromName(alg_name, &sig.algorithm)) {
    return absl::InvalidArgumentError("unknown signature algorithm");
  }
  if (KeyTypeFor(sig.algorithm) != key.type) {
    return absl::InvalidArgumentError(
        "signature algorithm does not match the key type");
  }
  switch (key.type) {
    case KeyType::kEd25519:
      if (body.size() != 64) {
        return absl::InvalidArgumentError("Ed25519 signature is not 64 bytes");
      }
      sig.raw.assign(body.begin(), body.end());
      break;
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521: {
      wire::Reader rs(body);
      ByteView rv, sv;
      const size_t field = EcFieldSize(key.type);
      PARLEY_RETURN_IF_ERROR(rs.ReadMpint(&rv, field + 1));
      PARLEY_RETURN_IF_ERROR(rs.ReadMpint(&sv, field + 1));
      PARLEY_RETURN_IF_ERROR(rs.ExpectEnd());
      if (rv.empty() || sv.empty() || !PadTo(rv, field, &sig.raw) ||
          !PadTo(sv, field, &sig.raw)) {
        return absl::InvalidArgumentError("ECDSA signature value out of range");
      }
      break;
    }
    case KeyType::kRsa: {
      size_t modulus_bytes = key.rsa_n.size();
      if (body.size() > modulus_bytes || body.empty()) {
        return absl::InvalidArgumentError(
            "RSA signature longer than the modulus");
      }
      PadTo(body, modulus_bytes, &sig.raw);
      break;
    }
  }
  return sig;
}

absl::StatusOr<Bytes> EncodeSignatureBlob(SignatureAlgorithm alg,
                                          ByteView raw) {
  Bytes out;
  wire::Writer w(&out);
  w.WriteString(SignatureAlgorithmName(alg));
  const KeyType type = KeyTypeFor(alg);
  const size_t field = EcFieldSize(type);
  if (field != 0) {
    if (raw.size() != 2 * field) {
      return absl::InvalidArgumentError("ECDSA raw signature has wrong size");
    }
    size_t mark = w.BeginString();
    w.WriteMpint(raw.first(field));
    w.WriteMpint(raw.subspan(field));
    w.EndString(mark);
  } else {
    w.WriteString(raw);
  }
  return out;
}

absl::Status VerifySshSignature(const CryptoProvider& provider,
                                const PublicKey& key, ByteView signature_blob,
                                ByteView data, const VerifyOptions& options) {
  PARLEY_ASSIGN_OR_RETURN(ParsedSignature sig,
                          ParseSignatureBlob(signature_blob, key));
  if (options.required.has_value() && *options.required != sig.algorithm) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature uses ", SignatureAlgorithmName(sig.algorithm),
                     ", expected ", SignatureAlgorithmName(*options.required)));
  }
  if (sig.algorithm == SignatureAlgorithm::kRsaSha1 &&
      !options.allow_rsa_sha1) {
    return absl::InvalidArgumentError(
        "ssh-rsa (SHA-1) signatures are disabled");
  }
  PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<PublicKeyVerify> verifier,
                          provider.NewVerifier(key, sig.algorithm));
  return verifier->Verify(data, sig.raw);
}

absl::StatusOr<Bytes> SignSsh(const CryptoProvider& provider,
                              const PrivateKey& key, SignatureAlgorithm alg,
                              ByteView data) {
  PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<PublicKeySign> signer,
                          provider.NewSigner(key, alg));
  PARLEY_ASSIGN_OR_RETURN(Bytes raw, signer->Sign(data));
  return EncodeSignatureBlob(alg, raw);
}

absl::StatusOr<std::string> FingerprintSha256(const CryptoProvider& provider,
                                              ByteView public_key_blob) {
  PARLEY_ASSIGN_OR_RETURN(
      Bytes digest, Digest(provider, HashAlgorithm::kSha256, public_key_blob));
  std::string b64 = absl::Base64Escape(AsString(digest));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return absl::StrCat("SHA256:", b64);
}

}  // namespace parley::crypto
