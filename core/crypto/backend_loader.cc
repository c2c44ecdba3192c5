#include "core/crypto/backend_loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/crypto/backend_abi.h"
#include "core/module/module_loader.h"

namespace parley::crypto {
namespace {

namespace fs = std::filesystem;

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

std::vector<std::string> SearchDirs(const LoaderOptions& options) {
  std::vector<std::string> dirs = options.search_dirs;
  if (const char* env = std::getenv(kBackendPathEnvVar)) {
    for (absl::string_view d : absl::StrSplit(env, ':', absl::SkipEmpty())) {
      dirs.emplace_back(d);
    }
  }
  for (std::string& d : module::InstalledDirs("backends")) {
    dirs.push_back(std::move(d));
  }
  return dirs;
}

constexpr char kWhat[] = "crypto backend module";

// Modules loaded in this process, shared by every caller while anyone
// holds them: a program with many sessions loads each backend once.
struct LoadedModule {
  std::string path;
  std::weak_ptr<const CryptoProvider> provider;
};

struct ModuleCache {
  std::mutex mu;
  // Key: backend name, search directories and $PARLEY_BACKEND_PATH.
  std::map<std::string, LoadedModule> by_key;
};

ModuleCache& Cache() {
  static auto* const cache = new ModuleCache;
  return *cache;
}

std::string CacheKey(absl::string_view name, const LoaderOptions& options) {
  const char* env = std::getenv(kBackendPathEnvVar);
  return absl::StrCat(name, "\n", absl::StrJoin(options.search_dirs, ":"), "\n",
                      env != nullptr ? env : "");
}

}  // namespace

std::string BackendFileName(absl::string_view name) {
  return absl::StrCat("libparley_crypto_", name, ".so");
}

absl::StatusOr<std::shared_ptr<const CryptoProvider>> LoadCryptoBackendFile(
    const std::string& path) {
  absl::StatusOr<std::shared_ptr<module::Module>> loaded =
      module::LoadModule(path, kWhat);
  if (!loaded.ok()) return loaded.status();
  std::shared_ptr<module::Module> lib = *std::move(loaded);
  auto* abi_version = lib->Function<uint32_t()>(kBackendAbiVersionSymbol);
  auto* create = lib->Function<CryptoProvider*()>(kBackendCreateSymbol);
  if (abi_version == nullptr || create == nullptr ||
      !lib->Has(kBackendNameSymbol)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a Parley crypto backend (missing ",
                     kBackendAbiVersionSymbol, ")"));
  }
  const uint32_t version = abi_version();
  if (version != kBackendAbiVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("crypto backend module ", path, " has ABI version ",
                     version, ", this Parley needs ", kBackendAbiVersion));
  }
  CryptoProvider* raw = create();
  if (raw == nullptr) {
    return absl::InternalError(
        absl::StrCat("crypto backend module ", path, " failed to initialise"));
  }
  // The deleter owns the module handle: the provider is destroyed first,
  // then the module may be unloaded.
  return std::shared_ptr<const CryptoProvider>(
      raw, [lib](const CryptoProvider* p) mutable {
        delete p;
        lib.reset();
      });
}

absl::StatusOr<std::shared_ptr<const CryptoProvider>> LoadCryptoBackend(
    absl::string_view name, const LoaderOptions& options) {
  if (!ValidName(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid crypto backend name \"", absl::CEscape(name.substr(0, 40)),
        "\" (expected e.g. \"openssl\" or \"cryptopp\")"));
  }
  ModuleCache& cache = Cache();
  const std::string key = CacheKey(name, options);
  std::lock_guard<std::mutex> lock(cache.mu);
  auto cached = cache.by_key.find(key);
  if (cached != cache.by_key.end()) {
    if (std::shared_ptr<const CryptoProvider> p =
            cached->second.provider.lock()) {
      // Shared, but only while the file is still one we would load.
      absl::Status trust = module::CheckTrusted(cached->second.path, kWhat);
      if (!trust.ok()) return trust;
      return p;
    }
  }
  const std::string file = BackendFileName(name);
  std::vector<std::string> dirs = SearchDirs(options);
  for (const std::string& dir : dirs) {
    fs::path candidate = fs::path(dir) / file;
    std::error_code ec;
    if (!fs::exists(candidate, ec)) continue;
    auto provider = LoadCryptoBackendFile(candidate.string());
    if (!provider.ok()) return provider.status();
    if ((*provider)->name() != name) {
      return absl::FailedPreconditionError(
          absl::StrCat(candidate.string(), " calls itself \"",
                       (*provider)->name(), "\", not \"", name, "\""));
    }
    cache.by_key[key] = LoadedModule{candidate.string(), *provider};
    return provider;
  }
  return absl::NotFoundError(absl::StrCat("unknown crypto backend \"", name,
                                          "\": no ", file, " in ",
                                          absl::StrJoin(dirs, ", ")));
}

absl::StatusOr<std::shared_ptr<const CryptoProvider>> LoadDefaultCryptoBackend(
    const LoaderOptions& options) {
  const char* env = std::getenv(kBackendEnvVar);
  return LoadCryptoBackend(
      env != nullptr && *env != '\0' ? env : kDefaultBackend, options);
}

}  // namespace parley::crypto
