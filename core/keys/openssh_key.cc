#include "core/keys/openssh_key.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base/base64.h"
#include "core/base/secure_buffer.h"
#include "core/base/status_macros.h"
#include "core/crypto/aead.h"
#include "core/crypto/algorithms.h"
#include "core/crypto/cipher.h"
#include "core/crypto/mac.h"
#include "core/crypto/ssh_keys.h"
#include "core/keys/bcrypt_pbkdf.h"
#include "core/keys/internal/key_checks.h"
#include "core/wire/reader.h"

namespace parley::keys {
namespace {

using crypto::CryptoProvider;
using crypto::KeyType;
using crypto::PrivateKey;
using crypto::PublicKey;

constexpr absl::string_view kBeginMarker =
    "-----BEGIN OPENSSH PRIVATE KEY-----";
constexpr absl::string_view kEndMarker = "-----END OPENSSH PRIVATE KEY-----";
// AUTH_MAGIC of PROTOCOL.key, with its terminating NUL.
constexpr char kAuthMagic[] = "openssh-key-v1";
constexpr size_t kAuthMagicSize = sizeof(kAuthMagic);  // 15

enum class CipherMode { kNone, kAesCtr, kAesGcm, kChaChaPoly };

// The ciphers OpenSSH can protect a key file with that Parley's providers
// offer; sizes as in OpenSSH's cipher table (cipher.c). The KDF output is
// key_size + iv_size bytes: the key, then the IV.
struct KeyFileCipher {
  absl::string_view name;
  CipherMode mode;
  size_t key_size;
  size_t iv_size;
  size_t block_size;
  size_t tag_size;  // bytes after the encrypted section
};

constexpr KeyFileCipher kKeyFileCiphers[] = {
    {"none", CipherMode::kNone, 0, 0, 8, 0},
    {"aes128-ctr", CipherMode::kAesCtr, 16, 16, 16, 0},
    {"aes192-ctr", CipherMode::kAesCtr, 24, 16, 16, 0},
    {"aes256-ctr", CipherMode::kAesCtr, 32, 16, 16, 0},
    {"aes128-gcm@openssh.com", CipherMode::kAesGcm, 16, 12, 16, 16},
    {"aes256-gcm@openssh.com", CipherMode::kAesGcm, 32, 12, 16, 16},
    {"chacha20-poly1305@openssh.com", CipherMode::kChaChaPoly, 64, 0, 8, 16},
};

const KeyFileCipher* FindKeyFileCipher(absl::string_view name) {
  for (const KeyFileCipher& c : kKeyFileCiphers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// An untrusted name for an error message: escaped and cut short.
std::string Quoted(absl::string_view s) {
  constexpr size_t kMaxShown = 64;
  const bool cut = s.size() > kMaxShown;
  return absl::StrCat("\"", absl::CHexEscape(s.substr(0, kMaxShown)),
                      cut ? "...\"" : "\"");
}

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed OpenSSH private key: ", what));
}

// Names the field a failed read was for.
absl::Status Field(absl::Status s, absl::string_view field) {
  if (s.ok()) return s;
  return Malformed(absl::StrCat(field, ": ", s.message()));
}

absl::Status WrongPassphrase() {
  return absl::UnauthenticatedError(
      "incorrect passphrase: the private key did not decrypt");
}

// A helpful error for text that is not an OpenSSH private key file.
absl::Status NotOpenSshArmor(absl::string_view text) {
  if (absl::StartsWith(text, "-----BEGIN ")) {
    const absl::string_view line = text.substr(0, text.find('\n'));
    if (absl::StrContains(line, "PRIVATE KEY-----")) {
      return absl::UnimplementedError(absl::StrCat(
          "PEM private keys (", Quoted(absl::StripAsciiWhitespace(line)),
          ") are not supported; convert the key to OpenSSH's format with "
          "\"ssh-keygen -p -f FILE\""));
    }
    return Malformed(absl::StrCat("unexpected armor ",
                                  Quoted(absl::StripAsciiWhitespace(line))));
  }
  if (absl::StartsWith(text, "PuTTY-User-Key-File-")) {
    return absl::UnimplementedError(
        "PuTTY private keys are not supported; export the key in OpenSSH's "
        "format");
  }
  if (absl::StartsWith(text, "ssh-") || absl::StartsWith(text, "ecdsa-")) {
    return absl::InvalidArgumentError(
        "this is a public key line, not a private key file");
  }
  return Malformed(absl::StrCat("no \"", kBeginMarker, "\" line"));
}

// Removes the armor and decodes the base64 body. The body lines may be of
// any length and end in LF or CRLF; only whitespace may surround the armor.
absl::StatusOr<SecureBuffer> Dearmor(absl::string_view text) {
  text = absl::StripLeadingAsciiWhitespace(text);
  if (!absl::StartsWith(text, kBeginMarker)) return NotOpenSshArmor(text);
  absl::string_view rest = text.substr(kBeginMarker.size());
  size_t eol = rest.find('\n');
  if (!absl::StripAsciiWhitespace(rest.substr(0, eol)).empty()) {
    return Malformed("text after the BEGIN marker");
  }
  rest = eol == absl::string_view::npos ? absl::string_view()
                                        : rest.substr(eol + 1);
  SecureBuffer body;  // the base64 text is as secret as the key
  bool ended = false;
  while (!rest.empty()) {
    eol = rest.find('\n');
    const absl::string_view line =
        absl::StripAsciiWhitespace(rest.substr(0, eol));
    rest = eol == absl::string_view::npos ? absl::string_view()
                                          : rest.substr(eol + 1);
    if (line == kEndMarker) {
      ended = true;
      break;
    }
    if (absl::StartsWith(line, "-----")) {
      return Malformed(absl::StrCat("unexpected armor line ", Quoted(line)));
    }
    body.insert(body.end(), line.begin(), line.end());
  }
  if (!ended) return Malformed(absl::StrCat("no \"", kEndMarker, "\" line"));
  if (!absl::StripAsciiWhitespace(rest).empty()) {
    return Malformed("data after the END marker");
  }
  if (body.empty()) return Malformed("empty key body");
  SecureBuffer blob;
  if (!DecodeBase64(AsString(View(body)), &blob)) {
    return Malformed("the key body is not valid base64");
  }
  return blob;
}

absl::StatusOr<PublicKey> ParseFilePublicKey(ByteView blob) {
  absl::StatusOr<PublicKey> key = crypto::ParsePublicKeyBlob(blob);
  if (!key.ok() && absl::IsInvalidArgument(key.status())) {
    return Malformed(absl::StrCat("public key: ", key.status().message()));
  }
  return key;
}

absl::StatusOr<SecureBuffer> Decrypt(const KeyFileCipher& cipher,
                                     const CryptoProvider& provider,
                                     ByteView passphrase, ByteView salt,
                                     uint32_t rounds, ByteView encrypted,
                                     ByteView tag) {
  SecureBuffer key_iv(cipher.key_size + cipher.iv_size);
  PARLEY_RETURN_IF_ERROR(
      BcryptPbkdf(provider, passphrase, salt, rounds, MutableByteView(key_iv)));
  const ByteView key(key_iv.data(), cipher.key_size);
  const ByteView iv(key_iv.data() + cipher.key_size, cipher.iv_size);
  SecureBuffer plain(encrypted.size());
  switch (cipher.mode) {
    case CipherMode::kNone:
      std::copy(encrypted.begin(), encrypted.end(), plain.begin());
      break;
    case CipherMode::kAesCtr: {
      PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<crypto::StreamCipher> ctr,
                              provider.NewAesCtr(key, iv));
      PARLEY_RETURN_IF_ERROR(ctr->Crypt(encrypted, plain.data()));
      break;
    }
    case CipherMode::kAesGcm: {
      // OpenSSH uses the whole 12-byte KDF output as the first (and only)
      // nonce, with no AAD; the tag follows the encrypted string.
      PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<crypto::Aead> gcm,
                              provider.NewAesGcm(key));
      Bytes sealed(encrypted.begin(), encrypted.end());
      sealed.insert(sealed.end(), tag.begin(), tag.end());
      const absl::Status opened =
          gcm->Open(iv, ByteView(), sealed, plain.data());
      if (absl::IsDataLoss(opened)) return WrongPassphrase();
      PARLEY_RETURN_IF_ERROR(opened);
      break;
    }
    case CipherMode::kChaChaPoly: {
      // chacha20-poly1305@openssh.com for packet sequence number 0 and no
      // additional data: only K_2 (the first 32 key bytes) is used; the
      // Poly1305 key is keystream block 0, the tag covers the ciphertext,
      // and the plaintext is keyed from block 1.
      PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<crypto::ChaCha20> chacha,
                              provider.NewChaCha20(key.subspan(0, 32)));
      PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<crypto::Poly1305> poly,
                              provider.NewPoly1305());
      const uint8_t nonce[crypto::ChaCha20::kNonceSize] = {};
      const uint8_t zeros[crypto::Poly1305::kKeySize] = {};
      SecureBuffer poly_key(crypto::Poly1305::kKeySize);
      PARLEY_RETURN_IF_ERROR(
          chacha->Crypt(nonce, 0, ByteView(zeros), poly_key.data()));
      uint8_t expected[crypto::Poly1305::kTagSize];
      PARLEY_RETURN_IF_ERROR(
          poly->Compute(View(poly_key), encrypted, MutableByteView(expected)));
      if (!ConstantTimeEquals(ByteView(expected), tag))
        return WrongPassphrase();
      PARLEY_RETURN_IF_ERROR(chacha->Crypt(nonce, 1, encrypted, plain.data()));
      break;
    }
  }
  return plain;
}

absl::Status ReadEd25519(wire::Reader* r, PrivateKey* key) {
  ByteView pk, sk;
  PARLEY_RETURN_IF_ERROR(Field(r->ReadString(&pk), "Ed25519 public key"));
  PARLEY_RETURN_IF_ERROR(Field(r->ReadString(&sk), "Ed25519 private key"));
  if (pk.size() != 32) return Malformed("Ed25519 public key is not 32 bytes");
  // RFC 8032's 32-byte secret followed by the public key, as in NaCl.
  if (sk.size() != 64) return Malformed("Ed25519 private key is not 64 bytes");
  if (!ConstantTimeEquals(sk.subspan(32), pk)) {
    return Malformed(
        "the Ed25519 private key's copy of the public key differs");
  }
  key->public_key.type = KeyType::kEd25519;
  key->public_key.ed25519.assign(pk.begin(), pk.end());
  key->ed25519_seed = ToSecureBuffer(sk.subspan(0, 32));
  return absl::OkStatus();
}

absl::Status ReadEcdsa(wire::Reader* r, KeyType type, PrivateKey* key) {
  absl::string_view curve;
  ByteView point, scalar;
  const size_t field = crypto::EcFieldSize(type);
  PARLEY_RETURN_IF_ERROR(Field(r->ReadString(&curve), "ECDSA curve name"));
  PARLEY_RETURN_IF_ERROR(Field(r->ReadString(&point), "ECDSA public point"));
  PARLEY_RETURN_IF_ERROR(
      Field(r->ReadMpint(&scalar, field + 1), "ECDSA private scalar"));
  if (curve != EcCurveName(type)) {
    return Malformed(absl::StrCat("ECDSA curve ", Quoted(curve),
                                  " does not match the key type"));
  }
  if (scalar.empty() || scalar.size() > field) {
    return Malformed("ECDSA private scalar is zero or too long");
  }
  key->public_key.type = type;
  key->public_key.ec_point.assign(point.begin(), point.end());
  key->ec_scalar.assign(field - scalar.size(), 0);
  key->ec_scalar.insert(key->ec_scalar.end(), scalar.begin(), scalar.end());
  return absl::OkStatus();
}

absl::Status ReadRsa(wire::Reader* r, const PublicKey& outer, PrivateKey* key) {
  ByteView n, e, d, iqmp, p, q;
  PARLEY_RETURN_IF_ERROR(Field(r->ReadMpint(&n), "RSA modulus"));
  PARLEY_RETURN_IF_ERROR(Field(r->ReadMpint(&e), "RSA public exponent"));
  PARLEY_RETURN_IF_ERROR(Field(r->ReadMpint(&d), "RSA private exponent"));
  PARLEY_RETURN_IF_ERROR(Field(r->ReadMpint(&iqmp), "RSA iqmp"));
  PARLEY_RETURN_IF_ERROR(Field(r->ReadMpint(&p), "RSA prime p"));
  PARLEY_RETURN_IF_ERROR(Field(r->ReadMpint(&q), "RSA prime q"));
  // Compare the public half before any arithmetic, so that the sizes below
  // are bounded by a modulus that passed ParsePublicKeyBlob's checks.
  if (Bytes(n.begin(), n.end()) != outer.rsa_n ||
      Bytes(e.begin(), e.end()) != outer.rsa_e) {
    return Malformed(
        "the private key's public half differs from the file's public key");
  }
  absl::Status s = internal::CompleteRsaKey(n, e, d, iqmp, p, q, key);
  if (!s.ok()) return Malformed(s.message());
  return absl::OkStatus();
}

absl::Status SelfTest(const CryptoProvider& provider, const PrivateKey& key) {
  absl::Status s = internal::SelfTest(provider, key);
  if (absl::IsInvalidArgument(s)) return Malformed(s.message());
  return s;
}

absl::StatusOr<PrivateKey> ParsePrivateSection(ByteView plain,
                                               const PublicKey& outer,
                                               bool encrypted,
                                               const CryptoProvider& provider,
                                               std::string* comment) {
  wire::Reader r(plain);
  uint32_t check1 = 0, check2 = 0;
  PARLEY_RETURN_IF_ERROR(Field(r.ReadU32(&check1), "check integer"));
  PARLEY_RETURN_IF_ERROR(Field(r.ReadU32(&check2), "check integer"));
  if (check1 != check2) {
    if (encrypted) return WrongPassphrase();
    return Malformed("the two check integers differ");
  }
  absl::string_view type_name;
  PARLEY_RETURN_IF_ERROR(Field(r.ReadString(&type_name), "private key type"));
  if (type_name != crypto::KeyTypeName(outer.type)) {
    return Malformed(absl::StrCat("private key type ", Quoted(type_name),
                                  " differs from the public key's ",
                                  crypto::KeyTypeName(outer.type)));
  }
  PrivateKey key;
  switch (outer.type) {
    case KeyType::kEd25519:
      PARLEY_RETURN_IF_ERROR(ReadEd25519(&r, &key));
      break;
    case KeyType::kEcdsaP256:
    case KeyType::kEcdsaP384:
    case KeyType::kEcdsaP521:
      PARLEY_RETURN_IF_ERROR(ReadEcdsa(&r, outer.type, &key));
      break;
    case KeyType::kRsa:
      PARLEY_RETURN_IF_ERROR(ReadRsa(&r, outer, &key));
      break;
  }
  if (!(key.public_key == outer)) {
    return Malformed(
        "the private key's public half differs from the file's public key");
  }
  absl::string_view comment_text;
  PARLEY_RETURN_IF_ERROR(Field(r.ReadString(&comment_text), "comment"));
  if (comment_text.find('\0') != absl::string_view::npos) {
    return Malformed("NUL byte in the comment");
  }
  // Deterministic padding to the cipher's block size: 1, 2, 3, ...
  const ByteView padding = r.rest();
  for (size_t i = 0; i < padding.size(); ++i) {
    if (padding[i] != static_cast<uint8_t>(i + 1)) {
      return Malformed(
          "bad padding after the private key (must be 1, 2, 3, ...)");
    }
  }
  PARLEY_RETURN_IF_ERROR(SelfTest(provider, key));
  if (comment != nullptr)
    comment->assign(comment_text.data(), comment_text.size());
  return key;
}

absl::StatusOr<PrivateKey> ParseKeyBlob(ByteView blob, ByteView passphrase,
                                        const CryptoProvider& provider,
                                        const OpenSshKeyOptions& options,
                                        std::string* comment) {
  wire::Reader r(blob);
  ByteView magic;
  if (!r.ReadBytes(kAuthMagicSize, &magic).ok() ||
      !std::equal(magic.begin(), magic.end(),
                  reinterpret_cast<const uint8_t*>(kAuthMagic))) {
    return Malformed("no \"openssh-key-v1\" magic");
  }
  absl::string_view cipher_name, kdf_name;
  ByteView kdf_options, public_blob, encrypted, tag;
  uint32_t nkeys = 0;
  PARLEY_RETURN_IF_ERROR(Field(r.ReadString(&cipher_name), "cipher name"));
  PARLEY_RETURN_IF_ERROR(Field(r.ReadString(&kdf_name), "KDF name"));
  PARLEY_RETURN_IF_ERROR(Field(r.ReadString(&kdf_options), "KDF options"));
  PARLEY_RETURN_IF_ERROR(Field(r.ReadU32(&nkeys), "number of keys"));
  if (nkeys != 1) {
    return Malformed(absl::StrCat("the file holds ", nkeys,
                                  " keys; exactly one is supported"));
  }
  PARLEY_RETURN_IF_ERROR(Field(r.ReadString(&public_blob), "public key"));
  PARLEY_RETURN_IF_ERROR(Field(r.ReadString(&encrypted), "private section"));

  const KeyFileCipher* cipher = FindKeyFileCipher(cipher_name);
  if (cipher == nullptr) {
    return absl::UnimplementedError(absl::StrCat(
        "private key cipher ", Quoted(cipher_name), " is not supported"));
  }
  if (cipher->tag_size != 0) {
    PARLEY_RETURN_IF_ERROR(
        Field(r.ReadBytes(cipher->tag_size, &tag), "authentication tag"));
  }
  if (!r.empty()) {
    return Malformed(absl::StrCat(r.remaining(),
                                  " trailing bytes after the private section"));
  }
  const bool is_encrypted = kdf_name != "none";
  if (is_encrypted && kdf_name != "bcrypt") {
    return absl::UnimplementedError(absl::StrCat(
        "private key KDF ", Quoted(kdf_name), " is not supported"));
  }
  if (!is_encrypted && cipher->mode != CipherMode::kNone) {
    return Malformed(
        absl::StrCat("cipher ", Quoted(cipher_name), " without a KDF"));
  }
  if (!is_encrypted && !kdf_options.empty()) {
    return Malformed("KDF \"none\" with non-empty KDF options");
  }
  if (is_encrypted && cipher->mode == CipherMode::kNone) {
    return Malformed("KDF \"bcrypt\" with cipher \"none\"");
  }
  PARLEY_ASSIGN_OR_RETURN(PublicKey outer, ParseFilePublicKey(public_blob));
  if (encrypted.size() < cipher->block_size ||
      encrypted.size() % cipher->block_size != 0) {
    return Malformed(absl::StrCat(
        "private section of ", encrypted.size(),
        " bytes is not a non-zero multiple of the cipher's block size ",
        cipher->block_size));
  }

  SecureBuffer plain;
  if (!is_encrypted) {
    plain = ToSecureBuffer(encrypted);
  } else {
    wire::Reader kdf(kdf_options);
    ByteView salt;
    uint32_t rounds = 0;
    PARLEY_RETURN_IF_ERROR(Field(kdf.ReadString(&salt), "bcrypt salt"));
    PARLEY_RETURN_IF_ERROR(Field(kdf.ReadU32(&rounds), "bcrypt rounds"));
    if (!kdf.empty()) return Malformed("trailing bytes in the KDF options");
    if (salt.empty()) return Malformed("empty bcrypt salt");
    if (rounds == 0) return Malformed("bcrypt rounds is zero");
    if (rounds > options.max_bcrypt_rounds) {
      return absl::InvalidArgumentError(
          absl::StrCat("private key asks for ", rounds,
                       " bcrypt rounds, more than the limit of ",
                       options.max_bcrypt_rounds));
    }
    if (passphrase.empty()) {
      return absl::UnauthenticatedError(
          "private key is encrypted: passphrase required");
    }
    PARLEY_ASSIGN_OR_RETURN(plain, Decrypt(*cipher, provider, passphrase, salt,
                                           rounds, encrypted, tag));
  }
  return ParsePrivateSection(View(plain), outer, is_encrypted, provider,
                             comment);
}

// "<type> <base64> [comment]": the key type must be a known one
// (kUnimplemented otherwise, which the caller uses to try options first).
absl::StatusOr<PublicKey> ParseTypeAndBlob(absl::string_view s) {
  const size_t type_end = s.find_first_of(" \t");
  const absl::string_view type = s.substr(0, type_end);
  KeyType key_type;
  if (!crypto::KeyTypeFromName(type, &key_type)) {
    return absl::UnimplementedError(
        absl::StrCat("unsupported public key type ", Quoted(type)));
  }
  if (type_end == absl::string_view::npos) {
    return absl::InvalidArgumentError("no base64 key after the key type");
  }
  absl::string_view rest =
      absl::StripLeadingAsciiWhitespace(s.substr(type_end));
  const absl::string_view b64 = rest.substr(0, rest.find_first_of(" \t"));
  SecureBuffer blob;
  if (b64.empty() || !DecodeBase64(b64, &blob)) {
    return absl::InvalidArgumentError("the public key is not valid base64");
  }
  PARLEY_ASSIGN_OR_RETURN(PublicKey key,
                          crypto::ParsePublicKeyBlob(View(blob)));
  if (key.type != key_type) {
    return absl::InvalidArgumentError(
        absl::StrCat("key type ", type, " differs from the encoded key's ",
                     crypto::KeyTypeName(key.type)));
  }
  return key;
}

// Skips an authorized_keys options field (up to the first blank outside
// double quotes; a backslash escapes a quote inside them). False if the
// quotes are unbalanced or nothing follows.
bool SkipOptions(absl::string_view line, absl::string_view* rest) {
  bool quoted = false;
  size_t i = 0;
  for (; i < line.size(); ++i) {
    const char c = line[i];
    if (!quoted && (c == ' ' || c == '\t')) break;
    if (c == '\\' && quoted && i + 1 < line.size() && line[i + 1] == '"') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    }
  }
  if (quoted) return false;
  *rest = absl::StripLeadingAsciiWhitespace(line.substr(i));
  return !rest->empty();
}

}  // namespace

absl::StatusOr<PrivateKey> ParseOpenSshPrivateKey(
    absl::string_view file_text, ByteView passphrase,
    const CryptoProvider& provider) {
  return ParseOpenSshPrivateKey(file_text, passphrase, provider,
                                OpenSshKeyOptions(), nullptr);
}

absl::StatusOr<PrivateKey> ParseOpenSshPrivateKey(
    absl::string_view file_text, ByteView passphrase,
    const CryptoProvider& provider, const OpenSshKeyOptions& options,
    std::string* comment) {
  PARLEY_ASSIGN_OR_RETURN(SecureBuffer blob, Dearmor(file_text));
  return ParseKeyBlob(View(blob), passphrase, provider, options, comment);
}

absl::StatusOr<PublicKey> ParsePublicKeyLine(absl::string_view line) {
  line = absl::StripAsciiWhitespace(line);
  if (line.empty() || line[0] == '#') {
    return absl::InvalidArgumentError("no public key on the line");
  }
  absl::StatusOr<PublicKey> key = ParseTypeAndBlob(line);
  if (key.ok() || !absl::IsUnimplemented(key.status())) return key;
  // Perhaps authorized_keys options come first.
  absl::string_view rest;
  if (!SkipOptions(line, &rest)) return key;
  absl::StatusOr<PublicKey> after_options = ParseTypeAndBlob(rest);
  if (after_options.ok() || !absl::IsUnimplemented(after_options.status())) {
    return after_options;
  }
  return key;  // names the first field, the likelier key type
}

}  // namespace parley::keys
