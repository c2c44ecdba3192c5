// The transport's decoders before keys are set: the server's version
// exchange (fed in two pieces split where the input says), unprotected
// packet framing, and every KEXINIT payload found, negotiated against
// Parley's own offer (core/transport).
#include <cstdint>

#include "core/transport/kex.h"
#include "core/transport/messages.h"
#include "core/transport/packet_codec.h"
#include "core/transport/version.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t split = data[0] % (size);
  const parley::ByteView in(data + 1, size - 1);
  parley::transport::VersionExchange v;
  size_t consumed = 0;
  absl::Status s = v.Feed(in.subspan(0, std::min(split, in.size())), &consumed);
  size_t offset = consumed;
  if (s.ok() && !v.done() && split < in.size()) {
    s = v.Feed(in.subspan(split), &consumed);
    offset = split + consumed;
  }
  if (!s.ok() || !v.done()) return 0;
  parley::transport::KexInit ours;
  ours.kex = {"curve25519-sha256", "ecdh-sha2-nistp256",
              parley::transport::kStrictKexClient};
  ours.host_key = {"ssh-ed25519", "rsa-sha2-512"};
  ours.cipher_c2s = ours.cipher_s2c = {"aes128-gcm@openssh.com", "aes128-ctr"};
  ours.mac_c2s = ours.mac_s2c = {"hmac-sha2-256"};
  ours.compression_c2s = ours.compression_s2c = {"none"};
  parley::transport::PacketReader reader;
  reader.Feed(in.subspan(offset));
  parley::Bytes payload;
  for (int i = 0; i < 64; ++i) {
    absl::StatusOr<bool> got = reader.Next(&payload);
    if (!got.ok() || !*got) break;
    if (!payload.empty() && payload[0] == parley::transport::kMsgKexInit) {
      auto theirs = parley::transport::KexInit::Parse(payload);
      if (theirs.ok()) (void)parley::transport::Negotiate(ours, *theirs);
    }
  }
  return 0;
}
