// parley-challenge-verify: the server side of challenge signing
// (docs/CHALLENGE.md). Reads one answer line from stdin and exits 0 when it
// is a valid signature over the challenge for USER by one of the keys in
// the keys file (authorized_keys format), 1 when it is not (the reason on
// stderr), 2 for a usage or configuration error. Used by
// pam_parley_challenge.so; usable from any program that issued a nonce.
//
//   parley-challenge-verify --user USER --nonce NONCE --keys FILE
//   parley-challenge-verify --new-nonce     prints a fresh nonce
//
// The keys file must not be writable by group or others and must belong to
// root or to USER (sshd's StrictModes rule for authorized_keys).
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/auth/challenge.h"
#include "core/base/file.h"
#include "core/crypto/backend_loader.h"
#include "core/keys/openssh_key.h"
#include "core/module/module_loader.h"

namespace parley {
namespace {

constexpr size_t kMaxKeysFile = 1 << 20;

int Usage(const std::string& why) {
  if (!why.empty()) std::cerr << "parley-challenge-verify: " << why << "\n";
  std::cerr << "usage: parley-challenge-verify --user USER --nonce NONCE "
               "--keys FILE  (answer on stdin)\n"
               "       parley-challenge-verify --new-nonce\n";
  return 2;
}

// The crypto backend: Bazel's runfiles next to this program when run from
// the build tree, else the installed layout (core/crypto/backend_loader.h).
absl::StatusOr<std::shared_ptr<const crypto::CryptoProvider>> Provider() {
  crypto::LoaderOptions loader;
  const std::string runfiles = module::ProgramRunfiles();
  loader.search_dirs = {runfiles + "/backends/openssl",
                        runfiles + "/backends/cryptopp"};
  return crypto::LoadDefaultCryptoBackend(loader);
}

// The keys USER may sign challenges with.
absl::StatusOr<std::vector<crypto::PublicKey>> LoadKeys(
    const std::string& path, const std::string& user) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(absl::StrCat("cannot open keys file ", path));
  }
  struct stat st;
  std::string text;
  absl::Status bad;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    bad = absl::FailedPreconditionError(
        absl::StrCat(path, " is not a regular file"));
  } else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    bad = absl::PermissionDeniedError(
        absl::StrCat(path, " is writable by group or others"));
  } else {
    const struct passwd* pw = ::getpwnam(user.c_str());
    if (st.st_uid != 0 && (pw == nullptr || st.st_uid != pw->pw_uid)) {
      bad = absl::PermissionDeniedError(
          absl::StrCat(path, " belongs to neither root nor ", user));
    } else if (st.st_size > static_cast<off_t>(kMaxKeysFile)) {
      bad = absl::FailedPreconditionError(absl::StrCat(path, " is too large"));
    }
  }
  if (bad.ok()) {
    text.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < text.size()) {
      const ssize_t r = ::read(fd, &text[got], text.size() - got);
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    text.resize(got);
  }
  ::close(fd);
  if (!bad.ok()) return bad;
  std::vector<crypto::PublicKey> keys;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    absl::StatusOr<crypto::PublicKey> k = keys::ParsePublicKeyLine(line);
    if (k.ok()) keys.push_back(*std::move(k));  // other key types: skipped
  }
  return keys;
}

int Run(int argc, char** argv) {
  std::string user, nonce, keys_file;
  bool new_nonce = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      Usage("");
      return 0;
    }
    if (a == "--new-nonce") {
      new_nonce = true;
      continue;
    }
    if (i + 1 >= argc) return Usage("missing value for " + a);
    const std::string v = argv[++i];
    if (a == "--user") {
      user = v;
    } else if (a == "--nonce") {
      nonce = v;
    } else if (a == "--keys") {
      keys_file = v;
    } else {
      return Usage("unknown option " + a);
    }
  }
  absl::StatusOr<std::shared_ptr<const crypto::CryptoProvider>> provider =
      Provider();
  if (!provider.ok()) {
    std::cerr << "parley-challenge-verify: " << provider.status().message()
              << "\n";
    return 2;
  }
  if (new_nonce) {
    absl::StatusOr<std::string> n = auth::challenge::NewNonce(**provider);
    if (!n.ok()) return Usage(std::string(n.status().message()));
    std::cout << *n << "\n";
    return 0;
  }
  if (user.empty() || keys_file.empty()) {
    return Usage("--user, --nonce and --keys are needed");
  }
  if (auth::challenge::FindNonce(
          absl::StrCat(auth::challenge::kPrefix, nonce)) != nonce) {
    return Usage("the nonce is not 22 to 128 base64url characters");
  }
  absl::StatusOr<std::vector<crypto::PublicKey>> keys =
      LoadKeys(keys_file, user);
  if (!keys.ok()) {
    std::cerr << "parley-challenge-verify: " << keys.status().message() << "\n";
    return 2;
  }
  LineRead options;
  options.max_bytes = auth::challenge::kMaxAnswer + 2;
  absl::StatusOr<SecureBuffer> line = ReadSecretLine(0, options);
  if (!line.ok()) {
    std::cerr << "parley-challenge-verify: no answer: "
              << line.status().message() << "\n";
    return 1;
  }
  const absl::Status s = auth::challenge::Verify(
      **provider, absl::StripAsciiWhitespace(AsString(*line)), nonce, user,
      *keys);
  if (!s.ok()) {
    std::cerr << "parley-challenge-verify: refused for " << user << ": "
              << s.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace parley

int main(int argc, char** argv) { return parley::Run(argc, argv); }
