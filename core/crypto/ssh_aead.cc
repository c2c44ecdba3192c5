#include "core/crypto/ssh_aead.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/secure_buffer.h"
#include "core/base/status_macros.h"

namespace parley::crypto {
namespace {

constexpr SshCipherInfo kCiphers[] = {
    {"chacha20-poly1305@openssh.com", SshCipherKind::kChaChaPoly, 64, 0, 8, 16},
    {"aes128-gcm@openssh.com", SshCipherKind::kAesGcm, 16, 12, 16, 16},
    {"aes256-gcm@openssh.com", SshCipherKind::kAesGcm, 32, 12, 16, 16},
    {"aes128-ctr", SshCipherKind::kAesCtr, 16, 16, 16, 0},
    {"aes192-ctr", SshCipherKind::kAesCtr, 24, 16, 16, 0},
    {"aes256-ctr", SshCipherKind::kAesCtr, 32, 16, 16, 0},
    // Legacy (LegacyAlgorithms()): RFC 4253 section 6.3.
    {"aes128-cbc", SshCipherKind::kCbc, 16, 16, 16, 0, CbcAlgorithm::kAes128},
    {"aes192-cbc", SshCipherKind::kCbc, 24, 16, 16, 0, CbcAlgorithm::kAes192},
    {"aes256-cbc", SshCipherKind::kCbc, 32, 16, 16, 0, CbcAlgorithm::kAes256},
    {"3des-cbc", SshCipherKind::kCbc, 24, 8, 8, 0, CbcAlgorithm::kTripleDes},
};

constexpr SshMacInfo kMacs[] = {
    {"hmac-sha2-256-etm@openssh.com", HashAlgorithm::kSha256, 32, 32, true},
    {"hmac-sha2-512-etm@openssh.com", HashAlgorithm::kSha512, 64, 64, true},
    {"hmac-sha1-etm@openssh.com", HashAlgorithm::kSha1, 20, 20, true},
    {"hmac-sha2-256", HashAlgorithm::kSha256, 32, 32, false},
    {"hmac-sha2-512", HashAlgorithm::kSha512, 64, 64, false},
    {"hmac-sha1", HashAlgorithm::kSha1, 20, 20, false},
    // Legacy (LegacyAlgorithms()): RFC 4253 section 6.4, RFC 2104.
    {"hmac-sha1-96", HashAlgorithm::kSha1, 20, 12, false},
    {"hmac-md5", HashAlgorithm::kSha1, 16, 16, false, true},
    {"hmac-md5-96", HashAlgorithm::kSha1, 16, 12, false, true},
};

// A CBC cipher as the packet codec's StreamCipher (the same call shape).
class CbcPacketCipher : public StreamCipher {
 public:
  explicit CbcPacketCipher(std::unique_ptr<CbcCipher> cbc)
      : cbc_(std::move(cbc)) {}
  absl::Status Crypt(ByteView in, uint8_t* out) override {
    return cbc_->Crypt(in, out);
  }

 private:
  std::unique_ptr<CbcCipher> cbc_;
};

// A MAC whose tag is the first `size` bytes of another's.
class TruncatedMac : public Mac {
 public:
  TruncatedMac(std::unique_ptr<Mac> full, size_t size)
      : full_(std::move(full)), size_(size) {}
  size_t tag_size() const override { return size_; }
  absl::Status Compute(std::initializer_list<ByteView> parts,
                       MutableByteView tag) override {
    uint8_t computed[64];
    const size_t n = full_->tag_size();
    if (n > sizeof(computed) || tag.size() < size_ || size_ > n) {
      return absl::InvalidArgumentError("truncated MAC of the wrong size");
    }
    absl::Status s = full_->Compute(parts, MutableByteView(computed, n));
    if (s.ok()) std::memcpy(tag.data(), computed, size_);
    SecureWipe(computed, sizeof(computed));
    return s;
  }

 private:
  std::unique_ptr<Mac> full_;
  size_t size_;
};

// HMAC-MD5 (RFC 2104) on the provider's one-shot LegacyMd5: every tag
// hashes a copy of the message, which is acceptable for a legacy MAC.
class LegacyHmacMd5 : public Mac {
 public:
  static constexpr size_t kBlock = 64;
  LegacyHmacMd5(const CryptoProvider& provider, ByteView key)
      : provider_(provider), ipad_(kBlock, 0x36), opad_(kBlock, 0x5c) {
    for (size_t i = 0; i < key.size() && i < kBlock; ++i) {
      ipad_[i] ^= key[i];
      opad_[i] ^= key[i];
    }
  }
  size_t tag_size() const override { return 16; }
  absl::Status Compute(std::initializer_list<ByteView> parts,
                       MutableByteView tag) override {
    if (tag.size() < 16) return absl::InvalidArgumentError("tag too small");
    SecureBuffer inner = ipad_;
    for (ByteView part : parts)
      inner.insert(inner.end(), part.begin(), part.end());
    PARLEY_ASSIGN_OR_RETURN(Bytes h, provider_.LegacyMd5(View(inner)));
    SecureBuffer outer = opad_;
    outer.insert(outer.end(), h.begin(), h.end());
    SecureWipe(h.data(), h.size());
    PARLEY_ASSIGN_OR_RETURN(Bytes t, provider_.LegacyMd5(View(outer)));
    std::memcpy(tag.data(), t.data(), 16);
    return absl::OkStatus();
  }

 private:
  const CryptoProvider& provider_;
  SecureBuffer ipad_, opad_;
};

class OpenSshAesGcm : public PacketAead {
 public:
  OpenSshAesGcm(std::unique_ptr<Aead> aead, ByteView iv)
      : aead_(std::move(aead)) {
    std::memcpy(nonce_, iv.data(), sizeof(nonce_));
  }
  ~OpenSshAesGcm() override { SecureWipe(nonce_, sizeof(nonce_)); }

  absl::StatusOr<uint32_t> DecryptLength(uint32_t /*seq*/,
                                         ByteView first4) override {
    if (first4.size() < kLengthSize) {
      return absl::InvalidArgumentError("packet length field truncated");
    }
    return LoadBe32(first4.data());
  }

  absl::Status Seal(uint32_t /*seq*/, ByteView packet, uint8_t* out) override {
    if (packet.size() < kLengthSize) {
      return absl::InvalidArgumentError("packet shorter than its length field");
    }
    uint8_t length[kLengthSize];
    std::memcpy(length, packet.data(), kLengthSize);
    PARLEY_RETURN_IF_ERROR(aead_->Seal(ByteView(nonce_), ByteView(length),
                                       packet.subspan(kLengthSize),
                                       out + kLengthSize));
    std::memcpy(out, length, kLengthSize);
    IncrementCounter();
    return absl::OkStatus();
  }

  absl::Status Open(uint32_t /*seq*/, ByteView sealed, uint8_t* out) override {
    if (sealed.size() < kLengthSize + kTagSize) {
      return absl::InvalidArgumentError("sealed packet too short");
    }
    uint8_t length[kLengthSize];
    std::memcpy(length, sealed.data(), kLengthSize);
    PARLEY_RETURN_IF_ERROR(aead_->Open(ByteView(nonce_), ByteView(length),
                                       sealed.subspan(kLengthSize),
                                       out + kLengthSize));
    std::memcpy(out, length, kLengthSize);
    IncrementCounter();
    return absl::OkStatus();
  }

 private:
  // RFC 5647 section 7.1: the invocation counter is the low 64 bits of the
  // nonce, big-endian, incremented per packet (wrapping modulo 2^64).
  void IncrementCounter() {
    for (int i = 11; i >= 4; --i) {
      if (++nonce_[i] != 0) break;
    }
  }

  std::unique_ptr<Aead> aead_;
  uint8_t nonce_[Aead::kNonceSize];
};

class OpenSshChaChaPoly : public PacketAead {
 public:
  OpenSshChaChaPoly(std::unique_ptr<ChaCha20> main,
                    std::unique_ptr<ChaCha20> header,
                    std::unique_ptr<Poly1305> poly)
      : main_(std::move(main)),
        header_(std::move(header)),
        poly_(std::move(poly)) {}

  absl::StatusOr<uint32_t> DecryptLength(uint32_t seq,
                                         ByteView first4) override {
    if (first4.size() < kLengthSize) {
      return absl::InvalidArgumentError("packet length field truncated");
    }
    uint8_t nonce[8], plain[kLengthSize];
    StoreBe64(seq, nonce);
    PARLEY_RETURN_IF_ERROR(
        header_->Crypt(ByteView(nonce), 0, first4.first(kLengthSize), plain));
    return LoadBe32(plain);
  }

  absl::Status Seal(uint32_t seq, ByteView packet, uint8_t* out) override {
    if (packet.size() < kLengthSize) {
      return absl::InvalidArgumentError("packet shorter than its length field");
    }
    uint8_t nonce[8];
    StoreBe64(seq, nonce);
    uint8_t poly_key[Poly1305::kKeySize];
    PARLEY_RETURN_IF_ERROR(PolyKey(nonce, poly_key));
    // Payload first: `out` may alias `packet`, and the length is read before
    // it is overwritten.
    uint8_t length[kLengthSize];
    std::memcpy(length, packet.data(), kLengthSize);
    absl::Status s = main_->Crypt(
        ByteView(nonce), 1, packet.subspan(kLengthSize), out + kLengthSize);
    if (s.ok()) s = header_->Crypt(ByteView(nonce), 0, ByteView(length), out);
    if (s.ok()) {
      s = poly_->Compute(ByteView(poly_key), ByteView(out, packet.size()),
                         MutableByteView(out + packet.size(), kTagSize));
    }
    SecureWipe(poly_key, sizeof(poly_key));
    return s;
  }

  absl::Status Open(uint32_t seq, ByteView sealed, uint8_t* out) override {
    if (sealed.size() < kLengthSize + kTagSize) {
      return absl::InvalidArgumentError("sealed packet too short");
    }
    const size_t body = sealed.size() - kTagSize;
    uint8_t nonce[8];
    StoreBe64(seq, nonce);
    uint8_t poly_key[Poly1305::kKeySize];
    uint8_t tag[kTagSize];
    PARLEY_RETURN_IF_ERROR(PolyKey(nonce, poly_key));
    absl::Status s = poly_->Compute(ByteView(poly_key), sealed.first(body),
                                    MutableByteView(tag));
    SecureWipe(poly_key, sizeof(poly_key));
    PARLEY_RETURN_IF_ERROR(s);
    if (!ConstantTimeEquals(ByteView(tag), sealed.subspan(body))) {
      return absl::DataLossError("chacha20-poly1305 tag mismatch");
    }
    PARLEY_RETURN_IF_ERROR(main_->Crypt(
        ByteView(nonce), 1, sealed.subspan(kLengthSize, body - kLengthSize),
        out + kLengthSize));
    return header_->Crypt(ByteView(nonce), 0, sealed.first(kLengthSize), out);
  }

 private:
  absl::Status PolyKey(const uint8_t nonce[8], uint8_t key[32]) {
    static constexpr uint8_t kZero[Poly1305::kKeySize] = {};
    return main_->Crypt(ByteView(nonce, 8), 0, ByteView(kZero), key);
  }

  std::unique_ptr<ChaCha20> main_;    // K_2
  std::unique_ptr<ChaCha20> header_;  // K_1
  std::unique_ptr<Poly1305> poly_;
};

}  // namespace

const SshCipherInfo* FindSshCipher(absl::string_view name) {
  for (const auto& c : kCiphers) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

const SshMacInfo* FindSshMac(absl::string_view name) {
  for (const auto& m : kMacs) {
    if (name == m.name) return &m;
  }
  return nullptr;
}

absl::StatusOr<std::unique_ptr<StreamCipher>> NewSshPacketCipher(
    const CryptoProvider& provider, const SshCipherInfo& info, ByteView key,
    ByteView iv, bool encrypt) {
  if (key.size() != info.key_size || iv.size() != info.iv_size) {
    return absl::InvalidArgumentError(
        absl::StrCat(info.name, ": wrong key or IV length"));
  }
  switch (info.kind) {
    case SshCipherKind::kAesCtr:
      return provider.NewAesCtr(key, iv);
    case SshCipherKind::kCbc: {
      PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<CbcCipher> cbc,
                              provider.NewCbc(info.cbc, key, iv, encrypt));
      return std::unique_ptr<StreamCipher>(new CbcPacketCipher(std::move(cbc)));
    }
    case SshCipherKind::kAesGcm:
    case SshCipherKind::kChaChaPoly:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(info.name, " is an AEAD cipher"));
}

absl::StatusOr<std::unique_ptr<Mac>> NewSshMac(const CryptoProvider& provider,
                                               const SshMacInfo& info,
                                               ByteView key) {
  std::unique_ptr<Mac> mac;
  if (info.md5) {
    // RFC 2104 section 2: a key longer than the block is hashed first.
    Bytes hashed;
    if (key.size() > LegacyHmacMd5::kBlock) {
      PARLEY_ASSIGN_OR_RETURN(hashed, provider.LegacyMd5(key));
      key = hashed;
    }
    mac = std::make_unique<LegacyHmacMd5>(provider, key);
  } else {
    PARLEY_ASSIGN_OR_RETURN(mac, provider.NewHmac(info.hash, key));
  }
  if (mac->tag_size() == info.tag_size) return mac;
  return std::unique_ptr<Mac>(new TruncatedMac(std::move(mac), info.tag_size));
}

absl::StatusOr<std::unique_ptr<PacketAead>> PacketAead::New(
    const CryptoProvider& provider, absl::string_view name, ByteView key,
    ByteView iv) {
  const SshCipherInfo* info = FindSshCipher(name);
  if (info == nullptr || info->tag_size == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an SSH AEAD cipher: ", name));
  }
  if (key.size() != info->key_size || iv.size() != info->iv_size) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": wrong key or IV length"));
  }
  if (info->kind == SshCipherKind::kAesGcm) {
    PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<Aead> aead,
                            provider.NewAesGcm(key));
    return std::unique_ptr<PacketAead>(new OpenSshAesGcm(std::move(aead), iv));
  }
  PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<ChaCha20> main,
                          provider.NewChaCha20(key.first(32)));
  PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<ChaCha20> header,
                          provider.NewChaCha20(key.subspan(32, 32)));
  PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<Poly1305> poly,
                          provider.NewPoly1305());
  return std::unique_ptr<PacketAead>(new OpenSshChaChaPoly(
      std::move(main), std::move(header), std::move(poly)));
}

}  // namespace parley::crypto
