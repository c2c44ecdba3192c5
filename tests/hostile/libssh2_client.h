// The client side of the hostile-server suite: a login (and optionally a
// command) through Parley's libssh2 API, as a libssh2 program does it,
// with everything a scenario asserts on recorded.
#ifndef PARLEY_TESTS_HOSTILE_LIBSSH2_CLIENT_H_
#define PARLEY_TESTS_HOSTILE_LIBSSH2_CLIENT_H_

#include <libssh2.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace parley::hostile {

// The password every scenario's client answers with; a server that should
// never see it checks for it in what the client sent.
inline constexpr char kPassword[] = "hostile-test-pw-4f1c";

struct ClientOptions {
  std::string user = "alice";
  std::string password = kPassword;
  // libssh2_session_set_timeout (each blocking call).
  long timeout_ms = 5000;
  // parley_userauth_kbdint_set_limits, when max_rounds > 0.
  int max_rounds = 0;
  int round_timeout_ms = 0;
  int overall_timeout_ms = 0;
  // libssh2_session_method_pref, when non-empty.
  std::string kex, host_key, cipher, mac;
  // Log in with libssh2_userauth_password instead of keyboard-interactive.
  bool password_method = false;
  // Log in with libssh2_userauth_publickey_fromfile_ex and this key file
  // (and passphrase) instead.
  std::string private_key_file;
  std::string passphrase;
  // Watch every block the client frees for the registered secrets
  // (alloc_meter.h) from before the session exists until it is freed.
  bool watch_secrets = false;
  // Fault injection (alloc_meter.h): this client-thread allocation fails,
  // counted from before the session exists (0: none). `fail_allocation`
  // is an operator new (std::bad_alloc), `fail_hook_allocation` one
  // through the allocation hooks given to libssh2_session_init_ex.
  size_t fail_allocation = 0;
  size_t fail_hook_allocation = 0;
  // Sets libssh2_session_callback_set2's IGNORE, DEBUG, DISCONNECT and
  // MACERROR callbacks, which record what they get in the Outcome.
  bool record_callbacks = false;
  // After a login: open a session channel, exec this, read to EOF.
  std::string exec;
  // Data to write to the channel after exec (then EOF).
  std::string write;
  // When set: a known_hosts line; after the handshake the client checks
  // the host key against it (libssh2_knownhost_checkp, as a libssh2
  // program does) and authenticates only on a match.
  std::string known_hosts;
};

struct Outcome {
  int handshake_rc = 0;
  int auth_rc = 1;     // 1: not attempted
  int channel_rc = 1;  // 1: not attempted
  std::string error;   // libssh2_session_last_error at the first failure
  bool authenticated = false;
  int knownhost_check = -1;  // LIBSSH2_KNOWNHOST_CHECK_*, when checked
  int rounds = 0;            // keyboard-interactive callback calls
  std::vector<std::string> prompts;
  std::string output;  // channel stdout
  int exit_status = -1;
  std::string backend;  // the crypto backend the session used
  // With record_callbacks: what the callbacks were given.
  std::vector<std::string> ignored, debugged;
  int disconnect_reason = 0;
  std::string disconnect_message;
  int mac_errors = 0;
  std::chrono::milliseconds took{0};
  size_t peak_heap = 0;  // client bytes live at the peak
  // Allocations the client made (operator new, hooks) and the bytes still
  // live after the session was freed (a leak, once one-time static
  // initialisation is done).
  size_t allocations = 0;
  size_t hook_allocations = 0;
  int64_t live_after = 0;
  // With watch_secrets: freed blocks that still held a secret, the largest
  // of them and the index of the secret it held.
  size_t secret_hits = 0;
  size_t largest_secret_hit = 0;
  size_t secret_index = 0;
};

Outcome RunClient(uint16_t port, const ClientOptions& options = {});

}  // namespace parley::hostile

#endif  // PARLEY_TESTS_HOSTILE_LIBSSH2_CLIENT_H_
