#include "tools/cli/host_run.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/agent/agent_signer.h"
#include "core/agent/client.h"
#include "core/auth/kbdint.h"
#include "core/auth/prompt_class.h"
#include "core/auth/signer.h"
#include "core/crypto/ssh_keys.h"
#include "core/hostkeys/host_key_policy.h"
#include "core/keys/key_file.h"
#include "core/pkcs11/signer.h"
#include "core/plugin/responder_plugin.h"
#include "core/plugin/spec.h"
#include "core/transport/messages.h"
#include "plugins/terminal/pin_source.h"
#include "plugins/terminal/tty.h"
#include "tools/cli/responders.h"

namespace parley::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::string Safe(absl::string_view s) { return auth::SanitizeForTerminal(s); }

// Asks a person (terminal or SSH_ASKPASS, as OpenSSH does); nullopt when
// nobody can be asked.
absl::optional<SecureBuffer> Ask(const std::string& prompt) {
  tty::AskOptions options;
  options.askpass = tty::AskpassModeFromEnv();
  absl::StatusOr<SecureBuffer> answer = tty::Ask(options, prompt, false);
  if (!answer.ok()) {
    std::cerr << "parley: " << answer.status().message() << "\n";
    return absl::nullopt;
  }
  return *std::move(answer);
}

// Shows each keyboard-interactive round at -v (prompts made safe, answers
// never), then lets the chain answer.
class VerboseResponder : public auth::Responder {
 public:
  VerboseResponder(std::shared_ptr<auth::RoutingResponder> inner,
                   std::function<void(const std::string&)> log)
      : inner_(std::move(inner)), log_(std::move(log)) {}
  auth::ResponderStatus Respond(const auth::Challenge& c,
                                std::vector<SecureBuffer>* answers) override {
    if (c.round != shown_) {
      shown_ = c.round;
      std::string text =
          absl::StrCat("keyboard-interactive round ", c.round, ": ",
                       c.request.prompts.size(), " prompt(s)");
      if (!c.request.name.empty()) {
        absl::StrAppend(&text, ", name \"", Safe(c.request.name), "\"");
      }
      if (!c.request.instruction.empty()) {
        absl::StrAppend(&text, ", instruction \"", Safe(c.request.instruction),
                        "\"");
      }
      for (const auth::Prompt& p : c.request.prompts) {
        absl::StrAppend(&text, "; \"", Safe(p.text), "\" (",
                        auth::PromptClassName(auth::ClassifyPrompt(p.text)),
                        p.echo ? ", echo" : "", ")");
      }
      log_(text);
    }
    const auth::ResponderStatus s = inner_->Respond(c, answers);
    if (s == auth::ResponderStatus::kAnswered) {
      std::string who;
      const auto& by = inner_->answered_by();
      for (size_t i = 0; i < by.size(); ++i) {
        absl::StrAppend(&who, i == 0 ? "" : ", ", "prompt ", i + 1, " by ",
                        Safe(by[i]));
      }
      log_(absl::StrCat("round ", c.round, " answered", who.empty() ? "" : ": ",
                        who));
    }
    return s;
  }
  std::chrono::milliseconds retry_after() const override {
    return inner_->retry_after();
  }
  absl::Status failure() const override { return inner_->failure(); }
  void Abort() override { inner_->Abort(); }

 private:
  std::shared_ptr<auth::RoutingResponder> inner_;
  std::function<void(const std::string&)> log_;
  int shown_ = 0;
};

}  // namespace

// One authentication attempt.
struct HostRun::Step {
  std::string method;  // "publickey", "keyboard-interactive", "password"
  std::string what;    // for messages
  // Starts the attempt; false when it cannot be made after all (a key that
  // cannot be loaded): the next step follows.
  std::function<bool(client::AsyncSession&,
                     client::AsyncSession::Done<auth::AuthOutcome>)>
      start;
  // An error ends the login (a wrong PIN must not be tried again).
  bool stop_on_error = false;
};

HostRun::HostRun(Destination destination, Options options,
                 const RunSettings& settings)
    : destination_(std::move(destination)),
      options_(std::move(options)),
      settings_(settings) {}

HostRun::~HostRun() = default;

void HostRun::Log(int level, const std::string& message) {
  if (settings_.verbosity < level) return;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      Clock::now() - start_)
                      .count();
  std::cerr << "parley: "
            << (settings_.prefix_output ? destination_.as_written + ": "
                                        : std::string())
            << "[" << ms << " ms] " << log_prefix_ << message << "\n";
}

void HostRun::Start(client::EventLoop& loop, Done done) {
  done_ = std::move(done);
  start_ = Clock::now();
  hostname_ = options_.hostname.value_or(destination_.host);
  port_ = destination_.port.value_or(options_.port.value_or(22));
  user_ = destination_.user.value_or(
      options_.user.value_or(settings_.default_user));

  client::SessionOptions so;
  so.provider = settings_.provider;
  const crypto::AlgorithmLists defaults = settings_.provider->Algorithms();
  so.algorithms.kex =
      ResolveAlgorithms(options_.kex.value_or(""), defaults.kex);
  so.algorithms.host_key = ResolveAlgorithms(
      options_.host_key_algorithms.value_or(""), defaults.host_key);
  so.algorithms.cipher =
      ResolveAlgorithms(options_.ciphers.value_or(""), defaults.cipher);
  so.algorithms.mac =
      ResolveAlgorithms(options_.macs.value_or(""), defaults.mac);
  so.timeout = options_.connect_timeout.has_value()
                   ? std::chrono::seconds(*options_.connect_timeout)
                   : settings_.timeout;
  hostkeys::HostKeyVerifyOptions hk;
  hk.known_hosts_files = {
      ExpandPath(options_.known_hosts_file.value_or("~/.ssh/known_hosts"),
                 user_, hostname_, port_)};
  if (options_.strict_host_key_checking.value_or("yes") == "accept-new") {
    hk.policy = hostkeys::HostKeyPolicy::kAcceptNew;
  }
  // "Permanently added ...", lines of the file that were skipped: as ssh
  // shows them.
  hk.on_warning = [this](absl::string_view warning) {
    if (settings_.before_output) settings_.before_output();
    std::cerr << "parley: "
              << (settings_.prefix_output ? destination_.as_written + ": "
                                          : std::string())
              << log_prefix_ << "warning: " << Safe(warning) << "\n";
  };
  const crypto::CryptoProvider* provider = settings_.provider.get();
  // As OpenSSH: host certificates are asked for first when a known_hosts
  // @cert-authority line covers the host (and HostKeyAlgorithms is not set).
  if (!options_.host_key_algorithms.has_value()) {
    absl::StatusOr<bool> ca =
        hostkeys::HasCertificateAuthority(hk, *provider, hostname_, port_);
    if (ca.ok() && *ca) {
      const std::vector<std::string> certs =
          crypto::CertificateHostKeyAlgorithms();
      so.algorithms.host_key.insert(so.algorithms.host_key.begin(),
                                    certs.begin(), certs.end());
    }
  }
  so.verify_host_key = [this, hk, provider](const transport::HostKeyInfo& i) {
    absl::StatusOr<std::string> fp =
        crypto::FingerprintSha256(*provider, i.blob);
    Log(1, absl::StrCat("host key ", i.algorithm, " ",
                        fp.ok() ? *fp : std::string("(no fingerprint)")));
    absl::Status s =
        hostkeys::VerifyHostKey(hk, *provider, hostname_, port_, i.blob);
    if (!s.ok()) {
      return absl::Status(s.code(),
                          absl::StrCat(s.message(), " (known hosts file ",
                                       hk.known_hosts_files.front(), ")"));
    }
    return s;
  };
  so.keepalive_interval =
      std::chrono::seconds(options_.server_alive_interval.value_or(0));
  so.keepalive_count_max = options_.server_alive_count_max.value_or(3);
  if (settings_.verbosity >= 3) {
    so.on_packet = [this](bool sent, uint8_t type, size_t size) {
      Log(3, absl::StrCat(sent ? "sent " : "received ",
                          transport::MessageName(type), " (", size, " bytes)"));
    };
  }
  if (settings_.verbosity >= 2) {
    so.on_debug = [this](bool, const std::string& text) {
      Log(2, absl::StrCat("server debug message: \"", Safe(text), "\""));
    };
  }
  if (options_.forward_agent.value_or(false)) {
    so.forward_agent =
        agent::AgentSocketPath(options_.identity_agent.value_or(""));
    if (so.forward_agent.empty()) {
      std::cerr << "parley: warning: no agent to forward (SSH_AUTH_SOCK is "
                   "not set)\n";
    }
  }
  auto connected = [this](client::AsyncSession& s, absl::Status status) {
    Connected(s, std::move(status));
  };
  const std::string jumps = options_.proxy_jump.value_or("none");
  if (jumps == "none" || jumps.empty()) {
    Log(1, absl::StrCat("connecting to ", hostname_, " port ", port_, " as ",
                        user_));
    session_ = client::AsyncSession::Connect(loop, hostname_, port_,
                                             std::move(so), connected);
    return;
  }
  // ProxyJump "a,b": reach b through a, then this host through b. The
  // last jump host tunnels to us; it reaches its own way through the rest.
  const size_t comma = jumps.rfind(',');
  const std::string last =
      comma == std::string::npos ? jumps : jumps.substr(comma + 1);
  const std::string rest =
      comma == std::string::npos ? "none" : jumps.substr(0, comma);
  absl::StatusOr<Destination> hop = ParseDestination(last, true);
  if (!hop.ok()) {
    Finish(HostResult::Kind::kConnect, 255,
           absl::StrCat("ProxyJump: ", hop.status().message()));
    return;
  }
  Options hop_options;
  if (settings_.options_for) {
    absl::StatusOr<Options> o = settings_.options_for(*hop);
    if (!o.ok()) {
      Finish(HostResult::Kind::kConnect, 255,
             std::string(o.status().message()));
      return;
    }
    hop_options = *std::move(o);
  }
  hop_options.proxy_jump = rest;
  jump_ = std::make_unique<HostRun>(*std::move(hop), std::move(hop_options),
                                    settings_);
  jump_->log_prefix_ = absl::StrCat(log_prefix_, "jump host ",
                                    jump_->destination_.as_written, ": ");
  Log(1, absl::StrCat("connecting to ", hostname_, " port ", port_, " as ",
                      user_, " through ", jump_->destination_.as_written));
  auto session_options =
      std::make_shared<client::SessionOptions>(std::move(so));
  jump_->StartTunnel(
      loop, hostname_, port_,
      [this, &loop, session_options, connected](absl::StatusOr<int> fd) {
        if (!fd.ok()) {
          Finish(HostResult::Kind::kConnect, 255,
                 absl::StrCat("jump host ", jump_->destination_.as_written,
                              ": ", fd.status().message()));
          return;
        }
        Log(1, "the jump host's tunnel is open");
        session_ = client::AsyncSession::ConnectOver(
            loop, *fd, hostname_, port_, std::move(*session_options),
            connected);
      });
}

void HostRun::StartTunnel(client::EventLoop& loop, const std::string& host,
                          uint16_t port,
                          std::function<void(absl::StatusOr<int>)> on_tunnel) {
  tunnel_host_ = host;
  tunnel_port_ = port;
  on_tunnel_ = std::move(on_tunnel);
  Start(loop, nullptr);
}

void HostRun::Stop() {
  if (session_ != nullptr) {
    session_->Close();
    session_ = nullptr;
  }
  if (jump_ != nullptr) jump_->Stop();
}

void HostRun::Connected(client::AsyncSession& s, absl::Status status) {
  if (!status.ok()) {
    session_ = nullptr;  // it closes itself
    Finish(HostResult::Kind::kConnect, 255,
           absl::StrCat("cannot connect to ", hostname_, " port ", port_, ": ",
                        status.message()));
    return;
  }
  const auto& t = s.engine().transport();
  const auto& n = t.negotiated();
  Log(1, absl::StrCat("connected: ", Safe(t.server_version()), "; kex ", n.kex,
                      ", host key ", n.host_key, ", cipher ", n.cipher_c2s, "/",
                      n.cipher_s2c, ", mac ",
                      n.mac_c2s.empty() ? "(aead)" : n.mac_c2s,
                      n.strict_kex ? ", strict kex" : "", ", backend ",
                      settings_.provider->name()));
  s.AuthNone(user_, [this](client::AsyncSession& s,
                           absl::StatusOr<auth::AuthOutcome> none) {
    if (!none.ok()) {
      Finish(HostResult::Kind::kAuth, 255,
             std::string(none.status().message()));
      return;
    }
    // The server's pre-login banner, made safe, as ssh shows it.
    if (!settings_.prefix_output) {
      for (const std::string& banner : s.engine().banners()) {
        std::cerr << Safe(banner);
      }
    }
    if (none->kind == auth::AuthOutcome::kSuccess) {
      Authenticated();
      return;
    }
    methods_ = none->methods;
    Log(1, absl::StrCat("the server takes: ", absl::StrJoin(methods_, ",")));
    steps_ = PlanSteps();
    next_step_ = 0;
    NextStep();
  });
}

bool HostRun::CanAsk(bool batch) const {
  // BatchMode never asks; many hosts at once ask only through a forced
  // SSH_ASKPASS (OpenSSH's convention for unattended use).
  if (batch) return false;
  return !settings_.prefix_output ||
         tty::AskpassModeFromEnv() == tty::AskpassMode::kForce;
}

std::vector<std::unique_ptr<HostRun::Step>> HostRun::PlanSteps() {
  std::vector<std::unique_ptr<Step>> steps;
  const bool batch = options_.batch_mode.value_or(false);
  const std::vector<std::string> order =
      options_.preferred_authentications.value_or(std::vector<std::string>{
          "publickey", "keyboard-interactive", "password"});
  for (const std::string& method : order) {
    if (method == "publickey") {
      // The agent's keys first, as ssh does.
      const std::string socket =
          agent::AgentSocketPath(options_.identity_agent.value_or(""));
      if (!socket.empty()) {
        absl::StatusOr<std::vector<agent::AgentKey>> keys =
            agent::AgentSigners(socket);
        if (!keys.ok()) {
          Log(1, absl::StrCat("agent: ", keys.status().message()));
        }
        for (const agent::AgentKey& k :
             keys.ok() ? *keys : std::vector<agent::AgentKey>{}) {
          auto step = std::make_unique<Step>();
          step->method = method;
          step->what = absl::StrCat("agent key ", Safe(k.comment));
          auto signer = k.signer;
          step->start = [this, signer](client::AsyncSession& s, auto done) {
            s.AuthPublicKey(user_, signer, std::move(done));
            return true;
          };
          steps.push_back(std::move(step));
        }
      }
      // Then the token's keys (-I), the PIN asked once per token.
      if (options_.pkcs11_provider.has_value() &&
          *options_.pkcs11_provider != "none") {
        absl::StatusOr<pkcs11::KeySelection> selection =
            pkcs11::ParseKeySelection(*options_.pkcs11_provider);
        absl::StatusOr<std::vector<pkcs11::TokenSigner>> keys =
            selection.ok() ? pkcs11::TokenSigners(
                                 *selection, settings_.provider,
                                 tty::PinSource(settings_.pin_fd,
                                                [](absl::string_view warning) {
                                                  std::cerr
                                                      << "parley: warning: "
                                                      << warning << "\n";
                                                }))
                           : absl::StatusOr<std::vector<pkcs11::TokenSigner>>(
                                 selection.status());
        if (!keys.ok()) {
          std::cerr << "parley: PKCS#11: " << keys.status().message() << "\n";
        }
        for (const pkcs11::TokenSigner& k :
             keys.ok() ? *keys : std::vector<pkcs11::TokenSigner>{}) {
          auto step = std::make_unique<Step>();
          step->method = method;
          step->what = absl::StrCat("token key \"", Safe(k.key.label),
                                    "\" of \"", Safe(k.key.token_label), "\"");
          step->stop_on_error = true;
          auto signer = k.signer;
          step->start = [this, signer](client::AsyncSession& s, auto done) {
            s.AuthPublicKey(user_, signer, std::move(done));
            return true;
          };
          steps.push_back(std::move(step));
        }
      }
      // Then identity files (-i, IdentityFile; ssh's defaults when none
      // is named and they exist).
      std::vector<std::string> files = options_.identity_files;
      const bool named = !files.empty();
      if (!named) {
        files = {"~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"};
      }
      for (const std::string& f : files) {
        const std::string path = ExpandPath(f, user_, hostname_, port_);
        if (!named && ::access(path.c_str(), R_OK) != 0) continue;
        auto step = std::make_unique<Step>();
        step->method = method;
        step->what = absl::StrCat("key file ", path);
        step->start = [this, path, batch, named](client::AsyncSession& s,
                                                 auto done) {
          const crypto::CryptoProvider& p = *settings_.provider;
          auto key = keys::LoadPrivateKeyFile(path, ByteView(), p);
          if (key.status().code() == absl::StatusCode::kUnauthenticated) {
            absl::optional<SecureBuffer> passphrase = settings_.passphrase;
            if (!passphrase.has_value() && CanAsk(batch)) {
              passphrase = Ask("Enter passphrase for key '" + path + "': ");
            }
            if (!passphrase.has_value()) {
              Log(1, absl::StrCat(path, ": encrypted and no passphrase"));
              return false;
            }
            key = keys::LoadPrivateKeyFile(
                path, ByteView(passphrase->data(), passphrase->size()), p);
          }
          if (!key.ok()) {
            if (named) {
              std::cerr << "parley: " << path << ": " << key.status().message()
                        << "\n";
            }
            return false;
          }
          s.AuthPublicKey(user_,
                          std::make_shared<auth::KeySigner>(settings_.provider,
                                                            *std::move(key)),
                          std::move(done));
          return true;
        };
        steps.push_back(std::move(step));
      }
    } else if (method == "keyboard-interactive") {
      auto step = std::make_unique<Step>();
      step->method = method;
      step->what = "keyboard-interactive";
      step->start = [this, batch](client::AsyncSession& s, auto done) {
        absl::StatusOr<std::shared_ptr<auth::RoutingResponder>> chain =
            Responders(settings_.responder_specs, settings_.plugin_dirs,
                       settings_.password, CanAsk(batch),
                       settings_.verbosity > 0);
        if (!chain.ok()) {
          std::cerr << "parley: " << chain.status().message() << "\n";
          return false;
        }
        auto shown = std::make_shared<VerboseResponder>(
            *std::move(chain), [this](const std::string& m) { Log(1, m); });
        s.AuthKeyboardInteractive(user_, shown, {}, std::move(done));
        return true;
      };
      steps.push_back(std::move(step));
    } else if (method == "password") {
      const int tries =
          settings_.password.has_value()
              ? 1
              : (CanAsk(batch) ? options_.password_prompts.value_or(3) : 0);
      for (int i = 0; i < tries; ++i) {
        auto step = std::make_unique<Step>();
        step->method = method;
        step->what = "password";
        step->start = [this](client::AsyncSession& s, auto done) {
          absl::optional<SecureBuffer> password = settings_.password;
          if (!password.has_value()) {
            password = Ask(user_ + "@" + hostname_ + "'s password: ");
          }
          if (!password.has_value()) return false;
          s.AuthPassword(user_, *std::move(password), std::move(done));
          return true;
        };
        steps.push_back(std::move(step));
      }
    }
  }
  return steps;
}

void HostRun::NextStep() {
  while (next_step_ < steps_.size()) {
    Step& step = *steps_[next_step_++];
    if (std::find(methods_.begin(), methods_.end(), step.method) ==
        methods_.end()) {
      continue;
    }
    Log(1, absl::StrCat("trying ", step.what));
    const auto started = Clock::now();
    const bool stop_on_error = step.stop_on_error;
    const std::string what = step.what;
    const bool began = step.start(
        *session_,
        [this, started, stop_on_error, what](
            client::AsyncSession& s, absl::StatusOr<auth::AuthOutcome> r) {
          const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              Clock::now() - started)
                              .count();
          if (!r.ok()) {
            Log(1, absl::StrCat(what, ": ", r.status().message(), " (", ms,
                                " ms)"));
            if (s.engine().closed() || stop_on_error) {
              Finish(HostResult::Kind::kAuth, 255,
                     std::string(r.status().message()));
              return;
            }
            std::cerr << "parley: " << what << ": " << r.status().message()
                      << "\n";
            NextStep();
            return;
          }
          if (r->kind == auth::AuthOutcome::kSuccess) {
            Log(1, absl::StrCat(what, ": accepted (", ms, " ms)"));
            Authenticated();
            return;
          }
          Log(1, absl::StrCat(what,
                              r->kind == auth::AuthOutcome::kPartialSuccess
                                  ? ": partial success"
                                  : ": refused",
                              " (", ms, " ms); the server takes: ",
                              absl::StrJoin(r->methods, ",")));
          methods_ = r->methods;
          NextStep();
        });
    if (began) return;
  }
  Finish(HostResult::Kind::kAuth, 255,
         absl::StrCat("authentication failed (methods that can continue: ",
                      absl::StrJoin(methods_, ","), ")"));
}

void HostRun::Authenticated() {
  if (on_tunnel_) {
    // A jump host: the tunnel to the next host instead of a command.
    Log(1, absl::StrCat("opening a tunnel to ", tunnel_host_, " port ",
                        tunnel_port_));
    session_->OpenTunnel(tunnel_host_, tunnel_port_,
                         [this](client::AsyncSession&, absl::StatusOr<int> fd) {
                           auto cb = std::move(on_tunnel_);
                           on_tunnel_ = nullptr;
                           if (!fd.ok()) {
                             Finish(HostResult::Kind::kConnect, 255,
                                    std::string(fd.status().message()));
                           }
                           cb(std::move(fd));
                         });
    return;
  }
  session::ExecOptions eo;
  eo.forward_agent = options_.forward_agent.value_or(false);
  eo.on_output = [this](bool to_stderr, ByteView data) {
    Output(to_stderr, data);
  };
  Log(1, absl::StrCat("running \"", Safe(settings_.command), "\""));
  session_->Exec(
      settings_.command, std::move(eo),
      [this](client::AsyncSession&, absl::StatusOr<session::ExecResult> r) {
        FlushPartialLines();
        if (!r.ok()) {
          Finish(HostResult::Kind::kCommand, 255,
                 std::string(r.status().message()));
          return;
        }
        if (r->exit_signal.has_value()) {
          Finish(HostResult::Kind::kRan, 255,
                 absl::StrCat("the command was killed by signal ",
                              Safe(r->exit_signal->name)));
          return;
        }
        if (!r->exit_status.has_value()) {
          Finish(HostResult::Kind::kCommand, 255,
                 "the server sent no exit status");
          return;
        }
        Finish(HostResult::Kind::kRan, *r->exit_status, "");
      });
}

void HostRun::Output(bool to_stderr, ByteView data) {
  FILE* out = to_stderr ? stderr : stdout;
  if (settings_.before_output) settings_.before_output();
  if (!settings_.prefix_output) {
    if (!data.empty()) fwrite(data.data(), 1, data.size(), out);
    fflush(out);
    return;
  }
  std::string& pending = pending_[to_stderr ? 1 : 0];
  pending.append(reinterpret_cast<const char*>(data.data()), data.size());
  size_t start = 0;
  for (size_t nl = pending.find('\n'); nl != std::string::npos;
       nl = pending.find('\n', start)) {
    const std::string line = absl::StrCat(
        destination_.as_written, ": ", pending.substr(start, nl - start), "\n");
    fwrite(line.data(), 1, line.size(), out);
    start = nl + 1;
  }
  pending.erase(0, start);
  // A line longer than this is cut rather than held without bound.
  if (pending.size() > 64 * 1024) {
    const std::string line =
        absl::StrCat(destination_.as_written, ": ", pending, "\n");
    fwrite(line.data(), 1, line.size(), out);
    pending.clear();
  }
  fflush(out);
}

void HostRun::FlushPartialLines() {
  for (int i = 0; i < 2; ++i) {
    if (pending_[i].empty()) continue;
    const std::string line =
        absl::StrCat(destination_.as_written, ": ", pending_[i], "\n");
    fwrite(line.data(), 1, line.size(), i == 1 ? stderr : stdout);
    pending_[i].clear();
  }
}

void HostRun::Finish(HostResult::Kind kind, int status, std::string error) {
  if (finished_) return;
  finished_ = true;
  result_.kind = kind;
  result_.exit_status = status;
  result_.error = std::move(error);
  result_.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      Clock::now() - start_);
  Log(1, absl::StrCat("done: ", kind == HostResult::Kind::kRan
                                    ? absl::StrCat("exit status ", status)
                                    : result_.error));
  if (session_ != nullptr) {
    session_->Close();
    session_ = nullptr;
  }
  if (jump_ != nullptr) jump_->Stop();
  if (on_tunnel_) {
    // A jump host that failed before its tunnel opened.
    auto cb = std::move(on_tunnel_);
    on_tunnel_ = nullptr;
    cb(absl::UnavailableError(result_.error));
  }
  if (done_) done_(*this);
}

}  // namespace parley::cli
