#include "backends/cryptopp/symmetric.h"

#include <cstdint>
#include <initializer_list>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "backends/cryptopp/util.h"
#include "core/base/secure_buffer.h"
#include "crypto++/aes.h"
#include "crypto++/chacha.h"
#include "crypto++/des.h"
#include "crypto++/gcm.h"
#include "crypto++/hmac.h"
#include "crypto++/modes.h"
#include "crypto++/poly1305.h"
#include "crypto++/sha.h"

namespace parley::crypto::cryptopp_backend {
namespace {

bool ValidAesKeySize(size_t n) { return n == 16 || n == 24 || n == 32; }

// --- Hashes and HMAC --------------------------------------------------------

template <typename H>
class CryptoppHash final : public Hash {
 public:
  static constexpr size_t kDigestSize = H::DIGESTSIZE;

  explicit CryptoppHash(HashAlgorithm alg) : alg_(alg) {}

  HashAlgorithm algorithm() const override { return alg_; }

  absl::Status Update(ByteView data) override {
    return Guard("hash update", [&] {
      hash_.Update(Ptr(data), data.size());
      return absl::OkStatus();
    });
  }

  absl::Status Finish(MutableByteView out) override {
    if (out.size() < kDigestSize) {
      return absl::InvalidArgumentError("digest output buffer too small");
    }
    return Guard("hash finish", [&] {
      hash_.Final(out.data());  // also restarts the hash
      return absl::OkStatus();
    });
  }

 private:
  const HashAlgorithm alg_;
  H hash_;
};

// HMAC<H> keeps the padded key (ipad/opad) from SetKey(); Restart() drops any
// partial message but keeps the key, so each Compute() costs only the hashing.
template <typename H>
class CryptoppHmac final : public Mac {
 public:
  static constexpr size_t kTagSize = H::DIGESTSIZE;

  explicit CryptoppHmac(ByteView key) { hmac_.SetKey(Ptr(key), key.size()); }

  size_t tag_size() const override { return kTagSize; }

  absl::Status Compute(std::initializer_list<ByteView> parts,
                       MutableByteView tag) override {
    if (tag.size() < kTagSize) {
      return absl::InvalidArgumentError("HMAC output buffer too small");
    }
    return Guard("HMAC", [&] {
      hmac_.Restart();
      for (ByteView part : parts) hmac_.Update(Ptr(part), part.size());
      hmac_.Final(tag.data());
      return absl::OkStatus();
    });
  }

 private:
  CryptoPP::HMAC<H> hmac_;
};

template <typename H>
std::unique_ptr<Mac> MakeHmac(ByteView key) {
  return std::make_unique<CryptoppHmac<H>>(key);
}

// Poly1305TLS is the RFC 8439 one-time authenticator: the 32-byte key is
// r || s, with no block cipher (unlike Crypto++'s Poly1305<AES>).
class CryptoppPoly1305 final : public Poly1305 {
 public:
  absl::Status Compute(ByteView key, ByteView message,
                       MutableByteView tag) override {
    if (key.size() != kKeySize) {
      return absl::InvalidArgumentError("Poly1305 key must be 32 bytes");
    }
    if (tag.size() < kTagSize) {
      return absl::InvalidArgumentError("Poly1305 output buffer too small");
    }
    return Guard("Poly1305", [&] {
      mac_.SetKey(key.data(), key.size());
      mac_.Update(Ptr(message), message.size());
      mac_.Final(tag.data());
      return absl::OkStatus();
    });
  }

 private:
  CryptoPP::Poly1305TLS mac_;
};

// --- AES-CTR ----------------------------------------------------------------

// CTR_Mode increments the whole 16-byte counter block as one big-endian
// number (NIST SP 800-38A, RFC 4344) and keeps unused keystream between
// calls, so packets of any length may follow one another.
class CryptoppAesCtr final : public StreamCipher {
 public:
  CryptoppAesCtr(ByteView key, ByteView iv) {
    ctr_.SetKeyWithIV(key.data(), key.size(), iv.data(), iv.size());
  }

  absl::Status Crypt(ByteView in, uint8_t* out) override {
    if (in.empty()) return absl::OkStatus();
    return Guard("AES-CTR", [&] {
      ctr_.ProcessData(out, in.data(), in.size());  // in == out is allowed
      return absl::OkStatus();
    });
  }

 private:
  CryptoPP::CTR_Mode<CryptoPP::AES>::Encryption ctr_;
};

// --- CBC (legacy)
// -------------------------------------------------------------

// `Mode` is CBC_Mode<Cipher>::Encryption or ::Decryption; Crypto++'s CBC
// mode objects take whole blocks without padding and keep the chaining
// value between calls.
template <typename Mode>
class CryptoppCbc final : public CbcCipher {
 public:
  CryptoppCbc(ByteView key, ByteView iv) {
    mode_.SetKeyWithIV(key.data(), key.size(), iv.data(), iv.size());
  }

  absl::Status Crypt(ByteView in, uint8_t* out) override {
    if (in.size() % mode_.MandatoryBlockSize() != 0) {
      return absl::InvalidArgumentError("CBC input is not whole blocks");
    }
    if (in.empty()) return absl::OkStatus();
    return Guard("CBC", [&] {
      mode_.ProcessData(out, in.data(), in.size());
      return absl::OkStatus();
    });
  }

 private:
  Mode mode_;
};

template <typename Cipher>
std::unique_ptr<CbcCipher> MakeCbc(ByteView key, ByteView iv, bool encrypt) {
  if (encrypt) {
    return std::make_unique<
        CryptoppCbc<typename CryptoPP::CBC_Mode<Cipher>::Encryption>>(key, iv);
  }
  return std::make_unique<
      CryptoppCbc<typename CryptoPP::CBC_Mode<Cipher>::Decryption>>(key, iv);
}

// --- AES-GCM ----------------------------------------------------------------

// One keyed object per direction: the AES key schedule and GHASH tables are
// built once here, and each Seal()/Open() only resynchronizes the IV.
class CryptoppAesGcm final : public Aead {
 public:
  explicit CryptoppAesGcm(ByteView key) {
    static constexpr CryptoPP::byte kZeroIv[kNonceSize] = {};
    enc_.SetKeyWithIV(key.data(), key.size(), kZeroIv, sizeof(kZeroIv));
    dec_.SetKeyWithIV(key.data(), key.size(), kZeroIv, sizeof(kZeroIv));
  }

  absl::Status Seal(ByteView nonce, ByteView aad, ByteView plaintext,
                    uint8_t* out) override {
    if (nonce.size() != kNonceSize) {
      return absl::InvalidArgumentError("AES-GCM nonce must be 12 bytes");
    }
    return Guard("AES-GCM seal", [&] {
      enc_.EncryptAndAuthenticate(out, out + plaintext.size(), kTagSize,
                                  nonce.data(), kNonceSize, Ptr(aad),
                                  aad.size(), Ptr(plaintext), plaintext.size());
      return absl::OkStatus();
    });
  }

  absl::Status Open(ByteView nonce, ByteView aad, ByteView sealed,
                    uint8_t* out) override {
    if (nonce.size() != kNonceSize) {
      return absl::InvalidArgumentError("AES-GCM nonce must be 12 bytes");
    }
    if (sealed.size() < kTagSize) {
      return absl::InvalidArgumentError("AES-GCM input shorter than the tag");
    }
    const size_t length = sealed.size() - kTagSize;
    return Guard("AES-GCM open", [&]() -> absl::Status {
      // Decrypts into `out` while authenticating, then checks the tag, which
      // lies past the `length` bytes written (so out == sealed.data() works).
      const bool ok = dec_.DecryptAndVerify(
          out, sealed.data() + length, kTagSize, nonce.data(), kNonceSize,
          Ptr(aad), aad.size(), sealed.data(), length);
      if (!ok) {
        SecureWipe(out, length);
        return absl::DataLossError("AES-GCM tag mismatch");
      }
      return absl::OkStatus();
    });
  }

 private:
  CryptoPP::GCM<CryptoPP::AES>::Encryption enc_;
  CryptoPP::GCM<CryptoPP::AES>::Decryption dec_;
};

// --- ChaCha20 ---------------------------------------------------------------

// CryptoPP::ChaCha is Bernstein's original ChaCha: 64-bit block counter in
// state words 12-13, 64-bit nonce in words 14-15, 20 rounds by default. Its
// public Seek() takes a byte offset (a 64-bit lword), which cannot express
// block counters of 2^58 and above; the policy's SeekToIteration(), which
// Seek() itself calls, takes the block counter directly.
class ChaChaWithBlockSeek : public CryptoPP::ChaCha::Encryption {
 public:
  // Sets the nonce and the block counter without re-keying.
  void SetNonceAndCounter(const CryptoPP::byte* nonce, uint64_t counter) {
    // Resynchronize() loads the nonce, zeroes the counter and discards any
    // buffered keystream.
    Resynchronize(nonce, ChaCha20::kNonceSize);
    AccessPolicy().SeekToIteration(counter);
  }
};

class CryptoppChaCha20 final : public ChaCha20 {
 public:
  explicit CryptoppChaCha20(ByteView key) {
    static constexpr CryptoPP::byte kZeroNonce[kNonceSize] = {};
    chacha_.SetKeyWithIV(key.data(), key.size(), kZeroNonce,
                         sizeof(kZeroNonce));
  }

  absl::Status Crypt(ByteView nonce, uint64_t counter, ByteView in,
                     uint8_t* out) override {
    if (nonce.size() != kNonceSize) {
      return absl::InvalidArgumentError("ChaCha20 nonce must be 8 bytes");
    }
    return Guard("ChaCha20", [&] {
      chacha_.SetNonceAndCounter(nonce.data(), counter);
      if (!in.empty()) chacha_.ProcessData(out, in.data(), in.size());
      return absl::OkStatus();
    });
  }

 private:
  ChaChaWithBlockSeek chacha_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Hash>> NewCryptoppHash(HashAlgorithm alg) {
  return Guard("hash", [&]() -> absl::StatusOr<std::unique_ptr<Hash>> {
    switch (alg) {
      case HashAlgorithm::kSha1:
        return std::make_unique<CryptoppHash<CryptoPP::SHA1>>(alg);
      case HashAlgorithm::kSha256:
        return std::make_unique<CryptoppHash<CryptoPP::SHA256>>(alg);
      case HashAlgorithm::kSha384:
        return std::make_unique<CryptoppHash<CryptoPP::SHA384>>(alg);
      case HashAlgorithm::kSha512:
        return std::make_unique<CryptoppHash<CryptoPP::SHA512>>(alg);
    }
    return absl::UnimplementedError("unsupported hash algorithm");
  });
}

absl::StatusOr<std::unique_ptr<Mac>> NewCryptoppHmac(HashAlgorithm alg,
                                                     ByteView key) {
  return Guard("HMAC key setup", [&]() -> absl::StatusOr<std::unique_ptr<Mac>> {
    switch (alg) {
      case HashAlgorithm::kSha1:
        return MakeHmac<CryptoPP::SHA1>(key);
      case HashAlgorithm::kSha256:
        return MakeHmac<CryptoPP::SHA256>(key);
      case HashAlgorithm::kSha384:
        return MakeHmac<CryptoPP::SHA384>(key);
      case HashAlgorithm::kSha512:
        return MakeHmac<CryptoPP::SHA512>(key);
    }
    return absl::UnimplementedError("unsupported HMAC hash algorithm");
  });
}

absl::StatusOr<std::unique_ptr<Poly1305>> NewCryptoppPoly1305() {
  return Guard("Poly1305 setup",
               []() -> absl::StatusOr<std::unique_ptr<Poly1305>> {
                 return std::make_unique<CryptoppPoly1305>();
               });
}

absl::StatusOr<std::unique_ptr<StreamCipher>> NewCryptoppAesCtr(ByteView key,
                                                                ByteView iv) {
  if (!ValidAesKeySize(key.size())) {
    return absl::InvalidArgumentError("AES key must be 16, 24 or 32 bytes");
  }
  if (iv.size() != CryptoPP::AES::BLOCKSIZE) {
    return absl::InvalidArgumentError("AES-CTR counter block must be 16 bytes");
  }
  return Guard("AES-CTR key setup",
               [&]() -> absl::StatusOr<std::unique_ptr<StreamCipher>> {
                 return std::make_unique<CryptoppAesCtr>(key, iv);
               });
}

absl::StatusOr<std::unique_ptr<CbcCipher>> NewCryptoppCbc(CbcAlgorithm alg,
                                                          ByteView key,
                                                          ByteView iv,
                                                          bool encrypt) {
  if (key.size() != CbcKeySize(alg) || iv.size() != CbcBlockSize(alg)) {
    return absl::InvalidArgumentError(
        absl::StrCat("CBC needs a ", CbcKeySize(alg), "-byte key and a ",
                     CbcBlockSize(alg), "-byte IV"));
  }
  return Guard("CBC key setup",
               [&]() -> absl::StatusOr<std::unique_ptr<CbcCipher>> {
                 if (alg == CbcAlgorithm::kTripleDes) {
                   return MakeCbc<CryptoPP::DES_EDE3>(key, iv, encrypt);
                 }
                 return MakeCbc<CryptoPP::AES>(key, iv, encrypt);
               });
}

absl::StatusOr<std::unique_ptr<Aead>> NewCryptoppAesGcm(ByteView key) {
  if (!ValidAesKeySize(key.size())) {
    return absl::InvalidArgumentError("AES key must be 16, 24 or 32 bytes");
  }
  return Guard("AES-GCM key setup",
               [&]() -> absl::StatusOr<std::unique_ptr<Aead>> {
                 return std::make_unique<CryptoppAesGcm>(key);
               });
}

absl::StatusOr<std::unique_ptr<ChaCha20>> NewCryptoppChaCha20(ByteView key) {
  if (key.size() != ChaCha20::kKeySize) {
    return absl::InvalidArgumentError("ChaCha20 key must be 32 bytes");
  }
  return Guard("ChaCha20 key setup",
               [&]() -> absl::StatusOr<std::unique_ptr<ChaCha20>> {
                 return std::make_unique<CryptoppChaCha20>(key);
               });
}

}  // namespace parley::crypto::cryptopp_backend
