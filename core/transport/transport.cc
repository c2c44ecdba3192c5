#include "core/transport/transport.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/status_macros.h"
#include "core/crypto/ssh_keys.h"
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
    case State::kKexReply:
      return "kex-reply";
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
  if (options_.provider == nullptr || !options_.verify_host_key) {
    return absl::InvalidArgumentError(
        "transport needs a crypto provider and a host key verifier");
  }
  const crypto::AlgorithmLists supported = options_.provider->Algorithms();
  crypto::AlgorithmLists& a = options_.algorithms;
  a.kex = Filter(a.kex, supported.kex);
  a.host_key = Filter(a.host_key, supported.host_key);
  a.cipher = Filter(a.cipher, supported.cipher);
  a.mac = Filter(a.mac, supported.mac);
  if (a.kex.empty() || a.host_key.empty() || a.cipher.empty() ||
      a.mac.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no usable algorithms left for a slot with the ",
                     options_.provider->name(), " backend"));
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

absl::Status Transport::Fail(absl::Status status, uint32_t reason) {
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
  (void)Fail(absl::CancelledError(absl::StrCat("disconnected: ", description)),
             reason);
}

absl::Status Transport::WritePacket(ByteView payload, size_t min_padded) {
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
  return state_ == State::kKexInit || state_ == State::kKexReply ||
         state_ == State::kNewKeys || state_ == State::kVersion;
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
      return Fail(s, kDisconnectProtocolVersionNotSupported);
    }
    if (!version_.done()) return absl::OkStatus();
    data.remove_prefix(used);
    state_ = State::kKexInit;
  }
  reader_.Feed(data);
  return ProcessPackets();
}

absl::Status Transport::ProcessPackets() {
  Bytes payload;
  while (state_ != State::kClosed) {
    absl::StatusOr<bool> got = reader_.Next(&payload);
    if (!got.ok()) {
      return Fail(got.status(),
                  got.status().code() == absl::StatusCode::kDataLoss
                      ? kDisconnectMacError
                      : kDisconnectProtocolError);
    }
    if (!*got) break;
    ++packets_received_;
    absl::Status s = HandlePacket(payload);
    if (!s.ok())
      return state_ == State::kClosed ? s : Fail(s, kDisconnectProtocolError);
  }
  if (state_ == State::kClosed) return error_;
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
      state_ = State::kClosed;
      error_ = absl::UnavailableError(absl::StrCat(
          "server disconnected: ", DisconnectReasonName(info.reason), " (",
          info.reason, "): ", absl::CHexEscape(info.description)));
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
      // Allowed once keys are in place, also while our own rekey KEXINIT
      // is on its way (RFC 8308 section 2.4), not inside the server's KEX.
      if (kex_count_ == 0 || !i_s_.empty()) {
        return absl::InvalidArgumentError("EXT_INFO outside its place");
      }
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
    if (ignore_next_kex_packet_ && state_ == State::kKexReply) {
      ignore_next_kex_packet_ = false;
      return absl::OkStatus();
    }
    if (state_ == State::kKexReply && t == kMsgKexEcdhReply) {
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
  PARLEY_ASSIGN_OR_RETURN(KexInit server, KexInit::Parse(payload));
  if (!our_kexinit_sent_) {
    // Server-initiated rekey: answer with ours first.
    PARLEY_RETURN_IF_ERROR(SendKexInit());
  }
  i_s_.assign(payload.begin(), payload.end());
  absl::StatusOr<Negotiated> n = Negotiate(our_kexinit_, server);
  if (!n.ok()) return Fail(n.status(), kDisconnectKeyExchangeFailed);
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
  PARLEY_ASSIGN_OR_RETURN(agreement_,
                          options_.provider->NewKeyAgreement(method_->group));
  ignore_next_kex_packet_ = negotiated_.ignore_guessed_packet;
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

absl::Status Transport::HandleKexReply(ByteView payload) {
  const bool dh = method_->finite_field();
  wire::Reader r(payload.subspan(1));
  ByteView k_s, q_s, sig;
  PARLEY_RETURN_IF_ERROR(r.ReadString(&k_s));
  if (dh) {
    PARLEY_RETURN_IF_ERROR(r.ReadMpint(&q_s));
  } else {
    PARLEY_RETURN_IF_ERROR(r.ReadString(&q_s));
  }
  PARLEY_RETURN_IF_ERROR(r.ReadString(&sig));
  PARLEY_RETURN_IF_ERROR(r.ExpectEnd());

  HostKeyInfo hk;
  hk.algorithm = negotiated_.host_key;
  hk.blob.assign(k_s.begin(), k_s.end());
  absl::StatusOr<crypto::PublicKey> key = crypto::ParsePublicKeyBlob(k_s);
  if (!key.ok()) return Fail(key.status(), kDisconnectKeyExchangeFailed);
  hk.key = *key;
  crypto::SignatureAlgorithm sig_alg;
  if (!crypto::SignatureAlgorithmFromName(hk.algorithm, &sig_alg) ||
      crypto::KeyTypeFor(sig_alg) != hk.key.type) {
    return Fail(
        absl::InvalidArgumentError(absl::StrCat(
            "server host key is not of the negotiated type ", hk.algorithm)),
        kDisconnectKeyExchangeFailed);
  }

  absl::StatusOr<SecureBuffer> shared = agreement_->ComputeSharedSecret(q_s);
  if (!shared.ok()) return Fail(shared.status(), kDisconnectKeyExchangeFailed);
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
  PARLEY_ASSIGN_OR_RETURN(Bytes h,
                          ExchangeHash(*options_.provider, *method_, hin));

  crypto::VerifyOptions vo;
  vo.required = sig_alg;
  vo.allow_rsa_sha1 = options_.allow_rsa_sha1;
  absl::Status verified =
      crypto::VerifySshSignature(*options_.provider, hk.key, sig, h, vo);
  if (!verified.ok()) {
    return Fail(absl::UnauthenticatedError(absl::StrCat(
                    "server's signature over the exchange hash is invalid: ",
                    verified.message())),
                kDisconnectKeyExchangeFailed);
  }
  // The host key is checked before NEWKEYS, so before any credential. A
  // re-exchange must present the same key (as OpenSSH requires); it is not
  // offered to the verifier again.
  if (kex_count_ > 0) {
    if (hk.blob != host_key_.blob) {
      return Fail(absl::UnauthenticatedError(
                      "server host key changed during key re-exchange"),
                  kDisconnectHostKeyNotVerifiable);
    }
  } else {
    absl::Status trusted = options_.verify_host_key(hk);
    if (!trusted.ok()) return Fail(trusted, kDisconnectHostKeyNotVerifiable);
  }
  host_key_ = std::move(hk);
  if (session_id_.empty()) session_id_ = h;

  PARLEY_ASSIGN_OR_RETURN(
      DerivedKeys keys, DeriveKeys(*options_.provider, method_->hash,
                                   View(k_mpint), h, session_id_, negotiated_));
  PARLEY_ASSIGN_OR_RETURN(
      Protections prot,
      NewProtections(*options_.provider, negotiated_, keys, /*client=*/true));
  pending_in_ = std::move(prot.receive);
  agreement_.reset();
  const uint8_t newkeys = kMsgNewKeys;
  PARLEY_RETURN_IF_ERROR(WritePacket(ByteView(&newkeys, 1)));
  writer_.SetProtection(std::move(prot.send));
  if (strict_) writer_.ResetSequence();
  state_ = State::kNewKeys;
  // Upper-layer messages held back during the exchange go out now, in order,
  // under the new keys.
  while (!pending_.empty()) {
    PARLEY_RETURN_IF_ERROR(
        WritePacket(View(pending_.front().first), pending_.front().second));
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
  keys_since_ = std::chrono::steady_clock::now();
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
    return absl::OkStatus();
  }
  PARLEY_RETURN_IF_ERROR(WritePacket(payload, min_padded));
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
  const bool time_due =
      options_.rekey_interval.count() > 0 &&
      std::chrono::steady_clock::now() - keys_since_ >= options_.rekey_interval;
  if (bytes_due || time_due) return Rekey();
  return absl::OkStatus();
}

}  // namespace parley::transport
