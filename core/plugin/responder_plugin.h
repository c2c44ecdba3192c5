// Responder plugins on the host side: loading a plugin shared object
// (through core/module's trust checks), checking its ABI version before
// anything else, finding plugins by name, and making instances that answer
// keyboard-interactive prompts as auth::PartialResponder (core/auth/routing.h).
//
// Where plugins are found, in order: the explicit folders (--plugin-dir,
// configuration), then PREFIX/lib/parley/plugins next to the installed
// library or program. A plugin named "parley.responder.otp" (short name
// "otp") lives in libparley_responder_otp.so. The first file found is the
// one used; if it fails the trust checks or the ABI check the lookup fails
// with that error, naming the file, rather than trying another copy. Two
// different files that declare the same plugin name are an error.
#ifndef PARLEY_CORE_PLUGIN_RESPONDER_PLUGIN_H_
#define PARLEY_CORE_PLUGIN_RESPONDER_PLUGIN_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/auth/routing.h"
#include "core/hostkeys/known_hosts.h"
#include "core/module/module_loader.h"
#include "core/plugin/spec.h"
#include "parley_responder.h"

namespace parley::plugin {

// File name of the plugin with short name `short_name`.
std::string PluginFileName(absl::string_view short_name);

// Options every responder takes, handled by Parley (never passed to the
// plugin): which servers the instance answers.
//   host=PATTERNS       OpenSSH pattern list ("*.corp.example,!bastion*")
//                       matched against the server's name as the program
//                       gave it (the C API, which sees only a socket: its
//                       numeric address)
//   host-key=FPS        SHA256:... fingerprints (ssh-keygen -lf)
// With both, both must match; with neither, every server.
inline constexpr char kHostOption[] = "host";
inline constexpr char kHostKeyOption[] = "host-key";

class ServerFilter {
 public:
  // Adds the comma-separated items of option `key` (kHostOption or
  // kHostKeyOption); kInvalidArgument for an empty item or a fingerprint
  // that is not SHA256:...
  absl::Status Add(absl::string_view key, absl::string_view value);
  bool Matches(absl::string_view host,
               absl::string_view host_key_fingerprint) const;
  bool restricted() const { return !hosts_.empty() || !host_keys_.empty(); }

 private:
  std::vector<hostkeys::HostPattern> hosts_;
  std::vector<std::string> host_keys_;
};

// Receives a plugin instance's log messages (never secrets).
using LogSink = std::function<void(parley_log_level, absl::string_view)>;

class ResponderPlugin : public std::enable_shared_from_this<ResponderPlugin> {
 public:
  // Loads `path`: trust checks, ABI version, then the plugin table.
  // Errors: the module loader's; kFailedPrecondition for a missing entry
  // point, an ABI version other than PARLEY_RESPONDER_ABI_VERSION, or a
  // malformed table (each message names the file).
  static absl::StatusOr<std::shared_ptr<ResponderPlugin>> Load(
      const std::string& path);

  const std::string& name() const { return name_; }
  absl::string_view short_name() const { return ShortName(name_); }
  const std::string& description() const { return description_; }
  const std::string& path() const { return module_->path(); }

  // A new instance configured by `config`. kInvalidArgument with the
  // plugin's reason when it refuses the configuration.
  absl::StatusOr<std::shared_ptr<auth::PartialResponder>> NewInstance(
      const Config& config, LogSink log) const;

 private:
  ResponderPlugin() = default;
  std::shared_ptr<module::Module> module_;
  const parley_responder_plugin* table_ = nullptr;
  // table_->abort when the table is large enough to hold it.
  void (*abort_)(void*) = nullptr;
  std::string name_;
  std::string description_;
  friend class PluginInstance;
};

// Finds plugins by name in a list of folders.
class PluginFinder {
 public:
  // `dirs` are searched first, in order; then the installed folder when
  // `installed` is true.
  PluginFinder(std::vector<std::string> dirs, bool installed);

  // The plugin called `name` (full or short name).
  absl::StatusOr<std::shared_ptr<ResponderPlugin>> Find(absl::string_view name);
  // Every plugin in the folders (libparley_responder_*.so); an error for a
  // refused file or a name declared twice.
  absl::StatusOr<std::vector<std::shared_ptr<ResponderPlugin>>> FindAll();
  const std::vector<std::string>& dirs() const { return dirs_; }

 private:
  absl::Status Register(const std::shared_ptr<ResponderPlugin>& p);

  std::vector<std::string> dirs_;
  std::map<std::string, std::shared_ptr<ResponderPlugin>> by_name_;
};

// Builds the responder chain of `specs` (in order) with `finder`: each spec
// becomes an instance, its configuration file read if it has one.
absl::StatusOr<std::shared_ptr<auth::RoutingResponder>> BuildChain(
    PluginFinder& finder, const std::vector<ResponderSpec>& specs, LogSink log);
// The same, appended to `chain` (after responders of the program's own).
absl::Status AddToChain(PluginFinder& finder,
                        const std::vector<ResponderSpec>& specs, LogSink log,
                        auth::RoutingResponder* chain);

}  // namespace parley::plugin

#endif  // PARLEY_CORE_PLUGIN_RESPONDER_PLUGIN_H_
