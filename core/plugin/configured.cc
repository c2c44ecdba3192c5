#include "core/plugin/configured.h"

#include <stdlib.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/file.h"
#include "core/module/module_loader.h"

namespace parley::plugin {
namespace {

absl::Status Prefixed(absl::string_view where, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(where, ": ", s.message()));
}

std::string ConfigFilePath(const GetEnv& getenv) {
  const char* xdg = getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') {
    return absl::StrCat(xdg, "/parley/responders");
  }
  const char* home = getenv("HOME");
  if (home != nullptr && home[0] == '/') {
    return absl::StrCat(home, "/.config/parley/responders");
  }
  return "";
}

}  // namespace

absl::StatusOr<ConfiguredResponders> ConfiguredResponderSpecs(
    const GetEnv& getenv) {
  ConfiguredResponders out;
  if (const char* env = getenv("PARLEY_RESPONDERS"); env != nullptr) {
    out.source = "$PARLEY_RESPONDERS";
    if (absl::StripAsciiWhitespace(env).empty()) return out;
    absl::StatusOr<std::vector<ResponderSpec>> specs = ParseResponderSpecs(env);
    if (!specs.ok()) return Prefixed(out.source, specs.status());
    out.specs = *std::move(specs);
    return out;
  }
  const std::string path = ConfigFilePath(getenv);
  if (path.empty()) return out;
  FileRules rules;
  rules.what = "responder configuration";
  rules.max_bytes = kMaxSpecBytes;
  rules.access = FileRules::Access::kTrusted;
  absl::StatusOr<std::string> text = ReadSmallFile(path, rules);
  if (!text.ok()) {
    if (absl::IsNotFound(text.status())) return out;  // no file: none
    return text.status();
  }
  out.source = path;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    absl::StatusOr<std::vector<ResponderSpec>> specs =
        ParseResponderSpecs(line);
    if (!specs.ok()) {
      return Prefixed(absl::StrCat(path, ":", line_number), specs.status());
    }
    for (ResponderSpec& s : *specs) {
      // A file that applies to every program and every connection must say
      // which servers each responder answers: a one-time code or password
      // must not go to whatever server asks for one.
      absl::StatusOr<ResponderSpec> resolved = ResolveConfigFile(std::move(s));
      if (!resolved.ok()) {
        return Prefixed(absl::StrCat(path, ":", line_number),
                        resolved.status());
      }
      bool restricted = false;
      for (const auto& [k, v] : resolved->config) {
        restricted |= k == kHostOption || k == kHostKeyOption;
      }
      if (!restricted) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", line_number, ": ", resolved->name,
                         " would answer every server: add host=PATTERNS or "
                         "host-key=SHA256:... (docs/PLUGINS.md)"));
      }
      out.specs.push_back(*std::move(resolved));
    }
  }
  return out;
}

absl::StatusOr<ConfiguredResponders> ConfiguredResponderSpecs() {
  return ConfiguredResponderSpecs(
      [](const char* name) -> const char* { return ::secure_getenv(name); });
}

absl::StatusOr<std::shared_ptr<auth::RoutingResponder>> BuildConfiguredChain(
    const ConfiguredResponders& configured, LogSink log,
    std::vector<std::string> dirs) {
  if (dirs.empty()) dirs = module::InstalledDirs("plugins");
  PluginFinder finder(std::move(dirs), /*installed=*/false);
  absl::StatusOr<std::shared_ptr<auth::RoutingResponder>> chain =
      BuildChain(finder, configured.specs, std::move(log));
  if (!chain.ok()) return Prefixed(configured.source, chain.status());
  return chain;
}

}  // namespace parley::plugin
