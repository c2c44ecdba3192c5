#include "core/transport/kex.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "core/crypto/ssh_aead.h"
#include "core/transport/messages.h"
#include "core/wire/reader.h"
#include "core/wire/writer.h"

namespace parley::transport {
namespace {

using crypto::HashAlgorithm;
using crypto::KexGroup;

constexpr KexMethod kMethods[] = {
    {"curve25519-sha256", KexGroup::kX25519, HashAlgorithm::kSha256},
    {"curve25519-sha256@libssh.org", KexGroup::kX25519, HashAlgorithm::kSha256},
    {"ecdh-sha2-nistp256", KexGroup::kNistP256, HashAlgorithm::kSha256},
    {"ecdh-sha2-nistp384", KexGroup::kNistP384, HashAlgorithm::kSha384},
    {"ecdh-sha2-nistp521", KexGroup::kNistP521, HashAlgorithm::kSha512},
    {"diffie-hellman-group14-sha256", KexGroup::kModp2048,
     HashAlgorithm::kSha256},
    {"diffie-hellman-group16-sha512", KexGroup::kModp4096,
     HashAlgorithm::kSha512},
    {"diffie-hellman-group18-sha512", KexGroup::kModp8192,
     HashAlgorithm::kSha512},
    // Legacy (crypto::LegacyAlgorithms()): RFC 4253 section 8.2, RFC 4419.
    {"diffie-hellman-group14-sha1", KexGroup::kModp2048, HashAlgorithm::kSha1},
    {"diffie-hellman-group-exchange-sha256", KexGroup::kModpServerChosen,
     HashAlgorithm::kSha256, true},
    {"diffie-hellman-group-exchange-sha1", KexGroup::kModpServerChosen,
     HashAlgorithm::kSha1, true},
};

bool Contains(const std::vector<std::string>& v, absl::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

absl::StatusOr<std::string> Pick(const char* slot,
                                 const std::vector<std::string>& client,
                                 const std::vector<std::string>& server) {
  for (const std::string& c : client) {
    if (Contains(server, c)) return c;
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "no common ", slot, " algorithm; we offered ", absl::StrJoin(client, ","),
      ", the server offered ", absl::StrJoin(server, ",")));
}

}  // namespace

Bytes KexInit::Encode() const {
  Bytes out;
  wire::Writer w(&out);
  w.WriteU8(kMsgKexInit);
  w.WriteRaw(ByteView(cookie.data(), cookie.size()));
  for (const auto* list :
       {&kex, &host_key, &cipher_c2s, &cipher_s2c, &mac_c2s, &mac_s2c,
        &compression_c2s, &compression_s2c, &language_c2s, &language_s2c}) {
    w.WriteNameList(*list);
  }
  w.WriteBool(first_kex_packet_follows);
  w.WriteU32(0);
  return out;
}

absl::StatusOr<KexInit> KexInit::Parse(ByteView payload) {
  wire::Reader r(payload);
  uint8_t type;
  PARLEY_RETURN_IF_ERROR(r.ReadU8(&type));
  if (type != kMsgKexInit) return absl::InvalidArgumentError("not a KEXINIT");
  KexInit k;
  ByteView cookie;
  PARLEY_RETURN_IF_ERROR(r.ReadBytes(16, &cookie));
  std::copy(cookie.begin(), cookie.end(), k.cookie.begin());
  for (auto* list : {&k.kex, &k.host_key, &k.cipher_c2s, &k.cipher_s2c,
                     &k.mac_c2s, &k.mac_s2c, &k.compression_c2s,
                     &k.compression_s2c, &k.language_c2s, &k.language_s2c}) {
    PARLEY_RETURN_IF_ERROR(r.ReadNameList(list));
  }
  uint32_t reserved;
  PARLEY_RETURN_IF_ERROR(r.ReadBool(&k.first_kex_packet_follows));
  PARLEY_RETURN_IF_ERROR(r.ReadU32(&reserved));
  PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
  return k;
}

bool KexMethod::finite_field() const {
  return group == KexGroup::kModp2048 || group == KexGroup::kModp4096 ||
         group == KexGroup::kModp8192 || group_exchange;
}

absl::StatusOr<Bytes> ExchangeHash(const crypto::CryptoProvider& provider,
                                   const KexMethod& method,
                                   const ExchangeHashInput& in) {
  Bytes data;
  wire::Writer w(&data);
  w.WriteString(in.client_version);
  w.WriteString(in.server_version);
  w.WriteString(in.client_kexinit);
  w.WriteString(in.server_kexinit);
  w.WriteString(in.host_key_blob);
  if (method.group_exchange) {
    if (in.gex == nullptr) {
      return absl::InternalError("group exchange hash without its group");
    }
    w.WriteU32(in.gex->min);
    w.WriteU32(in.gex->n);
    w.WriteU32(in.gex->max);
    w.WriteMpint(in.gex->p);
    w.WriteMpint(in.gex->g);
  }
  if (method.finite_field()) {
    w.WriteMpint(in.client_public);
    w.WriteMpint(in.server_public);
  } else {
    w.WriteString(in.client_public);
    w.WriteString(in.server_public);
  }
  PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<crypto::Hash> hash,
                          provider.NewHash(method.hash));
  PARLEY_RETURN_IF_ERROR(hash->Update(data));
  PARLEY_RETURN_IF_ERROR(hash->Update(in.shared_secret_mpint));
  Bytes h(hash->digest_size());
  PARLEY_RETURN_IF_ERROR(hash->Finish(MutableByteView(h)));
  return h;
}

const KexMethod* FindKexMethod(absl::string_view name) {
  for (const auto& m : kMethods) {
    if (name == m.name) return &m;
  }
  return nullptr;
}

absl::StatusOr<Negotiated> Negotiate(const KexInit& c, const KexInit& s) {
  Negotiated n;
  // Pseudo-algorithms (ext-info-c, kex-strict-*) never count as a KEX match.
  std::vector<std::string> real_kex;
  for (const auto& k : c.kex) {
    if (FindKexMethod(k) != nullptr) real_kex.push_back(k);
  }
  PARLEY_ASSIGN_OR_RETURN(n.kex, Pick("key exchange", real_kex, s.kex));
  PARLEY_ASSIGN_OR_RETURN(n.host_key, Pick("host key", c.host_key, s.host_key));
  PARLEY_ASSIGN_OR_RETURN(n.cipher_c2s, Pick("client-to-server cipher",
                                             c.cipher_c2s, s.cipher_c2s));
  PARLEY_ASSIGN_OR_RETURN(n.cipher_s2c, Pick("server-to-client cipher",
                                             c.cipher_s2c, s.cipher_s2c));
  if (crypto::FindSshCipher(n.cipher_c2s)->tag_size == 0) {
    PARLEY_ASSIGN_OR_RETURN(n.mac_c2s,
                            Pick("client-to-server MAC", c.mac_c2s, s.mac_c2s));
  }
  if (crypto::FindSshCipher(n.cipher_s2c)->tag_size == 0) {
    PARLEY_ASSIGN_OR_RETURN(n.mac_s2c,
                            Pick("server-to-client MAC", c.mac_s2c, s.mac_s2c));
  }
  PARLEY_RETURN_IF_ERROR(
      Pick("client-to-server compression", c.compression_c2s, s.compression_c2s)
          .status());
  PARLEY_RETURN_IF_ERROR(
      Pick("server-to-client compression", c.compression_s2c, s.compression_s2c)
          .status());
  n.strict_kex =
      Contains(c.kex, kStrictKexClient) && Contains(s.kex, kStrictKexServer);
  n.server_ext_info = Contains(s.kex, "ext-info-s");
  if (s.first_kex_packet_follows) {
    // The guess is right only if both sides list the same KEX and host-key
    // algorithms first (RFC 4253 section 7; OpenSSH's proposals_match()).
    const bool right = !s.kex.empty() && !s.host_key.empty() &&
                       !c.kex.empty() && !c.host_key.empty() &&
                       s.kex[0] == c.kex[0] && s.host_key[0] == c.host_key[0];
    n.ignore_guessed_packet = !right;
  }
  return n;
}

absl::StatusOr<DerivedKeys> DeriveKeys(const crypto::CryptoProvider& provider,
                                       crypto::HashAlgorithm hash,
                                       ByteView k_mpint, ByteView h,
                                       ByteView session_id,
                                       const Negotiated& algs) {
  // K1 = HASH(K || H || X || session_id); Kn+1 = HASH(K || H || K1..Kn).
  auto derive = [&](char letter, size_t need) -> absl::StatusOr<SecureBuffer> {
    SecureBuffer out;
    PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<crypto::Hash> hh,
                            provider.NewHash(hash));
    const size_t dlen = crypto::DigestSize(hash);
    SecureBuffer block(dlen);
    const uint8_t x = static_cast<uint8_t>(letter);
    PARLEY_RETURN_IF_ERROR(hh->Update(k_mpint));
    PARLEY_RETURN_IF_ERROR(hh->Update(h));
    PARLEY_RETURN_IF_ERROR(hh->Update(ByteView(&x, 1)));
    PARLEY_RETURN_IF_ERROR(hh->Update(session_id));
    PARLEY_RETURN_IF_ERROR(hh->Finish(MutableByteView(block)));
    out.insert(out.end(), block.begin(), block.end());
    while (out.size() < need) {
      PARLEY_RETURN_IF_ERROR(hh->Update(k_mpint));
      PARLEY_RETURN_IF_ERROR(hh->Update(h));
      PARLEY_RETURN_IF_ERROR(hh->Update(View(out)));
      PARLEY_RETURN_IF_ERROR(hh->Finish(MutableByteView(block)));
      out.insert(out.end(), block.begin(), block.end());
    }
    out.resize(need);
    return out;
  };
  const crypto::SshCipherInfo* c2s = crypto::FindSshCipher(algs.cipher_c2s);
  const crypto::SshCipherInfo* s2c = crypto::FindSshCipher(algs.cipher_s2c);
  const crypto::SshMacInfo* mc2s = crypto::FindSshMac(algs.mac_c2s);
  const crypto::SshMacInfo* ms2c = crypto::FindSshMac(algs.mac_s2c);
  if (c2s == nullptr || s2c == nullptr) {
    return absl::InternalError("negotiated cipher unknown");
  }
  DerivedKeys k;
  PARLEY_ASSIGN_OR_RETURN(k.iv_c2s, derive('A', c2s->iv_size));
  PARLEY_ASSIGN_OR_RETURN(k.iv_s2c, derive('B', s2c->iv_size));
  PARLEY_ASSIGN_OR_RETURN(k.key_c2s, derive('C', c2s->key_size));
  PARLEY_ASSIGN_OR_RETURN(k.key_s2c, derive('D', s2c->key_size));
  PARLEY_ASSIGN_OR_RETURN(k.mac_c2s,
                          derive('E', mc2s != nullptr ? mc2s->key_size : 0));
  PARLEY_ASSIGN_OR_RETURN(k.mac_s2c,
                          derive('F', ms2c != nullptr ? ms2c->key_size : 0));
  return k;
}

}  // namespace parley::transport
