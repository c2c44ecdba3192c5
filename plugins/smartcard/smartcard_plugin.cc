// parley.responder.smartcard: answers keyboard-interactive prompts with a
// PKCS#11 token (a smartcard, an HSM; SoftHSM2 in tests):
//
//   PIN prompts         the PIN from the PIN source (the terminal or
//                       SSH_ASKPASS as OpenSSH asks, or a descriptor)
//   one-time codes      HOTP/TOTP computed on the card: the secret is a
//                       non-extractable secret key on the token
//                       (parley-smartcard-import puts it there) and the
//                       HMAC runs on the card
//   challenges          a prompt carrying "parley-challenge:v1:NONCE"
//                       (docs/CHALLENGE.md) is answered with an SSHSIG
//                       signature made by a key on the card
//
// Configuration:
//   module=PATH         the PKCS#11 module (e.g. opensc-pkcs11.so); or
//   token=pkcs11:URI    the token (and module-path) as an RFC 7512 URI
//   pin-fd=N            read PINs from descriptor N (one line each)
//   pin-prompts=yes|no  answer the server's PIN prompts (default yes)
//   otp=totp|hotp       answer one-time-code prompts from the card
//   otp-key=LABEL       the secret key's label (default "otp")
//   algorithm=sha1|sha256|sha512, digits=6..8, period=SECONDS, skew=N,
//   time-offset=SECONDS, state-file=PATH, counter-file=PATH
//                       as for the otp responder
//   sign-key=LABEL      answer challenges with this private key (the
//                       token's only key when "sign-key=*")
//
// Card operations (and asking the PIN) run on a worker thread: respond()
// returns "later" and the session is woken when the answer is ready, so a
// slow card never stalls a non-blocking program. A wrong PIN is never
// retried: the login is cancelled with the token's reason.
#include <openssl/evp.h>

#include <cctype>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/auth/challenge.h"
#include "core/auth/kbdint.h"
#include "core/base/secure_buffer.h"
#include "core/crypto/ssh_keys.h"
#include "core/pkcs11/token.h"
#include "parley_responder.h"
#include "plugins/common/plugin_util.h"
#include "plugins/otp/otp.h"
#include "plugins/otp/otp_respond.h"
#include "plugins/terminal/pin_source.h"

namespace parley::smartcard {
namespace {

using plugins::Log;
using plugins::SetError;
using plugins::View;

enum class Kind { kNone, kPin, kOtp, kChallenge };

struct Config {
  std::string module_path;
  std::string token_uri;  // token attributes only matter here
  int pin_fd = -1;
  bool pin_prompts = true;
  bool otp = false;
  std::string otp_key = "otp";
  otp::OtpHash hash = otp::OtpHash::kSha1;
  int digits = 6;
  otp::MovingFactorOptions factor;
  std::string sign_key;  // "" = no challenges; "*" = the only key
};

// The PIN, asked at most once per round and wiped when the round is
// answered: a PIN prompt and a card operation in one round share it.
struct PinCache {
  std::mutex mu;
  bool have = false;
  SecureBuffer pin;
  std::vector<std::string> warnings;  // logged on the session's thread
};

// One round's work on the worker thread.
struct Job {
  std::string round_key;  // which round it answers
  std::mutex mu;
  bool done = false;
  bool waker_released = false;
  const parley_host_api* host = nullptr;
  parley_host_waker* waker = nullptr;  // retained while running
  absl::Status status;
  std::vector<SecureBuffer> answers;  // per prompt; empty when not asked
};

struct Instance {
  const parley_host_api* host = nullptr;
  parley_host_instance* host_instance = nullptr;
  Config config;
  std::shared_ptr<pkcs11::Module> module;
  std::shared_ptr<PinCache> pin = std::make_shared<PinCache>();
  std::shared_ptr<Job> job;

  // Stops waiting for the job (it may still finish; it then wakes no one).
  void DropJob() {
    if (job == nullptr) return;
    std::lock_guard<std::mutex> lock(job->mu);
    if (!job->waker_released) {
      job->waker_released = true;
      host->release_waker(job->waker);
    }
    job.reset();
  }
  void WipePin() {
    std::lock_guard<std::mutex> lock(pin->mu);
    SecureWipe(pin->pin.data(), pin->pin.size());
    pin->pin.clear();
    pin->have = false;
  }
};

Kind KindOf(const Config& c, const parley_prompt& p) {
  if (!c.sign_key.empty() &&
      auth::challenge::FindNonce(View(p.text)).has_value()) {
    return Kind::kChallenge;
  }
  if (c.otp && p.prompt_class == PARLEY_PROMPT_OTP) return Kind::kOtp;
  if (c.pin_prompts && p.prompt_class == PARLEY_PROMPT_PIN) return Kind::kPin;
  return Kind::kNone;
}

bool Yes(const std::string& v, bool* out) {
  if (v == "yes" || v == "true" || v == "1") {
    *out = true;
  } else if (v == "no" || v == "false" || v == "0") {
    *out = false;
  } else {
    return false;
  }
  return true;
}

absl::StatusOr<Config> ParseConfig(const parley_config_entry* entries,
                                   size_t n) {
  Config c;
  std::string type;
  otp::OtpOptions options;
  std::string token;
  for (size_t i = 0; i < n; ++i) {
    const std::string k(View(entries[i].key));
    const std::string v(View(entries[i].value));
    absl::StatusOr<bool> shared = otp::ParseOtpOption(k, v, &options);
    if (!shared.ok()) return shared.status();
    if (*shared) continue;
    if (k == "module") {
      c.module_path = v;
    } else if (k == "token") {
      token = v;
    } else if (k == "pin-fd") {
      if (!absl::SimpleAtoi(v, &c.pin_fd) || c.pin_fd < 0) {
        return absl::InvalidArgumentError("pin-fd must be a descriptor number");
      }
    } else if (k == "pin-prompts") {
      if (!Yes(v, &c.pin_prompts)) {
        return absl::InvalidArgumentError("pin-prompts must be yes or no");
      }
    } else if (k == "otp") {
      type = v;
    } else if (k == "otp-key") {
      c.otp_key = v;
    } else if (k == "state-file") {
      c.factor.state_file = v;
    } else if (k == "counter-file") {
      c.factor.counter_file = v;
    } else if (k == "sign-key") {
      c.sign_key = v;
    } else if (k == "pin" || k == "pin-value") {
      return absl::InvalidArgumentError(
          "a PIN is never taken from the configuration: use pin-fd, the "
          "terminal or SSH_ASKPASS");
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown option \"", k, "\""));
    }
  }
  if (!token.empty() || !c.module_path.empty()) {
    absl::StatusOr<pkcs11::KeySelection> sel = pkcs11::ParseKeySelection(
        token.empty() ? c.module_path : token, c.module_path);
    if (!sel.ok()) return sel.status();
    c.module_path = sel->module_path;
    c.token_uri = sel->uri;
  }
  if (!type.empty()) {
    c.otp = true;
    const absl::optional<otp::OtpType> t = otp::ParseOtpType(type);
    if (!t.has_value()) {
      return absl::InvalidArgumentError("otp must be totp or hotp");
    }
    c.factor.type = *t;
  }
  c.hash = options.hash.value_or(otp::OtpHash::kSha1);
  c.digits = options.digits.value_or(6);
  c.factor.period = options.period.value_or(30);
  c.factor.skew = options.skew;
  c.factor.time_offset = options.time_offset;
  if ((c.otp || !c.sign_key.empty()) && c.module_path.empty()) {
    return absl::InvalidArgumentError(
        "otp and sign-key need the card: give module=PATH or "
        "token=pkcs11:...module-path=PATH");
  }
  if (c.otp && c.factor.type == otp::OtpType::kHotp &&
      c.factor.counter_file.empty()) {
    return absl::InvalidArgumentError(
        "hotp needs counter-file (where the counter is kept)");
  }
  if (!c.otp && !c.pin_prompts && c.sign_key.empty()) {
    return absl::InvalidArgumentError(
        "nothing to answer: pin-prompts=no and neither otp nor sign-key");
  }
  return c;
}

void* Create(const parley_host_api* host, parley_host_instance* hi,
             const parley_config_entry* config, size_t n, char* error,
             size_t error_size) {
  absl::StatusOr<Config> c = ParseConfig(config, n);
  if (!c.ok()) {
    SetError(error, error_size, c.status().message());
    return nullptr;
  }
  auto inst = std::make_unique<Instance>();
  inst->host = host;
  inst->host_instance = hi;
  inst->config = *std::move(c);
  Config& cfg = inst->config;
  if (!cfg.module_path.empty()) {
    absl::StatusOr<std::shared_ptr<pkcs11::Module>> m =
        pkcs11::Module::Load(cfg.module_path);
    if (!m.ok()) {
      SetError(error, error_size, m.status().message());
      return nullptr;
    }
    inst->module = *std::move(m);
  }
  if (cfg.otp && cfg.factor.type == otp::OtpType::kTotp &&
      cfg.factor.state_file.empty()) {
    // The card's secret is unknown here: name the state by token and key.
    std::string id = "card";
    for (char ch :
         absl::StrCat(cfg.module_path, "|", cfg.token_uri, "|", cfg.otp_key)) {
      id.push_back(std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_');
    }
    if (id.size() > 120) id.resize(120);
    cfg.factor.state_file = otp::DefaultStateFile(id);
    if (cfg.factor.state_file.empty()) {
      SetError(error, error_size,
               "no state-file given and no $XDG_STATE_HOME or $HOME to keep "
               "one in");
      return nullptr;
    }
  }
  return inst.release();
}

void Destroy(void* instance) {
  auto* inst = static_cast<Instance*>(instance);
  inst->DropJob();
  inst->WipePin();
  delete inst;
}

void Claim(void* instance, const parley_challenge* c, unsigned char* claimed) {
  auto* inst = static_cast<Instance*>(instance);
  for (size_t i = 0; i < c->num_prompts; ++i) {
    claimed[i] = KindOf(inst->config, c->prompts[i]) != Kind::kNone ? 1 : 0;
  }
}

// Which round a job answers.
std::string RoundKey(const parley_challenge* c) {
  std::string key = absl::StrCat(c->round, "\n", View(c->user), "\n");
  for (size_t i = 0; i < c->num_prompts; ++i) {
    absl::StrAppend(&key, c->asked[i] ? "+" : "-", View(c->prompts[i].text),
                    "\n");
  }
  return key;
}

absl::StatusOr<Bytes> Sha(crypto::HashAlgorithm h, ByteView in) {
  const EVP_MD* md = h == crypto::HashAlgorithm::kSha256   ? EVP_sha256()
                     : h == crypto::HashAlgorithm::kSha384 ? EVP_sha384()
                     : h == crypto::HashAlgorithm::kSha512 ? EVP_sha512()
                                                           : nullptr;
  if (md == nullptr) return absl::InternalError("an unexpected hash");
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_Digest(in.data(), in.size(), out.data(), &len, md, nullptr) != 1) {
    return absl::InternalError("SHA-2 failed");
  }
  out.resize(len);
  return out;
}

crypto::SignatureAlgorithm AlgorithmFor(crypto::KeyType t) {
  switch (t) {
    case crypto::KeyType::kEcdsaP256:
      return crypto::SignatureAlgorithm::kEcdsaP256Sha256;
    case crypto::KeyType::kEcdsaP384:
      return crypto::SignatureAlgorithm::kEcdsaP384Sha384;
    case crypto::KeyType::kEcdsaP521:
      return crypto::SignatureAlgorithm::kEcdsaP521Sha512;
    case crypto::KeyType::kEd25519:
      return crypto::SignatureAlgorithm::kEd25519;
    default:
      return crypto::SignatureAlgorithm::kRsaSha512;  // as ssh-keygen -Y
  }
}

// What the worker needs, copied out of the round.
struct Work {
  Config config;
  std::shared_ptr<pkcs11::Module> module;
  std::shared_ptr<PinCache> pin;
  std::string user;
  std::string where;               // user@host, for PIN prompts
  std::vector<Kind> kinds;         // per prompt; kNone when not asked
  std::vector<std::string> texts;  // per prompt (challenges)
  uint64_t factor = 0;             // the OTP counter or time step
};

// The PIN source of the worker: the round's cached PIN, else asked (once).
pkcs11::PinSource CachedPin(const std::shared_ptr<PinCache>& cache, int fd) {
  return [cache,
          fd](const pkcs11::PinRequest& r) -> absl::StatusOr<SecureBuffer> {
    {
      std::lock_guard<std::mutex> lock(cache->mu);
      if (cache->have) return cache->pin;
    }
    std::vector<std::string> warnings;
    absl::StatusOr<SecureBuffer> pin = tty::PinSource(
        fd, [&warnings](absl::string_view w) { warnings.emplace_back(w); })(r);
    std::lock_guard<std::mutex> lock(cache->mu);
    for (auto& w : warnings) cache->warnings.push_back(std::move(w));
    if (!pin.ok()) return pin.status();
    cache->pin = *pin;
    cache->have = true;
    return pin;
  };
}

absl::Status DoWork(const Work& w, std::vector<SecureBuffer>* answers) {
  const pkcs11::PinSource pin = CachedPin(w.pin, w.config.pin_fd);
  answers->resize(w.kinds.size());
  absl::optional<pkcs11::TokenKey> key;
  for (size_t i = 0; i < w.kinds.size(); ++i) {
    switch (w.kinds[i]) {
      case Kind::kNone:
        break;
      case Kind::kPin: {
        pkcs11::PinRequest r;
        r.token_label = w.where;
        if (w.module != nullptr) {
          absl::StatusOr<std::vector<pkcs11::TokenInfo>> tokens =
              w.module->Tokens(w.config.token_uri);
          if (tokens.ok() && tokens->size() == 1) {
            r.token_label = tokens->front().label;
          }
        }
        absl::StatusOr<SecureBuffer> p = pin(r);
        if (!p.ok()) return p.status();
        (*answers)[i] = *std::move(p);
        break;
      }
      case Kind::kOtp: {
        // The URI's object attribute names the secret key (before the
        // query part, which holds module-path).
        std::string uri = w.config.token_uri.empty() ? std::string("pkcs11:")
                                                     : w.config.token_uri;
        std::string query;
        if (const size_t q = uri.find('?'); q != std::string::npos) {
          query = uri.substr(q);
          uri.resize(q);
        }
        absl::StrAppend(&uri, uri.back() == ':' ? "" : ";", "object=");
        for (char ch : w.config.otp_key) {
          if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' ||
              ch == '_' || ch == '.') {
            uri.push_back(ch);
          } else {
            absl::StrAppend(
                &uri, "%",
                absl::Hex(static_cast<uint8_t>(ch), absl::kZeroPad2));
          }
        }
        uri += query;
        const pkcs11::HmacHash h = w.config.hash == otp::OtpHash::kSha1
                                       ? pkcs11::HmacHash::kSha1
                                   : w.config.hash == otp::OtpHash::kSha256
                                       ? pkcs11::HmacHash::kSha256
                                       : pkcs11::HmacHash::kSha512;
        absl::StatusOr<SecureBuffer> mac =
            w.module->Hmac(uri, h, otp::CounterBytes(w.factor), pin);
        if (!mac.ok()) return mac.status();
        absl::StatusOr<std::string> code = otp::CodeFromHmac(
            ByteView(mac->data(), mac->size()), w.config.digits);
        if (!code.ok()) return code.status();
        (*answers)[i] = ToSecureBuffer(AsBytes(*code));
        SecureWipe(code->data(), code->size());
        break;
      }
      case Kind::kChallenge: {
        if (!key.has_value()) {
          absl::StatusOr<std::vector<pkcs11::TokenKey>> keys =
              w.module->FindKeys(w.config.token_uri);
          if (!keys.ok()) return keys.status();
          std::vector<pkcs11::TokenKey> chosen;
          for (pkcs11::TokenKey& k : *keys) {
            if (w.config.sign_key == "*" || k.label == w.config.sign_key) {
              chosen.push_back(std::move(k));
            }
          }
          if (chosen.size() != 1) {
            return absl::NotFoundError(absl::StrCat(
                chosen.empty() ? "no key" : "more than one key",
                " on the token matches sign-key=", w.config.sign_key));
          }
          key = std::move(chosen.front());
        }
        const absl::optional<std::string> nonce =
            auth::challenge::FindNonce(w.texts[i]);
        absl::StatusOr<Bytes> digest =
            Sha(crypto::HashAlgorithm::kSha512,
                AsBytes(auth::challenge::Message(*nonce, w.user)));
        if (!digest.ok()) return digest.status();
        absl::StatusOr<Bytes> sig =
            w.module->Sign(*key, AlgorithmFor(key->public_key.type),
                           auth::challenge::SignedData(*digest), &Sha, pin);
        if (!sig.ok()) return sig.status();
        const std::string answer =
            auth::challenge::EncodeAnswer(key->blob, *sig);
        (*answers)[i] = ToSecureBuffer(AsBytes(answer));
        break;
      }
    }
  }
  return absl::OkStatus();
}

parley_respond_status Respond(void* instance, const parley_challenge* c,
                              parley_host_answers* answers,
                              uint32_t* retry_after_ms) {
  auto* inst = static_cast<Instance*>(instance);
  const std::string key = RoundKey(c);
  if (inst->job != nullptr && inst->job->round_key != key) inst->DropJob();
  if (inst->job != nullptr) {
    std::shared_ptr<Job> job = inst->job;
    {
      std::lock_guard<std::mutex> lock(job->mu);
      if (!job->done) return PARLEY_RESPOND_LATER;  // a spurious call
    }
    inst->DropJob();
    std::vector<std::string> warnings;
    {
      std::lock_guard<std::mutex> lock(inst->pin->mu);
      warnings.swap(inst->pin->warnings);
    }
    for (const std::string& w : warnings) {
      Log(inst->host, inst->host_instance, PARLEY_LOG_WARNING, w);
    }
    inst->WipePin();
    if (!job->status.ok()) {
      Log(inst->host, inst->host_instance, PARLEY_LOG_ERROR,
          absl::StrCat("smartcard: ", job->status.message()));
      return PARLEY_RESPOND_CANCEL;
    }
    for (size_t i = 0; i < c->num_prompts && i < job->answers.size(); ++i) {
      if (c->asked[i] == 0) continue;
      SecureBuffer& a = job->answers[i];
      inst->host->set_answer(answers, i,
                             reinterpret_cast<const char*>(a.data()), a.size());
      SecureWipe(a.data(), a.size());
    }
    return PARLEY_RESPOND_ANSWERED;
  }
  // A new round: what each asked prompt needs.
  auto work = std::make_shared<Work>();
  work->config = inst->config;
  work->module = inst->module;
  work->pin = inst->pin;
  work->user = std::string(View(c->user));
  work->where = absl::StrCat(View(c->user), "@", View(c->server_host));
  bool needs_otp = false;
  for (size_t i = 0; i < c->num_prompts; ++i) {
    const Kind k =
        c->asked[i] ? KindOf(inst->config, c->prompts[i]) : Kind::kNone;
    work->kinds.push_back(k);
    work->texts.emplace_back(View(c->prompts[i].text));
    needs_otp = needs_otp || k == Kind::kOtp;
  }
  if (needs_otp) {
    // The step (or counter) is taken now, on the session's thread, so that
    // waiting for the next step is an ordinary retry.
    absl::StatusOr<otp::MovingFactor> f =
        otp::NextMovingFactor(inst->config.factor);
    if (!f.ok()) {
      Log(inst->host, inst->host_instance, PARLEY_LOG_ERROR,
          f.status().message());
      return PARLEY_RESPOND_CANCEL;
    }
    if (f->wait_ms > 0) {
      return otp::WaitForNextCode(inst->host, inst->host_instance, c,
                                  f->wait_ms, retry_after_ms);
    }
    work->factor = f->value;
  }
  auto job = std::make_shared<Job>();
  job->round_key = key;
  job->host = inst->host;
  job->waker = inst->host->retain_waker(c->waker);
  inst->job = job;
  std::thread([job, work] {
    std::vector<SecureBuffer> out;
    absl::Status s = DoWork(*work, &out);
    std::lock_guard<std::mutex> lock(job->mu);
    job->status = std::move(s);
    job->answers = std::move(out);
    job->done = true;
    if (!job->waker_released) job->host->wake(job->waker);
  }).detach();
  return PARLEY_RESPOND_LATER;
}

void Abort(void* instance) {
  auto* inst = static_cast<Instance*>(instance);
  inst->DropJob();
  inst->WipePin();
}

const parley_responder_plugin kPlugin = {
    sizeof(parley_responder_plugin),
    PARLEY_RESPONDER_ABI_VERSION,
    "parley.responder.smartcard",
    "PKCS#11 smartcards: PINs, card-held one-time codes, signed challenges",
    PARLEY_PROMPT_CLASS_BIT(PARLEY_PROMPT_PIN) |
        PARLEY_PROMPT_CLASS_BIT(PARLEY_PROMPT_OTP),
    &Create,
    &Destroy,
    &Claim,
    &Respond,
    &Abort,
};

}  // namespace
}  // namespace parley::smartcard

PARLEY_DEFINE_RESPONDER_PLUGIN(parley::smartcard::kPlugin)
