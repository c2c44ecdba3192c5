#include "tools/cli/responders.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "core/auth/kbdint.h"
#include "core/auth/prompt_class.h"
#include "core/module/module_loader.h"
#include "core/plugin/responder_plugin.h"
#include "core/plugin/spec.h"

namespace parley::cli {

std::string RunfilesDir() { return module::ProgramRunfiles(); }

absl::StatusOr<std::shared_ptr<auth::RoutingResponder>> Responders(
    const std::vector<std::string>& specs, std::vector<std::string> dirs,
    const absl::optional<SecureBuffer>& password, bool person, bool verbose) {
  std::vector<plugin::ResponderSpec> parsed;
  bool terminal_named = false;
  for (const std::string& text : specs) {
    absl::StatusOr<plugin::ResponderSpec> spec =
        plugin::ParseResponderSpec(text);
    if (!spec.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--responder ", text, ": ", spec.status().message()));
    }
    terminal_named |= plugin::ShortName(spec->name) == "terminal";
    parsed.push_back(*std::move(spec));
  }
  // Run from a Bazel tree, the plugins sit in the runfiles.
  const std::string runfiles = RunfilesDir() + "/plugins/";
  for (const char* p : {"otp", "scripted", "smartcard", "terminal"}) {
    dirs.push_back(runfiles + p);
  }
  plugin::PluginFinder finder(std::move(dirs), /*installed=*/true);
  plugin::LogSink log = [verbose](parley_log_level level,
                                  absl::string_view message) {
    if (level >= PARLEY_LOG_INFO || verbose) {
      std::cerr << "parley: " << auth::SanitizeForTerminal(message) << "\n";
    }
  };
  auto chain = std::make_shared<auth::RoutingResponder>();
  if (password.has_value()) {
    chain->Add(std::make_shared<auth::FixedAnswerResponder>(
        "$PARLEY_PASSWORD",
        std::vector<auth::PromptClass>{auth::PromptClass::kPassword},
        *password));
  }
  absl::Status s = plugin::AddToChain(finder, parsed, log, chain.get());
  if (!s.ok()) return s;
  if (!terminal_named && person) {
    absl::StatusOr<std::shared_ptr<plugin::ResponderPlugin>> terminal =
        finder.Find("terminal");
    if (!terminal.ok()) return terminal.status();
    absl::StatusOr<std::shared_ptr<auth::PartialResponder>> asker =
        (*terminal)->NewInstance({}, log);
    if (!asker.ok()) return asker.status();
    chain->SetFallback(*std::move(asker));
  }
  return chain;
}

}  // namespace parley::cli
