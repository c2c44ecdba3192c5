// parley.responder.scripted: answers prompts by rules (plugins/scripted/
// rules.h), and records conversations (transcript.h).
//
// Configuration:
//   rules=PATH     the rules file (TOML)
//   record=PATH    write each round the server sends to this transcript
//                  (mode 0600, replaced atomically after every round)
//   timeout=SECONDS  the longest a rule's command may take (default 30,
//                  and never beyond the round deadline)
// At least one of rules and record is required. With record alone the
// responder answers nothing: put it first in a chain, in front of the
// responders that answer.
//
// Every prompt matched by a rule is claimed (except `next = true` rules);
// an unmatched prompt is claimed and fails the login naming it unless the
// rules say unmatched = "decline"; a round beyond `rounds` fails the login.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/base/file.h"
#include "core/base/secure_buffer.h"
#include "parley_responder.h"
#include "plugins/common/plugin_util.h"
#include "plugins/scripted/rules.h"
#include "plugins/scripted/transcript.h"

namespace parley::scripted {
namespace {

using plugins::Log;
using plugins::SetError;
using plugins::View;

struct Instance {
  const parley_host_api* host = nullptr;
  parley_host_instance* host_instance = nullptr;
  absl::optional<Rules> rules;
  std::string record_path;
  Transcript transcript;
  std::chrono::milliseconds timeout{30000};
};

const char* ClassName(parley_prompt_class c) {
  switch (c) {
    case PARLEY_PROMPT_PASSWORD:
      return "password";
    case PARLEY_PROMPT_OTP:
      return "otp";
    case PARLEY_PROMPT_PIN:
      return "pin";
    case PARLEY_PROMPT_CONFIRM:
      return "confirm";
    case PARLEY_PROMPT_INFO:
      return "info";
    case PARLEY_PROMPT_OTHER:
      break;
  }
  return "other";
}

void* Create(const parley_host_api* host, parley_host_instance* hi,
             const parley_config_entry* config, size_t n, char* error,
             size_t error_size) {
  auto inst = std::make_unique<Instance>();
  inst->host = host;
  inst->host_instance = hi;
  std::string rules_path;
  for (size_t i = 0; i < n; ++i) {
    const absl::string_view k = View(config[i].key);
    const std::string v(View(config[i].value));
    if (k == "rules") {
      rules_path = v;
    } else if (k == "record") {
      inst->record_path = v;
    } else if (k == "timeout") {
      int seconds = 0;
      if (!absl::SimpleAtoi(v, &seconds) || seconds < 1 || seconds > 3600) {
        SetError(error, error_size, "timeout must be 1 to 3600 seconds");
        return nullptr;
      }
      inst->timeout = std::chrono::seconds(seconds);
    } else {
      SetError(error, error_size, absl::StrCat("unknown option \"", k, "\""));
      return nullptr;
    }
  }
  if (rules_path.empty() && inst->record_path.empty()) {
    SetError(error, error_size, "give rules=PATH, record=PATH or both");
    return nullptr;
  }
  if (!rules_path.empty()) {
    absl::StatusOr<Rules> rules = LoadRules(rules_path);
    if (!rules.ok()) {
      SetError(error, error_size, rules.status().message());
      return nullptr;
    }
    inst->rules = *std::move(rules);
  }
  return inst.release();
}

void Destroy(void* instance) { delete static_cast<Instance*>(instance); }

void Record(Instance* inst, const parley_challenge* c) {
  Transcript& t = inst->transcript;
  if (c->round == 1) t.rounds.clear();  // a new login of this instance
  t.user = std::string(View(c->user));
  t.server = absl::StrCat(View(c->server_host), ":", c->server_port);
  t.host_key = std::string(View(c->host_key_fingerprint));
  RecordedRound r;
  r.round = static_cast<int>(c->round);
  r.name = std::string(View(c->name));
  r.instruction = std::string(View(c->instruction));
  r.language = std::string(View(c->language));
  for (size_t i = 0; i < c->num_prompts; ++i) {
    r.prompts.push_back({std::string(View(c->prompts[i].text)),
                         c->prompts[i].echo != 0,
                         ClassName(c->prompts[i].prompt_class)});
  }
  t.rounds.push_back(std::move(r));
  if (absl::Status s =
          parley::ReplaceFile(inst->record_path, FormatTranscript(t));
      !s.ok()) {
    Log(inst->host, inst->host_instance, PARLEY_LOG_WARNING, s.message());
  }
}

const Rule* RuleFor(const Instance* inst, const parley_challenge* c, size_t i) {
  const parley_prompt& p = c->prompts[i];
  return Match(*inst->rules, static_cast<int>(c->round), View(c->name),
               View(c->instruction), View(p.text), p.echo != 0);
}

bool BeyondRounds(const Instance* inst, const parley_challenge* c) {
  return inst->rules->rounds.has_value() &&
         static_cast<int>(c->round) > *inst->rules->rounds;
}

// Claim is called once per round, before respond: the recorder's hook.
void Claim(void* instance, const parley_challenge* c, unsigned char* claimed) {
  auto* inst = static_cast<Instance*>(instance);
  if (!inst->record_path.empty()) Record(inst, c);
  if (!inst->rules.has_value()) return;
  const bool beyond = BeyondRounds(inst, c);
  for (size_t i = 0; i < c->num_prompts; ++i) {
    const Rule* r = RuleFor(inst, c, i);
    if (beyond) {
      claimed[i] = 1;  // respond() fails the login
    } else if (r != nullptr) {
      claimed[i] = r->source != Rule::Source::kNext;
    } else {
      claimed[i] = inst->rules->fail_unmatched;
    }
  }
}

std::string Quoted(parley_str s) {
  return absl::StrCat("\"", absl::CHexEscape(View(s).substr(0, 200)), "\"");
}

parley_respond_status Fail(Instance* inst, const std::string& why) {
  Log(inst->host, inst->host_instance, PARLEY_LOG_ERROR, why);
  return PARLEY_RESPOND_CANCEL;
}

parley_respond_status Respond(void* instance, const parley_challenge* c,
                              parley_host_answers* answers, uint32_t*) {
  auto* inst = static_cast<Instance*>(instance);
  if (!inst->rules.has_value()) return PARLEY_RESPOND_DECLINE;
  if (BeyondRounds(inst, c)) {
    return Fail(inst, absl::StrCat("the server asked a round ", c->round,
                                   " but the rules expect at most ",
                                   *inst->rules->rounds));
  }
  // One time limit for all the round's commands together.
  std::chrono::milliseconds timeout = inst->timeout;
  if (c->round_ms_left != PARLEY_NO_DEADLINE) {
    timeout = std::min(timeout, std::chrono::milliseconds(c->round_ms_left));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (size_t i = 0; i < c->num_prompts; ++i) {
    if (c->asked[i] == 0) continue;
    const Rule* r = RuleFor(inst, c, i);
    if (r == nullptr || r->source == Rule::Source::kNext) {
      return Fail(
          inst, absl::StrCat("no rule answers prompt ", i + 1, " of round ",
                             c->round, " (", Quoted(c->prompts[i].text), ")"));
    }
    absl::StatusOr<SecureBuffer> answer = Answer(*r, deadline);
    if (!answer.ok()) return Fail(inst, std::string(answer.status().message()));
    const int rc = inst->host->set_answer(
        answers, i, reinterpret_cast<const char*>(answer->data()),
        answer->size());
    if (rc != 0) return Fail(inst, "the host refused an answer");
  }
  return PARLEY_RESPOND_ANSWERED;
}

const parley_responder_plugin kPlugin = {
    sizeof(parley_responder_plugin),
    PARLEY_RESPONDER_ABI_VERSION,
    "parley.responder.scripted",
    "answers prompts by rules (TOML: patterns to literals, variables, files, "
    "commands) and records conversations",
    0,
    &Create,
    &Destroy,
    &Claim,
    &Respond,
    nullptr,
};

}  // namespace
}  // namespace parley::scripted

PARLEY_DEFINE_RESPONDER_PLUGIN(parley::scripted::kPlugin)
