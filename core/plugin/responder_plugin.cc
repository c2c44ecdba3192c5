#include "core/plugin/responder_plugin.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/auth/prompt_class.h"
#include "core/base/secure_buffer.h"
#include "core/base/waker.h"

// The host objects behind the opaque types of parley_responder.h.
struct parley_host_answers {
  const std::vector<bool>* asked;
  std::vector<parley::SecureBuffer>* out;
  std::vector<bool> set;
};

struct parley_host_waker {
  std::atomic<int> refs{1};
  parley::Waker waker;
};

struct parley_host_instance {
  parley::plugin::LogSink log;
  // The last error-level message: the reason of a cancel.
  std::string last_error;
};

namespace parley::plugin {
namespace {

namespace fs = std::filesystem;

constexpr char kWhat[] = "responder plugin";

void KeepLoaded(const std::shared_ptr<module::Module>& m) {
  static std::mutex mu;
  static auto* const loaded = new std::vector<std::shared_ptr<module::Module>>;
  std::lock_guard<std::mutex> lock(mu);
  if (std::find(loaded->begin(), loaded->end(), m) == loaded->end()) {
    loaded->push_back(m);
  }
}
constexpr char kFilePrefix[] = "libparley_responder_";
constexpr char kFileSuffix[] = ".so";

int HostSetAnswer(parley_host_answers* answers, size_t index, const char* data,
                  size_t length) {
  if (answers == nullptr || index >= answers->out->size() ||
      !(*answers->asked)[index] || (data == nullptr && length > 0)) {
    return -1;
  }
  (*answers->out)[index] =
      length == 0 ? SecureBuffer() : SecureBuffer(data, data + length);
  answers->set[index] = true;
  return 0;
}

void HostWake(parley_host_waker* w) {
  if (w != nullptr) w->waker.Wake();
}

parley_host_waker* HostRetainWaker(parley_host_waker* w) {
  if (w != nullptr) w->refs.fetch_add(1);
  return w;
}

void HostReleaseWaker(parley_host_waker* w) {
  if (w != nullptr && w->refs.fetch_sub(1) == 1) delete w;
}

void HostLog(parley_host_instance* instance, parley_log_level level,
             const char* message, size_t length) {
  if (instance == nullptr || message == nullptr) return;
  const absl::string_view text(message, std::min<size_t>(length, 4096));
  if (level >= PARLEY_LOG_ERROR) instance->last_error = std::string(text);
  if (instance->log) instance->log(level, text);
}

const parley_host_api kHostApi = {
    sizeof(parley_host_api), &HostSetAnswer,    &HostWake,
    &HostRetainWaker,        &HostReleaseWaker, &HostLog,
};

parley_str Str(const std::string& s) { return {s.c_str(), s.size()}; }

// A Challenge as the C ABI sees it; points into `challenge`.
struct CChallenge {
  parley_challenge c{};
  std::vector<parley_prompt> prompts;
  std::vector<unsigned char> asked;

  CChallenge(const auth::Challenge& ch, const std::vector<bool>* asked_flags,
             parley_host_waker* waker) {
    c.struct_size = sizeof(parley_challenge);
    c.name = Str(ch.request.name);
    c.instruction = Str(ch.request.instruction);
    c.language = Str(ch.request.language);
    for (const auth::Prompt& p : ch.request.prompts) {
      prompts.push_back(
          {Str(p.text), p.echo ? 1 : 0,
           static_cast<parley_prompt_class>(auth::ClassifyPrompt(p.text))});
    }
    c.prompts = prompts.data();
    c.num_prompts = prompts.size();
    c.round = static_cast<uint32_t>(ch.round);
    c.user = Str(ch.user);
    c.server_host = Str(ch.host);
    c.server_port = ch.port;
    c.host_key_fingerprint = Str(ch.host_key_fingerprint);
    c.round_ms_left = PARLEY_NO_DEADLINE;
    if (ch.time_left.has_value()) {
      c.round_ms_left = static_cast<uint32_t>(
          std::min<int64_t>(ch.time_left->count(), PARLEY_NO_DEADLINE - 1));
    }
    if (asked_flags != nullptr) {
      for (bool b : *asked_flags) asked.push_back(b ? 1 : 0);
      c.asked = asked.data();
    }
    c.waker = waker;
  }
};

}  // namespace

// An instance of a plugin as a PartialResponder.
class PluginInstance : public auth::PartialResponder {
 public:
  PluginInstance(std::shared_ptr<const ResponderPlugin> plugin, void* instance,
                 std::unique_ptr<parley_host_instance> host, ServerFilter only)
      : plugin_(std::move(plugin)),
        instance_(instance),
        host_(std::move(host)),
        only_(std::move(only)) {}
  ~PluginInstance() override { plugin_->table_->destroy(instance_); }

  std::string name() const override { return plugin_->name(); }

  std::vector<bool> Claim(const auth::Challenge& challenge) override {
    const size_t n = challenge.request.prompts.size();
    std::vector<bool> out(n, false);
    // Not this responder's server: it is not even shown the round.
    if (!only_.Matches(challenge.host, challenge.host_key_fingerprint)) {
      return out;
    }
    const parley_responder_plugin* t = plugin_->table_;
    if (t->claim != nullptr) {
      CChallenge c(challenge, nullptr, nullptr);
      std::vector<unsigned char> claimed(n, 0);
      t->claim(instance_, &c.c, claimed.data());
      for (size_t i = 0; i < n; ++i) out[i] = claimed[i] != 0;
      return out;
    }
    for (size_t i = 0; i < n; ++i) {
      const unsigned bit = PARLEY_PROMPT_CLASS_BIT(
          auth::ClassifyPrompt(challenge.request.prompts[i].text));
      out[i] = (t->prompt_classes & bit) != 0;
    }
    return out;
  }

  auth::ResponderStatus Respond(const auth::Challenge& challenge,
                                const std::vector<bool>& asked,
                                std::vector<SecureBuffer>* answers) override {
    host_->last_error.clear();
    auto* waker = new parley_host_waker;
    waker->waker = challenge.waker;
    CChallenge c(challenge, &asked, waker);
    parley_host_answers sink{&asked, answers,
                             std::vector<bool>(asked.size(), false)};
    uint32_t retry_ms = 0;
    const parley_respond_status s =
        plugin_->table_->respond(instance_, &c.c, &sink, &retry_ms);
    HostReleaseWaker(waker);  // the host's reference
    retry_after_ = std::chrono::milliseconds(0);
    switch (s) {
      case PARLEY_RESPOND_ANSWERED:
        for (size_t i = 0; i < asked.size(); ++i) {
          if (asked[i] && !sink.set[i]) {
            Log(PARLEY_LOG_ERROR,
                absl::StrCat("answered without an answer to prompt ", i + 1));
            return auth::ResponderStatus::kCancel;
          }
        }
        return auth::ResponderStatus::kAnswered;
      case PARLEY_RESPOND_LATER:
        retry_after_ = std::chrono::milliseconds(retry_ms);
        return auth::ResponderStatus::kRetryLater;
      case PARLEY_RESPOND_DECLINE:
        return auth::ResponderStatus::kDecline;
      case PARLEY_RESPOND_CANCEL:
        break;
    }
    return auth::ResponderStatus::kCancel;
  }

  std::chrono::milliseconds retry_after() const override {
    return retry_after_;
  }
  absl::Status failure() const override {
    return host_->last_error.empty() ? absl::OkStatus()
                                     : absl::CancelledError(host_->last_error);
  }
  void Abort() override {
    if (plugin_->abort_ != nullptr) plugin_->abort_(instance_);
  }

 private:
  void Log(parley_log_level level, absl::string_view msg) {
    if (host_->log) host_->log(level, msg);
  }

  std::shared_ptr<const ResponderPlugin> plugin_;
  void* instance_;
  std::unique_ptr<parley_host_instance> host_;
  ServerFilter only_;
  std::chrono::milliseconds retry_after_{0};
};

absl::Status ServerFilter::Add(absl::string_view key, absl::string_view value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(key, " needs a value"));
  }
  for (absl::string_view item : absl::StrSplit(value, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(key, " has an empty item"));
    }
    if (key == kHostOption) {
      hostkeys::HostPattern p;
      p.negated = item.front() == '!';
      p.pattern = std::string(p.negated ? item.substr(1) : item);
      hosts_.push_back(std::move(p));
    } else {
      if (!absl::StartsWith(item, "SHA256:")) {
        return absl::InvalidArgumentError(absl::StrCat(
            key, " takes SHA256:... fingerprints (ssh-keygen -lf), not \"",
            item.substr(0, 64), "\""));
      }
      host_keys_.emplace_back(item);
    }
  }
  return absl::OkStatus();
}

bool ServerFilter::Matches(absl::string_view host,
                           absl::string_view host_key_fingerprint) const {
  if (!hosts_.empty() && !hostkeys::MatchesHostPatterns(hosts_, host)) {
    return false;
  }
  if (!host_keys_.empty() &&
      std::find(host_keys_.begin(), host_keys_.end(), host_key_fingerprint) ==
          host_keys_.end()) {
    return false;
  }
  return true;
}

std::string PluginFileName(absl::string_view short_name) {
  std::string s(short_name);
  for (char& c : s) {
    if (c == '-' || c == '.') c = '_';
  }
  return absl::StrCat(kFilePrefix, s, kFileSuffix);
}

absl::StatusOr<std::shared_ptr<ResponderPlugin>> ResponderPlugin::Load(
    const std::string& path) {
  absl::StatusOr<std::shared_ptr<module::Module>> m =
      module::LoadModule(path, kWhat);
  if (!m.ok()) return m.status();
  auto* abi = (*m)->Function<uint32_t()>(PARLEY_RESPONDER_ABI_SYMBOL);
  if (abi == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a Parley responder plugin (missing ",
                     PARLEY_RESPONDER_ABI_SYMBOL, ")"));
  }
  // The version first: nothing else is called in a plugin of another ABI.
  const uint32_t version = abi();
  if (version != PARLEY_RESPONDER_ABI_VERSION) {
    return absl::FailedPreconditionError(
        absl::StrCat("responder plugin ", path, " has ABI version ", version,
                     ", this Parley needs ", PARLEY_RESPONDER_ABI_VERSION));
  }
  auto* get = (*m)->Function<const parley_responder_plugin*()>(
      PARLEY_RESPONDER_ENTRY_SYMBOL);
  if (get == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a Parley responder plugin (missing ",
                     PARLEY_RESPONDER_ENTRY_SYMBOL, ")"));
  }
  const parley_responder_plugin* t = get();
  auto bad = [&](absl::string_view why) {
    return absl::FailedPreconditionError(
        absl::StrCat("responder plugin ", path, ": ", why));
  };
  if (t == nullptr) return bad("no plugin table");
  // Fields up to respond are required; abort is read only if it fits.
  if (t->struct_size < offsetof(parley_responder_plugin, abort)) {
    return bad("plugin table too small for this ABI");
  }
  if (t->abi_version != PARLEY_RESPONDER_ABI_VERSION) {
    return bad("plugin table of another ABI version");
  }
  if (t->name == nullptr || !ValidName(t->name)) {
    return bad("invalid plugin name");
  }
  if (t->create == nullptr || t->destroy == nullptr || t->respond == nullptr) {
    return bad("create, destroy and respond are required");
  }
  // A plugin is never unloaded: a thread it started may still be finishing
  // after its last instance was destroyed, and must not find its code gone.
  KeepLoaded(*m);
  std::shared_ptr<ResponderPlugin> p(new ResponderPlugin());
  p->module_ = *std::move(m);
  p->table_ = t;
  p->abort_ = t->struct_size >= offsetof(parley_responder_plugin, abort) +
                                    sizeof(t->abort)
                  ? t->abort
                  : nullptr;
  p->name_ = t->name;
  p->description_ = t->description != nullptr ? t->description : "";
  return p;
}

absl::StatusOr<std::shared_ptr<auth::PartialResponder>>
ResponderPlugin::NewInstance(const Config& config, LogSink log) const {
  // host= and host-key= are Parley's, for every plugin; the rest is the
  // plugin's.
  ServerFilter only;
  std::vector<parley_config_entry> entries;
  for (const auto& [k, v] : config) {
    if (k == kHostOption || k == kHostKeyOption) {
      absl::Status s = only.Add(k, v);
      if (!s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("responder ", name_, ": ", s.message()));
      }
      continue;
    }
    entries.push_back({Str(k), Str(v)});
  }
  auto host = std::make_unique<parley_host_instance>();
  const std::string name = name_;
  if (log) {
    host->log = [log, name](parley_log_level level, absl::string_view msg) {
      log(level, absl::StrCat(name, ": ", msg));
    };
  }
  char error[512] = {0};
  void* instance = table_->create(&kHostApi, host.get(), entries.data(),
                                  entries.size(), error, sizeof(error) - 1);
  if (instance == nullptr) {
    error[sizeof(error) - 1] = '\0';
    return absl::InvalidArgumentError(absl::StrCat(
        "responder ", name_, ": ", error[0] != '\0' ? error : "refused"));
  }
  // The instance keeps its plugin (and so the module) alive.
  return std::shared_ptr<auth::PartialResponder>(new PluginInstance(
      shared_from_this(), instance, std::move(host), std::move(only)));
}

}  // namespace parley::plugin

namespace parley::plugin {

PluginFinder::PluginFinder(std::vector<std::string> dirs, bool installed)
    : dirs_(std::move(dirs)) {
  if (installed) {
    for (std::string& d : module::InstalledDirs("plugins")) {
      dirs_.push_back(std::move(d));
    }
  }
}

absl::Status PluginFinder::Register(const std::shared_ptr<ResponderPlugin>& p) {
  auto it = by_name_.find(p->name());
  if (it != by_name_.end() && it->second->path() != p->path()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "responder plugin name \"", p->name(), "\" is declared twice: by ",
        it->second->path(), " and by ", p->path()));
  }
  by_name_[p->name()] = p;
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<ResponderPlugin>> PluginFinder::Find(
    absl::string_view name) {
  if (!ValidName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid responder name \"", name.substr(0, 64), "\""));
  }
  const bool full = name.find('.') != absl::string_view::npos;
  for (const auto& [declared, p] : by_name_) {
    if (full ? declared == name : p->short_name() == name) return p;
  }
  const std::string file = PluginFileName(ShortName(name));
  for (const std::string& dir : dirs_) {
    const std::string path = (fs::path(dir) / file).string();
    std::error_code ec;
    if (!fs::exists(path, ec)) continue;
    absl::StatusOr<std::shared_ptr<ResponderPlugin>> p =
        ResponderPlugin::Load(path);
    if (!p.ok()) return p.status();
    if (full ? (*p)->name() != name : (*p)->short_name() != name) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, " declares plugin \"", (*p)->name(), "\", not \"", name, "\""));
    }
    absl::Status registered = Register(*p);
    if (!registered.ok()) return registered;
    return p;
  }
  return absl::NotFoundError(absl::StrCat("no responder plugin \"", name,
                                          "\": no ", file, " in ",
                                          absl::StrJoin(dirs_, ", ")));
}

absl::StatusOr<std::vector<std::shared_ptr<ResponderPlugin>>>
PluginFinder::FindAll() {
  std::vector<std::shared_ptr<ResponderPlugin>> all;
  for (const std::string& dir : dirs_) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string f = entry.path().filename().string();
      if (absl::StartsWith(f, kFilePrefix) && absl::EndsWith(f, kFileSuffix)) {
        files.push_back(entry.path().string());
      }
    }
    std::sort(files.begin(), files.end());
    for (const std::string& path : files) {
      absl::StatusOr<std::shared_ptr<ResponderPlugin>> p =
          ResponderPlugin::Load(path);
      if (!p.ok()) return p.status();
      absl::Status registered = Register(*p);
      if (!registered.ok()) return registered;
      all.push_back(*p);
    }
  }
  return all;
}

absl::StatusOr<std::shared_ptr<auth::RoutingResponder>> BuildChain(
    PluginFinder& finder, const std::vector<ResponderSpec>& specs,
    LogSink log) {
  auto chain = std::make_shared<auth::RoutingResponder>();
  absl::Status s = AddToChain(finder, specs, std::move(log), chain.get());
  if (!s.ok()) return s;
  return chain;
}

absl::Status AddToChain(PluginFinder& finder,
                        const std::vector<ResponderSpec>& specs, LogSink log,
                        auth::RoutingResponder* chain) {
  for (const ResponderSpec& raw : specs) {
    absl::StatusOr<ResponderSpec> spec = ResolveConfigFile(raw);
    if (!spec.ok()) return spec.status();
    absl::StatusOr<std::shared_ptr<ResponderPlugin>> plugin =
        finder.Find(spec->name);
    if (!plugin.ok()) return plugin.status();
    absl::StatusOr<std::shared_ptr<auth::PartialResponder>> instance =
        (*plugin)->NewInstance(spec->config, log);
    if (!instance.ok()) return instance.status();
    chain->Add(*std::move(instance));
  }
  return absl::OkStatus();
}

}  // namespace parley::plugin
