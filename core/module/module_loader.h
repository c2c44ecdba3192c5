// Loading shared objects at run time, for crypto backends and responder
// plugins alike: one mechanism, one set of trust checks.
//
// A module is loaded with local symbol scope (its symbols never satisfy
// another module's) and RTLD_NOW; it stays loaded while any Module handle
// (or anything made from it that holds the handle) lives. Loading the same
// file again while it is loaded shares the handle.
//
// Trust: a module file must be a regular file, and neither it nor the folder
// holding it may be writable by group or others, or owned by anyone but the
// current user or root -- whoever could replace it could run code in every
// program that loads it. A refused file is an error naming it and the
// reason; callers never fall back silently to another copy.
#ifndef PARLEY_CORE_MODULE_MODULE_LOADER_H_
#define PARLEY_CORE_MODULE_MODULE_LOADER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace boost::dll {
class shared_library;
}  // namespace boost::dll

namespace parley::module {

class Module {
 public:
  ~Module();
  const std::string& path() const { return path_; }
  bool Has(const char* symbol) const;
  // The address of `symbol`, or null.
  void* Symbol(const char* symbol) const;
  template <typename Fn>
  Fn* Function(const char* symbol) const {
    return reinterpret_cast<Fn*>(Symbol(symbol));
  }

 private:
  friend absl::StatusOr<std::shared_ptr<Module>> LoadModule(
      const std::string& path, absl::string_view what);
  Module(std::string path, std::unique_ptr<boost::dll::shared_library> lib);
  std::string path_;
  std::unique_ptr<boost::dll::shared_library> lib_;
};

// OK if `path` may be loaded (see above). `what` names the kind of module in
// messages ("crypto backend module", "responder plugin"). Errors:
// kNotFound (no such file), kInvalidArgument (not a regular file),
// kPermissionDenied (writable by others, foreign owner: file or folder).
absl::Status CheckTrusted(const std::string& path, absl::string_view what);

// Checks trust, then loads `path` (or shares the loaded copy). Errors: those
// of CheckTrusted, kFailedPrecondition when the dynamic loader refuses it.
absl::StatusOr<std::shared_ptr<Module>> LoadModule(const std::string& path,
                                                   absl::string_view what);

// Where installed modules of kind `subdir` ("backends", "plugins") live,
// relative to the Parley library or program that asks:
// <dir>/parley/<subdir> and <dir>/../lib/parley/<subdir>. Never $PATH or the
// current directory.
std::vector<std::string> InstalledDirs(absl::string_view subdir);

// The Bazel runfiles tree of the running program ("<program>.runfiles/
// parley"), found from /proc/self/exe -- never from argv[0], which may be a
// bare name resolved through $PATH and would make the current directory a
// module folder. Where a program run from the build tree finds its
// modules; "/nonexistent" when the program's path is unknown.
std::string ProgramRunfiles();

}  // namespace parley::module

#endif  // PARLEY_CORE_MODULE_MODULE_LOADER_H_
