// The C API without a server: identity, constants, allocator, errors,
// settings, crypto backend choice, and the known-hosts functions. Written
// against the documented libssh2 API (plus parley_libssh2.h).
#include <fcntl.h>
#include <libssh2.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <parley_libssh2.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#ifndef PARLEY_LIBSSH2
#error "the test must compile against Parley's libssh2.h"
#endif

namespace {

// The backend modules in the test's runfiles (see BUILD: data).
const bool kBackendPath = [] {
  setenv("PARLEY_BACKEND_PATH", "backends/openssl:backends/cryptopp", 1);
  return true;
}();

// Values from libssh2's public header (1.11): the header must agree.
static_assert(LIBSSH2_ERROR_EAGAIN == -37, "EAGAIN");
static_assert(LIBSSH2_ERROR_AUTHENTICATION_FAILED == -18, "AUTH_FAILED");
static_assert(LIBSSH2_ERROR_SOCKET_SEND == -7, "SOCKET_SEND");
static_assert(LIBSSH2_ERROR_ALLOC == -6, "ALLOC");
static_assert(LIBSSH2_ERROR_TIMEOUT == -9, "TIMEOUT");
static_assert(LIBSSH2_ERROR_MISSING_USERAUTH_BANNER == -50, "BANNER");
static_assert(LIBSSH2_ERROR_HASH_CALC == -54, "HASH_CALC");
static_assert(LIBSSH2_KNOWNHOST_KEY_ED25519 == (7 << 18), "ED25519");
static_assert(LIBSSH2_KNOWNHOST_KEYENC_BASE64 == (2 << 16), "BASE64");
static_assert(LIBSSH2_CHANNEL_WINDOW_DEFAULT == 2 * 1024 * 1024, "window");
static_assert(LIBSSH2_SESSION_BLOCK_OUTBOUND == 2, "outbound");
static_assert(LIBSSH2_VERSION_NUM == 0x010b00, "1.11.0");
static_assert(LIBSSH2_INVALID_SOCKET == -1, "invalid socket");
static_assert(sizeof(libssh2_socket_t) == sizeof(int), "socket type");
static_assert(sizeof(LIBSSH2_USERAUTH_KBDINT_PROMPT::length) == sizeof(size_t),
              "prompt length is size_t");
static_assert(sizeof(LIBSSH2_USERAUTH_KBDINT_RESPONSE::length) ==
                  sizeof(unsigned int),
              "response length is unsigned int");

std::string LastError(LIBSSH2_SESSION* s) {
  char* msg = nullptr;
  int len = 0;
  libssh2_session_last_error(s, &msg, &len, 0);
  return msg == nullptr ? "" : std::string(msg, len);
}

TEST(CapiTest, IdentifiesAsParley) {
  EXPECT_NE(std::string(parley_version()).find("Parley"), std::string::npos);
  EXPECT_STREQ(libssh2_version(0), "1.11.0");
  EXPECT_STREQ(libssh2_version(LIBSSH2_VERSION_NUM), LIBSSH2_VERSION);
  EXPECT_EQ(libssh2_version(0x020000), nullptr);
  EXPECT_EQ(libssh2_init(0), 0);
  libssh2_exit();
}

// A counting allocator with a size header, as an application may give
// libssh2_session_init_ex().
struct Counts {
  int allocs = 0;
  int frees = 0;
};

void* CountingAlloc(size_t n, void** abstract) {
  static_cast<Counts*>(*abstract)->allocs++;
  return malloc(n);
}
void CountingFree(void* p, void** abstract) {
  static_cast<Counts*>(*abstract)->frees++;
  free(p);
}
void* CountingRealloc(void* p, size_t n, void** abstract) {
  static_cast<Counts*>(*abstract)->allocs++;
  return realloc(p, n);
}

TEST(CapiTest, Base64DecodeUsesTheSessionAllocator) {
  LIBSSH2_SESSION* s = libssh2_session_init();
  ASSERT_NE(s, nullptr);
  char* out = nullptr;
  unsigned int len = 0;
  const char kText[] = "cGFybGV5";  // "parley"
  ASSERT_EQ(libssh2_base64_decode(s, &out, &len, kText, sizeof kText - 1), 0);
  EXPECT_EQ(std::string(out, len), "parley");
  libssh2_free(s, out);
  ASSERT_EQ(libssh2_base64_decode(s, &out, &len, "", 0), 0);
  EXPECT_EQ(len, 0u);
  libssh2_free(s, out);
  out = nullptr;
  EXPECT_EQ(libssh2_base64_decode(s, &out, &len, "not base64!", 11), -1);
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(libssh2_base64_decode(nullptr, &out, &len, kText, 8), -1);
  libssh2_session_free(s);
}

TEST(CapiTest, CryptoEngineReadTimeoutAndCallbackTypes) {
  EXPECT_EQ(libssh2_crypto_engine(), libssh2_openssl);
  LIBSSH2_SESSION* s = libssh2_session_init();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(libssh2_session_get_read_timeout(s), 60);
  libssh2_session_set_read_timeout(s, 5);
  EXPECT_EQ(libssh2_session_get_read_timeout(s), 5);
  libssh2_session_set_read_timeout(s, -1);
  EXPECT_EQ(libssh2_session_get_read_timeout(s), 60);
  // Supported types return the previous callback.
  auto* cb = reinterpret_cast<libssh2_cb_generic*>(&libssh2_exit);
  EXPECT_EQ(libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_DEBUG, cb),
            nullptr);
  EXPECT_EQ(libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_DEBUG, nullptr),
            cb);
  EXPECT_EQ(libssh2_session_callback_set(s, LIBSSH2_CALLBACK_IGNORE,
                                         reinterpret_cast<void*>(cb)),
            nullptr);
  // The agent callbacks are not supported, and say so.
  EXPECT_EQ(libssh2_session_callback_set2(s, LIBSSH2_CALLBACK_AUTHAGENT, cb),
            nullptr);
  EXPECT_EQ(libssh2_session_last_errno(s), LIBSSH2_ERROR_METHOD_NOT_SUPPORTED);
  libssh2_session_free(s);
}

TEST(CapiTest, PollOnSockets) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  LIBSSH2_POLLFD fds[2] = {};
  fds[0].type = LIBSSH2_POLLFD_SOCKET;
  fds[0].fd.socket = sv[0];
  fds[0].events = LIBSSH2_POLLFD_POLLIN;
  fds[1].type = LIBSSH2_POLLFD_SOCKET;
  fds[1].fd.socket = sv[1];
  fds[1].events = LIBSSH2_POLLFD_POLLOUT;
  // Only the writable end is ready.
  EXPECT_EQ(libssh2_poll(fds, 2, 100), 1);
  EXPECT_EQ(fds[0].revents, 0u);
  EXPECT_TRUE(fds[1].revents & LIBSSH2_POLLFD_POLLOUT);
  ASSERT_EQ(write(sv[1], "x", 1), 1);
  fds[1].events = 0;
  EXPECT_EQ(libssh2_poll(fds, 2, 1000), 1);
  EXPECT_TRUE(fds[0].revents & LIBSSH2_POLLFD_POLLIN);
  // Nothing asked: the timeout passes.
  fds[0].events = 0;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(libssh2_poll(fds, 2, 150), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds(140));
  EXPECT_EQ(libssh2_poll(nullptr, 1, 0), LIBSSH2_ERROR_INVAL);
  close(sv[0]);
  close(sv[1]);
}

TEST(CapiTest, SessionUsesTheApplicationsAllocator) {
  Counts counts;
  LIBSSH2_SESSION* s = libssh2_session_init_ex(CountingAlloc, CountingFree,
                                               CountingRealloc, &counts);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(*libssh2_session_abstract(s), &counts);
  EXPECT_EQ(libssh2_session_set_last_error(s, LIBSSH2_ERROR_FILE, "boom"),
            LIBSSH2_ERROR_FILE);
  char* msg = nullptr;
  int len = 0;
  EXPECT_EQ(libssh2_session_last_error(s, &msg, &len, 1), LIBSSH2_ERROR_FILE);
  ASSERT_NE(msg, nullptr);
  EXPECT_STREQ(msg, "boom");
  EXPECT_EQ(len, 4);
  const int allocs = counts.allocs;
  EXPECT_GE(allocs, 1);
  libssh2_free(s, msg);  // the application's free function
  EXPECT_GE(counts.frees, 1);
  const char** algs = nullptr;
  const int n =
      libssh2_session_supported_algs(s, LIBSSH2_METHOD_COMP_CS, &algs);
  ASSERT_EQ(n, 1);
  EXPECT_STREQ(algs[0], "none");
  EXPECT_GT(counts.allocs, allocs);
  libssh2_free(s, algs);
  EXPECT_EQ(libssh2_session_free(s), 0);
  EXPECT_EQ(counts.allocs, counts.frees);
}

TEST(CapiTest, CallsBeforeTheHandshakeFailCleanly) {
  LIBSSH2_SESSION* s = libssh2_session_init();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(libssh2_session_get_blocking(s), 1);
  EXPECT_EQ(libssh2_session_get_timeout(s), 0);
  libssh2_session_set_timeout(s, 1500);
  EXPECT_EQ(libssh2_session_get_timeout(s), 1500);
  EXPECT_EQ(libssh2_userauth_list(s, "u", 1), nullptr);
  EXPECT_EQ(libssh2_session_last_errno(s), LIBSSH2_ERROR_BAD_USE);
  EXPECT_NE(LastError(s).find("handshake"), std::string::npos);
  EXPECT_EQ(libssh2_userauth_authenticated(s), 0);
  EXPECT_EQ(libssh2_session_hostkey(s, nullptr, nullptr), nullptr);
  EXPECT_EQ(libssh2_hostkey_hash(s, LIBSSH2_HOSTKEY_HASH_SHA256), nullptr);
  EXPECT_EQ(libssh2_session_banner_get(s), nullptr);
  EXPECT_EQ(libssh2_session_methods(s, LIBSSH2_METHOD_KEX), nullptr);
  EXPECT_EQ(libssh2_channel_open_session(s), nullptr);
  char* banner = nullptr;
  EXPECT_EQ(libssh2_userauth_banner(s, &banner),
            LIBSSH2_ERROR_MISSING_USERAUTH_BANNER);
  EXPECT_EQ(libssh2_session_handshake(s, LIBSSH2_INVALID_SOCKET),
            LIBSSH2_ERROR_BAD_SOCKET);
  EXPECT_EQ(parley_userauth_partial_success(s), 0);
  EXPECT_EQ(parley_userauth_methods_left(s), nullptr);
  EXPECT_EQ(libssh2_trace(s, LIBSSH2_TRACE_AUTH | LIBSSH2_TRACE_KEX), 0);
  EXPECT_EQ(libssh2_session_flag(s, LIBSSH2_FLAG_SIGPIPE, 1), 0);
  int next = -1;
  libssh2_keepalive_config(s, 1, 0);
  EXPECT_EQ(libssh2_keepalive_send(s, &next), 0);
  EXPECT_EQ(next, 0);
  parley_userauth_cancel(s);  // no login running: harmless
  EXPECT_EQ(libssh2_session_free(s), 0);
}

TEST(CapiTest, NullArgumentsAreRejected) {
  EXPECT_EQ(libssh2_session_free(nullptr), LIBSSH2_ERROR_BAD_USE);
  EXPECT_EQ(libssh2_trace(nullptr, LIBSSH2_TRACE_KEX), LIBSSH2_ERROR_BAD_USE);
  EXPECT_EQ(libssh2_trace_sethandler(nullptr, nullptr, nullptr),
            LIBSSH2_ERROR_BAD_USE);
  EXPECT_EQ(libssh2_session_last_errno(nullptr), LIBSSH2_ERROR_BAD_USE);
  EXPECT_EQ(libssh2_userauth_list(nullptr, "u", 1), nullptr);
  EXPECT_EQ(libssh2_channel_read(nullptr, nullptr, 0), LIBSSH2_ERROR_BAD_USE);
  EXPECT_EQ(libssh2_channel_free(nullptr), LIBSSH2_ERROR_BAD_USE);
  EXPECT_EQ(libssh2_knownhost_init(nullptr), nullptr);
  EXPECT_EQ(parley_session_set_crypto_backend(nullptr, "openssl"),
            LIBSSH2_ERROR_BAD_USE);
  parley_userauth_cancel(nullptr);
  libssh2_free(nullptr, nullptr);
  LIBSSH2_SESSION* s = libssh2_session_init();
  EXPECT_EQ(libssh2_userauth_keyboard_interactive(s, "u", nullptr),
            LIBSSH2_ERROR_INVAL);
  EXPECT_EQ(libssh2_session_supported_algs(s, LIBSSH2_METHOD_KEX, nullptr),
            LIBSSH2_ERROR_BAD_USE);
  EXPECT_EQ(libssh2_session_method_pref(s, LIBSSH2_METHOD_KEX, nullptr),
            LIBSSH2_ERROR_INVAL);
  libssh2_session_free(s);
}

// A peer that never answers: EAGAIN with the direction to wait for in
// non-blocking mode, LIBSSH2_ERROR_TIMEOUT after the session timeout in
// blocking mode; the socket is the application's and gets its mode back.
TEST(CapiTest, HandshakeWithASilentPeer) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ASSERT_EQ(fcntl(fds[0], F_GETFL) & O_NONBLOCK, 0);
  LIBSSH2_SESSION* s = libssh2_session_init();
  libssh2_session_set_blocking(s, 0);
  EXPECT_EQ(libssh2_session_handshake(s, fds[0]), LIBSSH2_ERROR_EAGAIN);
  EXPECT_EQ(libssh2_session_last_errno(s), LIBSSH2_ERROR_EAGAIN);
  EXPECT_EQ(libssh2_session_block_directions(s), LIBSSH2_SESSION_BLOCK_INBOUND);
  EXPECT_NE(fcntl(fds[0], F_GETFL) & O_NONBLOCK, 0);
  // Our identification string went out.
  char buf[256] = {};
  ASSERT_GT(read(fds[1], buf, sizeof(buf) - 1), 0);
  EXPECT_EQ(std::string(buf).rfind("SSH-2.0-Parley_", 0), 0u) << buf;
  // Again, blocking with a timeout.
  libssh2_session_set_blocking(s, 1);
  libssh2_session_set_timeout(s, 200);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(libssh2_session_handshake(s, fds[0]), LIBSSH2_ERROR_TIMEOUT);
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds(190));
  // The peer hangs up.
  close(fds[1]);
  libssh2_session_set_timeout(s, 0);
  const int rc = libssh2_session_handshake(s, fds[0]);
  EXPECT_TRUE(rc == LIBSSH2_ERROR_SOCKET_DISCONNECT ||
              rc == LIBSSH2_ERROR_SOCKET_RECV)
      << rc << " " << LastError(s);
  EXPECT_EQ(libssh2_session_free(s), 0);
  EXPECT_EQ(fcntl(fds[0], F_GETFL) & O_NONBLOCK, 0);
  close(fds[0]);
}

TEST(CapiTest, CryptoBackendChoice) {
  LIBSSH2_SESSION* s = libssh2_session_init();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(parley_session_set_crypto_backend(s, "cryptopp"), 0)
      << LastError(s);
  EXPECT_STREQ(parley_session_crypto_backend(s), "cryptopp");
  EXPECT_EQ(parley_session_set_crypto_backend(s, "openssl"), 0) << LastError(s);
  EXPECT_STREQ(parley_session_crypto_backend(s), "openssl");

  EXPECT_EQ(parley_session_set_crypto_backend(s, "nosuchbackend"),
            LIBSSH2_ERROR_METHOD_NOT_SUPPORTED);
  EXPECT_EQ(libssh2_session_last_errno(s), LIBSSH2_ERROR_METHOD_NOT_SUPPORTED);
  EXPECT_NE(LastError(s).find("nosuchbackend"), std::string::npos)
      << LastError(s);
  EXPECT_EQ(parley_session_set_crypto_backend(s, "../../etc/passwd"),
            LIBSSH2_ERROR_METHOD_NOT_SUPPORTED);
  // The previous choice stands.
  EXPECT_STREQ(parley_session_crypto_backend(s), "openssl");
  libssh2_session_free(s);
}

TEST(CapiTest, SupportedAlgsComeFromTheBackend) {
  for (const char* backend : {"openssl", "cryptopp"}) {
    LIBSSH2_SESSION* s = libssh2_session_init();
    ASSERT_EQ(parley_session_set_crypto_backend(s, backend), 0) << LastError(s);
    const char** algs = nullptr;
    const int n =
        libssh2_session_supported_algs(s, LIBSSH2_METHOD_CRYPT_CS, &algs);
    ASSERT_GT(n, 0) << LastError(s);
    std::vector<std::string> names(algs, algs + n);
    libssh2_free(s, algs);
    EXPECT_NE(std::find(names.begin(), names.end(), "aes256-gcm@openssh.com"),
              names.end());
    const int k = libssh2_session_supported_algs(s, LIBSSH2_METHOD_KEX, &algs);
    ASSERT_GT(k, 0);
    EXPECT_NE(std::find(algs, algs + k, std::string("curve25519-sha256")),
              algs + k);
    libssh2_free(s, algs);
    EXPECT_EQ(libssh2_session_supported_algs(s, LIBSSH2_METHOD_LANG_CS, &algs),
              LIBSSH2_ERROR_METHOD_NOT_SUPPORTED);
    libssh2_session_free(s);
  }
}

TEST(CapiTest, MethodPreferences) {
  LIBSSH2_SESSION* s = libssh2_session_init();
  EXPECT_EQ(libssh2_session_method_pref(s, LIBSSH2_METHOD_CRYPT_CS,
                                        "aes128-ctr,aes256-ctr"),
            0);
  EXPECT_EQ(libssh2_session_method_pref(s, LIBSSH2_METHOD_KEX,
                                        "nonsense,curve25519-sha256"),
            0);
  EXPECT_EQ(libssh2_session_method_pref(s, LIBSSH2_METHOD_MAC_SC,
                                        "umac-64@openssh.com,hmac-ripemd160"),
            LIBSSH2_ERROR_METHOD_NOT_SUPPORTED);
  // Legacy algorithms are accepted when named (and never offered unless).
  EXPECT_EQ(libssh2_session_method_pref(s, LIBSSH2_METHOD_MAC_SC,
                                        "hmac-md5,umac-64@openssh.com"),
            0);
  EXPECT_EQ(libssh2_session_method_pref(s, LIBSSH2_METHOD_CRYPT_CS,
                                        "3des-cbc,aes256-cbc"),
            0);
  EXPECT_EQ(libssh2_session_method_pref(s, LIBSSH2_METHOD_KEX,
                                        "diffie-hellman-group14-sha1"),
            0);
  EXPECT_EQ(libssh2_session_method_pref(s, LIBSSH2_METHOD_HOSTKEY, "ssh-rsa"),
            0);
  EXPECT_EQ(libssh2_session_method_pref(s, LIBSSH2_METHOD_COMP_CS, "none"), 0);
  EXPECT_EQ(libssh2_session_method_pref(s, LIBSSH2_METHOD_COMP_CS, "zlib"),
            LIBSSH2_ERROR_METHOD_NOT_SUPPORTED);
  EXPECT_EQ(libssh2_session_method_pref(s, 99, "x"), LIBSSH2_ERROR_INVAL);
  EXPECT_EQ(libssh2_session_banner_set(s, "not a banner"), LIBSSH2_ERROR_INVAL);
  EXPECT_EQ(libssh2_session_banner_set(s, "SSH-2.0-Example_1.0"), 0);
  EXPECT_EQ(parley_userauth_kbdint_set_limits(s, 0, 0, 0), LIBSSH2_ERROR_INVAL);
  EXPECT_EQ(parley_userauth_kbdint_set_limits(s, 4, -1, 0),
            LIBSSH2_ERROR_INVAL);
  EXPECT_EQ(parley_userauth_kbdint_set_limits(s, 4, 1000, 5000), 0);
  libssh2_session_free(s);
}

// --- Known hosts -------------------------------------------------------------

std::string Base64(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(&out[0]),
                      reinterpret_cast<const unsigned char*>(raw.data()),
                      static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string SshString(const std::string& s) {
  std::string out(4, '\0');
  out[0] = static_cast<char>(s.size() >> 24);
  out[1] = static_cast<char>(s.size() >> 16);
  out[2] = static_cast<char>(s.size() >> 8);
  out[3] = static_cast<char>(s.size());
  return out + s;
}

// An ssh-ed25519 public-key blob.
std::string Ed25519Blob(char fill) {
  return SshString("ssh-ed25519") + SshString(std::string(32, fill));
}

// An ssh-rsa blob with a 1024-bit modulus (a structurally valid key).
std::string RsaBlob() {
  std::string n(129, '\x11');
  n[0] = '\0';
  n[1] = '\xc1';
  return SshString("ssh-rsa") + SshString(std::string("\x01\x00\x01", 3)) +
         SshString(n);
}

// OpenSSH's hashed host name for `host` with `salt`.
std::string HashedHost(const std::string& salt, const std::string& host) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), salt.data(), static_cast<int>(salt.size()),
       reinterpret_cast<const unsigned char*>(host.data()), host.size(), mac,
       &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

class KnownHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    session_ = libssh2_session_init();
    ASSERT_NE(session_, nullptr);
    hosts_ = libssh2_knownhost_init(session_);
    ASSERT_NE(hosts_, nullptr);
  }
  void TearDown() override {
    libssh2_knownhost_free(hosts_);
    libssh2_session_free(session_);
  }
  int Check(const char* host, int port, const std::string& blob,
            libssh2_knownhost** store = nullptr) {
    return libssh2_knownhost_checkp(
        hosts_, host, port, blob.data(), blob.size(),
        LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW, store);
  }
  int ReadLine(const std::string& line) {
    return libssh2_knownhost_readline(hosts_, line.data(), line.size(),
                                      LIBSSH2_KNOWNHOST_FILE_OPENSSH);
  }
  std::vector<libssh2_knownhost*> All() {
    std::vector<libssh2_knownhost*> out;
    libssh2_knownhost* prev = nullptr;
    libssh2_knownhost* cur = nullptr;
    while (libssh2_knownhost_get(hosts_, &cur, prev) == 0) {
      out.push_back(cur);
      prev = cur;
    }
    return out;
  }
  std::string WriteLine(libssh2_knownhost* e) {
    char buf[1024];
    size_t len = 0;
    EXPECT_EQ(libssh2_knownhost_writeline(hosts_, e, buf, sizeof(buf), &len,
                                          LIBSSH2_KNOWNHOST_FILE_OPENSSH),
              0);
    return std::string(buf, len);
  }

  LIBSSH2_SESSION* session_ = nullptr;
  LIBSSH2_KNOWNHOSTS* hosts_ = nullptr;
};

TEST_F(KnownHostTest, ReadLineCheckAndWriteBack) {
  const std::string a = Ed25519Blob('\x01');
  const std::string b = Ed25519Blob('\x02');
  const std::string line =
      "[example.org]:2222,alias ssh-ed25519 " + Base64(a) + " a comment";
  ASSERT_EQ(ReadLine(line), 0);
  ASSERT_EQ(ReadLine("# a comment line"), 0);
  ASSERT_EQ(ReadLine(""), 0);
  std::vector<libssh2_knownhost*> all = All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_STREQ(all[0]->name, "[example.org]:2222,alias");
  EXPECT_EQ(std::string(all[0]->key), Base64(a));
  EXPECT_EQ(all[0]->typemask & LIBSSH2_KNOWNHOST_TYPE_MASK,
            LIBSSH2_KNOWNHOST_TYPE_PLAIN);
  EXPECT_EQ(all[0]->typemask & LIBSSH2_KNOWNHOST_KEY_MASK,
            LIBSSH2_KNOWNHOST_KEY_ED25519);
  EXPECT_EQ(WriteLine(all[0]), line + "\n");

  libssh2_knownhost* store = nullptr;
  EXPECT_EQ(Check("example.org", 2222, a, &store),
            LIBSSH2_KNOWNHOST_CHECK_MATCH);
  EXPECT_EQ(store, all[0]);
  EXPECT_EQ(Check("EXAMPLE.ORG", 2222, a), LIBSSH2_KNOWNHOST_CHECK_MATCH);
  EXPECT_EQ(Check("alias", 22, a), LIBSSH2_KNOWNHOST_CHECK_MATCH);
  EXPECT_EQ(Check("example.org", 2222, b, &store),
            LIBSSH2_KNOWNHOST_CHECK_MISMATCH);
  EXPECT_EQ(store, all[0]);
  EXPECT_EQ(Check("example.org", 22, a), LIBSSH2_KNOWNHOST_CHECK_NOTFOUND);
  EXPECT_EQ(Check("other.org", 2222, a), LIBSSH2_KNOWNHOST_CHECK_NOTFOUND);
  // A key of another type is not a mismatch.
  EXPECT_EQ(Check("example.org", 2222, RsaBlob()),
            LIBSSH2_KNOWNHOST_CHECK_NOTFOUND);
  // Base64 keys and libssh2_knownhost_check (no port).
  const std::string a64 = Base64(a);
  EXPECT_EQ(libssh2_knownhost_check(
                hosts_, "alias", a64.c_str(), 0,
                LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_BASE64,
                nullptr),
            LIBSSH2_KNOWNHOST_CHECK_MATCH);

  EXPECT_EQ(libssh2_knownhost_del(hosts_, all[0]), 0);
  EXPECT_TRUE(All().empty());
  EXPECT_EQ(Check("example.org", 2222, a), LIBSSH2_KNOWNHOST_CHECK_NOTFOUND);
}

TEST_F(KnownHostTest, BadLinesAndTypes) {
  EXPECT_EQ(ReadLine("host ssh-ed25519 not-base64!"),
            LIBSSH2_ERROR_KNOWN_HOSTS);
  EXPECT_EQ(libssh2_session_last_errno(session_), LIBSSH2_ERROR_KNOWN_HOSTS);
  EXPECT_EQ(libssh2_knownhost_readline(hosts_, "x", 1, 2),
            LIBSSH2_ERROR_METHOD_NOT_SUPPORTED);
  EXPECT_EQ(libssh2_knownhost_readfile(hosts_, "/nonexistent/known_hosts",
                                       LIBSSH2_KNOWNHOST_FILE_OPENSSH),
            LIBSSH2_ERROR_FILE);
  const std::string a = Ed25519Blob('\x03');
  // Checking by SHA1 name is not a thing.
  EXPECT_EQ(
      libssh2_knownhost_checkp(
          hosts_, "h", 22, a.data(), a.size(),
          LIBSSH2_KNOWNHOST_TYPE_SHA1 | LIBSSH2_KNOWNHOST_KEYENC_RAW, nullptr),
      LIBSSH2_KNOWNHOST_CHECK_FAILURE);
  // A key that is not a blob.
  EXPECT_EQ(
      libssh2_knownhost_add(
          hosts_, "h", nullptr, "xy", 2,
          LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW, nullptr),
      LIBSSH2_ERROR_INVAL);
  // A typemask that contradicts the blob.
  EXPECT_EQ(libssh2_knownhost_add(hosts_, "h", nullptr, a.data(), a.size(),
                                  LIBSSH2_KNOWNHOST_TYPE_PLAIN |
                                      LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                      LIBSSH2_KNOWNHOST_KEY_SSHRSA,
                                  nullptr),
            LIBSSH2_ERROR_INVAL);
  // An entry of another collection.
  libssh2_knownhost foreign = {};
  char buf[64];
  size_t len;
  EXPECT_EQ(libssh2_knownhost_writeline(hosts_, &foreign, buf, sizeof(buf),
                                        &len, LIBSSH2_KNOWNHOST_FILE_OPENSSH),
            LIBSSH2_ERROR_INVAL);
  EXPECT_EQ(libssh2_knownhost_del(hosts_, &foreign), LIBSSH2_ERROR_INVAL);
}

TEST_F(KnownHostTest, AddcHashedRevokedAndFiles) {
  const std::string a = Ed25519Blob('\x04');
  const std::string b = Ed25519Blob('\x05');
  libssh2_knownhost* plain = nullptr;
  ASSERT_EQ(libssh2_knownhost_addc(hosts_, "[10.0.0.1]:2200", nullptr, a.data(),
                                   a.size(), "added", 5,
                                   LIBSSH2_KNOWNHOST_TYPE_PLAIN |
                                       LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                       LIBSSH2_KNOWNHOST_KEY_ED25519,
                                   &plain),
            0);
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(WriteLine(plain),
            "[10.0.0.1]:2200 ssh-ed25519 " + Base64(a) + " added\n");

  // A hashed name, as ssh-keygen -H writes it.
  const std::string salt(20, '\x42');
  const std::string hash = HashedHost(salt, "hashed.example");
  libssh2_knownhost* hashed = nullptr;
  const std::string b64 = Base64(b);
  ASSERT_EQ(
      libssh2_knownhost_add(
          hosts_, Base64(hash).c_str(), Base64(salt).c_str(), b64.c_str(), 0,
          LIBSSH2_KNOWNHOST_TYPE_SHA1 | LIBSSH2_KNOWNHOST_KEYENC_BASE64,
          &hashed),
      0)
      << LastError(session_);
  EXPECT_EQ(hashed->name, nullptr);
  EXPECT_EQ(Check("hashed.example", 22, b), LIBSSH2_KNOWNHOST_CHECK_MATCH);
  EXPECT_EQ(Check("hashed.example", -1, b), LIBSSH2_KNOWNHOST_CHECK_MATCH);
  EXPECT_EQ(Check("hashed.example", 22, a), LIBSSH2_KNOWNHOST_CHECK_MISMATCH);
  EXPECT_EQ(Check("10.0.0.1", 2200, a), LIBSSH2_KNOWNHOST_CHECK_MATCH);

  // Custom names are compared as given.
  ASSERT_EQ(libssh2_knownhost_add(
                hosts_, "my-id-17", nullptr, a.data(), a.size(),
                LIBSSH2_KNOWNHOST_TYPE_CUSTOM | LIBSSH2_KNOWNHOST_KEYENC_RAW,
                nullptr),
            0);
  EXPECT_EQ(libssh2_knownhost_check(
                hosts_, "my-id-17", a.data(), a.size(),
                LIBSSH2_KNOWNHOST_TYPE_CUSTOM | LIBSSH2_KNOWNHOST_KEYENC_RAW,
                nullptr),
            LIBSSH2_KNOWNHOST_CHECK_MATCH);

  // writefile / readfile round trip.
  const std::string path =
      std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
      "/capi_known_hosts";
  ASSERT_EQ(libssh2_knownhost_writefile(hosts_, path.c_str(),
                                        LIBSSH2_KNOWNHOST_FILE_OPENSSH),
            0)
      << LastError(session_);
  LIBSSH2_KNOWNHOSTS* again = libssh2_knownhost_init(session_);
  // The custom name reads back as a plain one; three entries in all.
  EXPECT_EQ(libssh2_knownhost_readfile(again, path.c_str(),
                                       LIBSSH2_KNOWNHOST_FILE_OPENSSH),
            3);
  EXPECT_EQ(
      libssh2_knownhost_checkp(
          again, "hashed.example", 22, b.data(), b.size(),
          LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW, nullptr),
      LIBSSH2_KNOWNHOST_CHECK_MATCH);
  libssh2_knownhost_free(again);

  // A @revoked line wins over a matching entry.
  ASSERT_EQ(ReadLine("@revoked * ssh-ed25519 " + Base64(a)), 0);
  EXPECT_EQ(Check("10.0.0.1", 2200, a), LIBSSH2_KNOWNHOST_CHECK_MISMATCH);

  // A too-small buffer reports the size it needs.
  char small[8];
  size_t needed = 0;
  EXPECT_EQ(
      libssh2_knownhost_writeline(hosts_, plain, small, sizeof(small), &needed,
                                  LIBSSH2_KNOWNHOST_FILE_OPENSSH),
      LIBSSH2_ERROR_BUFFER_TOO_SMALL);
  EXPECT_EQ(needed, WriteLine(plain).size() + 1);
}

TEST_F(KnownHostTest, ReadFileSkipsUnsupportedAndBadLines) {
  const std::string path =
      std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
      "/capi_known_hosts_mixed";
  {
    std::ofstream f(path);
    f << "# comment\n"
      << "good.example ssh-ed25519 " << Base64(Ed25519Blob('\x06')) << "\n"
      << "dss.example ssh-dss AAAAB3NzaC1kc3MAAACBAP\n"
      << "broken line\n"
      << "rsa.example ssh-rsa " << Base64(RsaBlob()) << "\n";
  }
  EXPECT_EQ(libssh2_knownhost_readfile(hosts_, path.c_str(),
                                       LIBSSH2_KNOWNHOST_FILE_OPENSSH),
            2);
  EXPECT_EQ(Check("rsa.example", 22, RsaBlob()), LIBSSH2_KNOWNHOST_CHECK_MATCH);
}

}  // namespace
