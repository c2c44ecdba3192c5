// The parley command's keyboard-interactive chain and where its modules
// are found.
#ifndef PARLEY_TOOLS_CLI_RESPONDERS_H_
#define PARLEY_TOOLS_CLI_RESPONDERS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/optional.h"
#include "core/auth/routing.h"
#include "core/base/secure_buffer.h"

namespace parley::cli {

// The Bazel runfiles tree next to this program, found from the program's
// own path (/proc/self/exe) -- never from argv[0], which may be a bare name
// resolved through $PATH and would make the current directory a plugin
// folder.
std::string RunfilesDir();

// $PARLEY_PASSWORD (when set) for password prompts, then the --responder
// chain, then -- for whatever they leave, when `person` -- the terminal (or
// SSH_ASKPASS), as ssh does.
absl::StatusOr<std::shared_ptr<auth::RoutingResponder>> Responders(
    const std::vector<std::string>& specs, std::vector<std::string> dirs,
    const absl::optional<SecureBuffer>& password, bool person, bool verbose);

}  // namespace parley::cli

#endif  // PARLEY_TOOLS_CLI_RESPONDERS_H_
