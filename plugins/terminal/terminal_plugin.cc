// parley.responder.terminal: asks a person. Shows the round's name and
// instruction (made safe for a terminal), then asks each prompt on the
// controlling terminal -- echo off unless the server allows echo -- or
// through SSH_ASKPASS as OpenSSH does (SSH_ASKPASS_REQUIRE=force|prefer|
// never). Answers go straight into wiping memory. Claims every prompt: put
// it last in a chain, as the fallback for what no other responder answers.
//
// Configuration: tty=PATH (default /dev/tty), askpass=auto|force|prefer|
// never (default: SSH_ASKPASS_REQUIRE).
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/auth/kbdint.h"
#include "core/base/secure_buffer.h"
#include "parley_responder.h"
#include "plugins/common/plugin_util.h"
#include "plugins/terminal/tty.h"

namespace parley::tty {
namespace {

using plugins::Log;
using plugins::SetError;
using plugins::View;

struct Instance {
  const parley_host_api* host = nullptr;
  parley_host_instance* host_instance = nullptr;
  AskOptions options;
  uint32_t shown_round = 0;
};

void* Create(const parley_host_api* host, parley_host_instance* hi,
             const parley_config_entry* config, size_t n, char* error,
             size_t error_size) {
  auto inst = std::make_unique<Instance>();
  inst->host = host;
  inst->host_instance = hi;
  inst->options.askpass = AskpassModeFromEnv();
  for (size_t i = 0; i < n; ++i) {
    const absl::string_view k = View(config[i].key);
    const std::string v(View(config[i].value));
    if (k == "tty") {
      inst->options.tty = v;
    } else if (k == "askpass") {
      if (v == "auto") {
        inst->options.askpass = AskpassMode::kAuto;
      } else if (v == "force") {
        inst->options.askpass = AskpassMode::kForce;
      } else if (v == "prefer") {
        inst->options.askpass = AskpassMode::kPrefer;
      } else if (v == "never") {
        inst->options.askpass = AskpassMode::kNever;
      } else {
        SetError(error, error_size,
                 "askpass must be auto, force, prefer or never");
        return nullptr;
      }
    } else {
      SetError(error, error_size, absl::StrCat("unknown option \"", k, "\""));
      return nullptr;
    }
  }
  return inst.release();
}

void Destroy(void* instance) { delete static_cast<Instance*>(instance); }

parley_respond_status Respond(void* instance, const parley_challenge* c,
                              parley_host_answers* answers, uint32_t*) {
  auto* inst = static_cast<Instance*>(instance);
  if (inst->shown_round != c->round) {
    inst->shown_round = c->round;
    std::string text;
    for (parley_str s : {c->name, c->instruction}) {
      if (s.length > 0) {
        absl::StrAppend(&text, auth::SanitizeForTerminal(View(s)), "\n");
      }
    }
    if (!text.empty()) (void)Show(inst->options, text);
  }
  for (size_t i = 0; i < c->num_prompts; ++i) {
    if (c->asked[i] == 0) continue;
    const parley_prompt& p = c->prompts[i];
    AskOptions options = inst->options;
    options.confirm = p.prompt_class == PARLEY_PROMPT_CONFIRM;
    absl::StatusOr<SecureBuffer> answer =
        Ask(options, auth::SanitizeForTerminal(View(p.text)), p.echo != 0);
    if (!answer.ok()) {
      Log(inst->host, inst->host_instance, PARLEY_LOG_ERROR,
          answer.status().message());
      return PARLEY_RESPOND_CANCEL;
    }
    inst->host->set_answer(answers, i,
                           reinterpret_cast<const char*>(answer->data()),
                           answer->size());
  }
  return PARLEY_RESPOND_ANSWERED;
}

const parley_responder_plugin kPlugin = {
    sizeof(parley_responder_plugin),
    PARLEY_RESPONDER_ABI_VERSION,
    "parley.responder.terminal",
    "asks on the terminal (echo off for secrets) or through SSH_ASKPASS",
    PARLEY_PROMPT_ALL_CLASSES,
    &Create,
    &Destroy,
    nullptr,
    &Respond,
    nullptr,
};

}  // namespace
}  // namespace parley::tty

PARLEY_DEFINE_RESPONDER_PLUGIN(parley::tty::kPlugin)
