#include "tests/hostile/libssh2_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <parley_libssh2.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/types/optional.h"
#include "tests/hostile/alloc_meter.h"

namespace parley::hostile {
namespace {

LIBSSH2_ALLOC_FUNC(Alloc) {
  (void)abstract;
  return MeteredMalloc(count);
}
LIBSSH2_REALLOC_FUNC(Realloc) {
  (void)abstract;
  return MeteredRealloc(ptr, count);
}
LIBSSH2_FREE_FUNC(Free) {
  (void)abstract;
  MeteredFree(ptr);
}

struct KbdState {
  const ClientOptions* options;
  Outcome* outcome;
};

void Respond(const char*, int, const char*, int, int num_prompts,
             const LIBSSH2_USERAUTH_KBDINT_PROMPT* prompts,
             LIBSSH2_USERAUTH_KBDINT_RESPONSE* responses, void** abstract) {
  auto* st = static_cast<KbdState*>(*abstract);
  ++st->outcome->rounds;
  for (int i = 0; i < num_prompts; ++i) {
    {
      MeterPause pause;  // the test's bookkeeping
      st->outcome->prompts.emplace_back(
          reinterpret_cast<const char*>(prompts[i].text), prompts[i].length);
    }
    // Allocated by the program, freed by the library (through the hooks).
    const std::string& pw = st->options->password;
    char* text = static_cast<char*>(MeteredMallocUnfailing(pw.size() + 1));
    std::memcpy(text, pw.c_str(), pw.size() + 1);
    responses[i].text = text;
    responses[i].length = static_cast<unsigned>(pw.size());
  }
}

LIBSSH2_IGNORE_FUNC(OnIgnore) {
  (void)session;
  MeterPause pause;
  static_cast<KbdState*>(*abstract)->outcome->ignored.emplace_back(
      message, static_cast<size_t>(message_len));
}

LIBSSH2_DEBUG_FUNC(OnDebug) {
  (void)session;
  (void)always_display;
  (void)language;
  (void)language_len;
  MeterPause pause;
  static_cast<KbdState*>(*abstract)->outcome->debugged.emplace_back(
      message, static_cast<size_t>(message_len));
}

LIBSSH2_DISCONNECT_FUNC(OnDisconnect) {
  (void)session;
  (void)language;
  (void)language_len;
  MeterPause pause;
  Outcome* out = static_cast<KbdState*>(*abstract)->outcome;
  out->disconnect_reason = reason;
  out->disconnect_message.assign(message, static_cast<size_t>(message_len));
}

LIBSSH2_MACERROR_FUNC(OnMacError) {
  (void)session;
  (void)packet;
  (void)packet_len;
  ++static_cast<KbdState*>(*abstract)->outcome->mac_errors;
  return 0;  // "ignore the packet": Parley must still fail the session
}

// Records the session's last error in `out` (unmetered: it outlives the
// session).
void RecordError(LIBSSH2_SESSION* s, std::string* out) {
  MeterPause pause;
  char* msg = nullptr;
  libssh2_session_last_error(s, &msg, nullptr, 0);
  *out = msg != nullptr ? msg : "";
}

void RecordError(const char* text, std::string* out) {
  MeterPause pause;
  *out = text;
}

int Connect(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}

void RunChannel(LIBSSH2_SESSION* s, const ClientOptions& o, Outcome* out) {
  LIBSSH2_CHANNEL* ch = libssh2_channel_open_session(s);
  if (ch == nullptr) {
    out->channel_rc = libssh2_session_last_errno(s);
    RecordError(s, &out->error);
    return;
  }
  int rc = libssh2_channel_exec(ch, o.exec.c_str());
  if (rc == 0 && !o.write.empty()) {
    const ssize_t n = libssh2_channel_write(ch, o.write.data(), o.write.size());
    rc = n < 0 ? static_cast<int>(n) : 0;
    if (rc == 0) rc = libssh2_channel_send_eof(ch);
  }
  char buf[4096];
  while (rc == 0) {
    const ssize_t n = libssh2_channel_read(ch, buf, sizeof buf);
    if (n < 0) rc = static_cast<int>(n);
    if (n <= 0) break;
    MeterPause pause;
    out->output.append(buf, static_cast<size_t>(n));
  }
  if (rc == 0) {
    rc = libssh2_channel_close(ch);
    if (rc == 0) rc = libssh2_channel_wait_closed(ch);
    out->exit_status = libssh2_channel_get_exit_status(ch);
  }
  out->channel_rc = rc;
  if (rc != 0) RecordError(s, &out->error);
  libssh2_channel_free(ch);
}

}  // namespace

Outcome RunClient(uint16_t port, const ClientOptions& o) {
  // The backend modules in the test's runfiles (BUILD: data).
  static const int kInit = [] {
    setenv("PARLEY_BACKEND_PATH", "backends/openssl:backends/cryptopp", 1);
    return libssh2_init(0);
  }();
  (void)kInit;
  Outcome out;
  const auto start = std::chrono::steady_clock::now();
  {
    MeterScope meter;
    absl::optional<SecretWatch> watch;
    if (o.watch_secrets) watch.emplace();
    FailNthAllocation(o.fail_allocation);
    FailNthHookAllocation(o.fail_hook_allocation);
    const int fd = Connect(port);
    if (fd < 0) {
      out.handshake_rc = LIBSSH2_ERROR_SOCKET_NONE;
      RecordError("cannot connect", &out.error);
      return out;
    }
    KbdState kbd{&o, &out};
    LIBSSH2_SESSION* s = libssh2_session_init_ex(Alloc, Free, Realloc, &kbd);
    if (s == nullptr) {
      close(fd);
      out.handshake_rc = LIBSSH2_ERROR_ALLOC;
      RecordError("libssh2_session_init_ex failed", &out.error);
      out.allocations = meter.allocations();
      out.hook_allocations = meter.hook_allocations();
      out.live_after = meter.live();
      return out;
    }
    libssh2_session_set_timeout(s, o.timeout_ms);
    if (o.record_callbacks) {
      libssh2_session_callback_set2(
          s, LIBSSH2_CALLBACK_IGNORE,
          reinterpret_cast<libssh2_cb_generic*>(&OnIgnore));
      libssh2_session_callback_set2(
          s, LIBSSH2_CALLBACK_DEBUG,
          reinterpret_cast<libssh2_cb_generic*>(&OnDebug));
      libssh2_session_callback_set2(
          s, LIBSSH2_CALLBACK_DISCONNECT,
          reinterpret_cast<libssh2_cb_generic*>(&OnDisconnect));
      libssh2_session_callback_set2(
          s, LIBSSH2_CALLBACK_MACERROR,
          reinterpret_cast<libssh2_cb_generic*>(&OnMacError));
    }
    if (!o.kex.empty())
      libssh2_session_method_pref(s, LIBSSH2_METHOD_KEX, o.kex.c_str());
    if (!o.host_key.empty()) {
      libssh2_session_method_pref(s, LIBSSH2_METHOD_HOSTKEY,
                                  o.host_key.c_str());
    }
    if (!o.cipher.empty()) {
      libssh2_session_method_pref(s, LIBSSH2_METHOD_CRYPT_CS, o.cipher.c_str());
      libssh2_session_method_pref(s, LIBSSH2_METHOD_CRYPT_SC, o.cipher.c_str());
    }
    if (!o.mac.empty()) {
      libssh2_session_method_pref(s, LIBSSH2_METHOD_MAC_CS, o.mac.c_str());
      libssh2_session_method_pref(s, LIBSSH2_METHOD_MAC_SC, o.mac.c_str());
    }
    out.handshake_rc = libssh2_session_handshake(s, fd);
    if (const char* b = parley_session_crypto_backend(s)) {
      MeterPause pause;
      out.backend = b;
    }
    if (out.handshake_rc == 0 && !o.known_hosts.empty()) {
      LIBSSH2_KNOWNHOSTS* kh = libssh2_knownhost_init(s);
      size_t len = 0;
      int type = 0;
      const char* key = libssh2_session_hostkey(s, &len, &type);
      if (kh != nullptr && key != nullptr &&
          libssh2_knownhost_readline(kh, o.known_hosts.data(),
                                     o.known_hosts.size(),
                                     LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 0) {
        out.knownhost_check = libssh2_knownhost_checkp(
            kh, "127.0.0.1", port, key, len,
            LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW,
            nullptr);
      }
      if (kh != nullptr) libssh2_knownhost_free(kh);
    }
    if (out.handshake_rc != 0) {
      RecordError(s, &out.error);
    } else if (!o.known_hosts.empty() &&
               out.knownhost_check != LIBSSH2_KNOWNHOST_CHECK_MATCH) {
      RecordError("host key not known", &out.error);
    } else {
      if (o.max_rounds > 0) {
        parley_userauth_kbdint_set_limits(s, o.max_rounds, o.round_timeout_ms,
                                          o.overall_timeout_ms);
      }
      if (!o.private_key_file.empty()) {
        out.auth_rc = libssh2_userauth_publickey_fromfile_ex(
            s, o.user.c_str(), static_cast<unsigned>(o.user.size()), nullptr,
            o.private_key_file.c_str(),
            o.passphrase.empty() ? nullptr : o.passphrase.c_str());
      } else if (o.password_method) {
        out.auth_rc =
            libssh2_userauth_password(s, o.user.c_str(), o.password.c_str());
      } else {
        out.auth_rc = libssh2_userauth_keyboard_interactive_ex(
            s, o.user.c_str(), static_cast<unsigned>(o.user.size()), Respond);
      }
      out.authenticated = libssh2_userauth_authenticated(s) == 1;
      if (out.auth_rc != 0) {
        RecordError(s, &out.error);
      } else if (!o.exec.empty()) {
        RunChannel(s, o, &out);
      }
    }
    libssh2_session_disconnect(s, "bye");
    libssh2_session_free(s);
    close(fd);
    out.peak_heap = meter.peak();
    out.allocations = meter.allocations();
    out.hook_allocations = meter.hook_allocations();
    out.live_after = meter.live();
    if (watch) {
      out.secret_hits = watch->hits();
      out.largest_secret_hit = watch->largest_hit();
      out.secret_index = watch->secret_index();
    }
  }
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return out;
}

}  // namespace parley::hostile
