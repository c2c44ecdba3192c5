#include "tests/transport/fake_server.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/secure_buffer.h"
#include "core/base/status_macros.h"
#include "core/crypto/dh_groups.h"
#include "core/crypto/ssh_keys.h"
#include "core/transport/messages.h"
#include "core/wire/reader.h"
#include "core/wire/writer.h"

namespace parley::transport::testing {
namespace {

bool Contains(const std::vector<std::string>& v, absl::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The host-key algorithm names a key of `type` can serve.
std::vector<std::string> AlgorithmsForKey(crypto::KeyType type) {
  if (type == crypto::KeyType::kRsa) return {"rsa-sha2-512", "rsa-sha2-256"};
  return {std::string(crypto::KeyTypeName(type))};
}

}  // namespace

const char* StageName(Stage stage) {
  switch (stage) {
    case Stage::kBeforeKexInit:
      return "before-kexinit";
    case Stage::kAfterKexInit:
      return "after-kexinit";
    case Stage::kBeforeKexReply:
      return "before-kex-reply";
    case Stage::kBeforeNewKeys:
      return "before-newkeys";
    case Stage::kAfterNewKeys:
      return "after-newkeys";
    case Stage::kEstablished:
      return "established";
  }
  return "?";
}

const char* FakeServer::StateName(State s) {
  switch (s) {
    case State::kIdle:
      return "idle";
    case State::kKexInit:
      return "kexinit";
    case State::kGexRequest:
      return "gex-request";
    case State::kKexDhInit:
      return "kex-dh-init";
    case State::kNewKeys:
      return "newkeys";
    case State::kEstablished:
      return "established";
    case State::kClosed:
      return "closed";
  }
  return "?";
}

FakeServer::FakeServer(FakeServerOptions options)
    : options_(std::move(options)), writer_(options_.provider.get()) {
  if (options_.provider == nullptr) return;
  const crypto::AlgorithmLists defaults = options_.provider->Algorithms();
  crypto::AlgorithmLists& a = options_.algorithms;
  if (a.kex.empty()) a.kex = defaults.kex;
  if (a.cipher.empty()) a.cipher = defaults.cipher;
  if (a.mac.empty()) a.mac = defaults.mac;
  if (a.host_key.empty()) {
    for (const crypto::PrivateKey& k : options_.host_keys) {
      for (std::string& name : AlgorithmsForKey(k.public_key.type)) {
        if (!Contains(a.host_key, name)) a.host_key.push_back(std::move(name));
      }
    }
  }
}

FakeServer::~FakeServer() = default;

absl::Status FakeServer::Fail(absl::Status status) {
  if (state_ == State::kClosed) return status;
  state_ = State::kClosed;
  error_ = status;
  return status;
}

void FakeServer::Hook(Stage stage) {
  if (options_.on_stage && state_ != State::kClosed) {
    options_.on_stage(*this, stage);
  }
}

void FakeServer::ConsumeOutput(size_t n) {
  out_start_ += std::min(n, out_.size() - out_start_);
  if (out_start_ == out_.size()) {
    out_.clear();
    out_start_ = 0;
  }
}

absl::Status FakeServer::Start() {
  if (state_ != State::kIdle) {
    return absl::FailedPreconditionError("server already started");
  }
  if (options_.provider == nullptr || options_.host_keys.empty()) {
    return absl::InvalidArgumentError("server needs a provider and host keys");
  }
  const std::string line = options_.pre_version + options_.version + "\r\n";
  out_.insert(out_.end(), line.begin(), line.end());
  state_ = State::kKexInit;
  Hook(Stage::kBeforeKexInit);
  if (state_ == State::kClosed) return error_;
  return SendKexInit();
}

absl::Status FakeServer::WritePacket(ByteView payload) {
  return writer_.Write(payload, &out_);
}

absl::Status FakeServer::SendPacket(ByteView payload) {
  return WritePacket(payload);
}

void FakeServer::SendRaw(ByteView bytes) {
  out_.insert(out_.end(), bytes.begin(), bytes.end());
}

absl::Status FakeServer::SendIgnore(absl::string_view data) {
  Bytes msg;
  wire::Writer w(&msg);
  w.WriteU8(kMsgIgnore);
  w.WriteString(data);
  return WritePacket(msg);
}

absl::Status FakeServer::SendDebug(bool always_display,
                                   absl::string_view message) {
  Bytes msg;
  wire::Writer w(&msg);
  w.WriteU8(kMsgDebug);
  w.WriteBool(always_display);
  w.WriteString(message);
  w.WriteString(absl::string_view(""));
  return WritePacket(msg);
}

absl::Status FakeServer::SendDisconnect(uint32_t reason,
                                        absl::string_view description) {
  Bytes msg;
  wire::Writer w(&msg);
  w.WriteU8(kMsgDisconnect);
  w.WriteU32(reason);
  w.WriteString(description);
  w.WriteString(absl::string_view(""));
  return WritePacket(msg);
}

absl::Status FakeServer::SendExtInfo(
    const std::vector<std::pair<std::string, std::string>>& extensions) {
  Bytes msg;
  wire::Writer w(&msg);
  w.WriteU8(kMsgExtInfo);
  w.WriteU32(static_cast<uint32_t>(extensions.size()));
  for (const auto& [name, value] : extensions) {
    w.WriteString(absl::string_view(name));
    w.WriteString(absl::string_view(value));
  }
  return WritePacket(msg);
}

void FakeServer::CorruptOutput(size_t from_end, uint8_t mask) {
  if (from_end == 0 || from_end > out_.size() - out_start_) return;
  out_[out_.size() - from_end] ^= mask;
}

absl::Status FakeServer::SendKexInit() {
  KexInit k;
  PARLEY_RETURN_IF_ERROR(options_.provider->RandomBytes(
      MutableByteView(k.cookie.data(), k.cookie.size())));
  const crypto::AlgorithmLists& a = options_.algorithms;
  k.kex = a.kex;
  if (kex_count_ == 0 && options_.strict_kex) k.kex.push_back(kStrictKexServer);
  k.host_key = a.host_key;
  k.cipher_c2s = k.cipher_s2c = a.cipher;
  k.mac_c2s = k.mac_s2c = a.mac;
  k.compression_c2s = k.compression_s2c = {"none"};
  const bool guess = kex_count_ == 0 && options_.guessed_packet.has_value();
  k.first_kex_packet_follows = guess;
  if (options_.edit_kexinit) options_.edit_kexinit(&k, kex_count_);
  i_s_ = k.Encode();
  our_kexinit_ = std::move(k);
  our_kexinit_sent_ = true;
  can_send_ = false;
  PARLEY_RETURN_IF_ERROR(WritePacket(i_s_));
  if (guess) PARLEY_RETURN_IF_ERROR(WritePacket(*options_.guessed_packet));
  Hook(Stage::kAfterKexInit);
  return absl::OkStatus();
}

absl::Status FakeServer::Feed(ByteView data) {
  if (state_ == State::kClosed && !version_.done()) return error_;
  if (state_ == State::kIdle) {
    return absl::FailedPreconditionError("Feed() before Start()");
  }
  if (!version_.done()) {
    size_t used = 0;
    absl::Status s = version_.Feed(data, &used);
    if (!s.ok()) return Fail(s);
    if (!version_.done()) return absl::OkStatus();
    data.remove_prefix(used);
  }
  reader_.Feed(data);
  return ProcessPackets();
}

absl::Status FakeServer::ProcessPackets() {
  Bytes payload;
  while (!reader_failed_) {
    absl::StatusOr<bool> got = reader_.Next(&payload);
    if (!got.ok()) {
      reader_failed_ = true;
      return Fail(got.status());
    }
    if (!*got) break;
    ++packets_received_;
    if (state_ == State::kClosed) {
      HandleAfterClose(payload);
      continue;
    }
    absl::Status s = HandlePacket(payload);
    if (!s.ok()) (void)Fail(s);
  }
  return state_ == State::kClosed ? error_ : absl::OkStatus();
}

void FakeServer::HandleAfterClose(ByteView payload) {
  // Closed by an error of ours: still decode what the client says about
  // it, switching keys if its NEWKEYS was already on the way.
  if (payload.empty()) return;
  if (payload[0] == kMsgNewKeys && pending_in_ != nullptr) {
    reader_.SetProtection(std::move(pending_in_));
    if (strict_) reader_.ResetSequence();
  } else if (payload[0] == kMsgDisconnect && !client_disconnect_) {
    (void)ParseDisconnect(payload);
  }
}

absl::Status FakeServer::ParseDisconnect(ByteView payload) {
  wire::Reader r(payload.subspan(1));
  DisconnectInfo info;
  absl::string_view desc;
  PARLEY_RETURN_IF_ERROR(r.ReadU32(&info.reason));
  PARLEY_RETURN_IF_ERROR(r.ReadString(&desc));
  info.description = std::string(desc);
  client_disconnect_ = info;
  return absl::OkStatus();
}

absl::Status FakeServer::HandlePacket(Bytes& payload) {
  if (payload.empty()) return absl::InvalidArgumentError("empty payload");
  const uint8_t t = payload[0];
  if (packets_received_ == 1 && t != kMsgKexInit) {
    return absl::InvalidArgumentError(
        absl::StrCat("client's first packet is message ", t, ", not KEXINIT"));
  }
  if (strict_ && kex_count_ == 0 && t != kMsgKexInit && t != kMsgNewKeys &&
      t != kMsgKexEcdhInit && t != kMsgKexDhGexRequest &&
      t != kMsgKexDhGexInit && t != kMsgDisconnect) {
    return absl::InvalidArgumentError(absl::StrCat(
        "client broke strict KEX: message ", t, " in the initial exchange"));
  }
  wire::Reader r(ByteView(payload).subspan(1));
  switch (t) {
    case kMsgDisconnect:
      PARLEY_RETURN_IF_ERROR(ParseDisconnect(payload));
      return Fail(absl::UnavailableError(
          absl::StrCat("client disconnected (", client_disconnect_->reason,
                       "): ", client_disconnect_->description)));
    case kMsgIgnore:
    case kMsgDebug:
      return absl::OkStatus();
    case kMsgUnimplemented: {
      uint32_t seq;
      PARLEY_RETURN_IF_ERROR(r.ReadU32(&seq));
      PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
      unimplemented_.push_back(seq);
      return absl::OkStatus();
    }
    case kMsgKexInit:
      return HandleKexInit(payload);
    case kMsgNewKeys:
      if (state_ != State::kNewKeys || payload.size() != 1) {
        return absl::InvalidArgumentError("unexpected NEWKEYS from the client");
      }
      return HandleNewKeys();
    case kMsgKexDhGexRequest:
      if (state_ != State::kGexRequest) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unexpected GEX request in state ", StateName(state_)));
      }
      return HandleGexRequest(payload);
    case kMsgKexEcdhInit:
    case kMsgKexDhGexInit:
      if (state_ != State::kKexDhInit ||
          t != (method_->group_exchange ? kMsgKexDhGexInit : kMsgKexEcdhInit)) {
        return absl::InvalidArgumentError(
            absl::StrCat("unexpected KEX init in state ", StateName(state_)));
      }
      return HandleKexDhInit(payload);
    default:
      break;
  }
  if (t >= 20 && t <= 49) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected key exchange message ", t, " from client"));
  }
  // RFC 4253 section 7.1: nothing but transport messages between the
  // client's KEXINIT and its NEWKEYS.
  if (kex_count_ == 0 || !i_c_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "client sent message ", t, " during its key exchange (server state ",
        StateName(state_), ")"));
  }
  inbox_.push_back(std::move(payload));
  payload = Bytes();
  return absl::OkStatus();
}

absl::Status FakeServer::HandleKexInit(ByteView payload) {
  if (!i_c_.empty()) {
    return absl::InvalidArgumentError("second KEXINIT from the client");
  }
  PARLEY_ASSIGN_OR_RETURN(KexInit client, KexInit::Parse(payload));
  if (client.first_kex_packet_follows) {
    return absl::UnimplementedError("client guesses are not supported");
  }
  if (!our_kexinit_sent_) {
    // Client-initiated re-exchange: answer with ours first.
    PARLEY_RETURN_IF_ERROR(SendKexInit());
    if (state_ == State::kClosed) return error_;
  }
  i_c_.assign(payload.begin(), payload.end());
  PARLEY_ASSIGN_OR_RETURN(negotiated_, Negotiate(client, our_kexinit_));
  if (kex_count_ == 0) {
    strict_ = negotiated_.strict_kex;
    client_ext_info_ = Contains(client.kex, kExtInfoClient);
  }
  client_kexinit_ = std::move(client);
  method_ = FindKexMethod(negotiated_.kex);
  if (method_ == nullptr) return absl::InternalError("no KEX method");
  state_ = method_->group_exchange ? State::kGexRequest : State::kKexDhInit;
  return absl::OkStatus();
}

absl::Status FakeServer::HandleGexRequest(ByteView payload) {
  // RFC 4419 section 3: min, n, max; answered with the group.
  wire::Reader r(payload.subspan(1));
  PARLEY_RETURN_IF_ERROR(r.ReadU32(&gex_.min));
  PARLEY_RETURN_IF_ERROR(r.ReadU32(&gex_.n));
  PARLEY_RETURN_IF_ERROR(r.ReadU32(&gex_.max));
  PARLEY_RETURN_IF_ERROR(r.ExpectEnd());
  if (options_.gex_group.has_value()) {
    gex_p_ = options_.gex_group->first;
    gex_g_ = options_.gex_group->second;
  } else {
    const crypto::ModpGroup& g14 =
        *crypto::FindModpGroup(crypto::KexGroup::kModp2048);
    gex_p_.assign(g14.prime.begin(), g14.prime.end());
    gex_g_ = {g14.generator};
  }
  gex_.p = gex_p_;
  gex_.g = gex_g_;
  Bytes group;
  wire::Writer w(&group);
  w.WriteU8(kMsgKexDhGexGroup);
  w.WriteMpint(gex_p_);
  w.WriteMpint(gex_g_);
  state_ = State::kKexDhInit;
  return WritePacket(group);
}

absl::Status FakeServer::HandleKexDhInit(ByteView payload) {
  const bool dh = method_->finite_field();
  wire::Reader r(payload.subspan(1));
  ByteView q_c;
  if (dh) {
    PARLEY_RETURN_IF_ERROR(r.ReadMpint(&q_c));
  } else {
    PARLEY_RETURN_IF_ERROR(r.ReadString(&q_c));
  }
  PARLEY_RETURN_IF_ERROR(r.ExpectEnd());

  // The host key for the negotiated algorithm.
  crypto::SignatureAlgorithm sig_alg;
  if (!crypto::SignatureAlgorithmFromName(negotiated_.host_key, &sig_alg)) {
    return absl::InternalError("negotiated host key algorithm unknown");
  }
  const crypto::PrivateKey* host_key = nullptr;
  for (const crypto::PrivateKey& k : options_.host_keys) {
    if (k.public_key.type == crypto::KeyTypeFor(sig_alg)) host_key = &k;
  }
  if (host_key == nullptr) {
    return absl::InternalError(
        absl::StrCat("no host key for ", negotiated_.host_key));
  }
  const crypto::PrivateKey& signing_key =
      options_.signing_key_override.has_value() ? *options_.signing_key_override
                                                : *host_key;
  if (options_.signature_algorithm_override.has_value()) {
    sig_alg = *options_.signature_algorithm_override;
  }
  host_key_blob_ = crypto::EncodePublicKeyBlob(host_key->public_key);

  PARLEY_ASSIGN_OR_RETURN(
      std::unique_ptr<crypto::KeyAgreement> agreement,
      method_->group_exchange
          ? options_.provider->NewDhKeyAgreement(gex_p_, gex_g_)
          : options_.provider->NewKeyAgreement(method_->group));
  PARLEY_ASSIGN_OR_RETURN(SecureBuffer shared,
                          agreement->ComputeSharedSecret(q_c));
  SecureBuffer k_mpint;
  wire::SecretWriter kw(&k_mpint);
  kw.WriteMpint(View(shared));

  // The exchange hash with the server as the responder.
  ExchangeHashInput hin;
  hin.client_version = client_version();
  hin.server_version = options_.version;
  hin.client_kexinit = i_c_;
  hin.server_kexinit = i_s_;
  hin.host_key_blob = host_key_blob_;
  hin.client_public = q_c;
  hin.server_public = agreement->public_value();
  hin.shared_secret_mpint = View(k_mpint);
  if (method_->group_exchange) hin.gex = &gex_;
  PARLEY_ASSIGN_OR_RETURN(Bytes h,
                          ExchangeHash(*options_.provider, *method_, hin));

  Hook(Stage::kBeforeKexReply);
  if (state_ == State::kClosed) return error_;

  PARLEY_ASSIGN_OR_RETURN(
      Bytes sig, crypto::SignSsh(*options_.provider, signing_key, sig_alg, h));
  Bytes reply;
  wire::Writer w(&reply);
  w.WriteU8(method_->group_exchange ? kMsgKexDhGexReply : kMsgKexEcdhReply);
  w.WriteString(ByteView(host_key_blob_));
  if (dh) {
    w.WriteMpint(agreement->public_value());
  } else {
    w.WriteString(agreement->public_value());
  }
  w.WriteString(ByteView(sig));
  PARLEY_RETURN_IF_ERROR(WritePacket(reply));
  Hook(Stage::kBeforeNewKeys);
  if (state_ == State::kClosed) return error_;

  if (session_id_.empty()) session_id_ = h;
  PARLEY_ASSIGN_OR_RETURN(
      DerivedKeys keys, DeriveKeys(*options_.provider, method_->hash,
                                   View(k_mpint), h, session_id_, negotiated_));
  if (options_.on_keys) options_.on_keys(View(k_mpint), keys);
  PARLEY_ASSIGN_OR_RETURN(
      Protections prot,
      NewProtections(*options_.provider, negotiated_, keys, /*client=*/false));
  pending_in_ = std::move(prot.receive);
  const uint8_t newkeys = kMsgNewKeys;
  PARLEY_RETURN_IF_ERROR(WritePacket(ByteView(&newkeys, 1)));
  writer_.SetProtection(std::move(prot.send));
  if (strict_) writer_.ResetSequence();
  state_ = State::kNewKeys;
  if (kex_count_ == 0 && client_ext_info_ &&
      !options_.server_sig_algs.empty()) {
    std::string algs;
    for (const std::string& a : options_.server_sig_algs) {
      absl::StrAppend(&algs, algs.empty() ? "" : ",", a);
    }
    PARLEY_RETURN_IF_ERROR(SendExtInfo({{"server-sig-algs", algs}}));
  }
  can_send_ = true;
  PARLEY_RETURN_IF_ERROR(FlushPending());
  Hook(Stage::kAfterNewKeys);
  return absl::OkStatus();
}

absl::Status FakeServer::HandleNewKeys() {
  reader_.SetProtection(std::move(pending_in_));
  if (strict_) reader_.ResetSequence();
  ++kex_count_;
  i_c_.clear();
  i_s_.clear();
  our_kexinit_sent_ = false;
  state_ = State::kEstablished;
  Hook(Stage::kEstablished);
  return absl::OkStatus();
}

absl::Status FakeServer::FlushPending() {
  while (can_send_ && !pending_.empty()) {
    PARLEY_RETURN_IF_ERROR(WritePacket(pending_.front()));
    pending_.pop_front();
  }
  return absl::OkStatus();
}

absl::Status FakeServer::Send(ByteView payload) {
  if (state_ == State::kClosed) return error_;
  if (payload.empty()) return absl::InvalidArgumentError("empty payload");
  pending_.emplace_back(payload.begin(), payload.end());
  return FlushPending();
}

bool FakeServer::Receive(Bytes* payload) {
  if (inbox_.empty()) return false;
  *payload = std::move(inbox_.front());
  inbox_.pop_front();
  return true;
}

absl::Status FakeServer::Rekey() {
  if (state_ != State::kEstablished) {
    return absl::FailedPreconditionError(
        absl::StrCat("server cannot rekey in state ", StateName(state_)));
  }
  state_ = State::kKexInit;
  return SendKexInit();
}

bool PumpOnce(Transport& client, FakeServer& server, size_t max_bytes) {
  bool moved = false;
  if (client.has_output()) {
    ByteView out = client.output();
    const size_t n =
        max_bytes == 0 ? out.size() : std::min(max_bytes, out.size());
    const Bytes copy(out.begin(), out.begin() + n);
    client.ConsumeOutput(n);
    (void)server.Feed(copy);
    moved = true;
  }
  if (server.has_output()) {
    ByteView out = server.output();
    const size_t n =
        max_bytes == 0 ? out.size() : std::min(max_bytes, out.size());
    const Bytes copy(out.begin(), out.begin() + n);
    server.ConsumeOutput(n);
    (void)client.Feed(copy);
    moved = true;
  }
  return moved;
}

void Pump(Transport& client, FakeServer& server, size_t chunk) {
  // Bounded so that a livelock fails the test instead of hanging it.
  for (int i = 0; i < (1 << 22); ++i) {
    if (!PumpOnce(client, server, chunk)) return;
  }
}

}  // namespace parley::transport::testing
