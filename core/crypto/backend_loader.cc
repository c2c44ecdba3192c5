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
#include "boost/dll/runtime_symbol_info.hpp"
#include "boost/dll/shared_library.hpp"
#include "core/crypto/backend_abi.h"

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
  std::error_code ec;
  fs::path self = boost::dll::this_line_location(ec);
  if (!ec) {
    fs::path dir = self.parent_path();
    dirs.push_back((dir / "parley" / "backends").string());
    dirs.push_back(
        (dir.parent_path() / "lib" / "parley" / "backends").string());
  }
  return dirs;
}

absl::Status CheckFileTrust(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat("crypto backend module ", path, " does not exist"));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("crypto backend module ", path, " is not a regular file"));
  }
  if ((st.st_mode & S_IWOTH) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("refusing world-writable crypto backend module ", path));
  }
  if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "refusing crypto backend module ", path, " owned by uid ", st.st_uid));
  }
  return absl::OkStatus();
}

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
  absl::Status trust = CheckFileTrust(path);
  if (!trust.ok()) return trust;

  auto lib = std::make_shared<boost::dll::shared_library>();
  std::error_code ec;
  lib->load(
      path, ec,
      boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
  if (ec || !lib->is_loaded()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot load crypto backend module ", path, ": ", ec.message()));
  }
  if (!lib->has(kBackendAbiVersionSymbol) || !lib->has(kBackendNameSymbol) ||
      !lib->has(kBackendCreateSymbol)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a Parley crypto backend (missing ",
                     kBackendAbiVersionSymbol, ")"));
  }
  const uint32_t version = lib->get<uint32_t()>(kBackendAbiVersionSymbol)();
  if (version != kBackendAbiVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("crypto backend module ", path, " has ABI version ",
                     version, ", this Parley needs ", kBackendAbiVersion));
  }
  CryptoProvider* raw = lib->get<CryptoProvider*()>(kBackendCreateSymbol)();
  if (raw == nullptr) {
    return absl::InternalError(
        absl::StrCat("crypto backend module ", path, " failed to initialise"));
  }
  // The deleter owns the library handle: the provider is destroyed first,
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
      absl::Status trust = CheckFileTrust(cached->second.path);
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
