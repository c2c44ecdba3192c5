// parley.responder.otp: answers one-time-password prompts with HOTP or TOTP
// codes from a secret file.
//
// Configuration:
//   secret-file=PATH   otpauth:// URI or bare base32 secret; the file must be
//                      0600 (required; a secret is never taken from the
//                      command line)
//   type=totp|hotp     default: the URI's, else totp
//   algorithm=sha1|sha256|sha512, digits=6..8, period=SECONDS
//                      default: the URI's, else sha1, 6, 30
//   skew=N             how many time steps ahead the server accepts (pam_oath
//                      window=N): a second login in one step then uses the
//                      next step's code instead of waiting (default 0)
//   time-offset=SECONDS  added to the clock (a clock known to be off)
//   state-file=PATH    where the last TOTP step used is kept
//                      (default $XDG_STATE_HOME/parley/otp/<id>.step)
//   counter-file=PATH  the HOTP counter (required for hotp)
//   prompt=REGEX       claim prompts matching this RE2 pattern instead of
//                      the "otp" class
//
// A TOTP code is never sent twice for one time step, across processes too
// (the state file is locked): the responder waits for the next step (a
// retry time, not polling) when the round deadline allows it, and cancels
// with the reason when it does not.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/base/secure_buffer.h"
#include "parley_responder.h"
#include "plugins/common/plugin_util.h"
#include "plugins/otp/otp.h"
#include "plugins/otp/otp_respond.h"
#include "re2/re2.h"

namespace parley::otp {
namespace {

using plugins::Log;
using plugins::SetError;
using plugins::View;

struct Instance {
  const parley_host_api* host = nullptr;
  parley_host_instance* host_instance = nullptr;
  OtpParams params;
  int skew = 0;
  int64_t time_offset = 0;
  std::string state_file;
  std::string counter_file;
  std::unique_ptr<RE2> prompt;
};

// A short, stable id of a secret for its default state file name.
std::string SecretId(const SecureBuffer& secret) {
  // FNV-1a is enough to tell secrets apart; it is not a secret digest (the
  // file name says nothing useful about the secret).
  uint64_t h = 1469598103934665603ull;
  for (uint8_t b : secret) {
    h ^= b;
    h *= 1099511628211ull;
  }
  return absl::StrCat(absl::Hex(h, absl::kZeroPad16));
}

void* Create(const parley_host_api* host, parley_host_instance* hi,
             const parley_config_entry* config, size_t n, char* error,
             size_t error_size) {
  auto inst = std::make_unique<Instance>();
  inst->host = host;
  inst->host_instance = hi;
  std::string secret_file, type;
  OtpOptions options;
  for (size_t i = 0; i < n; ++i) {
    const absl::string_view k = View(config[i].key);
    const std::string v(View(config[i].value));
    absl::StatusOr<bool> shared = ParseOtpOption(k, v, &options);
    if (!shared.ok()) {
      SetError(error, error_size, shared.status().message());
      return nullptr;
    }
    if (*shared) continue;
    if (k == "secret-file") {
      secret_file = v;
    } else if (k == "type") {
      type = v;
    } else if (k == "state-file") {
      inst->state_file = v;
    } else if (k == "counter-file") {
      inst->counter_file = v;
    } else if (k == "prompt") {
      RE2::Options o;
      o.set_log_errors(false);
      inst->prompt = std::make_unique<RE2>(v, o);
      if (!inst->prompt->ok()) {
        SetError(error, error_size,
                 absl::StrCat("prompt is not a valid RE2 pattern: ",
                              inst->prompt->error()));
        return nullptr;
      }
    } else if (k == "secret") {
      SetError(error, error_size,
               "a secret is never taken from the command line or the "
               "environment: put it in a 0600 file and give secret-file");
      return nullptr;
    } else {
      SetError(error, error_size, absl::StrCat("unknown option \"", k, "\""));
      return nullptr;
    }
  }
  if (secret_file.empty()) {
    SetError(error, error_size, "secret-file is required");
    return nullptr;
  }
  absl::StatusOr<OtpParams> params = LoadSecretFile(secret_file);
  if (!params.ok()) {
    SetError(error, error_size, params.status().message());
    return nullptr;
  }
  inst->params = *std::move(params);
  OtpParams& p = inst->params;
  if (!type.empty()) {
    const absl::optional<OtpType> t = ParseOtpType(type);
    if (!t.has_value()) {
      SetError(error, error_size, "type must be totp or hotp");
      return nullptr;
    }
    p.type = *t;
  }
  p.hash = options.hash.value_or(p.hash);
  p.digits = options.digits.value_or(p.digits);
  p.period = options.period.value_or(p.period);
  inst->skew = options.skew;
  inst->time_offset = options.time_offset;
  if (p.type == OtpType::kHotp && inst->counter_file.empty()) {
    SetError(error, error_size,
             "hotp needs counter-file (where the counter is kept)");
    return nullptr;
  }
  if (p.type == OtpType::kTotp && inst->state_file.empty()) {
    inst->state_file = DefaultStateFile(SecretId(p.secret));
    if (inst->state_file.empty()) {
      SetError(error, error_size,
               "no state-file given and no $XDG_STATE_HOME or $HOME to keep "
               "one in");
      return nullptr;
    }
  }
  return inst.release();
}

void Destroy(void* instance) { delete static_cast<Instance*>(instance); }

void Claim(void* instance, const parley_challenge* c, unsigned char* claimed) {
  auto* inst = static_cast<Instance*>(instance);
  for (size_t i = 0; i < c->num_prompts; ++i) {
    const parley_prompt& p = c->prompts[i];
    if (inst->prompt != nullptr) {
      claimed[i] =
          RE2::PartialMatch(re2::StringPiece(p.text.data, p.text.length),
                            *inst->prompt)
              ? 1
              : 0;
    } else {
      claimed[i] = p.prompt_class == PARLEY_PROMPT_OTP ? 1 : 0;
    }
  }
}

// The next code, or a wait (*wait_ms > 0).
absl::StatusOr<std::string> NextCode(Instance* inst, uint32_t* wait_ms) {
  const OtpParams& p = inst->params;
  MovingFactorOptions o;
  o.type = p.type;
  o.period = p.period;
  o.initial_counter = p.initial_counter;
  o.skew = inst->skew;
  o.time_offset = inst->time_offset;
  o.state_file = inst->state_file;
  o.counter_file = inst->counter_file;
  absl::StatusOr<MovingFactor> next = NextMovingFactor(o);
  if (!next.ok()) return next.status();
  *wait_ms = next->wait_ms;
  if (next->wait_ms > 0) return std::string();
  return Hotp(p.secret, next->value, p.hash, p.digits);
}

parley_respond_status Respond(void* instance, const parley_challenge* c,
                              parley_host_answers* answers,
                              uint32_t* retry_after_ms) {
  auto* inst = static_cast<Instance*>(instance);
  uint32_t wait_ms = 0;
  absl::StatusOr<std::string> code = NextCode(inst, &wait_ms);
  if (!code.ok()) {
    Log(inst->host, inst->host_instance, PARLEY_LOG_ERROR,
        code.status().message());
    return PARLEY_RESPOND_CANCEL;
  }
  if (wait_ms > 0) {
    return WaitForNextCode(inst->host, inst->host_instance, c, wait_ms,
                           retry_after_ms);
  }
  for (size_t i = 0; i < c->num_prompts; ++i) {
    if (c->asked[i] != 0) {
      inst->host->set_answer(answers, i, code->data(), code->size());
    }
  }
  SecureWipe(code->data(), code->size());
  return PARLEY_RESPOND_ANSWERED;
}

const parley_responder_plugin kPlugin = {
    sizeof(parley_responder_plugin),
    PARLEY_RESPONDER_ABI_VERSION,
    "parley.responder.otp",
    "HOTP and TOTP one-time passwords (RFC 4226, RFC 6238) from a secret file",
    PARLEY_PROMPT_CLASS_BIT(PARLEY_PROMPT_OTP),
    &Create,
    &Destroy,
    &Claim,
    &Respond,
    nullptr,
};

}  // namespace
}  // namespace parley::otp

PARLEY_DEFINE_RESPONDER_PLUGIN(parley::otp::kPlugin)
