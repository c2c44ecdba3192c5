#include "core/keys/test_util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "backends/cryptopp/cryptopp_provider.h"
#include "backends/openssl/openssl_provider.h"
#include "core/base/shell_quote.h"
#include "core/crypto/algorithms.h"
#include "core/wire/writer.h"

namespace parley::keys::testing {

const crypto::CryptoProvider& OpenSsl() {
  static const crypto::CryptoProvider* const provider =
      crypto::openssl_backend::NewOpenSslProvider().release();
  return *provider;
}

const crypto::CryptoProvider& Cryptopp() {
  static const crypto::CryptoProvider* const provider =
      crypto::cryptopp_backend::NewCryptoppProvider().release();
  return *provider;
}

std::vector<const crypto::CryptoProvider*> AllProviders() {
  return {&OpenSsl(), &Cryptopp()};
}

Bytes EncodePrivateKeyFields(const crypto::PrivateKey& key) {
  Bytes out;
  wire::Writer w(&out);
  const crypto::PublicKey& pub = key.public_key;
  w.WriteString(crypto::KeyTypeName(pub.type));
  switch (pub.type) {
    case crypto::KeyType::kEd25519: {
      w.WriteString(ByteView(pub.ed25519));
      Bytes sk(key.ed25519_seed.begin(), key.ed25519_seed.end());
      sk.insert(sk.end(), pub.ed25519.begin(), pub.ed25519.end());
      w.WriteString(ByteView(sk));
      break;
    }
    case crypto::KeyType::kEcdsaP256:
    case crypto::KeyType::kEcdsaP384:
    case crypto::KeyType::kEcdsaP521: {
      w.WriteString(crypto::EcCurveName(pub.type));
      w.WriteString(ByteView(pub.ec_point));
      w.WriteMpint(View(key.ec_scalar));
      break;
    }
    case crypto::KeyType::kRsa:
      w.WriteMpint(pub.rsa_n);
      w.WriteMpint(pub.rsa_e);
      w.WriteMpint(View(key.rsa_d));
      w.WriteMpint(View(key.rsa_qinv));
      w.WriteMpint(View(key.rsa_p));
      w.WriteMpint(View(key.rsa_q));
      break;
  }
  return out;
}

std::string Armor(ByteView blob) {
  const std::string b64 = absl::Base64Escape(AsString(blob));
  std::string out = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  for (size_t i = 0; i < b64.size(); i += 70) {
    absl::StrAppend(&out, b64.substr(i, 70), "\n");
  }
  absl::StrAppend(&out, "-----END OPENSSH PRIVATE KEY-----\n");
  return out;
}

std::string NewTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string tmpl =
      absl::StrCat(base != nullptr ? base : "/tmp", "/keys.XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) std::abort();
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFileOrDie(const std::string& path, absl::string_view contents,
                    int mode) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) std::abort();
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n =
        ::write(fd, contents.data() + done, contents.size() - done);
    if (n <= 0) std::abort();
    done += static_cast<size_t>(n);
  }
  // open() applies the umask; set the mode the test asked for exactly.
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) std::abort();
  ::close(fd);
}

int RunShell(const std::string& command) {
  const int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

std::string ShellQuote(absl::string_view s) { return parley::ShellQuote(s); }

}  // namespace parley::keys::testing
