// parley: an ssh-like client on the Parley library, for one host or many.
//
//   parley [options] [user@]host [command...]
//   parley [options] --hosts FILE [--parallel N] [command...]
//
// Options (OpenSSH's spellings where ssh has them):
//   -p PORT, -l USER, -i IDENTITY_FILE (repeatable)
//   -F SSH_CONFIG           default ~/.ssh/config (when it exists)
//   -o Keyword=value        ssh_config keywords (repeatable; first wins):
//                           HostName Port User IdentityFile IdentityAgent
//                           PKCS11Provider ProxyJump UserKnownHostsFile
//                           StrictHostKeyChecking (yes|accept-new)
//                           KexAlgorithms Ciphers MACs HostKeyAlgorithms
//                           PreferredAuthentications ConnectTimeout
//                           BatchMode NumberOfPasswordPrompts ForwardAgent
//                           ServerAliveInterval ServerAliveCountMax
//                           (others: a warning naming them)
//   -J [user@]host[:port][,...]   jump hosts (= -o ProxyJump=)
//   -I MODULE|pkcs11:URI    keys on a PKCS#11 token (= -o PKCS11Provider=)
//   --pin-fd N              read the token's PIN from descriptor N
//   -A / -a                 forward the agent / do not
//   -v, -vv, -vvv           show each phase with its timing
//   --crypto NAME           crypto backend (default $PARLEY_CRYPTO or openssl)
//   --responder NAME[:key=value,...]   a responder plugin instance for
//                           keyboard-interactive prompts; repeatable, in
//                           chain order; the terminal (or SSH_ASKPASS)
//                           answers what none of them claims
//   --plugin-dir DIR        also look for plugins in DIR (before the
//                           installed PREFIX/lib/parley/plugins)
//   --hosts FILE            fan-out: one [user@]host[:port] per line
//   --parallel N            fan-out: at most N hosts at a time (default 16)
//   --known-hosts FILE, --strict-host-key-checking yes|accept-new,
//   --kex/--hostkey/--cipher/--mac LIST, --timeout SECONDS
//                           the same as the -o forms
//   -h, --help              this help
//
// $PARLEY_PASSWORD, when set, answers password prompts (and the password
// method) unattended; SSH_ASKPASS with SSH_ASKPASS_REQUIRE=force answers
// what no responder claims; BatchMode=yes never asks a person.
// Exit status: the remote command's, or 255 when the connection or the
// login failed. With --hosts: 0 when every host ran its command with status
// 0, 255 when any host could not connect or log in, otherwise 1.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/auth/kbdint.h"
#include "core/base/file.h"
#include "core/base/no_dump.h"
#include "core/base/secure_buffer.h"
#include "core/client/event_loop.h"
#include "core/crypto/backend_loader.h"
#include "tools/cli/fanout.h"
#include "tools/cli/host_run.h"
#include "tools/cli/options.h"
#include "tools/cli/responders.h"
#include "tools/cli/ssh_config.h"

namespace parley {
namespace {

constexpr char kUsage[] =
    "usage: parley [-p port] [-l user] [-i identity_file] [-F ssh_config]\n"
    "              [-o Keyword=value]... [-J [user@]host[:port][,...]]\n"
    "              [-I PKCS11_MODULE|pkcs11:URI] [--pin-fd N]\n"
    "              [-A|-a] [-v[v[v]]] [--crypto NAME] [--timeout S]\n"
    "              [--known-hosts FILE] [--strict-host-key-checking "
    "yes|accept-new]\n"
    "              [--kex L] [--hostkey L] [--cipher L] [--mac L]\n"
    "              [--responder NAME[:key=value,...]]... [--plugin-dir "
    "DIR]...\n"
    "              [user@]host [command...]\n"
    "       parley [options] --hosts FILE [--parallel N] [command...]\n";

int Usage() {
  std::cerr << kUsage;
  return 255;
}

// Takes a secret out of the environment: copied into wiping memory, wiped
// in place and unset, so that no child (askpass, a scripted command)
// inherits it.
absl::optional<SecureBuffer> TakeSecretEnv(const char* name) {
  char* env = std::getenv(name);
  if (env == nullptr) return absl::nullopt;
  const size_t n = std::strlen(env);
  SecureBuffer out(reinterpret_cast<const uint8_t*>(env),
                   reinterpret_cast<const uint8_t*>(env) + n);
  SecureWipe(env, n);
  ::unsetenv(name);
  return out;
}

void Warn(std::vector<std::string>* seen, const std::string& warning) {
  if (std::find(seen->begin(), seen->end(), warning) != seen->end()) return;
  seen->push_back(warning);
  std::cerr << "parley: warning: " << auth::SanitizeForTerminal(warning)
            << "\n";
}

int Main(int argc, char** argv) {
  cli::RunSettings settings;
  settings.password = TakeSecretEnv("PARLEY_PASSWORD");
  settings.passphrase = TakeSecretEnv("PARLEY_PASSPHRASE");
  settings.default_user = std::getenv("USER") ? std::getenv("USER") : "root";
  cli::Options flags;  // the command line: it comes first
  std::vector<std::string> warnings, shown;
  std::string destination, backend, config_file, hosts_file;
  size_t parallel = 16;
  std::vector<std::string> command;
  auto dash_o = [&](const std::string& text) {
    absl::Status s = cli::ApplyDashO(&flags, text, &warnings);
    if (!s.ok()) {
      std::cerr << "parley: -o " << text << ": " << s.message() << "\n";
      std::exit(255);
    }
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        Usage();
        std::exit(255);
      }
      return argv[++i];
    };
    if (!destination.empty() || (!hosts_file.empty() && !command.empty())) {
      command.push_back(a);
    } else if (a == "-p") {
      dash_o("Port=" + next());
    } else if (a == "-l") {
      dash_o("User=" + next());
    } else if (a == "-i") {
      flags.identity_files.push_back(next());
    } else if (a == "-F") {
      config_file = next();
    } else if (a == "-o") {
      dash_o(next());
    } else if (a == "-I") {
      dash_o("PKCS11Provider=" + next());
    } else if (a == "-J") {
      dash_o("ProxyJump=" + next());
    } else if (a == "-A") {
      dash_o("ForwardAgent=yes");
    } else if (a == "-a") {
      dash_o("ForwardAgent=no");
    } else if (a == "-v" || a == "-vv" || a == "-vvv") {
      settings.verbosity += static_cast<int>(a.size()) - 1;
    } else if (a == "--crypto") {
      backend = next();
    } else if (a == "--known-hosts") {
      dash_o("UserKnownHostsFile=" + next());
    } else if (a == "--strict-host-key-checking") {
      dash_o("StrictHostKeyChecking=" + next());
    } else if (a == "--kex") {
      dash_o("KexAlgorithms=" + next());
    } else if (a == "--hostkey") {
      dash_o("HostKeyAlgorithms=" + next());
    } else if (a == "--cipher") {
      dash_o("Ciphers=" + next());
    } else if (a == "--mac") {
      dash_o("MACs=" + next());
    } else if (a == "--timeout") {
      int t = 0;
      if (!absl::SimpleAtoi(next(), &t) || t < 1) return Usage();
      settings.timeout = std::chrono::seconds(t);
    } else if (a == "--pin-fd") {
      if (!absl::SimpleAtoi(next(), &settings.pin_fd)) return Usage();
    } else if (a == "--responder") {
      settings.responder_specs.push_back(next());
    } else if (a == "--plugin-dir") {
      settings.plugin_dirs.push_back(next());
    } else if (a == "--hosts") {
      hosts_file = next();
    } else if (a == "--parallel") {
      if (!absl::SimpleAtoi(next(), &parallel) || parallel < 1) return Usage();
    } else if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      return Usage();
    } else if (!hosts_file.empty()) {
      command.push_back(a);
    } else {
      destination = a;
    }
  }
  if (destination.empty() && hosts_file.empty()) return Usage();
  settings.command = absl::StrJoin(command, " ");
  for (const std::string& w : warnings) Warn(&shown, w);

  // The ssh_config file: -F, else ~/.ssh/config when it exists.
  absl::optional<cli::SshConfig> config;
  if (config_file.empty()) {
    const std::string home = cli::ExpandPath("~/.ssh/config", "", "", 0);
    if (::access(home.c_str(), F_OK) == 0) config_file = home;
  }
  if (!config_file.empty() && config_file != "none") {
    FileRules rules;
    rules.what = "ssh_config file";
    rules.max_bytes = cli::kMaxConfigBytes;
    rules.access = FileRules::Access::kTrusted;
    absl::StatusOr<std::string> text = ReadSmallFile(config_file, rules);
    if (!text.ok()) {
      std::cerr << "parley: " << text.status().message() << "\n";
      return 255;
    }
    absl::StatusOr<cli::SshConfig> parsed =
        cli::ParseSshConfig(*text, config_file);
    if (!parsed.ok()) {
      std::cerr << "parley: " << parsed.status().message() << "\n";
      return 255;
    }
    config = *std::move(parsed);
  }

  // The crypto backend; run from a Bazel tree, the modules sit in the
  // runfiles.
  crypto::LoaderOptions loader;
  const std::string runfiles = cli::RunfilesDir();
  loader.search_dirs = {runfiles + "/backends/openssl",
                        runfiles + "/backends/cryptopp"};
  auto provider = backend.empty() ? crypto::LoadDefaultCryptoBackend(loader)
                                  : crypto::LoadCryptoBackend(backend, loader);
  if (!provider.ok()) {
    std::cerr << "parley: " << provider.status().message() << "\n";
    return 255;
  }
  settings.provider = *provider;

  std::vector<cli::Destination> destinations;
  if (!hosts_file.empty()) {
    FileRules rules;
    rules.what = "hosts file";
    rules.max_bytes = cli::kMaxHostsFileBytes;
    absl::StatusOr<std::string> text = ReadSmallFile(hosts_file, rules);
    absl::StatusOr<std::vector<cli::Destination>> parsed =
        text.ok()
            ? cli::ParseHostsFile(*text, hosts_file)
            : absl::StatusOr<std::vector<cli::Destination>>(text.status());
    if (!parsed.ok()) {
      std::cerr << "parley: " << parsed.status().message() << "\n";
      return 255;
    }
    destinations = *std::move(parsed);
    settings.prefix_output = true;
  } else {
    absl::StatusOr<cli::Destination> d =
        cli::ParseDestination(destination, /*allow_port=*/false);
    if (!d.ok()) {
      std::cerr << "parley: " << d.status().message() << "\n";
      return 255;
    }
    destinations.push_back(*std::move(d));
  }

  // A jump host's options: the command line's but what names the
  // destination itself, then its own Host sections.
  settings.options_for =
      [&flags, &config,
       &shown](const cli::Destination& d) -> absl::StatusOr<cli::Options> {
    cli::Options o = flags;
    o.hostname.reset();
    o.port.reset();
    o.user.reset();
    o.proxy_jump.reset();
    o.identity_files.clear();
    if (config.has_value()) {
      std::vector<std::string> config_warnings;
      absl::Status s = cli::ApplyConfig(&o, *config, d.host, &config_warnings);
      for (const std::string& w : config_warnings) Warn(&shown, w);
      if (!s.ok()) return s;
    }
    return o;
  };
  // Each destination's options: the command line, then its Host sections.
  std::vector<std::unique_ptr<cli::HostRun>> runs;
  for (cli::Destination& d : destinations) {
    cli::Options o = flags;
    if (config.has_value()) {
      std::vector<std::string> config_warnings;
      absl::Status s = cli::ApplyConfig(&o, *config, d.host, &config_warnings);
      for (const std::string& w : config_warnings) Warn(&shown, w);
      if (!s.ok()) {
        std::cerr << "parley: " << s.message() << "\n";
        return 255;
      }
    }
    runs.push_back(
        std::make_unique<cli::HostRun>(std::move(d), std::move(o), settings));
  }

  if (settings.prefix_output) {
    cli::Progress progress(::isatty(STDERR_FILENO) == 1);
    settings.before_output = [&progress] { progress.Clear(); };
    return cli::RunFanout(runs, parallel, progress);
  }
  absl::StatusOr<std::unique_ptr<client::EventLoop>> loop =
      client::EventLoop::New();
  if (!loop.ok()) {
    std::cerr << "parley: " << loop.status().message() << "\n";
    return 255;
  }
  runs.front()->Start(**loop, [](cli::HostRun&) {});
  absl::Status s = (*loop)->Run();
  const cli::HostResult& r = runs.front()->result();
  if (!runs.front()->finished()) {
    std::cerr << "parley: "
              << (s.ok() ? "the session ended early" : std::string(s.message()))
              << "\n";
    return 255;
  }
  if (!r.error.empty()) {
    std::cerr << "parley: " << auth::SanitizeForTerminal(r.error) << "\n";
  }
  return r.kind == cli::HostResult::Kind::kRan ? r.exit_status : 255;
}

}  // namespace
}  // namespace parley

int main(int argc, char** argv) {
  // Keys, passwords and PINs pass through this process: no core files.
  parley::DisableCoreDumps();
  return parley::Main(argc, argv);
}
