// Chooses a crypto backend at run time. Backends are shared objects
// (libparley_crypto_<name>.so) loaded with Boost.DLL in local symbol scope; a
// returned provider keeps its module loaded for as long as it lives, so
// sessions may each use a different backend in one process.
//
// Where modules are looked for, in order:
//   1. LoaderOptions::search_dirs;
//   2. the directories in $PARLEY_BACKEND_PATH (colon-separated);
//   3. <dir of the Parley library or program>/parley/backends, then
//      <that dir>/../lib/parley/backends (the installed layout,
//      PREFIX/lib/parley/backends).
#ifndef PARLEY_CORE_CRYPTO_BACKEND_LOADER_H_
#define PARLEY_CORE_CRYPTO_BACKEND_LOADER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/crypto/provider.h"

namespace parley::crypto {

// The environment variable naming the default backend.
inline constexpr char kBackendEnvVar[] = "PARLEY_CRYPTO";
inline constexpr char kBackendPathEnvVar[] = "PARLEY_BACKEND_PATH";
inline constexpr char kDefaultBackend[] = "openssl";

struct LoaderOptions {
  std::vector<std::string> search_dirs;
};

// The file name of backend `name`: "libparley_crypto_<name>.so".
std::string BackendFileName(absl::string_view name);

// Loads backend `name` ("openssl", "cryptopp", ...). A module already
// loaded (and still held by someone) is shared rather than loaded again, as
// long as its file still passes the trust checks. Errors:
// kInvalidArgument for a malformed name, kNotFound when no module of that name
// exists in the search path (the message lists where it looked),
// kFailedPrecondition for an ABI version mismatch or a module whose name
// symbol disagrees, kPermissionDenied for a module (or folder) writable by
// group or others or owned by another user (module_loader.h).
absl::StatusOr<std::shared_ptr<const CryptoProvider>> LoadCryptoBackend(
    absl::string_view name, const LoaderOptions& options = {});

// Loads the module at `path` (same checks, no search).
absl::StatusOr<std::shared_ptr<const CryptoProvider>> LoadCryptoBackendFile(
    const std::string& path);

// The backend named by $PARLEY_CRYPTO, or "openssl" when it is unset.
absl::StatusOr<std::shared_ptr<const CryptoProvider>> LoadDefaultCryptoBackend(
    const LoaderOptions& options = {});

}  // namespace parley::crypto

#endif  // PARLEY_CORE_CRYPTO_BACKEND_LOADER_H_
