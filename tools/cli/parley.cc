// parley: an ssh-like client on the Parley library.
//
//   parley [options] [user@]host [command...]
//
// Options:
//   -p PORT                 port (default 22)
//   -l USER                 user name (default $USER)
//   -I MODULE|pkcs11:URI, -o PKCS11Provider=...   keys on a PKCS#11 token
//   --pin-fd N              read the token's PIN from descriptor N
//   -A, -o ForwardAgent=yes forward the agent to the command
//   -o IdentityAgent=SOCKET the agent to use (default $SSH_AUTH_SOCK; none)
//   -i FILE                 OpenSSH private key for publickey authentication
//                           (passphrase from $PARLEY_PASSPHRASE or the
//                           terminal)
//   --crypto NAME           crypto backend (default $PARLEY_CRYPTO or openssl)
//   --kex/--hostkey/--cipher/--mac LIST   comma-separated algorithm lists
//   --known-hosts FILE      known_hosts file (default ~/.ssh/known_hosts)
//   --strict-host-key-checking yes|accept-new   (default yes)
//   --timeout SECONDS       per-step timeout (default 30)
//   --responder NAME[:key=value,...]   a responder plugin instance for
//                           keyboard-interactive prompts; repeatable, in
//                           chain order; the terminal (or SSH_ASKPASS)
//                           answers what none of them claims
//   --plugin-dir DIR        also look for plugins in DIR (before the
//                           installed PREFIX/lib/parley/plugins)
//   -v                      print negotiated algorithms and responder
//                           messages to stderr
//   -h, --help              this help
//
// $PARLEY_PASSWORD, when set, answers password prompts (and the password
// method) unattended; every other prompt goes down the responder chain.
// Exit status: the remote command's, or 255 on error.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/agent/agent_signer.h"
#include "core/agent/client.h"
#include "core/auth/kbdint.h"
#include "core/auth/prompt_class.h"
#include "core/auth/responder.h"
#include "core/auth/routing.h"
#include "core/base/file.h"
#include "core/base/no_dump.h"
#include "core/base/secure_buffer.h"
#include "core/client/session.h"
#include "core/crypto/backend_loader.h"
#include "core/crypto/ssh_keys.h"
#include "core/hostkeys/host_key_policy.h"
#include "core/keys/key_file.h"
#include "core/pkcs11/signer.h"
#include "core/plugin/responder_plugin.h"
#include "core/plugin/spec.h"
#include "plugins/terminal/pin_source.h"
#include "plugins/terminal/tty.h"

namespace parley {
namespace {

constexpr char kUsage[] =
    "usage: parley [-p port] [-l user] [-i identity_file] [--crypto NAME]\n"
    "              [--known-hosts FILE] [--strict-host-key-checking "
    "yes|accept-new]\n"
    "              [--kex L] [--hostkey L] [--cipher L] [--mac L] "
    "[--timeout S]\n"
    "              [--responder NAME[:key=value,...]]... [--plugin-dir "
    "DIR]...\n"
    "              [-A] [-o IdentityAgent=SOCKET|none] [-o ForwardAgent=yes]\n"
    "              [-I PKCS11_MODULE|pkcs11:URI] [-o PKCS11Provider=...] "
    "[--pin-fd N]\n"
    "              [-v] [user@]host [command...]\n";

int Usage() {
  std::cerr << kUsage;
  return 255;
}

// Asks a person (terminal or SSH_ASKPASS, as OpenSSH does); empty when
// nobody can be asked.
SecureBuffer Ask(const std::string& prompt) {
  tty::AskOptions options;
  options.askpass = tty::AskpassModeFromEnv();
  absl::StatusOr<SecureBuffer> answer = tty::Ask(options, prompt, false);
  if (!answer.ok()) {
    std::cerr << "parley: " << answer.status().message() << "\n";
    return SecureBuffer();
  }
  return *std::move(answer);
}

// The Bazel runfiles tree next to this program, found from the program's
// own path (/proc/self/exe) -- never from argv[0], which may be a bare name
// resolved through $PATH and would make the current directory a plugin
// folder.
std::string Runfiles() {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "/nonexistent";
  return std::string(self, static_cast<size_t>(n)) + ".runfiles/parley";
}

// A token's PIN (plugins/terminal/pin_source.h), the token's warnings on
// stderr.
pkcs11::PinSource TokenPinSource(int fd) {
  return tty::PinSource(fd, [](absl::string_view warning) {
    std::cerr << "parley: warning: " << warning << "\n";
  });
}

// Takes a secret out of the environment: copied into wiping memory, wiped
// in place and unset, so that no child (askpass, a scripted command)
// inherits it.
absl::optional<SecureBuffer> TakeSecretEnv(const char* name) {
  char* env = std::getenv(name);
  if (env == nullptr) return absl::nullopt;
  const size_t n = std::strlen(env);
  SecureBuffer secret(env, env + n);
  SecureWipe(env, n);
  ::unsetenv(name);
  return secret;
}

// The keyboard-interactive responders: $PARLEY_PASSWORD for password
// prompts when set, then the --responder chain, then -- for whatever they
// leave, as ssh does -- the terminal (or SSH_ASKPASS).
absl::StatusOr<std::shared_ptr<auth::RoutingResponder>> Responders(
    const std::vector<std::string>& specs, std::vector<std::string> dirs,
    const absl::optional<SecureBuffer>& password, bool verbose) {
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
  const std::string runfiles = Runfiles() + "/plugins/";
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
  if (!terminal_named) {
    absl::StatusOr<std::shared_ptr<plugin::ResponderPlugin>> terminal =
        finder.Find("terminal");
    if (!terminal.ok()) return terminal.status();
    absl::StatusOr<std::shared_ptr<auth::PartialResponder>> person =
        (*terminal)->NewInstance({}, log);
    if (!person.ok()) return person.status();
    chain->SetFallback(*std::move(person));
  }
  return chain;
}

int Main(int argc, char** argv) {
  const absl::optional<SecureBuffer> env_password =
      TakeSecretEnv("PARLEY_PASSWORD");
  const absl::optional<SecureBuffer> env_passphrase =
      TakeSecretEnv("PARLEY_PASSPHRASE");
  std::string user = std::getenv("USER") ? std::getenv("USER") : "root";
  std::string host, backend, known_hosts, policy = "yes", identity;
  std::string identity_agent;  // IdentityAgent: "" = $SSH_AUTH_SOCK
  bool forward_agent = false;
  std::string pkcs11;  // -I / PKCS11Provider: a module or a pkcs11: URI
  int pin_fd = -1;
  uint16_t port = 22;
  int timeout = 30;
  bool verbose = false;
  client::SessionOptions options;
  std::vector<std::string> command, responder_specs, plugin_dirs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        Usage();
        std::exit(255);
      }
      return argv[++i];
    };
    auto list = [&]() {
      return std::vector<std::string>(absl::StrSplit(next(), ','));
    };
    if (!host.empty()) {
      command.push_back(a);
    } else if (a == "-p") {
      port = static_cast<uint16_t>(std::atoi(next().c_str()));
    } else if (a == "-l") {
      user = next();
    } else if (a == "-i") {
      identity = next();
    } else if (a == "--crypto") {
      backend = next();
    } else if (a == "--known-hosts") {
      known_hosts = next();
    } else if (a == "--strict-host-key-checking") {
      policy = next();
    } else if (a == "--kex") {
      options.algorithms.kex = list();
    } else if (a == "--hostkey") {
      options.algorithms.host_key = list();
    } else if (a == "--cipher") {
      options.algorithms.cipher = list();
    } else if (a == "--mac") {
      options.algorithms.mac = list();
    } else if (a == "--timeout") {
      timeout = std::atoi(next().c_str());
    } else if (a == "-v") {
      verbose = true;
    } else if (a == "-I") {
      pkcs11 = next();
    } else if (a == "--pin-fd") {
      pin_fd = std::atoi(next().c_str());
    } else if (a == "-A") {
      forward_agent = true;
    } else if (a == "-a") {
      forward_agent = false;
    } else if (a == "-o") {
      const std::string o = next();
      const size_t eq = o.find_first_of("= ");
      const std::string key = absl::AsciiStrToLower(o.substr(0, eq));
      const std::string value =
          eq == std::string::npos
              ? ""
              : std::string(absl::StripAsciiWhitespace(o.substr(eq + 1)));
      if (key == "identityagent") {
        identity_agent = value;
      } else if (key == "pkcs11provider") {
        pkcs11 = value == "none" ? "" : value;
      } else if (key == "forwardagent") {
        forward_agent = absl::AsciiStrToLower(value) == "yes";
      } else {
        std::cerr << "parley: warning: option " << o.substr(0, eq)
                  << " is not supported (yet); ignored\n";
      }
    } else if (a == "--responder") {
      responder_specs.push_back(next());
    } else if (a == "--plugin-dir") {
      plugin_dirs.push_back(next());
    } else if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      return Usage();
    } else {
      size_t at = a.rfind('@');
      if (at != std::string::npos) {
        user = a.substr(0, at);
        host = a.substr(at + 1);
      } else {
        host = a;
      }
    }
  }
  if (host.empty()) return Usage();
  if (known_hosts.empty()) {
    const char* home = std::getenv("HOME");
    known_hosts = std::string(home ? home : ".") + "/.ssh/known_hosts";
  }
  // Run from a Bazel tree, the modules sit in the runfiles.
  crypto::LoaderOptions loader;
  const std::string runfiles = Runfiles();
  loader.search_dirs = {runfiles + "/backends/openssl",
                        runfiles + "/backends/cryptopp"};
  if (!backend.empty()) {
    auto p = crypto::LoadCryptoBackend(backend, loader);
    if (!p.ok()) {
      std::cerr << "parley: " << p.status().message() << "\n";
      return 255;
    }
    options.provider = *p;
  } else {
    auto p = crypto::LoadDefaultCryptoBackend(loader);
    if (!p.ok()) {
      std::cerr << "parley: " << p.status().message() << "\n";
      return 255;
    }
    options.provider = *p;
  }
  hostkeys::HostKeyVerifyOptions hk;
  hk.known_hosts_files = {known_hosts};
  if (policy == "accept-new") {
    hk.policy = hostkeys::HostKeyPolicy::kAcceptNew;
  } else if (policy != "yes") {
    return Usage();
  }
  const crypto::CryptoProvider* provider = options.provider.get();
  options.verify_host_key = [&](const transport::HostKeyInfo& info) {
    return hostkeys::VerifyHostKey(hk, *provider, host, port, info.blob);
  };
  options.timeout = std::chrono::seconds(timeout);
  if (forward_agent) {
    options.forward_agent = agent::AgentSocketPath(identity_agent);
    if (options.forward_agent.empty()) {
      std::cerr << "parley: warning: no agent to forward (SSH_AUTH_SOCK is "
                   "not set)\n";
    }
  }
  auto session = client::Session::Connect(host, port, options);
  if (!session.ok()) {
    std::cerr << "parley: " << session.status().message() << "\n";
    return 255;
  }
  client::Session& s = **session;
  if (verbose) {
    const auto& n = s.transport().negotiated();
    std::cerr << "parley: " << s.transport().server_version() << "; kex "
              << n.kex << ", host key " << n.host_key << ", cipher "
              << n.cipher_c2s << "/" << n.cipher_s2c << ", mac "
              << (n.mac_c2s.empty() ? "(aead)" : n.mac_c2s)
              << (n.strict_kex ? ", strict kex" : "") << ", backend "
              << s.provider().name() << "\n";
  }
  auto none = s.AuthNone(user);
  if (!none.ok()) {
    std::cerr << "parley: " << none.status().message() << "\n";
    return 255;
  }
  // The server's pre-login banner (USERAUTH_BANNER), made safe to print, as
  // ssh shows it.
  for (const std::string& banner : s.banners()) {
    std::cerr << auth::SanitizeForTerminal(banner);
  }
  auto offered = [&](const char* m) {
    return std::find(none->methods.begin(), none->methods.end(), m) !=
           none->methods.end();
  };
  // The agent's keys first, as ssh does.
  const std::string agent_socket = agent::AgentSocketPath(identity_agent);
  if (!agent_socket.empty() && none->kind != auth::AuthOutcome::kSuccess &&
      offered("publickey")) {
    absl::StatusOr<std::vector<agent::AgentKey>> keys =
        agent::AgentSigners(agent_socket);
    if (!keys.ok() && verbose) {
      std::cerr << "parley: agent: " << keys.status().message() << "\n";
    }
    for (const agent::AgentKey& k :
         keys.ok() ? *keys : std::vector<agent::AgentKey>{}) {
      if (verbose) {
        std::cerr << "parley: offering agent key "
                  << auth::SanitizeForTerminal(k.comment) << "\n";
      }
      auto r = s.AuthPublicKey(user, k.signer);
      if (!r.ok()) {
        if (s.engine().closed()) {
          std::cerr << "parley: " << r.status().message() << "\n";
          return 255;
        }
        std::cerr << "parley: agent key "
                  << auth::SanitizeForTerminal(k.comment) << ": "
                  << r.status().message() << "\n";
        continue;
      }
      if (r->kind == auth::AuthOutcome::kSuccess ||
          r->kind == auth::AuthOutcome::kPartialSuccess) {
        none = r;
        break;
      }
    }
  }
  // Then the token's keys (-I), asking the PIN once per token as ssh does.
  if (!pkcs11.empty() && none->kind != auth::AuthOutcome::kSuccess &&
      offered("publickey")) {
    absl::StatusOr<pkcs11::KeySelection> selection =
        pkcs11::ParseKeySelection(pkcs11);
    absl::StatusOr<std::vector<pkcs11::TokenSigner>> keys =
        selection.ok() ? pkcs11::TokenSigners(*selection, options.provider,
                                              TokenPinSource(pin_fd))
                       : absl::StatusOr<std::vector<pkcs11::TokenSigner>>(
                             selection.status());
    if (!keys.ok()) {
      std::cerr << "parley: PKCS#11: " << keys.status().message() << "\n";
      return 255;
    }
    for (const pkcs11::TokenSigner& k : *keys) {
      if (verbose) {
        std::cerr << "parley: offering token key \""
                  << auth::SanitizeForTerminal(k.key.label) << "\" of \""
                  << auth::SanitizeForTerminal(k.key.token_label) << "\"\n";
      }
      auto r = s.AuthPublicKey(user, k.signer);
      if (!r.ok()) {
        // A wrong PIN is not tried again (the token would lock).
        std::cerr << "parley: " << r.status().message() << "\n";
        if (s.engine().closed() ||
            r.status().code() == absl::StatusCode::kPermissionDenied) {
          return 255;
        }
        continue;
      }
      if (r->kind == auth::AuthOutcome::kSuccess ||
          r->kind == auth::AuthOutcome::kPartialSuccess) {
        none = r;
        break;
      }
    }
  }
  if (!identity.empty() && none->kind != auth::AuthOutcome::kSuccess &&
      offered("publickey")) {
    auto key = keys::LoadPrivateKeyFile(identity, ByteView(), *provider);
    if (key.status().code() == absl::StatusCode::kUnauthenticated) {
      SecureBuffer passphrase;
      if (env_passphrase.has_value()) {
        passphrase = *env_passphrase;
      } else {
        passphrase = Ask("Enter passphrase for key '" + identity + "': ");
      }
      key = keys::LoadPrivateKeyFile(identity, View(passphrase), *provider);
    }
    if (!key.ok()) {
      std::cerr << "parley: " << identity << ": " << key.status().message()
                << "\n";
      return 255;
    }
    auto r = s.AuthPublicKey(user, *key);
    if (!r.ok()) {
      std::cerr << "parley: " << r.status().message() << "\n";
      return 255;
    }
    none = r;
  }
  if (none->kind != auth::AuthOutcome::kSuccess &&
      offered("keyboard-interactive")) {
    absl::StatusOr<std::shared_ptr<auth::RoutingResponder>> responders =
        Responders(responder_specs, plugin_dirs, env_password, verbose);
    if (!responders.ok()) {
      std::cerr << "parley: " << responders.status().message() << "\n";
      return 255;
    }
    auto r = s.AuthKeyboardInteractive(user, **responders);
    if (!r.ok()) {
      std::cerr << "parley: " << r.status().message() << "\n";
      return 255;
    }
    none = r;
  }
  if (none->kind != auth::AuthOutcome::kSuccess && offered("password")) {
    SecureBuffer password = env_password.has_value()
                                ? *env_password
                                : Ask(user + "@" + host + "'s password: ");
    auto r = s.AuthPassword(user, View(password));
    if (!r.ok()) {
      std::cerr << "parley: " << r.status().message() << "\n";
      return 255;
    }
    if (r->kind != auth::AuthOutcome::kSuccess) {
      std::cerr << "parley: authentication failed (methods that can "
                   "continue: "
                << absl::StrJoin(r->methods, ",") << ")\n";
      return 255;
    }
    none = r;
  }
  if (none->kind != auth::AuthOutcome::kSuccess) {
    std::cerr << "parley: authentication failed (methods that can continue: "
              << absl::StrJoin(none->methods, ",") << ")\n";
    return 255;
  }
  auto result = s.Exec(absl::StrJoin(command, " "));
  if (!result.ok()) {
    std::cerr << "parley: " << result.status().message() << "\n";
    return 255;
  }
  // (fwrite may not be given the null pointer of an empty vector.)
  if (!result->stdout_data.empty()) {
    fwrite(result->stdout_data.data(), 1, result->stdout_data.size(), stdout);
  }
  if (!result->stderr_data.empty()) {
    fwrite(result->stderr_data.data(), 1, result->stderr_data.size(), stderr);
  }
  s.Disconnect("bye");
  if (result->exit_signal.has_value()) return 255;
  return result->exit_status.value_or(255);
}

}  // namespace
}  // namespace parley

int main(int argc, char** argv) {
  // Keys, passwords and PINs pass through this process: no core files.
  parley::DisableCoreDumps();
  return parley::Main(argc, argv);
}
