// SoftHSM2 tokens for tests: a private token directory (SOFTHSM2_CONF, set
// in this process's environment before the module is first loaded, since
// SoftHSM reads it in C_Initialize), tokens made with softhsm2-util and key
// pairs generated on them with OpenSC's pkcs11-tool.
#ifndef PARLEY_TESTS_COMMON_SOFTHSM_H_
#define PARLEY_TESTS_COMMON_SOFTHSM_H_

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/sshd/subprocess.h"

namespace parley::testing {

inline constexpr char kSoftHsmModule[] = "/usr/lib/softhsm/libsofthsm2.so";

class SoftHsm {
 public:
  // Makes the token directory under `dir` and points SOFTHSM2_CONF at it.
  absl::Status Start(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir / "tokens");
    conf_ = (dir / "softhsm2.conf").string();
    std::ofstream(conf_) << "directories.tokendir = "
                         << (dir / "tokens").string()
                         << "\nobjectstore.backend = file\nlog.level = ERROR\n";
    ::setenv("SOFTHSM2_CONF", conf_.c_str(), 1);
    if (!std::filesystem::exists(kSoftHsmModule)) {
      return absl::NotFoundError("softhsm2 is not installed");
    }
    return absl::OkStatus();
  }

  absl::Status InitToken(const std::string& label, const std::string& pin) {
    return Run({"softhsm2-util", "--init-token", "--free", "--label", label,
                "--pin", pin, "--so-pin", "so-" + pin});
  }

  // `type`: "EC:prime256v1", "EC:secp384r1", "rsa:2048", "EC:edwards25519".
  absl::Status GenerateKey(const std::string& token, const std::string& pin,
                           const std::string& type, const std::string& label,
                           const std::string& id_hex) {
    return Run({"pkcs11-tool", "--module", kSoftHsmModule, "--token-label",
                token, "--login", "--pin", pin, "--keypairgen", "--key-type",
                type, "--label", label, "--id", id_hex});
  }

  const std::string& conf() const { return conf_; }

 private:
  absl::Status Run(const std::vector<std::string>& argv) {
    SubprocessOptions o;
    o.env["SOFTHSM2_CONF"] = conf_;
    auto r = RunSubprocess(argv, o, absl::Seconds(60));
    if (!r.ok()) return r.status();
    if (r->exit_code != 0) return absl::InternalError(r->DebugString());
    return absl::OkStatus();
  }
  std::string conf_;
};

}  // namespace parley::testing

#endif  // PARLEY_TESTS_COMMON_SOFTHSM_H_
