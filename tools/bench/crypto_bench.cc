// Crypto benchmark: packet protection throughput on 16 KiB SSH packets and
// public-key operation rates, for every backend module and, in the same run,
// for raw OpenSSL EVP calls doing the same work (the reference the OpenSSL
// backend is measured against).
//
//   bazel run -c opt //tools/bench:crypto [-- --seconds=0.5]
//
// Figures are process CPU time (CLOCK_PROCESS_CPUTIME_ID) per operation.
#include <cryptopp/aes.h>
#include <cryptopp/gcm.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/crypto/backend_loader.h"
#include "core/crypto/provider.h"
#include "core/crypto/ssh_aead.h"

namespace parley::crypto {
namespace {

constexpr size_t kPacket = 16 * 1024;
double g_seconds = 0.4;

double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "benchmark step failed: %s\n", what);
    std::exit(1);
  }
}

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "benchmark step failed: %s: %s\n", what,
                 s.ToString().c_str());
    std::exit(1);
  }
}

// Runs `op` repeatedly for at least g_seconds of CPU; returns ops per second.
double Rate(const std::function<void()>& op) {
  for (int i = 0; i < 3; ++i) op();  // warm up
  long n = 0;
  const double start = CpuNow();
  double elapsed = 0;
  long batch = 1;
  while (elapsed < g_seconds) {
    for (long i = 0; i < batch; ++i) op();
    n += batch;
    elapsed = CpuNow() - start;
    if (batch < 1024) batch *= 2;
  }
  return n / elapsed;
}

double MBps(double packets_per_second) {
  return packets_per_second * kPacket / 1e6;
}

// --- Parley backends --------------------------------------------------------

Bytes Packet() {
  Bytes p(kPacket - 16, 0x5a);  // 16 KiB on the wire with the tag
  const uint32_t len = static_cast<uint32_t>(p.size() - 4);
  p[0] = len >> 24;
  p[1] = len >> 16;
  p[2] = len >> 8;
  p[3] = len;
  return p;
}

double BackendAead(const CryptoProvider& p, const char* name) {
  const SshCipherInfo* info = FindSshCipher(name);
  Bytes key(info->key_size, 1), iv(info->iv_size, 2);
  auto aead = PacketAead::New(p, name, key, iv);
  Check(aead.status(), name);
  Bytes packet = Packet();
  Bytes out(packet.size() + 16);
  uint32_t seq = 0;
  return MBps(
      Rate([&] { Check((*aead)->Seal(seq++, packet, out.data()), name); }));
}

double BackendCtrEtm(const CryptoProvider& p, size_t key_size,
                     HashAlgorithm mac_hash) {
  auto ctr = p.NewAesCtr(Bytes(key_size, 1), Bytes(16, 2));
  Check(ctr.status(), "ctr");
  auto mac = p.NewHmac(mac_hash, Bytes(DigestSize(mac_hash), 3));
  Check(mac.status(), "hmac");
  Bytes packet(kPacket - DigestSize(mac_hash), 0x5a);
  Bytes out(packet.size() + DigestSize(mac_hash));
  uint8_t seq[4] = {0, 0, 0, 1};
  return MBps(Rate([&] {
    // Encrypt-then-MAC: length stays clear, the rest is encrypted, the MAC
    // covers seq || length || ciphertext.
    Check((*ctr)->Crypt(ByteView(packet).subspan(4), out.data() + 4), "ctr");
    std::memcpy(out.data(), packet.data(), 4);
    Check((*mac)->Compute({ByteView(seq), ByteView(out.data(), packet.size())},
                          MutableByteView(out.data() + packet.size(),
                                          DigestSize(mac_hash))),
          "hmac");
  }));
}

double BackendKex(const CryptoProvider& p, KexGroup g) {
  auto a = p.NewKeyAgreement(g);
  auto b = p.NewKeyAgreement(g);
  Check(a.status(), "kex");
  Check(b.status(), "kex");
  Bytes peer((*b)->public_value().begin(), (*b)->public_value().end());
  return Rate(
      [&] { Check((*a)->ComputeSharedSecret(peer).status(), "derive"); });
}

double BackendVerify(const CryptoProvider& p, KeyType type,
                     SignatureAlgorithm alg, size_t bits) {
  auto key = p.GenerateKey(type, bits);
  Check(key.status(), "keygen");
  auto signer = p.NewSigner(*key, alg);
  Check(signer.status(), "signer");
  Bytes msg(64, 7);
  auto sig = (*signer)->Sign(msg);
  Check(sig.status(), "sign");
  auto verifier = p.NewVerifier(key->public_key, alg);
  Check(verifier.status(), "verifier");
  return Rate([&] { Check((*verifier)->Verify(msg, *sig), "verify"); });
}

// --- Raw OpenSSL EVP doing the same work -------------------------------------

double BackendCtrOnly(const CryptoProvider& p, size_t key_size) {
  auto ctr = p.NewAesCtr(Bytes(key_size, 1), Bytes(16, 2));
  Check(ctr.status(), "ctr");
  Bytes packet(kPacket, 0x5a);
  return MBps(
      Rate([&] { Check((*ctr)->Crypt(packet, packet.data()), "ctr"); }));
}

double RawCtrOnly(const char* cipher_name, size_t key_size) {
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, cipher_name, nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  Bytes key(key_size, 1), iv(16, 2);
  EVP_EncryptInit_ex2(ctx, cipher, key.data(), iv.data(), nullptr);
  Bytes packet(kPacket, 0x5a);
  double r = MBps(Rate([&] {
    int outl;
    EVP_EncryptUpdate(ctx, packet.data(), &outl, packet.data(),
                      static_cast<int>(packet.size()));
  }));
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(cipher);
  return r;
}

// Crypto++'s own GCM, called directly: shows how much of the Crypto++
// backend's figure is the library itself.
double RawCryptoppGcm(size_t key_size) {
  Bytes key(key_size, 1), iv(12, 2), aad(4, 3);
  CryptoPP::GCM<CryptoPP::AES>::Encryption gcm;
  gcm.SetKeyWithIV(key.data(), key.size(), iv.data(), iv.size());
  Bytes packet = Packet();
  Bytes out(packet.size() + 16);
  return MBps(Rate([&] {
    gcm.EncryptAndAuthenticate(out.data() + 4, out.data() + packet.size(), 16,
                               iv.data(), 12, aad.data(), 4, packet.data() + 4,
                               packet.size() - 4);
    ++iv[11];
  }));
}

double RawGcm(const char* cipher_name, size_t key_size) {
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, cipher_name, nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  Bytes key(key_size, 1);
  uint8_t iv[12] = {2};
  Check(EVP_EncryptInit_ex2(ctx, cipher, key.data(), nullptr, nullptr) == 1,
        "gcm init");
  Bytes packet = Packet();
  Bytes out(packet.size() + 16);
  double r = MBps(Rate([&] {
    int outl;
    EVP_EncryptInit_ex2(ctx, nullptr, nullptr, iv, nullptr);
    EVP_EncryptUpdate(ctx, nullptr, &outl, packet.data(), 4);
    EVP_EncryptUpdate(ctx, out.data() + 4, &outl, packet.data() + 4,
                      static_cast<int>(packet.size() - 4));
    EVP_EncryptFinal_ex(ctx, out.data() + packet.size(), &outl);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16,
                        out.data() + packet.size());
    ++iv[11];
  }));
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(cipher);
  return r;
}

// OpenSSH's chacha20-poly1305 written directly against EVP, as OpenSSH's
// cipher-chachapoly-libcrypto.c does it.
double RawChaChaPoly() {
  EVP_CIPHER* chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20", nullptr);
  EVP_MAC* poly = EVP_MAC_fetch(nullptr, "POLY1305", nullptr);
  EVP_CIPHER_CTX* main_ctx = EVP_CIPHER_CTX_new();
  EVP_CIPHER_CTX* hdr_ctx = EVP_CIPHER_CTX_new();
  EVP_MAC_CTX* mac = EVP_MAC_CTX_new(poly);
  Bytes key(64, 1);
  EVP_CipherInit_ex2(main_ctx, chacha, key.data(), nullptr, 1, nullptr);
  EVP_CipherInit_ex2(hdr_ctx, chacha, key.data() + 32, nullptr, 1, nullptr);
  Bytes packet = Packet();
  Bytes out(packet.size() + 16);
  uint64_t seq = 0;
  static const uint8_t zero[32] = {};
  double r = MBps(Rate([&] {
    uint8_t iv[16] = {};
    for (int i = 0; i < 8; ++i)
      iv[15 - i] = static_cast<uint8_t>(seq >> (8 * i));
    uint8_t poly_key[32];
    int outl;
    EVP_CipherInit_ex2(main_ctx, nullptr, nullptr, iv, 1, nullptr);
    EVP_CipherUpdate(main_ctx, poly_key, &outl, zero, 32);
    iv[0] = 1;
    EVP_CipherInit_ex2(main_ctx, nullptr, nullptr, iv, 1, nullptr);
    EVP_CipherUpdate(main_ctx, out.data() + 4, &outl, packet.data() + 4,
                     static_cast<int>(packet.size() - 4));
    iv[0] = 0;
    EVP_CipherInit_ex2(hdr_ctx, nullptr, nullptr, iv, 1, nullptr);
    EVP_CipherUpdate(hdr_ctx, out.data(), &outl, packet.data(), 4);
    size_t tl;
    EVP_MAC_init(mac, poly_key, 32, nullptr);
    EVP_MAC_update(mac, out.data(), packet.size());
    EVP_MAC_final(mac, out.data() + packet.size(), &tl, 16);
    ++seq;
  }));
  EVP_MAC_CTX_free(mac);
  EVP_CIPHER_CTX_free(main_ctx);
  EVP_CIPHER_CTX_free(hdr_ctx);
  EVP_MAC_free(poly);
  EVP_CIPHER_free(chacha);
  return r;
}

double RawCtrEtm(const char* cipher_name, size_t key_size, const char* digest,
                 size_t tag) {
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, cipher_name, nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  Bytes key(key_size, 1), iv(16, 2), mac_key(tag, 3);
  EVP_EncryptInit_ex2(ctx, cipher, key.data(), iv.data(), nullptr);
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* mctx = EVP_MAC_CTX_new(hmac);
  std::string d = digest;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, d.data(), 0),
      OSSL_PARAM_construct_end()};
  EVP_MAC_init(mctx, mac_key.data(), mac_key.size(), params);
  Bytes packet(kPacket - tag, 0x5a);
  Bytes out(kPacket);
  uint8_t seq[4] = {0, 0, 0, 1};
  double r = MBps(Rate([&] {
    int outl;
    EVP_EncryptUpdate(ctx, out.data() + 4, &outl, packet.data() + 4,
                      static_cast<int>(packet.size() - 4));
    std::memcpy(out.data(), packet.data(), 4);
    size_t tl;
    EVP_MAC_init(mctx, nullptr, 0, nullptr);
    EVP_MAC_update(mctx, seq, 4);
    EVP_MAC_update(mctx, out.data(), packet.size());
    EVP_MAC_final(mctx, out.data() + packet.size(), &tl, tag);
  }));
  EVP_MAC_CTX_free(mctx);
  EVP_MAC_free(hmac);
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(cipher);
  return r;
}

// As for P-256 below: the peer's value arrives as bytes and is decoded on
// every derivation.
double RawX25519() {
  EVP_PKEY* a = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
  EVP_PKEY* b = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
  uint8_t pub[32];
  size_t pub_len = sizeof(pub);
  EVP_PKEY_get_raw_public_key(b, pub, &pub_len);
  Bytes secret(32);
  double r = Rate([&] {
    EVP_PKEY* peer =
        EVP_PKEY_new_raw_public_key_ex(nullptr, "X25519", nullptr, pub, 32);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, a, nullptr);
    size_t len = secret.size();
    EVP_PKEY_derive_init(ctx);
    EVP_PKEY_derive_set_peer_ex(ctx, peer, 0);
    Check(EVP_PKEY_derive(ctx, secret.data(), &len) == 1, "derive");
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer);
  });
  EVP_PKEY_free(a);
  EVP_PKEY_free(b);
  return r;
}

// The peer's point arrives as bytes in a key exchange, so the reference
// decodes it (EVP_PKEY_fromdata, which puts it on the curve) and applies
// the same quick public-key check as the backend on every derivation.
double RawP256() {
  EVP_PKEY* a = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  EVP_PKEY* b = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  uint8_t point[65];
  size_t point_len = 0;
  EVP_PKEY_get_octet_string_param(b, OSSL_PKEY_PARAM_PUB_KEY, point,
                                  sizeof(point), &point_len);
  char group[] = "P-256";
  Bytes secret(64);
  double r = Rate([&] {
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point,
                                          point_len),
        OSSL_PARAM_construct_end()};
    EVP_PKEY_CTX* fctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    EVP_PKEY* peer = nullptr;
    EVP_PKEY_fromdata_init(fctx);
    Check(EVP_PKEY_fromdata(fctx, &peer, EVP_PKEY_PUBLIC_KEY, params) == 1,
          "fromdata");
    EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, peer, nullptr);
    Check(EVP_PKEY_public_check_quick(check) == 1, "check");
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, a, nullptr);
    size_t len = secret.size();
    EVP_PKEY_derive_init(ctx);
    EVP_PKEY_derive_set_peer_ex(ctx, peer, 0);
    Check(EVP_PKEY_derive(ctx, secret.data(), &len) == 1, "derive");
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer);
    EVP_PKEY_CTX_free(fctx);
  });
  EVP_PKEY_free(a);
  EVP_PKEY_free(b);
  return r;
}

double RawVerify(EVP_PKEY* key, const char* md) {
  Bytes msg(64, 7);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  EVP_DigestSignInit_ex(ctx, nullptr, md, nullptr, nullptr, key, nullptr);
  EVP_DigestSign(ctx, nullptr, &len, msg.data(), msg.size());
  Bytes sig(len);
  EVP_DigestSign(ctx, sig.data(), &len, msg.data(), msg.size());
  EVP_MD_CTX_free(ctx);
  double r = Rate([&] {
    EVP_MD_CTX* v = EVP_MD_CTX_new();
    EVP_DigestVerifyInit_ex(v, nullptr, md, nullptr, nullptr, key, nullptr);
    Check(EVP_DigestVerify(v, sig.data(), len, msg.data(), msg.size()) == 1,
          "verify");
    EVP_MD_CTX_free(v);
  });
  EVP_PKEY_free(key);
  return r;
}

struct Row {
  std::string name;
  std::string unit;
  std::function<double(const CryptoProvider&)> backend;
  std::function<double()> raw;
};

int Main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--seconds=", 10) == 0) {
      g_seconds = std::atof(argv[i] + 10);
    }
  }
  LoaderOptions options;
  options.search_dirs = {"backends/openssl", "backends/cryptopp"};
  std::vector<std::shared_ptr<const CryptoProvider>> backends;
  for (const char* name : {"openssl", "cryptopp"}) {
    auto p = LoadCryptoBackend(name, options);
    Check(p.status(), name);
    backends.push_back(*p);
  }

  const std::vector<Row> rows = {
      {"chacha20-poly1305@openssh.com", "MB/s",
       [](const CryptoProvider& p) {
         return BackendAead(p, "chacha20-poly1305@openssh.com");
       },
       RawChaChaPoly},
      {"aes128-gcm@openssh.com", "MB/s",
       [](const CryptoProvider& p) {
         return BackendAead(p, "aes128-gcm@openssh.com");
       },
       [] { return RawGcm("AES-128-GCM", 16); }},
      {"aes256-gcm@openssh.com", "MB/s",
       [](const CryptoProvider& p) {
         return BackendAead(p, "aes256-gcm@openssh.com");
       },
       [] { return RawGcm("AES-256-GCM", 32); }},
      {"aes128-ctr (cipher alone)", "MB/s",
       [](const CryptoProvider& p) { return BackendCtrOnly(p, 16); },
       [] { return RawCtrOnly("AES-128-CTR", 16); }},
      {"aes256-ctr (cipher alone)", "MB/s",
       [](const CryptoProvider& p) { return BackendCtrOnly(p, 32); },
       [] { return RawCtrOnly("AES-256-CTR", 32); }},
      {"aes128-ctr + hmac-sha2-256-etm", "MB/s",
       [](const CryptoProvider& p) {
         return BackendCtrEtm(p, 16, HashAlgorithm::kSha256);
       },
       [] { return RawCtrEtm("AES-128-CTR", 16, "SHA256", 32); }},
      {"aes256-ctr + hmac-sha2-512-etm", "MB/s",
       [](const CryptoProvider& p) {
         return BackendCtrEtm(p, 32, HashAlgorithm::kSha512);
       },
       [] { return RawCtrEtm("AES-256-CTR", 32, "SHA512", 64); }},
      {"X25519 shared secret", "ops/s",
       [](const CryptoProvider& p) { return BackendKex(p, KexGroup::kX25519); },
       RawX25519},
      {"ECDH P-256 shared secret", "ops/s",
       [](const CryptoProvider& p) {
         return BackendKex(p, KexGroup::kNistP256);
       },
       RawP256},
      {"Ed25519 verify", "ops/s",
       [](const CryptoProvider& p) {
         return BackendVerify(p, KeyType::kEd25519,
                              SignatureAlgorithm::kEd25519, 0);
       },
       [] {
         return RawVerify(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"),
                          nullptr);
       }},
      {"RSA-3072 verify (rsa-sha2-256)", "ops/s",
       [](const CryptoProvider& p) {
         return BackendVerify(p, KeyType::kRsa, SignatureAlgorithm::kRsaSha256,
                              3072);
       },
       [] {
         return RawVerify(
             EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{3072}),
             "SHA256");
       }},
  };

  std::printf(
      "Parley crypto benchmark: %zu-byte packets, %.2f s CPU per cell\n",
      kPacket, g_seconds);
  for (const auto& b : backends) {
    std::printf("  backend %-8s %s\n", std::string(b->name()).c_str(),
                b->library_version().c_str());
  }
  std::printf(
      "\n| operation | unit | raw EVP | openssl | openssl/EVP | "
      "cryptopp | cryptopp/openssl |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|\n");
  for (const Row& row : rows) {
    const double raw = row.raw();
    const double ossl = row.backend(*backends[0]);
    const double cpp = row.backend(*backends[1]);
    std::printf("| %s | %s | %.0f | %.0f | %.1f%% | %.0f | %.1f%% |\n",
                row.name.c_str(), row.unit.c_str(), raw, ossl,
                100.0 * ossl / raw, cpp, 100.0 * cpp / ossl);
    std::fflush(stdout);
  }
  for (size_t key_size : {size_t{16}, size_t{32}}) {
    const double raw =
        key_size == 16 ? RawGcm("AES-128-GCM", 16) : RawGcm("AES-256-GCM", 32);
    const double cpp = RawCryptoppGcm(key_size);
    std::printf(
        "\nCrypto++'s own AES-%zu-GCM called directly: %.0f MB/s, %.1f%% of "
        "raw "
        "EVP",
        key_size * 8, cpp, 100.0 * cpp / raw);
  }
  std::printf("\n");
  return 0;
}

}  // namespace
}  // namespace parley::crypto

int main(int argc, char** argv) { return parley::crypto::Main(argc, argv); }
