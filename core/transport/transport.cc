#include "core/transport/transport.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/status_macros.h"
#include "core/crypto/dh_groups.h"
#include "core/crypto/ssh_keys.h"
#include "core/keys/certificate.h"
#include "core/transport/messages.h"
#include "core/wire/reader.h"
#include "core/wire/writer.h"

namespace parley::transport {
namespace {

constexpr uint64_t kDefaultRekeyBytes = uint64_t{1} << 30;

std::vector<std::string> Filter(const std::vector<std::string>& wanted,
                                const std::vector<std::string>& supported) {
  if (wanted.empty()) return supported;
  std::vector<std::string> out;
  for (const auto& w : wanted) {
    if (std::find(supported.begin(), supported.end(), w) != supported.end()) {
      out.push_back(w);
    }
  }
  return out;
}

bool IsKexMethodMessage(uint8_t t) { return t >= 30 && t <= 49; }

}  // namespace

const char* Transport::StateName(State s) {
  switch (s) {
    case State::kIdle:
      return "idle";
    case State::kVersion:
      return "version";
    case State::kKexInit:
      return "kexinit";
    case State::kGexGroup:
      return "gex-group";
    case State::kKexReply:
      return "kex-reply";
    case State::kHostKeyCheck:
      return "host-key-check";
    case State::kNewKeys:
      return "newkeys";
    case State::kEstablished:
      return "established";
    case State::kClosed:
      return "closed";
  }
  return "?";
}

Transport::Transport(TransportOptions options)
    : options_(std::move(options)), writer_(options_.provider.get()) {}

Transport::~Transport() = default;

absl::Status Transport::Start() {
  if (state_ != State::kIdle) {
    return absl::FailedPreconditionError("transport already started");
  }
  if (options_.provider == nullptr) {
    return Error(ErrorKind::kBadUse, absl::InvalidArgumentError(
                                         "transport needs a crypto provider"));
  }
  // The backend's algorithms, and the legacy and certificate ones when
  // named (they are never in a default list).
  crypto::AlgorithmLists supported = options_.provider->Algorithms();
  const crypto::AlgorithmLists legacy = crypto::LegacyAlgorithms();
  for (const std::string& name : crypto::CertificateHostKeyAlgorithms()) {
    supported.host_key.push_back(name);
  }
  for (auto [to, from] : {std::make_pair(&supported.kex, &legacy.kex),
                          std::make_pair(&supported.host_key, &legacy.host_key),
                          std::make_pair(&supported.cipher, &legacy.cipher),
                          std::make_pair(&supported.mac, &legacy.mac)}) {
    to->insert(to->end(), from->begin(), from->end());
  }
  crypto::AlgorithmLists& a = options_.algorithms;
  if (a.kex.empty()) a.kex = options_.provider->Algorithms().kex;
  if (a.host_key.empty()) a.host_key = options_.provider->Algorithms().host_key;
  if (a.cipher.empty()) a.cipher = options_.provider->Algorithms().cipher;
  if (a.mac.empty()) a.mac = options_.provider->Algorithms().mac;
  // Naming ssh-rsa opts in to SHA-1 host-key signatures.
  if (std::find(a.host_key.begin(), a.host_key.end(), "ssh-rsa") !=
      a.host_key.end()) {
    options_.allow_rsa_sha1 = true;
  }
  a.kex = Filter(a.kex, supported.kex);
  a.host_key = Filter(a.host_key, supported.host_key);
  a.cipher = Filter(a.cipher, supported.cipher);
  a.mac = Filter(a.mac, supported.mac);
  if (a.kex.empty() || a.host_key.empty() || a.cipher.empty() ||
      a.mac.empty()) {
    return Error(ErrorKind::kUnsupported,
                 absl::InvalidArgumentError(absl::StrCat(
                     "no usable algorithms left for a slot with the ",
                     options_.provider->name(), " backend")));
  }
  const std::string line = options_.client_version + "\r\n";
  out_.insert(out_.end(), line.begin(), line.end());
  state_ = State::kVersion;
  return SendKexInit();
}

void Transport::ConsumeOutput(size_t n) {
  out_start_ += std::min(n, out_.size() - out_start_);
  if (out_start_ == out_.size()) {
    out_.clear();
    out_start_ = 0;
  }
}

absl::Status Transport::Fail(absl::Status status, uint32_t reason,
                             ErrorKind kind) {
  status = WithDefaultKind(kind, std::move(status));
  if (state_ == State::kClosed) return status;
  if (state_ != State::kIdle && reason != 0) {
    Bytes msg;
    wire::Writer w(&msg);
    w.WriteU8(kMsgDisconnect);
    w.WriteU32(reason);
    w.WriteString(status.message().substr(0, 200));
    w.WriteString(absl::string_view(""));
    (void)WritePacket(msg);
  }
  state_ = State::kClosed;
  error_ = status;
  return status;
}

void Transport::Disconnect(uint32_t reason, absl::string_view description) {
  if (state_ == State::kClosed) return;
  (void)Fail(
      Error(ErrorKind::kLocalDisconnect,
            absl::CancelledError(absl::StrCat("disconnected: ", description))),
      reason);
}

absl::Status Transport::Abort(absl::Status error, uint32_t reason) {
  return Fail(std::move(error), reason, ErrorKind::kProtocol);
}

absl::Status Transport::Tick(TimePoint now) {
  now_ = now;
  if (state_ == State::kClosed) return error_;
  return MaybeRekey();
}

absl::optional<TimePoint> Transport::next_deadline() const {
  if (state_ != State::kEstablished || options_.rekey_interval.count() <= 0) {
    return absl::nullopt;
  }
  return keys_since_ + options_.rekey_interval;
}

absl::Status Transport::WritePacket(ByteView payload, size_t min_padded) {
  if (options_.on_packet && !payload.empty()) {
    options_.on_packet(true, payload[0], payload.size());
  }
  return writer_.Write(payload, &out_, min_padded);
}

absl::Status Transport::SendKexInit() {
  KexInit k;
  PARLEY_RETURN_IF_ERROR(options_.provider->RandomBytes(
      MutableByteView(k.cookie.data(), k.cookie.size())));
  const crypto::AlgorithmLists& a = options_.algorithms;
  k.kex = a.kex;
  if (kex_count_ == 0) {
    // RFC 8308 and OpenSSH PROTOCOL: markers only in the first KEXINIT.
    k.kex.push_back(kExtInfoClient);
    if (options_.strict_kex) k.kex.push_back(kStrictKexClient);
  }
  k.host_key = a.host_key;
  k.cipher_c2s = k.cipher_s2c = a.cipher;
  k.mac_c2s = k.mac_s2c = a.mac;
  k.compression_c2s = k.compression_s2c = {"none"};
  i_c_ = k.Encode();
  our_kexinit_ = std::move(k);
  our_kexinit_sent_ = true;
  return WritePacket(i_c_);
}

bool Transport::in_kex() const {
  return state_ == State::kKexInit || state_ == State::kGexGroup ||
         state_ == State::kKexReply || state_ == State::kHostKeyCheck ||
         state_ == State::kNewKeys || state_ == State::kVersion;
}

size_t Transport::send_room() const {
  const size_t queued = queued_bytes();
  return queued < options_.limits.output_high_water
             ? options_.limits.output_high_water - queued
             : 0;
}

bool Transport::accepting_input() const {
  if (state_ == State::kClosed) return false;
  // Only what the socket has not taken counts: messages held during a key
  // exchange wait for the exchange, which needs the peer's next packets.
  if (out_.size() - out_start_ >= options_.limits.output_high_water) {
    return false;
  }
  if (state_ == State::kHostKeyCheck &&
      reader_.buffered() >= options_.limits.paused_input_cap) {
    return false;
  }
  return true;
}

absl::Status Transport::CheckQueue() {
  if (queued_bytes() <= options_.limits.output_hard_cap) {
    return absl::OkStatus();
  }
  // No DISCONNECT: it could not be sent behind the queue anyway.
  return Fail(Error(ErrorKind::kResourceLimit,
                    absl::ResourceExhaustedError(absl::StrCat(
                        "the server does not read what it makes us send: ",
                        queued_bytes(), " bytes queued"))),
              0);
}

absl::Status Transport::Feed(ByteView data) {
  if (state_ == State::kClosed) return error_;
  if (state_ == State::kIdle) {
    return absl::FailedPreconditionError("Feed() before Start()");
  }
  if (!version_.done()) {
    size_t used = 0;
    absl::Status s = version_.Feed(data, &used);
    if (!s.ok()) {
      return Fail(s, kDisconnectProtocolVersionNotSupported,
                  ErrorKind::kVersionExchange);
    }
    if (!version_.done()) return absl::OkStatus();
    data.remove_prefix(used);
    state_ = State::kKexInit;
  }
  if (state_ == State::kHostKeyCheck &&
      reader_.buffered() + data.size() > 4 * options_.limits.paused_input_cap) {
    return Fail(Error(ErrorKind::kResourceLimit,
                      absl::ResourceExhaustedError(
                          "too much input while the host key is checked")),
                kDisconnectProtocolError);
  }
  reader_.Feed(data);
  return ProcessPackets();
}

absl::Status Transport::ProcessPackets() {
  Bytes payload;
  // Paused while the host key is checked: the packets after the server's
  // reply (its NEWKEYS, then packets under the new keys) stay buffered.
  while (state_ != State::kClosed && state_ != State::kHostKeyCheck) {
    absl::StatusOr<bool> got = reader_.Next(&payload);
    if (!got.ok()) {
      const bool mac = got.status().code() == absl::StatusCode::kDataLoss;
      return Fail(got.status(),
                  mac ? kDisconnectMacError : kDisconnectProtocolError,
                  mac ? ErrorKind::kIntegrity : ErrorKind::kProtocol);
    }
    if (!*got) break;
    ++packets_received_;
    if (kex_count_ == 0 &&
        packets_received_ > options_.limits.packets_before_keys) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
                      "more than ", options_.limits.packets_before_keys,
                      " packets before the first key exchange completed")),
                  kDisconnectProtocolError);
    }
    if (reader_.since_keys().packets >= 2 * options_.limits.rekey_packets) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
                      reader_.since_keys().packets,
                      " packets under one set of keys: the sequence number "
                      "wrapped without a key exchange")),
                  kDisconnectProtocolError);
    }
    if (expect_userauth_success_ &&
        (payload.empty() || payload[0] != kMsgUserauthSuccess)) {
      return Fail(absl::InvalidArgumentError(
                      "EXT_INFO after the first key exchange must be "
                      "followed by USERAUTH_SUCCESS"),
                  kDisconnectProtocolError);
    }
    expect_userauth_success_ = false;
    if (options_.on_packet && !payload.empty()) {
      options_.on_packet(false, payload[0], payload.size());
    }
    absl::Status s = HandlePacket(payload);
    if (!s.ok())
      return state_ == State::kClosed ? s : Fail(s, kDisconnectProtocolError);
  }
  if (state_ == State::kClosed) return error_;
  PARLEY_RETURN_IF_ERROR(CheckQueue());
  return MaybeRekey();
}

absl::Status Transport::HandlePacket(Bytes& payload) {
  if (payload.empty()) {
    return absl::InvalidArgumentError("empty packet payload");
  }
  const uint8_t t = payload[0];
  const bool strict_initial = strict_ && kex_count_ == 0;
  wire::Reader r(ByteView(payload).subspan(1));
  switch (t) {
    case kMsgDisconnect: {
      DisconnectInfo info;
      absl::string_view desc;
      PARLEY_RETURN_IF_ERROR(r.ReadU32(&info.reason));
      PARLEY_RETURN_IF_ERROR(r.ReadString(&desc));
      info.description = std::string(desc.substr(0, 1024));
      server_disconnect_ = info;
      if (options_.on_disconnect) {
        options_.on_disconnect(info.reason, info.description);
      }
      state_ = State::kClosed;
      error_ = Error(
          ErrorKind::kServerDisconnect,
          absl::UnavailableError(absl::StrCat(
              "server disconnected: ", DisconnectReasonName(info.reason), " (",
              info.reason, "): ", absl::CHexEscape(info.description))),
          info.reason);
      return error_;
    }
    case kMsgIgnore:
    case kMsgDebug:
    case kMsgUnimplemented:
      if (strict_initial) {
        return Fail(absl::InvalidArgumentError(
                        absl::StrCat("strict KEX violation: message ", t,
                                     " during the initial key exchange")),
                    kDisconnectProtocolError);
      }
      if (t == kMsgIgnore && options_.on_ignore) {
        absl::string_view data;
        if (r.ReadString(&data).ok()) {
          options_.on_ignore(std::string(data.substr(0, 4096)));
        }
      }
      if (t == kMsgDebug && options_.on_debug) {
        bool always;
        absl::string_view msg;
        if (r.ReadBool(&always).ok() && r.ReadString(&msg).ok()) {
          options_.on_debug(always, std::string(msg.substr(0, 4096)));
        }
      }
      return absl::OkStatus();
    case kMsgKexInit:
      return HandleKexInit(payload);
    case kMsgNewKeys:
      if (state_ != State::kNewKeys || payload.size() != 1) {
        return absl::InvalidArgumentError("unexpected NEWKEYS");
      }
      return HandleNewKeys();
    case kMsgExtInfo:
      // RFC 8308 section 2.4: as the next packet after the server's first
      // NEWKEYS, or (once) immediately before USERAUTH_SUCCESS, so never
      // after authentication and never inside the server's key exchange.
      if (kex_count_ == 1 &&
          packets_received_ == packets_at_first_newkeys_ + 1 && i_s_.empty()) {
        return HandleExtInfo(payload);
      }
      if (kex_count_ == 0 || !i_s_.empty() || userauth_success_seen_ ||
          late_ext_info_seen_) {
        return absl::InvalidArgumentError(userauth_success_seen_
                                              ? "EXT_INFO after authentication"
                                              : "EXT_INFO outside its place");
      }
      late_ext_info_seen_ = true;
      expect_userauth_success_ = true;
      return HandleExtInfo(payload);
    default:
      break;
  }
  // Unknown transport-generic messages (RFC 4253 section 11.4) get
  // UNIMPLEMENTED, also during a re-exchange (section 7.1 allows them).
  if (t < kMsgKexInit && t != kMsgServiceRequest && t != kMsgServiceAccept) {
    if (strict_initial) {
      return Fail(absl::InvalidArgumentError(
                      absl::StrCat("strict KEX violation: message ", t,
                                   " during the initial key exchange")),
                  kDisconnectProtocolError);
    }
    if (kex_count_ == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("message ", t, " before the first key exchange"));
    }
    return SendUnimplemented();
  }
  if (IsKexMethodMessage(t)) {
    if (ignore_next_kex_packet_ &&
        (state_ == State::kKexReply || state_ == State::kGexGroup)) {
      ignore_next_kex_packet_ = false;
      return absl::OkStatus();
    }
    if (state_ == State::kGexGroup && t == kMsgKexDhGexGroup) {
      return HandleGexGroup(payload);
    }
    if (state_ == State::kKexReply &&
        t == (method_->group_exchange ? kMsgKexDhGexReply : kMsgKexEcdhReply)) {
      return HandleKexReply(payload);
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected key exchange message ", t, " in state ",
                     StateName(state_)));
  }
  // Upper-layer messages: only with keys in place, and not from a server
  // that is itself in a key exchange (it sent KEXINIT, not yet NEWKEYS).
  if (kex_count_ == 0 || !i_s_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "message ", t, " during key exchange (state ", StateName(state_), ")"));
  }
  if (t == kMsgServiceRequest || t == kMsgServiceAccept || t >= 50) {
    if (t == kMsgUserauthSuccess) userauth_success_seen_ = true;
    inbox_.push_back(std::move(payload));
    payload = Bytes();
    return absl::OkStatus();
  }
  // Unknown message in the KEX-method or reserved ranges.
  return SendUnimplemented();
}

absl::Status Transport::SendUnimplemented() {
  // RFC 4253 section 11.4: names the rejected packet's sequence number.
  Bytes msg;
  wire::Writer w(&msg);
  w.WriteU8(kMsgUnimplemented);
  w.WriteU32(reader_.sequence() - 1);
  // Transport-level: goes out at once, even during a key exchange.
  return WritePacket(msg);
}

absl::Status Transport::HandleKexInit(ByteView payload) {
  if (!i_s_.empty()) {
    return absl::InvalidArgumentError("second KEXINIT during key exchange");
  }
  absl::StatusOr<KexInit> parsed = KexInit::Parse(payload);
  if (!parsed.ok()) {
    return Fail(parsed.status(), kDisconnectProtocolError,
                ErrorKind::kKeyExchange);
  }
  KexInit server = *std::move(parsed);
  if (!our_kexinit_sent_) {
    // Server-initiated rekey: answer with ours first.
    PARLEY_RETURN_IF_ERROR(SendKexInit());
  }
  i_s_.assign(payload.begin(), payload.end());
  absl::StatusOr<Negotiated> n = Negotiate(our_kexinit_, server);
  if (!n.ok()) {
    return Fail(n.status(), kDisconnectKeyExchangeFailed,
                ErrorKind::kKeyExchange);
  }
  negotiated_ = *n;
  // Strict KEX is decided by the first exchange and holds for the
  // connection; the markers are not repeated in later KEXINITs.
  if (kex_count_ > 0) negotiated_.strict_kex = strict_;
  if (kex_count_ == 0) {
    strict_ = negotiated_.strict_kex;
    if (strict_ && packets_received_ != 1) {
      return Fail(absl::InvalidArgumentError(
                      "strict KEX violation: KEXINIT was not the first packet"),
                  kDisconnectProtocolError);
    }
  }
  method_ = FindKexMethod(negotiated_.kex);
  ignore_next_kex_packet_ = negotiated_.ignore_guessed_packet;
  if (method_->group_exchange) {
    // RFC 4419 section 3: min || n || max. OpenSSH's client asks for 2048
    // to 8192 bits, preferring a size that matches the cipher; 3072 bits
    // match the 128-bit ciphers Parley offers first.
    gex_ = GexParameters();
    gex_.min = 2048;
    gex_.n = 3072;
    gex_.max = 8192;
    Bytes request;
    wire::Writer w(&request);
    w.WriteU8(kMsgKexDhGexRequest);
    w.WriteU32(gex_.min);
    w.WriteU32(gex_.n);
    w.WriteU32(gex_.max);
    state_ = State::kGexGroup;
    return WritePacket(request);
  }
  PARLEY_ASSIGN_OR_RETURN(agreement_,
                          options_.provider->NewKeyAgreement(method_->group));
  Bytes init;
  wire::Writer w(&init);
  w.WriteU8(kMsgKexEcdhInit);
  if (method_->finite_field()) {
    w.WriteMpint(agreement_->public_value());
  } else {
    w.WriteString(agreement_->public_value());
  }
  state_ = State::kKexReply;
  return WritePacket(init);
}

absl::Status Transport::HandleGexGroup(ByteView payload) {
  // RFC 4419 section 3: mpint p, mpint g.
  wire::Reader r(payload.subspan(1));
  ByteView p, g;
  absl::Status parsed = r.ReadMpint(&p);
  if (parsed.ok()) parsed = r.ReadMpint(&g);
  if (parsed.ok()) parsed = r.ExpectEnd();
  if (!parsed.ok()) {
    return Fail(parsed, kDisconnectProtocolError, ErrorKind::kKeyExchange);
  }
  absl::Status group = crypto::CheckServerChosenGroup(p, g, gex_.min, gex_.max);
  if (group.ok()) {
    absl::StatusOr<std::unique_ptr<crypto::KeyAgreement>> a =
        options_.provider->NewDhKeyAgreement(p, g);
    if (a.ok()) {
      agreement_ = *std::move(a);
    } else {
      group = a.status();
    }
  }
  if (!group.ok()) {
    return Fail(std::move(group), kDisconnectKeyExchangeFailed,
                ErrorKind::kKeyExchange);
  }
  gex_p_.assign(p.begin(), p.end());
  gex_g_.assign(g.begin(), g.end());
  gex_.p = gex_p_;
  gex_.g = gex_g_;
  Bytes init;
  wire::Writer w(&init);
  w.WriteU8(kMsgKexDhGexInit);
  w.WriteMpint(agreement_->public_value());
  state_ = State::kKexReply;
  return WritePacket(init);
}

absl::Status Transport::HandleKexReply(ByteView payload) {
  const bool dh = method_->finite_field();
  wire::Reader r(payload.subspan(1));
  ByteView k_s, q_s, sig;
  absl::Status parsed = r.ReadString(&k_s);
  if (parsed.ok()) parsed = dh ? r.ReadMpint(&q_s) : r.ReadString(&q_s);
  if (parsed.ok()) parsed = r.ReadString(&sig);
  if (parsed.ok()) parsed = r.ExpectEnd();
  if (!parsed.ok()) {
    return Fail(parsed, kDisconnectProtocolError, ErrorKind::kKeyExchange);
  }
  auto kex_failed = [this](absl::Status s) {
    return Fail(std::move(s), kDisconnectKeyExchangeFailed,
                ErrorKind::kKeyExchange);
  };

  HostKeyInfo hk;
  hk.algorithm = negotiated_.host_key;
  hk.blob.assign(k_s.begin(), k_s.end());
  crypto::SignatureAlgorithm sig_alg;
  if (keys::PlainAlgorithmOfCertificate(hk.algorithm, &sig_alg)) {
    // A host certificate: the exchange hash is signed by the certified
    // key with the plain algorithm; the verifier checks the certificate.
    absl::StatusOr<keys::Certificate> cert = keys::ParseCertificate(k_s);
    if (!cert.ok()) return kex_failed(cert.status());
    hk.key = cert->key;
  } else {
    absl::StatusOr<crypto::PublicKey> key = crypto::ParsePublicKeyBlob(k_s);
    if (!key.ok()) return kex_failed(key.status());
    hk.key = *key;
    if (!crypto::SignatureAlgorithmFromName(hk.algorithm, &sig_alg)) {
      return kex_failed(absl::InvalidArgumentError(absl::StrCat(
          "server host key is not of the negotiated type ", hk.algorithm)));
    }
  }
  if (crypto::KeyTypeFor(sig_alg) != hk.key.type) {
    return kex_failed(absl::InvalidArgumentError(absl::StrCat(
        "server host key is not of the negotiated type ", hk.algorithm)));
  }

  absl::StatusOr<SecureBuffer> shared = agreement_->ComputeSharedSecret(q_s);
  if (!shared.ok()) return kex_failed(shared.status());
  SecureBuffer k_mpint;
  wire::SecretWriter kw(&k_mpint);
  kw.WriteMpint(View(*shared));

  ExchangeHashInput hin;
  hin.client_version = options_.client_version;
  hin.server_version = version_.server_version();
  hin.client_kexinit = i_c_;
  hin.server_kexinit = i_s_;
  hin.host_key_blob = k_s;
  hin.client_public = agreement_->public_value();
  hin.server_public = q_s;
  hin.shared_secret_mpint = View(k_mpint);
  if (method_->group_exchange) hin.gex = &gex_;
  absl::StatusOr<Bytes> h = ExchangeHash(*options_.provider, *method_, hin);
  if (!h.ok()) return kex_failed(h.status());

  crypto::VerifyOptions vo;
  vo.required = sig_alg;
  vo.allow_rsa_sha1 = options_.allow_rsa_sha1;
  absl::Status verified =
      crypto::VerifySshSignature(*options_.provider, hk.key, sig, *h, vo);
  if (!verified.ok()) {
    return kex_failed(absl::UnauthenticatedError(
        absl::StrCat("server's signature over the exchange hash is invalid: ",
                     verified.message())));
  }
  // A re-exchange must present the same key (as OpenSSH requires); it is
  // not offered to the verifier again.
  if (kex_count_ > 0 && hk.blob != host_key_.blob) {
    return Fail(absl::UnauthenticatedError(
                    "server host key changed during key re-exchange"),
                kDisconnectHostKeyNotVerifiable, ErrorKind::kHostKeyRejected);
  }
  if (session_id_.empty()) session_id_ = *h;
  absl::StatusOr<DerivedKeys> keys =
      DeriveKeys(*options_.provider, method_->hash, View(k_mpint), *h,
                 session_id_, negotiated_);
  if (!keys.ok()) return kex_failed(keys.status());
  absl::StatusOr<Protections> prot =
      NewProtections(*options_.provider, negotiated_, *keys, /*client=*/true);
  if (!prot.ok()) return kex_failed(prot.status());
  pending_in_ = std::move(prot->receive);
  pending_out_ = std::move(prot->send);
  agreement_.reset();

  // The host key is checked before NEWKEYS, so before any credential.
  if (kex_count_ == 0) {
    if (!options_.verify_host_key) {
      pending_host_key_ = std::move(hk);
      state_ = State::kHostKeyCheck;
      return absl::OkStatus();
    }
    absl::Status trusted = options_.verify_host_key(hk);
    if (!trusted.ok()) {
      return Fail(trusted, kDisconnectHostKeyNotVerifiable,
                  ErrorKind::kHostKeyRejected);
    }
  }
  host_key_ = std::move(hk);
  return FinishKexReply();
}

absl::Status Transport::ResolveHostKey(absl::Status decision) {
  if (state_ != State::kHostKeyCheck) {
    return Error(ErrorKind::kBadUse, absl::FailedPreconditionError(
                                         "no host key decision is pending"));
  }
  if (!decision.ok()) {
    return Fail(std::move(decision), kDisconnectHostKeyNotVerifiable,
                ErrorKind::kHostKeyRejected);
  }
  host_key_ = std::move(pending_host_key_);
  pending_host_key_ = HostKeyInfo();
  PARLEY_RETURN_IF_ERROR(FinishKexReply());
  // What arrived meanwhile (the server's NEWKEYS and beyond) now.
  return ProcessPackets();
}

absl::Status Transport::FinishKexReply() {
  const uint8_t newkeys = kMsgNewKeys;
  PARLEY_RETURN_IF_ERROR(WritePacket(ByteView(&newkeys, 1)));
  writer_.SetProtection(std::move(pending_out_));
  if (strict_) writer_.ResetSequence();
  state_ = State::kNewKeys;
  // Upper-layer messages held back during the exchange go out now, in order,
  // under the new keys.
  while (!pending_.empty()) {
    PARLEY_RETURN_IF_ERROR(
        WritePacket(View(pending_.front().first), pending_.front().second));
    held_bytes_ -= pending_.front().first.size();
    pending_.pop_front();
  }
  return absl::OkStatus();
}

absl::Status Transport::HandleNewKeys() {
  reader_.SetProtection(std::move(pending_in_));
  if (strict_) reader_.ResetSequence();
  ++kex_count_;
  i_c_.clear();
  i_s_.clear();
  our_kexinit_sent_ = false;
  keys_since_ = now_;
  if (kex_count_ == 1) packets_at_first_newkeys_ = packets_received_;
  state_ = State::kEstablished;
  return absl::OkStatus();
}

absl::Status Transport::HandleExtInfo(ByteView payload) {
  wire::Reader r(payload.subspan(1));
  uint32_t count;
  PARLEY_RETURN_IF_ERROR(r.ReadU32(&count));
  if (count > r.remaining() / 8) {
    return absl::InvalidArgumentError("EXT_INFO count exceeds its packet");
  }
  for (uint32_t i = 0; i < count; ++i) {
    absl::string_view name, value;
    PARLEY_RETURN_IF_ERROR(r.ReadString(&name));
    PARLEY_RETURN_IF_ERROR(r.ReadString(&value));
    if (name == "server-sig-algs") {
      server_sig_algs_.clear();
      for (absl::string_view alg :
           absl::StrSplit(value, ',', absl::SkipEmpty())) {
        if (server_sig_algs_.size() < 64 && alg.size() <= 64) {
          server_sig_algs_.emplace_back(alg);
        }
      }
    }
  }
  return r.ExpectEnd();
}

absl::Status Transport::Send(ByteView payload, size_t min_padded) {
  if (state_ == State::kClosed) return error_;
  if (payload.empty()) return absl::InvalidArgumentError("empty payload");
  // Refuse now what could never be framed, rather than failing the whole
  // connection when a queued message is flushed after a key exchange.
  if (payload.size() > kMaxPayload) {
    return absl::InvalidArgumentError(absl::StrCat(
        "payload of ", payload.size(), " bytes exceeds the packet limit"));
  }
  const bool can_write =
      (state_ == State::kEstablished || state_ == State::kNewKeys) &&
      pending_.empty();
  if (!can_write) {
    pending_.emplace_back(SecureBuffer(payload.begin(), payload.end()),
                          min_padded);
    held_bytes_ += payload.size();
    return CheckQueue();
  }
  PARLEY_RETURN_IF_ERROR(WritePacket(payload, min_padded));
  PARLEY_RETURN_IF_ERROR(CheckQueue());
  return MaybeRekey();
}

bool Transport::Receive(Bytes* payload) {
  if (inbox_.empty()) return false;
  *payload = std::move(inbox_.front());
  inbox_.pop_front();
  return true;
}

absl::Status Transport::Rekey() {
  if (state_ != State::kEstablished) return absl::OkStatus();
  state_ = State::kKexInit;
  return SendKexInit();
}

absl::Status Transport::MaybeRekey() {
  if (state_ != State::kEstablished) return absl::OkStatus();
  const uint64_t limit =
      options_.rekey_bytes != 0 ? options_.rekey_bytes : kDefaultRekeyBytes;
  const bool bytes_due = writer_.since_keys().bytes >= limit ||
                         reader_.since_keys().bytes >= limit;
  const bool packets_due =
      writer_.since_keys().packets >= options_.limits.rekey_packets ||
      reader_.since_keys().packets >= options_.limits.rekey_packets;
  const bool time_due = options_.rekey_interval.count() > 0 &&
                        now_ - keys_since_ >= options_.rekey_interval;
  if (bytes_due || packets_due || time_due) return Rekey();
  return absl::OkStatus();
}

}  // namespace parley::transport
