// Helpers shared by the core/keys tests.
#ifndef PARLEY_CORE_KEYS_TEST_UTIL_H_
#define PARLEY_CORE_KEYS_TEST_UTIL_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/crypto/provider.h"
#include "core/crypto/signature.h"

namespace parley::keys::testing {

// The two backends, each made once and never destroyed.
const crypto::CryptoProvider& OpenSsl();
const crypto::CryptoProvider& Cryptopp();
std::vector<const crypto::CryptoProvider*> AllProviders();

// The SSH private-key encoding of PROTOCOL.key section 3 / the agent
// protocol for `key` (type name first), as ssh-keygen writes it.
Bytes EncodePrivateKeyFields(const crypto::PrivateKey& key);

// Base64 of `blob`, wrapped at 70 columns, between OpenSSH's armor lines.
std::string Armor(ByteView blob);

// A fresh, empty directory under TEST_TMPDIR.
std::string NewTempDir();
std::string ReadFileOrDie(const std::string& path);
void WriteFileOrDie(const std::string& path, absl::string_view contents,
                    int mode);

// Runs `command` through /bin/sh; its exit status, or -1.
int RunShell(const std::string& command);
std::string ShellQuote(absl::string_view s);

}  // namespace parley::keys::testing

#endif  // PARLEY_CORE_KEYS_TEST_UTIL_H_
