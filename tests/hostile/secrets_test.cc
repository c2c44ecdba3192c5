// Proof that the client wipes its secrets before returning their memory:
// every block the client thread frees during a whole session (operator
// delete and the C API's allocation hooks) is searched for the password,
// the keyboard-interactive answer, the key-file passphrase, the private
// key, the shared secret K and every derived session key (registered by
// the test server as it derives the same ones). A block that still holds
// one is a failure. See alloc_meter.h.
#include <libssh2.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "core/crypto/signature.h"
#include "core/keys/openssh_key.h"
#include "core/transport/kex.h"
#include "core/transport/messages.h"
#include "core/wire/reader.h"
#include "gtest/gtest.h"
#include "tests/hostile/alloc_meter.h"
#include "tests/hostile/hostile_server.h"
#include "tests/hostile/libssh2_client.h"
#include "tests/session/engine_harness.h"

namespace parley::hostile {
namespace {

namespace st = session::testing;
using transport::testing::FakeServerOptions;

ByteView View(const std::string& s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// Server options that register every key exchange's secrets.
FakeServerOptions RegisteringKeys() {
  FakeServerOptions o = DefaultServerOptions();
  o.on_keys = [](ByteView k_mpint, const transport::DerivedKeys& keys) {
    // K without its length prefix (and without a leading zero byte).
    ByteView k = k_mpint.subspan(4);
    if (!k.empty() && k[0] == 0) k = k.subspan(1);
    AddSecret(k);
    for (const SecureBuffer* b :
         {&keys.key_c2s, &keys.key_s2c, &keys.mac_c2s, &keys.mac_s2c}) {
      AddSecret(ByteView(b->data(), b->size()));
    }
  };
  return o;
}

// Logs in whatever method the client uses (keyboard-interactive with the
// password, password, or publickey: PK_OK for a query, success for a
// signature), then runs one command.
void AnyLoginServer(ServerConnection& c) {
  if (!c.Handshake()) return;
  absl::optional<st::UserauthRequest> req = c.AcceptServiceAndReadRequest();
  while (req) {
    if (req->method == "keyboard-interactive") {
      if (!c.AskPassword()) return;
      break;
    }
    if (req->method == "password") break;
    if (req->method == "publickey") {
      wire::Reader r(req->rest);
      bool signed_request = false;
      absl::string_view alg, blob;
      if (!r.ReadBool(&signed_request).ok() || !r.ReadString(&alg).ok() ||
          !r.ReadString(&blob).ok()) {
        return;
      }
      if (signed_request) break;
      c.Send(st::PkOk(std::string(alg),
                      ByteView(reinterpret_cast<const uint8_t*>(blob.data()),
                               blob.size())));
    } else {
      c.Send(st::UserauthFailure({"publickey", "keyboard-interactive"}));
    }
    absl::optional<Bytes> m = c.Read();
    if (!m) return;
    req = st::ParseUserauthRequest(*m);
  }
  if (!req || !c.Send(st::UserauthSuccess())) return;
  c.ServeCommand("done");
}

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override { ClearSecrets(); }
  void TearDown() override { ClearSecrets(); }

  Outcome Run(ClientOptions o) {
    HostileServer server(RegisteringKeys(), AnyLoginServer);
    o.exec = "true";
    o.watch_secrets = true;
    Outcome out = RunClient(server.port(), o);
    server.Join();
    EXPECT_EQ(out.handshake_rc, 0) << out.error;
    EXPECT_EQ(out.auth_rc, 0) << out.error;
    EXPECT_EQ(out.channel_rc, 0) << out.error;
    EXPECT_EQ(out.output, "done");
    return out;
  }

  static void ExpectWiped(const Outcome& out) {
    EXPECT_EQ(out.secret_hits, 0u)
        << "a freed block of " << out.largest_secret_hit
        << " bytes still held secret #" << out.secret_index;
  }

  // A fresh ed25519 key file from ssh-keygen; registers its private seed.
  std::string NewKeyFile(const std::string& passphrase) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    const std::string path = std::string(tmp ? tmp : "/tmp") + "/id_" +
                             std::to_string(getpid()) + "_" +
                             std::to_string(++keys_);
    std::remove(path.c_str());
    std::remove((path + ".pub").c_str());
    const std::string cmd = "ssh-keygen -q -t ed25519 -N '" + passphrase +
                            "' -C secrets-test -f '" + path + "' </dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<crypto::PrivateKey> key = keys::ParseOpenSshPrivateKey(
        text.str(), View(passphrase), *st::TestProvider());
    EXPECT_TRUE(key.ok()) << key.status();
    if (key.ok()) {
      AddSecret(ByteView(key->ed25519_seed.data(), key->ed25519_seed.size()));
    }
    return path;
  }

 private:
  int keys_ = 0;
};

// The detector itself: a block freed with a registered secret in it is a
// hit; the same block wiped first is not.
TEST_F(SecretsTest, TheWatchSeesAnUnwipedBlock) {
  const std::string secret = "correct horse battery staple";
  AddSecret(View(secret));
  SecretWatch watch;
  char* p = new char[100];
  std::memcpy(p + 10, secret.data(), secret.size());
  delete[] p;
  EXPECT_EQ(watch.hits(), 1u);
  p = new char[100];
  std::memcpy(p + 10, secret.data(), secret.size());
  SecureWipe(p, 100);
  delete[] p;
  EXPECT_EQ(watch.hits(), 1u);
}

// ... and sees what a real session frees: the server's version line is
// public, kept by the client and freed unwiped, so it must be found.
TEST_F(SecretsTest, TheWatchSeesAPublicStringOfTheSession) {
  AddSecret(View("SSH-2.0-ParleyFakeServer_1.0"));
  EXPECT_GT(Run(ClientOptions()).secret_hits, 0u);
}

TEST_F(SecretsTest, KeyboardInteractiveAnswerAndSessionKeys) {
  AddSecret(View(kPassword));
  ExpectWiped(Run(ClientOptions()));
}

TEST_F(SecretsTest, PasswordAndSessionKeys) {
  AddSecret(View(kPassword));
  ClientOptions o;
  o.password_method = true;
  ExpectWiped(Run(o));
}

TEST_F(SecretsTest, PrivateKeyFromAFile) {
  ClientOptions o;
  o.private_key_file = NewKeyFile("");
  ExpectWiped(Run(o));
}

TEST_F(SecretsTest, PassphraseAndEncryptedPrivateKey) {
  const std::string passphrase = "passphrase-for-the-secrets-test";
  ClientOptions o;
  o.private_key_file = NewKeyFile(passphrase);
  o.passphrase = passphrase;
  AddSecret(View(passphrase));
  ExpectWiped(Run(o));
}

// Secrets are wiped on error paths too: the server breaks the session
// right after the answer was sent.
TEST_F(SecretsTest, WipedWhenTheSessionFailsAfterTheAnswer) {
  AddSecret(View(kPassword));
  HostileServer server(RegisteringKeys(), [](ServerConnection& c) {
    if (!c.Handshake() || !c.AcceptServiceAndReadRequest()) return;
    if (!c.AskPassword()) return;
    c.SendRaw(View(std::string(100, '\x55')));
    c.WaitForClientClose();
  });
  ClientOptions o;
  o.watch_secrets = true;
  Outcome out = RunClient(server.port(), o);
  server.Join();
  EXPECT_NE(out.auth_rc, 0);
  EXPECT_EQ(out.rounds, 1);
  ExpectWiped(out);
}

}  // namespace
}  // namespace parley::hostile
