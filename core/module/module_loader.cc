#include "core/module/module_loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "boost/dll/runtime_symbol_info.hpp"
#include "boost/dll/shared_library.hpp"

namespace parley::module {
namespace {

namespace fs = std::filesystem;

absl::Status CheckOwnerAndMode(const struct stat& st, const std::string& path,
                               absl::string_view what, absl::string_view kind) {
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("refusing ", what, " ", path, ": its ", kind,
                     (st.st_mode & S_IWOTH) != 0 ? " is world-writable"
                                                 : " is group-writable"));
  }
  if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("refusing ", what, " ", path, ": its ", kind,
                     " is owned by uid ", st.st_uid, ", not by you or root"));
  }
  return absl::OkStatus();
}

struct Cache {
  std::mutex mu;
  std::map<std::string, std::weak_ptr<Module>> by_path;
};

Cache& TheCache() {
  static auto* const cache = new Cache;
  return *cache;
}

}  // namespace

Module::Module(std::string path,
               std::unique_ptr<boost::dll::shared_library> lib)
    : path_(std::move(path)), lib_(std::move(lib)) {}

Module::~Module() = default;

bool Module::Has(const char* symbol) const { return lib_->has(symbol); }

void* Module::Symbol(const char* symbol) const {
  if (!lib_->has(symbol)) return nullptr;
  return reinterpret_cast<void*>(&lib_->get<char>(symbol));
}

absl::Status CheckTrusted(const std::string& path, absl::string_view what) {
  // The file a symbolic link leads to is the one checked (and loaded).
  char* real = ::realpath(path.c_str(), nullptr);
  if (real == nullptr) {
    return absl::NotFoundError(
        absl::StrCat(what, " ", path, " does not exist"));
  }
  const std::string resolved(real);
  ::free(real);
  struct stat st;
  if (::stat(resolved.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat(what, " ", path, " does not exist"));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", path, " is not a regular file"));
  }
  absl::Status file = CheckOwnerAndMode(st, path, what, "file");
  if (!file.ok()) return file;
  // Its folder, and every folder above it: whoever could rename one of them
  // could put another file in its place. A sticky folder (/tmp) protects
  // what others own in it, so it may be writable by all.
  fs::path dir = fs::path(resolved).parent_path();
  bool first = true;
  while (true) {
    struct stat dst;
    if (::stat(dir.c_str(), &dst) != 0) {
      return absl::NotFoundError(
          absl::StrCat("cannot inspect the folder of ", what, " ", path));
    }
    const bool sticky = (dst.st_mode & S_ISVTX) != 0;
    if (first || !sticky) {
      absl::Status s = CheckOwnerAndMode(
          dst, path, what,
          first ? std::string("folder")
                : absl::StrCat("enclosing folder ", dir.string()));
      if (!s.ok()) return s;
    } else if (dst.st_uid != ::geteuid() && dst.st_uid != 0) {
      return absl::PermissionDeniedError(absl::StrCat(
          "refusing ", what, " ", path, ": its enclosing folder ", dir.string(),
          " is owned by uid ", dst.st_uid, ", not by you or root"));
    }
    first = false;
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Module>> LoadModule(const std::string& path,
                                                   absl::string_view what) {
  absl::Status trust = CheckTrusted(path, what);
  if (!trust.ok()) return trust;
  std::error_code ec;
  const std::string key = fs::weakly_canonical(fs::path(path), ec).string();
  Cache& cache = TheCache();
  std::lock_guard<std::mutex> lock(cache.mu);
  auto it = cache.by_path.find(key);
  if (it != cache.by_path.end()) {
    if (std::shared_ptr<Module> m = it->second.lock()) return m;
  }
  auto lib = std::make_unique<boost::dll::shared_library>();
  // The checked file: what a symbolic link led to at the check.
  lib->load(
      key, ec,
      boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
  if (ec || !lib->is_loaded()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load ", what, " ", path, ": ", ec.message()));
  }
  std::shared_ptr<Module> m(new Module(path, std::move(lib)));
  cache.by_path[key] = m;
  return m;
}

std::vector<std::string> InstalledDirs(absl::string_view subdir) {
  std::vector<std::string> dirs;
  std::error_code ec;
  fs::path self = boost::dll::this_line_location(ec);
  if (!ec) {
    const fs::path dir = self.parent_path();
    dirs.push_back((dir / "parley" / std::string(subdir)).string());
    dirs.push_back(
        (dir.parent_path() / "lib" / "parley" / std::string(subdir)).string());
  }
  return dirs;
}

std::string ProgramRunfiles() {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "/nonexistent";
  return std::string(self, static_cast<size_t>(n)) + ".runfiles/parley";
}

}  // namespace parley::module
