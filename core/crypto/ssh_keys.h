// SSH encodings of public keys and signatures (RFC 4253 section 6.6,
// RFC 5656 section 3, RFC 8332, RFC 8709), parsed and built here once for
// every backend. Parsers are pure functions of their input bytes.
#ifndef PARLEY_CORE_CRYPTO_SSH_KEYS_H_
#define PARLEY_CORE_CRYPTO_SSH_KEYS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/optional.h"
#include "core/base/bytes.h"
#include "core/crypto/provider.h"
#include "core/crypto/signature.h"
#include "core/wire/reader.h"

namespace parley::crypto {

// Parses a public-key blob ("ssh-ed25519", "ecdsa-sha2-nistp*", "ssh-rsa").
// Checks field lengths, curve names, point format, and RSA sizes; trailing
// bytes are an error. Unknown key types are kUnimplemented.
absl::StatusOr<PublicKey> ParsePublicKeyBlob(ByteView blob);
// The fields of a key of `type` after its type name (RFC 4253 section 6.6,
// RFC 5656 section 3.1, RFC 8709 section 4), as they also appear inside an
// OpenSSH certificate, checked as ParsePublicKeyBlob checks them.
absl::Status ReadPublicKeyFields(wire::Reader& r, KeyType type, PublicKey* key);
Bytes EncodePublicKeyBlob(const PublicKey& key);

struct ParsedSignature {
  SignatureAlgorithm algorithm;
  Bytes raw;  // see signature.h for the raw formats
};

// Parses a signature blob made with `key`'s type and normalises it to the raw
// format (ECDSA r, s padded to the field size; short RSA signatures padded to
// the modulus length as OpenSSH does).
absl::StatusOr<ParsedSignature> ParseSignatureBlob(ByteView blob,
                                                   const PublicKey& key);
absl::StatusOr<Bytes> EncodeSignatureBlob(SignatureAlgorithm alg, ByteView raw);

struct VerifyOptions {
  // The algorithm the signature must use (e.g. the negotiated host-key
  // algorithm); any one matching the key type when unset.
  absl::optional<SignatureAlgorithm> required;
  // ssh-rsa (RSA with SHA-1) is refused unless this is set.
  bool allow_rsa_sha1 = false;
};

// Verifies an SSH signature blob over `data` with `key`.
absl::Status VerifySshSignature(const CryptoProvider& provider,
                                const PublicKey& key, ByteView signature_blob,
                                ByteView data, const VerifyOptions& options);

// Signs `data` and returns the SSH signature blob.
absl::StatusOr<Bytes> SignSsh(const CryptoProvider& provider,
                              const PrivateKey& key, SignatureAlgorithm alg,
                              ByteView data);

// OpenSSH's fingerprint form: "SHA256:" + unpadded base64 of SHA-256(blob).
absl::StatusOr<std::string> FingerprintSha256(const CryptoProvider& provider,
                                              ByteView public_key_blob);

}  // namespace parley::crypto

#endif  // PARLEY_CORE_CRYPTO_SSH_KEYS_H_
