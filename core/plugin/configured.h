// Responders for programs that do not choose their own -- above all
// unmodified libssh2 programs using Parley's C API. They come from, in
// order:
//
//   $PARLEY_RESPONDERS        a chain, "SPEC;SPEC;..." (spec.h); set but
//                             empty means none, whatever the file says
//   $XDG_CONFIG_HOME/parley/responders (default ~/.config/parley/responders)
//                             one or more SPECs per line, `#` comments; the
//                             file must not be writable by others and must
//                             belong to the user or root; every SPEC in it
//                             must say which servers it answers (host= or
//                             host-key=, responder_plugin.h)
//
// Only plugins in the installed folder (PREFIX/lib/parley/plugins, found
// from the Parley library itself) can be named this way, never a path:
// whoever can set a program's environment must not thereby choose which
// code it loads from where. In secure-execution mode (setuid and setgid
// programs) neither the variables nor the file are read (secure_getenv),
// as the dynamic loader ignores LD_PRELOAD there.
#ifndef PARLEY_CORE_PLUGIN_CONFIGURED_H_
#define PARLEY_CORE_PLUGIN_CONFIGURED_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/auth/routing.h"
#include "core/plugin/responder_plugin.h"
#include "core/plugin/spec.h"

namespace parley::plugin {

struct ConfiguredResponders {
  std::vector<ResponderSpec> specs;  // empty: none configured
  std::string source;                // "$PARLEY_RESPONDERS" or the file's path
};

// Reads environment variables (secure_getenv by default).
using GetEnv = std::function<const char*(const char*)>;

// The configured chain, or none. Errors name their source ("$PARLEY_
// RESPONDERS: ..." or "path:line: ...").
absl::StatusOr<ConfiguredResponders> ConfiguredResponderSpecs(
    const GetEnv& getenv);
absl::StatusOr<ConfiguredResponders> ConfiguredResponderSpecs();

// The chain of `configured`, its plugins from `dirs` (the installed folder
// when empty: module::InstalledDirs("plugins")).
absl::StatusOr<std::shared_ptr<auth::RoutingResponder>> BuildConfiguredChain(
    const ConfiguredResponders& configured, LogSink log,
    std::vector<std::string> dirs = {});

}  // namespace parley::plugin

#endif  // PARLEY_CORE_PLUGIN_CONFIGURED_H_
