#include "core/hostkeys/test_util.h"

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "backends/openssl/openssl_provider.h"
#include "core/crypto/algorithms.h"
#include "core/wire/reader.h"
#include "core/wire/writer.h"

namespace parley::hostkeys::testing {

const crypto::CryptoProvider& Provider() {
  static const crypto::CryptoProvider* const provider =
      crypto::openssl_backend::NewOpenSslProvider().release();
  return *provider;
}

Bytes Ed25519Blob(uint8_t fill) {
  Bytes out;
  wire::Writer w(&out);
  w.WriteString(absl::string_view("ssh-ed25519"));
  w.WriteString(ByteView(Bytes(32, fill)));
  return out;
}

Bytes EcdsaP256Blob(uint8_t fill) {
  Bytes point(65, fill);
  point[0] = 4;
  Bytes out;
  wire::Writer w(&out);
  w.WriteString(absl::string_view("ecdsa-sha2-nistp256"));
  w.WriteString(absl::string_view("nistp256"));
  w.WriteString(ByteView(point));
  return out;
}

std::string Base64(ByteView b) { return absl::Base64Escape(AsString(b)); }

std::string Line(absl::string_view hosts, const Bytes& blob) {
  wire::Reader r(blob);
  absl::string_view type;
  if (!r.ReadString(&type).ok()) std::abort();
  return absl::StrCat(hosts, " ", type, " ", Base64(blob));
}

std::string NewTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string tmpl =
      absl::StrCat(base != nullptr ? base : "/tmp", "/hostkeys.XXXXXX");
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

void WriteFileOrDie(const std::string& path, absl::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  if (!out) std::abort();
}

}  // namespace parley::hostkeys::testing
