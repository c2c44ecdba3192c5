#include "core/transport/packet_codec.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/secure_buffer.h"
#include "core/base/status_macros.h"

namespace parley::transport {
namespace {

// Block size that packets are aligned to: the cipher's, at least 8.
size_t BlockSize(const PacketProtection* p) {
  if (p == nullptr) return 8;
  return p->cipher().block_size < 8 ? 8 : p->cipher().block_size;
}

// Whether the 4-byte length field is excluded from the alignment (RFC 5647,
// OpenSSH PROTOCOL: AEAD and -etm modes).
bool LengthOutside(const PacketProtection* p) {
  return p != nullptr && (p->aead() || p->encrypt_then_mac());
}

}  // namespace

absl::StatusOr<std::unique_ptr<PacketProtection>> PacketProtection::New(
    const crypto::CryptoProvider& provider, const std::string& cipher,
    const std::string& mac, ByteView key, ByteView iv, ByteView mac_key,
    bool encrypt) {
  std::unique_ptr<PacketProtection> p(new PacketProtection());
  p->cipher_ = crypto::FindSshCipher(cipher);
  if (p->cipher_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown cipher ", cipher));
  }
  if (p->cipher_->tag_size != 0) {
    PARLEY_ASSIGN_OR_RETURN(p->aead_,
                            crypto::PacketAead::New(provider, cipher, key, iv));
    return p;
  }
  p->mac_info_ = crypto::FindSshMac(mac);
  if (p->mac_info_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown MAC ", mac));
  }
  PARLEY_ASSIGN_OR_RETURN(
      p->stream_,
      crypto::NewSshPacketCipher(provider, *p->cipher_, key, iv, encrypt));
  PARLEY_ASSIGN_OR_RETURN(p->mac_,
                          crypto::NewSshMac(provider, *p->mac_info_, mac_key));
  return p;
}

absl::StatusOr<Protections> NewProtections(
    const crypto::CryptoProvider& provider, const Negotiated& a,
    const DerivedKeys& k, bool client) {
  Protections p;
  PARLEY_ASSIGN_OR_RETURN(
      std::unique_ptr<PacketProtection> c2s,
      PacketProtection::New(provider, a.cipher_c2s, a.mac_c2s, View(k.key_c2s),
                            View(k.iv_c2s), View(k.mac_c2s),
                            /*encrypt=*/client));
  PARLEY_ASSIGN_OR_RETURN(
      std::unique_ptr<PacketProtection> s2c,
      PacketProtection::New(provider, a.cipher_s2c, a.mac_s2c, View(k.key_s2c),
                            View(k.iv_s2c), View(k.mac_s2c),
                            /*encrypt=*/!client));
  p.send = std::move(client ? c2s : s2c);
  p.receive = std::move(client ? s2c : c2s);
  return p;
}

size_t PacketProtection::trailer_size() const {
  if (aead_) return crypto::PacketAead::kTagSize;
  return mac_info_->tag_size;
}

absl::Status PacketWriter::Write(ByteView payload, Bytes* out,
                                 size_t min_padded) {
  const PacketProtection* p = protection_.get();
  const size_t bs = BlockSize(p);
  const size_t aligned = (LengthOutside(p) ? 0 : 4) + 1 + payload.size();
  size_t padding = bs - aligned % bs;
  if (padding < 4) padding += bs;
  while (payload.size() + padding < min_padded && padding + bs <= 255) {
    padding += bs;
  }
  const size_t packet_length = 1 + payload.size() + padding;
  if (packet_length > kMaxPacketLength) {
    return absl::InvalidArgumentError("payload too large for one packet");
  }
  const size_t trailer = p == nullptr ? 0 : p->trailer_size();
  const size_t start = out->size();
  const size_t total = 4 + packet_length + trailer;
  out->resize(start + total);
  uint8_t* pkt = out->data() + start;
  StoreBe32(static_cast<uint32_t>(packet_length), pkt);
  pkt[4] = static_cast<uint8_t>(padding);
  if (!payload.empty()) std::memcpy(pkt + 5, payload.data(), payload.size());
  PARLEY_RETURN_IF_ERROR(
      RandomPadding(MutableByteView(pkt + 5 + payload.size(), padding)));

  absl::Status s = absl::OkStatus();
  const size_t body = 4 + packet_length;
  uint8_t seq[4];
  StoreBe32(seq_, seq);
  if (p == nullptr) {
    // Initial "none" protection.
  } else if (p->aead()) {
    s = p->aead_->Seal(seq_, ByteView(pkt, body), pkt);
  } else if (p->encrypt_then_mac()) {
    s = p->stream_->Crypt(ByteView(pkt + 4, packet_length), pkt + 4);
    if (s.ok()) {
      s = p->mac_->Compute({ByteView(seq), ByteView(pkt, body)},
                           MutableByteView(pkt + body, trailer));
    }
  } else {
    s = p->mac_->Compute({ByteView(seq), ByteView(pkt, body)},
                         MutableByteView(pkt + body, trailer));
    if (s.ok()) s = p->stream_->Crypt(ByteView(pkt, body), pkt);
  }
  if (!s.ok()) {
    SecureWipe(pkt, total);  // the plaintext may carry credentials
    out->resize(start);
    return s;
  }
  ++seq_;
  ++since_keys_.packets;
  since_keys_.bytes += total;
  since_keys_.blocks += (body + bs - 1) / bs;
  return absl::OkStatus();
}

absl::Status PacketWriter::RandomPadding(MutableByteView out) {
  // Padding bytes come from a pool refilled a few KiB at a time: one CSPRNG
  // call per packet costs more than the rest of framing a small packet.
  if (random_pool_.size() - random_used_ < out.size()) {
    random_pool_.resize(4096);
    PARLEY_RETURN_IF_ERROR(
        provider_->RandomBytes(MutableByteView(random_pool_)));
    random_used_ = 0;
  }
  std::memcpy(out.data(), random_pool_.data() + random_used_, out.size());
  random_used_ += out.size();
  return absl::OkStatus();
}

void PacketReader::Feed(ByteView data) {
  if (start_ > 0 && start_ >= buf_.size() / 2) {
    buf_.erase(buf_.begin(), buf_.begin() + start_);
    start_ = 0;
  }
  buf_.insert(buf_.end(), data.begin(), data.end());
}

absl::Status PacketReader::CheckLength(uint32_t len,
                                       bool length_outside) const {
  if (len > kMaxPacketLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "packet length ", len, " exceeds the limit of ", kMaxPacketLength));
  }
  // padding_length byte plus at least 4 bytes of padding.
  if (len < 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("packet length ", len, " is too small"));
  }
  const size_t bs = BlockSize(protection_.get());
  if ((length_outside ? len : len + 4) % bs != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "packet length ", len, " is not a multiple of the block size ", bs));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> PacketReader::Next(Bytes* payload) {
  const PacketProtection* p = protection_.get();
  if (p == nullptr || (!p->aead() && !p->encrypt_then_mac())) {
    return NextPlainOrMac(payload);
  }
  return p->aead() ? NextAead(payload) : NextEtm(payload);
}

absl::StatusOr<bool> PacketReader::NextPlainOrMac(Bytes* payload) {
  PacketProtection* p = protection_.get();
  const size_t bs = BlockSize(p);
  uint8_t* pkt = buf_.data() + start_;
  if (!first_block_done_) {
    if (buffered() < bs) return false;
    if (p != nullptr) {
      PARLEY_RETURN_IF_ERROR(p->stream_->Crypt(ByteView(pkt, bs), pkt));
    }
    pending_length_ = LoadBe32(pkt);
    PARLEY_RETURN_IF_ERROR(CheckLength(pending_length_, false));
    first_block_done_ = true;
  }
  const size_t body = 4 + size_t{pending_length_};
  const size_t trailer = p == nullptr ? 0 : p->trailer_size();
  if (buffered() < body + trailer) return false;
  pkt = buf_.data() + start_;
  if (p != nullptr) {
    PARLEY_RETURN_IF_ERROR(
        p->stream_->Crypt(ByteView(pkt + bs, body - bs), pkt + bs));
    uint8_t seq[4];
    StoreBe32(seq_, seq);
    absl::Status s = p->mac_->Verify({ByteView(seq), ByteView(pkt, body)},
                                     ByteView(pkt + body, trailer));
    if (!s.ok()) return s;
  }
  first_block_done_ = false;
  return Deliver(pkt, pending_length_, body + trailer, payload);
}

absl::StatusOr<bool> PacketReader::NextEtm(Bytes* payload) {
  PacketProtection* p = protection_.get();
  if (buffered() < 4) return false;
  uint8_t* pkt = buf_.data() + start_;
  const uint32_t len = LoadBe32(pkt);
  PARLEY_RETURN_IF_ERROR(CheckLength(len, true));
  const size_t body = 4 + size_t{len};
  const size_t trailer = p->trailer_size();
  if (buffered() < body + trailer) return false;
  uint8_t seq[4];
  StoreBe32(seq_, seq);
  // Encrypt-then-MAC: authenticate the ciphertext before decrypting it.
  PARLEY_RETURN_IF_ERROR(p->mac_->Verify({ByteView(seq), ByteView(pkt, body)},
                                         ByteView(pkt + body, trailer)));
  PARLEY_RETURN_IF_ERROR(p->stream_->Crypt(ByteView(pkt + 4, len), pkt + 4));
  return Deliver(pkt, len, body + trailer, payload);
}

absl::StatusOr<bool> PacketReader::NextAead(Bytes* payload) {
  PacketProtection* p = protection_.get();
  if (buffered() < 4) return false;
  uint8_t* pkt = buf_.data() + start_;
  PARLEY_ASSIGN_OR_RETURN(uint32_t len,
                          p->aead_->DecryptLength(seq_, ByteView(pkt, 4)));
  PARLEY_RETURN_IF_ERROR(CheckLength(len, true));
  const size_t total = 4 + size_t{len} + crypto::PacketAead::kTagSize;
  if (buffered() < total) return false;
  PARLEY_RETURN_IF_ERROR(p->aead_->Open(seq_, ByteView(pkt, total), pkt));
  return Deliver(pkt, len, total, payload);
}

absl::StatusOr<bool> PacketReader::Deliver(const uint8_t* pkt,
                                           uint32_t packet_length, size_t total,
                                           Bytes* payload) {
  const uint8_t padding = pkt[4];
  if (padding < 4 || size_t{padding} + 1 > packet_length) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad padding length ", padding, " in packet of length ",
                     packet_length));
  }
  payload->assign(pkt + 5, pkt + 4 + packet_length - padding);
  start_ += total;
  if (start_ == buf_.size()) {
    buf_.clear();
    start_ = 0;
  }
  ++seq_;
  ++since_keys_.packets;
  since_keys_.bytes += total;
  since_keys_.blocks += (4 + packet_length + 15) / 16;
  return true;
}

}  // namespace parley::transport
