// parley: an ssh-like client on the Parley library.
//
//   parley [options] [user@]host [command...]
//
// Options:
//   -p PORT                 port (default 22)
//   -l USER                 user name (default $USER)
//   -i FILE                 OpenSSH private key for publickey authentication
//                           (passphrase from $PARLEY_PASSPHRASE or the
//                           terminal)
//   --crypto NAME           crypto backend (default $PARLEY_CRYPTO or openssl)
//   --kex/--hostkey/--cipher/--mac LIST   comma-separated algorithm lists
//   --known-hosts FILE      known_hosts file (default ~/.ssh/known_hosts)
//   --strict-host-key-checking yes|accept-new   (default yes)
//   --timeout SECONDS       per-step timeout (default 30)
//   -v                      print negotiated algorithms to stderr
//
// The password is read from $PARLEY_PASSWORD when set (automation), else
// from the terminal. Exit status: the remote command's, or 255 on error.
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/auth/kbdint.h"
#include "core/auth/responder.h"
#include "core/base/secure_buffer.h"
#include "core/client/session.h"
#include "core/crypto/backend_loader.h"
#include "core/crypto/ssh_keys.h"
#include "core/hostkeys/host_key_policy.h"
#include "core/keys/key_file.h"

namespace parley {
namespace {

int Usage() {
  std::cerr << "usage: parley [-p port] [-l user] [--crypto NAME] "
               "[--known-hosts FILE] [--strict-host-key-checking "
               "yes|accept-new] [--kex L] [--hostkey L] [--cipher L] "
               "[--mac L] [--timeout S] [-v] [user@]host [command...]\n";
  return 255;
}

// Reads one line from the terminal; `echo` false hides what is typed.
SecureBuffer ReadFromTerminal(const std::string& prompt, bool echo) {
  SecureBuffer out;
  FILE* tty = std::fopen("/dev/tty", "r+");
  if (tty == nullptr) return out;
  std::fputs(prompt.c_str(), tty);
  std::fflush(tty);
  termios old{}, quiet{};
  const bool is_tty = !echo && tcgetattr(fileno(tty), &old) == 0;
  if (is_tty) {
    quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
  }
  int c;
  while ((c = std::fgetc(tty)) != EOF && c != '\n') {
    out.push_back(static_cast<uint8_t>(c));
  }
  if (is_tty) tcsetattr(fileno(tty), TCSAFLUSH, &old);
  if (!echo) std::fputs("\n", tty);
  std::fclose(tty);
  return out;
}

SecureBuffer ReadPassword(const std::string& prompt) {
  if (const char* env = std::getenv("PARLEY_PASSWORD")) {
    return SecureBuffer(env, env + std::strlen(env));
  }
  return ReadFromTerminal(prompt, false);
}

// Shows each keyboard-interactive round on the terminal (server text made
// safe first) and reads the answers.
class TerminalResponder : public auth::Responder {
 public:
  auth::ResponderStatus Respond(const auth::Challenge& c,
                                std::vector<SecureBuffer>* answers) override {
    if (!c.request.name.empty() || !c.request.instruction.empty()) {
      FILE* tty = std::fopen("/dev/tty", "w");
      if (tty != nullptr) {
        for (const std::string* t : {&c.request.name, &c.request.instruction}) {
          if (!t->empty()) {
            std::fprintf(tty, "%s\n", auth::SanitizeForTerminal(*t).c_str());
          }
        }
        std::fclose(tty);
      }
    }
    for (const auth::Prompt& p : c.request.prompts) {
      answers->push_back(
          ReadFromTerminal(auth::SanitizeForTerminal(p.text), p.echo));
    }
    return auth::ResponderStatus::kAnswered;
  }
};

int Main(int argc, char** argv) {
  std::string user = std::getenv("USER") ? std::getenv("USER") : "root";
  std::string host, backend, known_hosts, policy = "yes", identity;
  uint16_t port = 22;
  int timeout = 30;
  bool verbose = false;
  client::SessionOptions options;
  std::vector<std::string> command;
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
  const std::string runfiles = std::string(argv[0]) + ".runfiles/parley";
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
  if (!identity.empty() && none->kind != auth::AuthOutcome::kSuccess &&
      offered("publickey")) {
    auto key = keys::LoadPrivateKeyFile(identity, ByteView(), *provider);
    if (key.status().code() == absl::StatusCode::kUnauthenticated) {
      SecureBuffer passphrase;
      if (const char* env = std::getenv("PARLEY_PASSPHRASE")) {
        passphrase.assign(env, env + std::strlen(env));
      } else {
        passphrase =
            ReadFromTerminal("Enter passphrase for " + identity + ": ", false);
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
    // $PARLEY_PASSWORD answers password prompts unattended; otherwise ask.
    std::unique_ptr<auth::Responder> responder;
    if (const char* env = std::getenv("PARLEY_PASSWORD")) {
      responder = std::make_unique<auth::PasswordResponder>(
          SecureBuffer(env, env + std::strlen(env)));
    } else {
      responder = std::make_unique<TerminalResponder>();
    }
    auto r = s.AuthKeyboardInteractive(user, *responder);
    if (!r.ok()) {
      std::cerr << "parley: " << r.status().message() << "\n";
      return 255;
    }
    none = r;
  }
  if (none->kind != auth::AuthOutcome::kSuccess && offered("password")) {
    SecureBuffer password = ReadPassword(user + "@" + host + "'s password: ");
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
  fwrite(result->stdout_data.data(), 1, result->stdout_data.size(), stdout);
  fwrite(result->stderr_data.data(), 1, result->stderr_data.size(), stderr);
  s.Disconnect("bye");
  if (result->exit_signal.has_value()) return 255;
  return result->exit_status.value_or(255);
}

}  // namespace
}  // namespace parley

int main(int argc, char** argv) { return parley::Main(argc, argv); }
