// parley-smartcard-import: puts a one-time-code secret on a PKCS#11 token
// as a private, sensitive, non-extractable generic secret key, for the
// smartcard responder's card-held HOTP/TOTP (otp=totp, otp-key=LABEL).
// OpenSC's pkcs11-tool cannot import generic secrets; this does it with
// C_CreateObject.
//
//   parley-smartcard-import (--module PATH | --token pkcs11:URI)
//       --secret-file FILE [--label LABEL] [--id HEX] [--pin-fd N]
//
// The secret file is what the otp responder reads (an otpauth:// URI or
// bare base32; mode 0600). The PIN is read from descriptor N, else asked
// on the terminal or through SSH_ASKPASS; never from argv.
#include <cstring>
#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "core/base/bytes.h"
#include "core/base/no_dump.h"
#include "core/pkcs11/token.h"
#include "plugins/otp/otp.h"
#include "plugins/terminal/pin_source.h"

namespace {

int Usage(const char* why) {
  if (why != nullptr) std::cerr << "parley-smartcard-import: " << why << "\n";
  std::cerr << "usage: parley-smartcard-import (--module PATH | --token "
               "pkcs11:URI) --secret-file FILE\n"
               "           [--label LABEL] [--id HEX] [--pin-fd N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace parley;  // NOLINT
  DisableCoreDumps();      // the seed and the PIN pass through here
  std::string module, token, secret_file, label = "otp", id_hex;
  int pin_fd = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      Usage(nullptr);
      return 0;
    }
    if (i + 1 >= argc) return Usage(("missing value for " + a).c_str());
    const std::string v = argv[++i];
    if (a == "--module") {
      module = v;
    } else if (a == "--token") {
      token = v;
    } else if (a == "--secret-file") {
      secret_file = v;
    } else if (a == "--label") {
      label = v;
    } else if (a == "--id") {
      id_hex = v;
    } else if (a == "--pin-fd") {
      if (!absl::SimpleAtoi(v, &pin_fd) || pin_fd < 0) {
        return Usage("--pin-fd takes a descriptor number");
      }
    } else {
      return Usage(("unknown option " + a).c_str());
    }
  }
  if ((module.empty() && token.empty()) || secret_file.empty()) {
    return Usage("--module or --token, and --secret-file, are needed");
  }
  if (label.empty()) return Usage("--label must not be empty");
  Bytes id;
  if (!id_hex.empty() && !FromHex(id_hex, &id)) {
    return Usage("--id takes hex digits");
  }
  absl::StatusOr<pkcs11::KeySelection> sel =
      pkcs11::ParseKeySelection(token.empty() ? module : token, module);
  if (!sel.ok()) {
    std::cerr << "parley-smartcard-import: " << sel.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<otp::OtpParams> params = otp::LoadSecretFile(secret_file);
  if (!params.ok()) {
    std::cerr << "parley-smartcard-import: " << params.status().message()
              << "\n";
    return 1;
  }
  absl::StatusOr<std::shared_ptr<pkcs11::Module>> m =
      pkcs11::Module::Load(sel->module_path);
  if (!m.ok()) {
    std::cerr << "parley-smartcard-import: " << m.status().message() << "\n";
    return 1;
  }
  const absl::Status s = (*m)->ImportSecret(
      sel->uri, label, id, params->secret,
      tty::PinSource(pin_fd, [](absl::string_view warning) {
        std::cerr << "parley-smartcard-import: warning: " << warning << "\n";
      }));
  if (!s.ok()) {
    std::cerr << "parley-smartcard-import: " << s.message() << "\n";
    return 1;
  }
  std::cout << "imported secret key \"" << label << "\" ("
            << params->secret.size() << " bytes, not extractable)\n";
  return 0;
}
