// Known-answer test vectors for the crypto conformance suite.
//
// Every value here is transcribed from the publication named in `source`;
// none was produced by Parley or by either backend. Hex strings are
// lower-case, with no separators; an empty string means zero bytes.
#ifndef PARLEY_TESTS_CRYPTO_KAT_VECTORS_H_
#define PARLEY_TESTS_CRYPTO_KAT_VECTORS_H_

namespace parley::crypto::testing {

// Hash algorithm names as used here: "sha1", "sha256", "sha384", "sha512".
struct HashVector {
  const char*
      source;  // e.g. "FIPS 180-4 / NIST CSRC example SHA256.pdf, one block"
  const char* algorithm;
  const char* message_hex;
  const char* digest_hex;
};

struct HmacVector {
  const char* source;  // e.g. "RFC 4231 4.2 Test Case 1"
  const char* algorithm;
  const char* key_hex;
  const char* data_hex;
  const char*
      mac_hex;  // may be truncated (RFC 4231 test case 5): compare a prefix
};

// NIST SP 800-38A F.5.x CTR-AES: initial counter block and four blocks.
struct AesCtrVector {
  const char* source;
  const char* key_hex;
  const char* initial_counter_hex;  // 16 bytes
  const char* plaintext_hex;
  const char* ciphertext_hex;
};

struct AesGcmVector {
  const char* source;  // McGrew & Viega GCM spec test case N / NIST
  const char* key_hex;
  const char* iv_hex;  // 12 bytes only (96-bit IV cases)
  const char* aad_hex;
  const char* plaintext_hex;
  const char* ciphertext_hex;
  const char* tag_hex;  // 16 bytes
};

// RFC 8439 ChaCha20 block/encryption vectors (IETF 96-bit nonce, 32-bit
// counter).
struct ChaCha20Vector {
  const char* source;
  const char* key_hex;
  const char* nonce_hex;  // 12 bytes
  unsigned counter;
  const char* plaintext_hex;   // for keystream-only vectors: zero bytes of the
                               // right length
  const char* ciphertext_hex;  // plaintext XOR keystream
};

struct Poly1305Vector {
  const char* source;
  const char* key_hex;  // 32 bytes
  const char* message_hex;
  const char* tag_hex;  // 16 bytes
};

struct X25519Vector {
  const char* source;  // RFC 7748 section 5.2 / 6.1
  const char* scalar_hex;
  const char* u_hex;
  const char* output_hex;
};

struct Ed25519Vector {
  const char* source;          // RFC 8032 7.1 TEST n
  const char* secret_key_hex;  // 32-byte seed
  const char* public_key_hex;
  const char* message_hex;
  const char* signature_hex;  // 64 bytes
};

// RFC 6979 A.2.5 (P-256), A.2.6 (P-384), A.2.7 (P-521): deterministic ECDSA.
// curve: "p256", "p384", "p521"; hash: "sha256", "sha384", "sha512".
struct EcdsaVector {
  const char* source;
  const char* curve;
  const char* hash;
  const char* private_key_hex;  // x
  const char* public_x_hex;     // Ux
  const char* public_y_hex;     // Uy
  const char* message;          // ASCII message ("sample" / "test")
  const char* r_hex;
  const char* s_hex;
};

// RSA PKCS#1 v1.5 signature vector with SHA-256 or SHA-512.
struct RsaPkcs1Vector {
  const char* source;
  const char* hash;  // "sha1", "sha256", "sha512"
  const char* n_hex;
  const char* e_hex;
  const char* d_hex;  // may be empty for verify-only vectors
  const char* message_hex;
  const char* signature_hex;
};

extern const HashVector kHashVectors[];
extern const int kNumHashVectors;
extern const HmacVector kHmacVectors[];
extern const int kNumHmacVectors;
extern const AesCtrVector kAesCtrVectors[];
extern const int kNumAesCtrVectors;
extern const AesGcmVector kAesGcmVectors[];
extern const int kNumAesGcmVectors;
extern const ChaCha20Vector kChaCha20Vectors[];
extern const int kNumChaCha20Vectors;
extern const Poly1305Vector kPoly1305Vectors[];
extern const int kNumPoly1305Vectors;
extern const X25519Vector kX25519Vectors[];
extern const int kNumX25519Vectors;
extern const Ed25519Vector kEd25519Vectors[];
extern const int kNumEd25519Vectors;
extern const EcdsaVector kEcdsaVectors[];
extern const int kNumEcdsaVectors;
extern const RsaPkcs1Vector kRsaPkcs1Vectors[];
extern const int kNumRsaPkcs1Vectors;

}  // namespace parley::crypto::testing

#endif  // PARLEY_TESTS_CRYPTO_KAT_VECTORS_H_
