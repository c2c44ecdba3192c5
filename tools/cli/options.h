// The parley command's settings for one destination, from the command line
// (flags and -o) first and then the ssh_config file: the first value
// obtained wins, as in ssh. Keywords are OpenSSH's (case-insensitive).
#ifndef PARLEY_TOOLS_CLI_OPTIONS_H_
#define PARLEY_TOOLS_CLI_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "tools/cli/ssh_config.h"

namespace parley::cli {

struct Options {
  absl::optional<std::string> hostname;
  absl::optional<uint16_t> port;
  absl::optional<std::string> user;
  std::vector<std::string> identity_files;  // every value is kept
  absl::optional<std::string> identity_agent;
  absl::optional<std::string> pkcs11_provider;
  absl::optional<std::string> proxy_jump;
  absl::optional<std::string> known_hosts_file;
  absl::optional<std::string> strict_host_key_checking;  // yes|accept-new
  // Algorithm lists as written: "a,b", "+a" (append to the defaults), "-a"
  // (remove), "^a" (put first).
  absl::optional<std::string> kex, ciphers, macs, host_key_algorithms;
  absl::optional<std::vector<std::string>> preferred_authentications;
  absl::optional<int> connect_timeout;        // seconds
  absl::optional<int> password_prompts;       // NumberOfPasswordPrompts
  absl::optional<int> server_alive_interval;  // seconds; 0 = off
  absl::optional<int> server_alive_count_max;
  absl::optional<bool> batch_mode;
  absl::optional<bool> forward_agent;
};

// Applies one keyword/value unless it is set already (IdentityFile adds).
// kInvalidArgument for a bad value (naming the keyword); kNotFound for a
// keyword parley does not know (callers warn and go on).
absl::Status ApplyOption(Options* o, absl::string_view keyword,
                         const std::vector<std::string>& args);

// "-o Keyword=value" / "-o 'Keyword value'".
absl::Status ApplyDashO(Options* o, absl::string_view text,
                        std::vector<std::string>* warnings);

// Applies the lines of `config` that hold for `host`; unknown keywords and
// the config's own warnings go to `warnings`.
absl::Status ApplyConfig(Options* o, const SshConfig& config,
                         absl::string_view host,
                         std::vector<std::string>* warnings);

// An algorithm list as written, resolved against the defaults.
std::vector<std::string> ResolveAlgorithms(
    const std::string& spec, const std::vector<std::string>& defaults);

// Expands "~/" and the tokens %d (home), %u (local user), %r (remote
// user), %h (host), %p (port), %% in a file name.
std::string ExpandPath(const std::string& path, const std::string& remote_user,
                       const std::string& host, uint16_t port);

}  // namespace parley::cli

#endif  // PARLEY_TOOLS_CLI_OPTIONS_H_
