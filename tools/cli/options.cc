#include "tools/cli/options.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace parley::cli {
namespace {

template <typename T>
void SetOnce(absl::optional<T>* field, T value) {
  if (!field->has_value()) *field = std::move(value);
}

absl::StatusOr<bool> YesNo(absl::string_view keyword, absl::string_view v) {
  const std::string l = absl::AsciiStrToLower(v);
  if (l == "yes" || l == "true") return true;
  if (l == "no" || l == "false") return false;
  return absl::InvalidArgumentError(
      absl::StrCat(keyword, " must be yes or no, not \"", v, "\""));
}

absl::StatusOr<int> Number(absl::string_view keyword, absl::string_view v,
                           int min, int max) {
  int n = 0;
  if (!absl::SimpleAtoi(v, &n) || n < min || n > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(keyword, " must be a number from ", min, " to ", max,
                     ", not \"", v, "\""));
  }
  return n;
}

std::string Home() {
  if (const char* h = std::getenv("HOME"); h != nullptr && *h == '/') {
    return h;
  }
  if (const struct passwd* pw = ::getpwuid(::getuid()); pw != nullptr) {
    return pw->pw_dir;
  }
  return "/";
}

std::string LocalUser() {
  if (const struct passwd* pw = ::getpwuid(::getuid()); pw != nullptr) {
    return pw->pw_name;
  }
  return "";
}

}  // namespace

absl::Status ApplyOption(Options* o, absl::string_view keyword,
                         const std::vector<std::string>& args) {
  const std::string k = absl::AsciiStrToLower(keyword);
  if (args.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(keyword, " needs a value"));
  }
  const std::string& v = args[0];
  if (k == "hostname") {
    SetOnce(&o->hostname, v);
  } else if (k == "port") {
    absl::StatusOr<int> n = Number(keyword, v, 1, 65535);
    if (!n.ok()) return n.status();
    SetOnce(&o->port, static_cast<uint16_t>(*n));
  } else if (k == "user") {
    SetOnce(&o->user, v);
  } else if (k == "identityfile") {
    if (std::find(o->identity_files.begin(), o->identity_files.end(), v) ==
        o->identity_files.end()) {
      o->identity_files.push_back(v);
    }
  } else if (k == "identityagent") {
    SetOnce(&o->identity_agent, v);
  } else if (k == "pkcs11provider") {
    SetOnce(&o->pkcs11_provider, v);
  } else if (k == "proxyjump") {
    SetOnce(&o->proxy_jump, v);
  } else if (k == "userknownhostsfile") {
    SetOnce(&o->known_hosts_file, v);
  } else if (k == "stricthostkeychecking") {
    const std::string l = absl::AsciiStrToLower(v);
    if (l != "yes" && l != "accept-new") {
      return absl::InvalidArgumentError(absl::StrCat(
          "StrictHostKeyChecking ", v,
          " is not supported: use yes or accept-new (parley never accepts "
          "a changed or unknown key silently)"));
    }
    SetOnce(&o->strict_host_key_checking, l);
  } else if (k == "kexalgorithms") {
    SetOnce(&o->kex, v);
  } else if (k == "ciphers") {
    SetOnce(&o->ciphers, v);
  } else if (k == "macs") {
    SetOnce(&o->macs, v);
  } else if (k == "hostkeyalgorithms") {
    SetOnce(&o->host_key_algorithms, v);
  } else if (k == "preferredauthentications") {
    std::vector<std::string> methods = absl::StrSplit(v, ',');
    for (const std::string& m : methods) {
      if (m != "publickey" && m != "keyboard-interactive" && m != "password") {
        return absl::InvalidArgumentError(
            absl::StrCat("PreferredAuthentications: \"", m,
                         "\" is not a method parley uses (publickey, "
                         "keyboard-interactive, password)"));
      }
    }
    SetOnce(&o->preferred_authentications, std::move(methods));
  } else if (k == "connecttimeout") {
    absl::StatusOr<int> n = Number(keyword, v, 1, 3600);
    if (!n.ok()) return n.status();
    SetOnce(&o->connect_timeout, *n);
  } else if (k == "numberofpasswordprompts") {
    absl::StatusOr<int> n = Number(keyword, v, 0, 100);
    if (!n.ok()) return n.status();
    SetOnce(&o->password_prompts, *n);
  } else if (k == "serveraliveinterval") {
    absl::StatusOr<int> n = Number(keyword, v, 0, 86400);
    if (!n.ok()) return n.status();
    SetOnce(&o->server_alive_interval, *n);
  } else if (k == "serveralivecountmax") {
    absl::StatusOr<int> n = Number(keyword, v, 1, 1000);
    if (!n.ok()) return n.status();
    SetOnce(&o->server_alive_count_max, *n);
  } else if (k == "batchmode") {
    absl::StatusOr<bool> b = YesNo(keyword, v);
    if (!b.ok()) return b.status();
    SetOnce(&o->batch_mode, *b);
  } else if (k == "forwardagent") {
    absl::StatusOr<bool> b = YesNo(keyword, v);
    if (!b.ok()) return b.status();
    SetOnce(&o->forward_agent, *b);
  } else {
    return absl::NotFoundError(
        absl::StrCat("option ", keyword, " is not supported; ignored"));
  }
  return absl::OkStatus();
}

absl::Status ApplyDashO(Options* o, absl::string_view text,
                        std::vector<std::string>* warnings) {
  absl::StatusOr<SshConfig> one = ParseSshConfig(text, "-o");
  if (!one.ok()) return one.status();
  if (one->sections.size() > 1) {
    return absl::InvalidArgumentError("-o cannot open a Host or Match section");
  }
  for (const ConfigLine* l : LinesFor(*one, "")) {
    absl::Status s = ApplyOption(o, l->keyword, l->args);
    if (absl::IsNotFound(s)) {
      warnings->push_back(std::string(s.message()));
    } else if (!s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyConfig(Options* o, const SshConfig& config,
                         absl::string_view host,
                         std::vector<std::string>* warnings) {
  for (const std::string& w : config.warnings) warnings->push_back(w);
  for (const ConfigLine* l : LinesFor(config, host)) {
    absl::Status s = ApplyOption(o, l->keyword, l->args);
    if (absl::IsNotFound(s)) {
      warnings->push_back(
          absl::StrCat(config.file, ":", l->line, ": ", s.message()));
    } else if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(config.file, ":", l->line, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> ResolveAlgorithms(
    const std::string& spec, const std::vector<std::string>& defaults) {
  if (spec.empty()) return defaults;
  const char op = spec[0];
  if (op != '+' && op != '-' && op != '^') {
    return absl::StrSplit(spec, ',', absl::SkipEmpty());
  }
  std::vector<std::string> named =
      absl::StrSplit(spec.substr(1), ',', absl::SkipEmpty());
  std::vector<std::string> out;
  if (op == '^') out = named;
  for (const std::string& d : defaults) {
    const bool listed = std::find(named.begin(), named.end(), d) != named.end();
    if ((op == '-' || op == '^') && listed) continue;
    out.push_back(d);
  }
  if (op == '+') {
    for (const std::string& n : named) {
      if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    }
  }
  return out;
}

std::string ExpandPath(const std::string& path, const std::string& remote_user,
                       const std::string& host, uint16_t port) {
  std::string in = path;
  if (in == "~" || absl::StartsWith(in, "~/")) in = Home() + in.substr(1);
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%' || i + 1 == in.size()) {
      out.push_back(in[i]);
      continue;
    }
    switch (in[++i]) {
      case 'd':
        out += Home();
        break;
      case 'u':
        out += LocalUser();
        break;
      case 'r':
        out += remote_user;
        break;
      case 'h':
        out += host;
        break;
      case 'p':
        out += std::to_string(port);
        break;
      case '%':
        out.push_back('%');
        break;
      default:
        out.push_back('%');
        out.push_back(in[i]);
    }
  }
  return out;
}

}  // namespace parley::cli
