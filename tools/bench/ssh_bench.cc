// SSH client benchmark: client CPU per login and per bulk download for
// Parley (both crypto backends), libssh2, libssh and the OpenSSH client,
// against one hermetic OpenSSH sshd (tests/sshd harness) with identical
// algorithms pinned for every peer on both sides.
//
//   bazel run -c opt //tools/bench:ssh -- [--logins=N] [--megabytes=M]
//       [--downloads=R] [--tables=ctr,gcm] [--peers=parley-openssl,
//       parley-cryptopp,libssh2,libssh,openssh] [--keep]
//
// Two tables: "ctr" (curve25519-sha256, ssh-ed25519, aes128-ctr,
// hmac-sha2-256: the set libssh2 1.10 shares with the others) and "gcm"
// (aes128-gcm@openssh.com; libssh2 n/a). Each has one sshd configured with
// exactly those algorithms, and every client pins them too.
//
// Client CPU is getrusage() user+sys: RUSAGE_SELF around the library calls,
// RUSAGE_CHILDREN around fork/exec/wait of /usr/bin/ssh. Instructions
// retired come from perf_event_open (PERF_COUNT_HW_INSTRUCTIONS, user +
// kernel; for ssh a counter on the child, enabled at exec, inherited by its
// children) and read "n/a" where the kernel refuses the counter. "crypto
// alone" rows give the CPU the Parley backend needs for the same
// cryptography with no protocol, I/O or kernel work: a floor for any client
// built on that library. tools/bench/ssh_profile.py shows where the time goes.
//
// Every run is checked (exit status 0; the byte count of stdout, or for the
// OpenSSH client, whose stdout goes to /dev/null, the bytes it reports
// received; the host key matched known_hosts; the negotiated names are the
// pinned ones), so a broken peer fails loudly instead of producing a nice
// number.
#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh2.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/types/optional.h"
#include "core/base/bytes.h"
#include "core/base/status_macros.h"
#include "core/client/session.h"
#include "core/crypto/backend_loader.h"
#include "core/hostkeys/host_key_policy.h"
#include "tests/sshd/sshd_harness.h"

namespace parley::bench {
namespace {

namespace fs = std::filesystem;

constexpr char kHost[] = "127.0.0.1";
constexpr char kUser[] = "alice";
constexpr char kPassword[] = "secret";
constexpr char kLoginCommand[] = "true";
constexpr size_t kReadBuffer = 64 * 1024;

// --- Measurement ------------------------------------------------------------

struct Cpu {
  double user = 0, sys = 0;  // seconds
  long minor_faults = 0, voluntary_switches = 0, involuntary_switches = 0;
};

Cpu CpuNow(int who) {
  rusage ru{};
  getrusage(who, &ru);
  return {ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6,
          ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6, ru.ru_minflt,
          ru.ru_nvcsw, ru.ru_nivcsw};
}

double WallSeconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Why the first perf_event_open failed (printed under each table).
std::string& PerfError() {
  static std::string* error = new std::string;
  return *error;
}

// A PERF_COUNT_HW_INSTRUCTIONS counter (user + kernel) on one process.
class InstructionCounter {
 public:
  InstructionCounter() = default;
  InstructionCounter(const InstructionCounter&) = delete;
  InstructionCounter& operator=(const InstructionCounter&) = delete;
  InstructionCounter(InstructionCounter&& o) noexcept : fd_(o.fd_) {
    o.fd_ = -1;
  }
  InstructionCounter& operator=(InstructionCounter&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~InstructionCounter() {
    if (fd_ >= 0) close(fd_);
  }

  // pid 0 counts this process (enable with Start()). A child pid is counted
  // from its next exec on (enable_on_exec), with its own children included.
  static InstructionCounter Open(pid_t pid) {
    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_HARDWARE;
    attr.config = PERF_COUNT_HW_INSTRUCTIONS;
    attr.disabled = 1;
    attr.exclude_hv = 1;
    attr.exclude_kernel = 0;
    attr.exclude_user = 0;
    if (pid != 0) {
      attr.enable_on_exec = 1;
      attr.inherit = 1;
    }
    InstructionCounter c;
    c.fd_ = static_cast<int>(
        syscall(SYS_perf_event_open, &attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC));
    if (c.fd_ < 0 && PerfError().empty()) {
      PerfError() = absl::StrCat("perf_event_open: ", strerror(errno));
    }
    return c;
  }

  bool valid() const { return fd_ >= 0; }
  void Start() {
    if (fd_ < 0) return;
    ioctl(fd_, PERF_EVENT_IOC_RESET, 0);
    ioctl(fd_, PERF_EVENT_IOC_ENABLE, 0);
  }
  void Stop() {
    if (fd_ >= 0) ioctl(fd_, PERF_EVENT_IOC_DISABLE, 0);
  }
  absl::optional<uint64_t> Read() const {
    uint64_t value = 0;
    if (fd_ < 0 || read(fd_, &value, sizeof(value)) != sizeof(value)) {
      return absl::nullopt;
    }
    return value;
  }

 private:
  int fd_ = -1;
};

// --- Peers ------------------------------------------------------------------

struct Algorithms {
  std::string kex = "curve25519-sha256";
  std::string host_key = "ssh-ed25519";
  std::string cipher;
  std::string mac = "hmac-sha2-256";  // ignored by AEAD ciphers

  bool aead() const { return absl::StrContains(cipher, "gcm"); }
};

struct Target {
  int port = 0;
  std::string known_hosts;  // the harness's known_hosts file
  std::string identity;     // private key for the OpenSSH client
  fs::path scratch;         // for the OpenSSH client's stderr
};

// The names a client reports it negotiated.
struct Negotiated {
  std::string kex, host_key, cipher_cs, cipher_sc, mac_cs, mac_sc;
  std::string note;  // anything else worth printing

  std::string ToString() const {
    std::string s = absl::StrCat(
        "kex ", kex, ", host key ", host_key, ", cipher c2s ", cipher_cs,
        " s2c ", cipher_sc, ", mac c2s ", mac_cs.empty() ? "(none)" : mac_cs,
        " s2c ", mac_sc.empty() ? "(none)" : mac_sc);
    if (!note.empty()) absl::StrAppend(&s, ", ", note);
    return s;
  }

  // The pinned names must have been negotiated (MACs only for non-AEAD
  // ciphers: each client names the implicit AEAD MAC differently).
  absl::Status Expect(const Algorithms& a) const {
    bool ok = kex == a.kex && host_key == a.host_key && cipher_cs == a.cipher &&
              cipher_sc == a.cipher;
    if (!a.aead()) ok = ok && mac_cs == a.mac && mac_sc == a.mac;
    if (ok) return absl::OkStatus();
    return absl::InternalError(
        absl::StrCat("negotiated other algorithms than pinned: ", ToString()));
  }
};

class Peer {
 public:
  virtual ~Peer() = default;
  virtual std::string name() const = 0;
  virtual std::string auth() const { return "password"; }
  // Connect, KEX, host key check, authentication, exec `true`, wait for its
  // exit status (must be 0), disconnect. With `negotiated`, also reports the
  // negotiated algorithm names.
  virtual absl::Status Login(Negotiated* negotiated) = 0;
  // Logs in and runs `command`, reading and discarding its stdout. Fails
  // unless the exit status is 0, there is no stderr and (where the client
  // can tell) exactly `expected` bytes of stdout arrived. Returns how the
  // result was verified.
  virtual absl::StatusOr<std::string> Receive(const std::string& command,
                                              uint64_t expected) = 0;
  // Whether the client runs as a child process (RUSAGE_CHILDREN).
  virtual bool child_process() const { return false; }
  // For child processes: instructions retired by the children run since the
  // last call, if every counter worked.
  virtual absl::optional<uint64_t> TakeChildInstructions() {
    return absl::nullopt;
  }
};

absl::Status CheckOutput(uint64_t out, uint64_t err, int exit_status,
                         uint64_t expected) {
  if (exit_status != 0 || out != expected || err != 0) {
    return absl::InternalError(absl::StrCat(
        "exit status ", exit_status, ", ", out, " bytes of stdout (expected ",
        expected, "), ", err, " bytes of stderr"));
  }
  return absl::OkStatus();
}

std::string Verified(uint64_t bytes) {
  return absl::StrCat(bytes, " bytes of stdout counted, exit status 0");
}

// A blocking TCP connection with TCP_NODELAY (as Parley and libssh set it).
absl::StatusOr<int> ConnectBlocking(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(strerror(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::string e = strerror(errno);
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect: ", e));
  }
  return fd;
}

// Parley: Session for the login, the Connection API for the bulk read.
class ParleyPeer : public Peer {
 public:
  ParleyPeer(std::shared_ptr<const crypto::CryptoProvider> provider,
             const Target& target, const Algorithms& algorithms)
      : provider_(std::move(provider)), target_(target), algs_(algorithms) {
    host_keys_.policy = hostkeys::HostKeyPolicy::kStrict;
    host_keys_.known_hosts_files = {target_.known_hosts};
  }

  std::string name() const override {
    return absl::StrCat("Parley (", std::string(provider_->name()), ")");
  }

  absl::Status Login(Negotiated* negotiated) override {
    PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<client::Session> s,
                            Open(negotiated));
    PARLEY_ASSIGN_OR_RETURN(client::ExecResult r, s->Exec(kLoginCommand));
    PARLEY_RETURN_IF_ERROR(
        CheckOutput(r.stdout_data.size(), r.stderr_data.size(),
                    r.exit_status ? int(*r.exit_status) : -1, 0));
    s->Disconnect("bye");
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Receive(const std::string& command,
                                      uint64_t expected) override {
    PARLEY_ASSIGN_OR_RETURN(std::unique_ptr<client::Session> s, Open(nullptr));
    // Streamed, not collected: only the byte counts are kept.
    uint64_t out = 0, err = 0;
    session::ExecOptions eo;
    eo.on_output = [&](bool is_stderr, ByteView data) {
      (is_stderr ? err : out) += data.size();
    };
    session::ExecTask task(command, std::move(eo));
    PARLEY_RETURN_IF_ERROR(s->RunUntil([&] { return task.Poll(s->engine()); }));
    PARLEY_ASSIGN_OR_RETURN(session::ExecResult r, task.TakeResult());
    const int exit_status = r.exit_status ? int(*r.exit_status) : -1;
    s->Disconnect("bye");
    PARLEY_RETURN_IF_ERROR(CheckOutput(out, err, exit_status, expected));
    return Verified(out);
  }

 private:
  absl::StatusOr<std::unique_ptr<client::Session>> Open(
      Negotiated* negotiated) {
    client::SessionOptions o;
    o.provider = provider_;
    o.algorithms.kex = {algs_.kex};
    o.algorithms.host_key = {algs_.host_key};
    o.algorithms.cipher = {algs_.cipher};
    o.algorithms.mac = {algs_.mac};
    verified_ = 0;
    o.verify_host_key = [this](const transport::HostKeyInfo& info) {
      ++verified_;
      return hostkeys::VerifyHostKey(host_keys_, *provider_, kHost,
                                     static_cast<uint16_t>(target_.port),
                                     info.blob);
    };
    PARLEY_ASSIGN_OR_RETURN(
        std::unique_ptr<client::Session> s,
        client::Session::Connect(kHost, static_cast<uint16_t>(target_.port),
                                 std::move(o)));
    if (verified_ != 1) {
      return absl::InternalError("host key callback did not run exactly once");
    }
    PARLEY_ASSIGN_OR_RETURN(auth::AuthOutcome outcome,
                            s->AuthPassword(kUser, AsBytes(kPassword)));
    if (outcome.kind != auth::AuthOutcome::kSuccess) {
      return absl::PermissionDeniedError("password authentication failed");
    }
    if (negotiated != nullptr) {
      const transport::Negotiated& n = s->transport().negotiated();
      *negotiated = {
          n.kex,     n.host_key, n.cipher_c2s, n.cipher_s2c, n.mac_c2s,
          n.mac_s2c, ""};
      negotiated->note =
          absl::StrCat("strict-kex ", n.strict_kex ? "yes" : "no");
    }
    return s;
  }

  std::shared_ptr<const crypto::CryptoProvider> provider_;
  Target target_;
  Algorithms algs_;
  hostkeys::HostKeyVerifyOptions host_keys_;
  int verified_ = 0;
};

// libssh2 1.10 in blocking mode.
class Libssh2Peer : public Peer {
 public:
  Libssh2Peer(const Target& target, const Algorithms& algorithms)
      : target_(target), algs_(algorithms) {}

  std::string name() const override { return "libssh2"; }

  absl::Status Login(Negotiated* negotiated) override {
    Conn conn;
    PARLEY_RETURN_IF_ERROR(Open(conn, negotiated));
    return Run(conn, kLoginCommand, 0).status();
  }

  absl::StatusOr<std::string> Receive(const std::string& command,
                                      uint64_t expected) override {
    Conn conn;
    PARLEY_RETURN_IF_ERROR(Open(conn, nullptr));
    return Run(conn, command, expected);
  }

 private:
  struct Conn {
    int fd = -1;
    LIBSSH2_SESSION* s = nullptr;
    ~Conn() {
      if (s != nullptr) {
        libssh2_session_disconnect(s, "bye");
        libssh2_session_free(s);
      }
      if (fd >= 0) close(fd);
    }
  };

  static absl::Status Error(LIBSSH2_SESSION* s, const char* what) {
    char* msg = nullptr;
    libssh2_session_last_error(s, &msg, nullptr, 0);
    return absl::InternalError(
        absl::StrCat("libssh2 ", what, ": ", msg ? msg : "?"));
  }

  absl::Status Open(Conn& c, Negotiated* negotiated) {
    PARLEY_ASSIGN_OR_RETURN(c.fd, ConnectBlocking(target_.port));
    c.s = libssh2_session_init();
    if (c.s == nullptr) return absl::InternalError("libssh2_session_init");
    const std::pair<int, const std::string*> prefs[] = {
        {LIBSSH2_METHOD_KEX, &algs_.kex},
        {LIBSSH2_METHOD_HOSTKEY, &algs_.host_key},
        {LIBSSH2_METHOD_CRYPT_CS, &algs_.cipher},
        {LIBSSH2_METHOD_CRYPT_SC, &algs_.cipher},
        {LIBSSH2_METHOD_MAC_CS, &algs_.mac},
        {LIBSSH2_METHOD_MAC_SC, &algs_.mac}};
    for (const auto& p : prefs) {
      if (libssh2_session_method_pref(c.s, p.first, p.second->c_str()) != 0) {
        return Error(c.s, "method_pref");
      }
    }
    if (libssh2_session_handshake(c.s, c.fd) != 0) {
      return Error(c.s, "handshake");
    }
    // Host key against the harness's known_hosts.
    size_t key_len = 0;
    int key_type = 0;
    const char* key = libssh2_session_hostkey(c.s, &key_len, &key_type);
    if (key == nullptr || key_type != LIBSSH2_HOSTKEY_TYPE_ED25519) {
      return absl::InternalError("libssh2: no ed25519 host key");
    }
    LIBSSH2_KNOWNHOSTS* kh = libssh2_knownhost_init(c.s);
    int check = -1;
    if (libssh2_knownhost_readfile(kh, target_.known_hosts.c_str(),
                                   LIBSSH2_KNOWNHOST_FILE_OPENSSH) > 0) {
      check = libssh2_knownhost_checkp(kh, kHost, target_.port, key, key_len,
                                       LIBSSH2_KNOWNHOST_TYPE_PLAIN |
                                           LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                           LIBSSH2_KNOWNHOST_KEY_ED25519,
                                       nullptr);
    }
    libssh2_knownhost_free(kh);
    if (check != LIBSSH2_KNOWNHOST_CHECK_MATCH) {
      return absl::UnauthenticatedError(
          absl::StrCat("libssh2: host key check returned ", check));
    }
    if (libssh2_userauth_password(c.s, kUser, kPassword) != 0) {
      return Error(c.s, "userauth_password");
    }
    if (negotiated != nullptr) {
      auto m = [&](int slot) {
        const char* v = libssh2_session_methods(c.s, slot);
        return std::string(v ? v : "?");
      };
      *negotiated = {m(LIBSSH2_METHOD_KEX),
                     m(LIBSSH2_METHOD_HOSTKEY),
                     m(LIBSSH2_METHOD_CRYPT_CS),
                     m(LIBSSH2_METHOD_CRYPT_SC),
                     m(LIBSSH2_METHOD_MAC_CS),
                     m(LIBSSH2_METHOD_MAC_SC),
                     ""};
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Run(Conn& c, const std::string& command,
                                  uint64_t expected) {
    LIBSSH2_CHANNEL* ch = libssh2_channel_open_session(c.s);
    if (ch == nullptr) return Error(c.s, "channel_open_session");
    if (libssh2_channel_exec(ch, command.c_str()) != 0) {
      libssh2_channel_free(ch);
      return Error(c.s, "channel_exec");
    }
    std::unique_ptr<char[]> buf(new char[kReadBuffer]);
    uint64_t out = 0, err = 0;
    ssize_t n;
    while ((n = libssh2_channel_read(ch, buf.get(), kReadBuffer)) > 0) out += n;
    bool failed = n < 0;
    while (!failed &&
           (n = libssh2_channel_read_stderr(ch, buf.get(), kReadBuffer)) > 0) {
      err += n;
    }
    failed = failed || n < 0 || !libssh2_channel_eof(ch);
    if (!failed) {
      failed = libssh2_channel_close(ch) != 0 ||
               libssh2_channel_wait_closed(ch) != 0;
    }
    const int exit_status = libssh2_channel_get_exit_status(ch);
    libssh2_channel_free(ch);
    if (failed) return Error(c.s, "channel read/close");
    PARLEY_RETURN_IF_ERROR(CheckOutput(out, err, exit_status, expected));
    return Verified(out);
  }

  Target target_;
  Algorithms algs_;
};

// libssh 0.10 in blocking mode.
class LibsshPeer : public Peer {
 public:
  LibsshPeer(const Target& target, const Algorithms& algorithms)
      : target_(target), algs_(algorithms) {}

  std::string name() const override { return "libssh"; }

  absl::Status Login(Negotiated* negotiated) override {
    Conn conn;
    PARLEY_RETURN_IF_ERROR(Open(conn, negotiated));
    return Run(conn, kLoginCommand, 0).status();
  }

  absl::StatusOr<std::string> Receive(const std::string& command,
                                      uint64_t expected) override {
    Conn conn;
    PARLEY_RETURN_IF_ERROR(Open(conn, nullptr));
    return Run(conn, command, expected);
  }

 private:
  struct Conn {
    ssh_session s = nullptr;
    bool connected = false;
    ~Conn() {
      if (connected) ssh_disconnect(s);
      if (s != nullptr) ssh_free(s);
    }
  };

  static absl::Status Error(ssh_session s, const char* what) {
    return absl::InternalError(
        absl::StrCat("libssh ", what, ": ", ssh_get_error(s)));
  }

  absl::Status Open(Conn& c, Negotiated* negotiated) {
    c.s = ssh_new();
    if (c.s == nullptr) return absl::InternalError("ssh_new");
    unsigned int port = static_cast<unsigned int>(target_.port);
    bool process_config = false;
    int nodelay = 1;
    const std::pair<ssh_options_e, const void*> options[] = {
        {SSH_OPTIONS_PROCESS_CONFIG, &process_config},
        {SSH_OPTIONS_HOST, kHost},
        {SSH_OPTIONS_PORT, &port},
        {SSH_OPTIONS_USER, kUser},
        {SSH_OPTIONS_KNOWNHOSTS, target_.known_hosts.c_str()},
        {SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null"},
        {SSH_OPTIONS_NODELAY, &nodelay},
        {SSH_OPTIONS_KEY_EXCHANGE, algs_.kex.c_str()},
        {SSH_OPTIONS_HOSTKEYS, algs_.host_key.c_str()},
        {SSH_OPTIONS_CIPHERS_C_S, algs_.cipher.c_str()},
        {SSH_OPTIONS_CIPHERS_S_C, algs_.cipher.c_str()},
        {SSH_OPTIONS_HMAC_C_S, algs_.mac.c_str()},
        {SSH_OPTIONS_HMAC_S_C, algs_.mac.c_str()},
    };
    for (const auto& o : options) {
      if (ssh_options_set(c.s, o.first, o.second) != SSH_OK) {
        return Error(c.s, "ssh_options_set");
      }
    }
    if (ssh_connect(c.s) != SSH_OK) return Error(c.s, "ssh_connect");
    c.connected = true;
    const ssh_known_hosts_e known = ssh_session_is_known_server(c.s);
    if (known != SSH_KNOWN_HOSTS_OK) {
      return absl::UnauthenticatedError(
          absl::StrCat("libssh: host key check returned ", int(known)));
    }
    if (ssh_userauth_password(c.s, nullptr, kPassword) != SSH_AUTH_SUCCESS) {
      return Error(c.s, "ssh_userauth_password");
    }
    if (negotiated != nullptr) {
      auto str = [](const char* v) { return std::string(v ? v : "?"); };
      std::string host_key = "?";
      ssh_key key = nullptr;
      if (ssh_get_server_publickey(c.s, &key) == SSH_OK) {
        host_key = str(ssh_key_type_to_char(ssh_key_type(key)));
        ssh_key_free(key);
      }
      *negotiated = {str(ssh_get_kex_algo(c.s)),
                     host_key,
                     str(ssh_get_cipher_out(c.s)),
                     str(ssh_get_cipher_in(c.s)),
                     str(ssh_get_hmac_out(c.s)),
                     str(ssh_get_hmac_in(c.s)),
                     ""};
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Run(Conn& c, const std::string& command,
                                  uint64_t expected) {
    ssh_channel ch = ssh_channel_new(c.s);
    if (ch == nullptr) return Error(c.s, "ssh_channel_new");
    std::unique_ptr<ssh_channel_struct, void (*)(ssh_channel)> owner(
        ch, ssh_channel_free);
    if (ssh_channel_open_session(ch) != SSH_OK) {
      return Error(c.s, "ssh_channel_open_session");
    }
    if (ssh_channel_request_exec(ch, command.c_str()) != SSH_OK) {
      return Error(c.s, "ssh_channel_request_exec");
    }
    std::unique_ptr<char[]> buf(new char[kReadBuffer]);
    uint64_t out = 0, err = 0;
    // Blocking reads return 0 only at EOF (or when the channel closed).
    int n;
    while ((n = ssh_channel_read(ch, buf.get(), kReadBuffer, 0)) > 0) {
      out += static_cast<uint64_t>(n);
    }
    if (n < 0) return Error(c.s, "ssh_channel_read");
    // What is left of both streams after EOF.
    for (int is_stderr = 0; is_stderr < 2; ++is_stderr) {
      while ((n = ssh_channel_read_nonblocking(ch, buf.get(), kReadBuffer,
                                               is_stderr)) > 0) {
        (is_stderr ? err : out) += static_cast<uint64_t>(n);
      }
      if (n < 0 && n != SSH_EOF) return Error(c.s, "ssh_channel_read");
    }
    const int exit_status = ssh_channel_get_exit_status(ch);
    const bool eof = ssh_channel_is_eof(ch);
    ssh_channel_close(ch);
    if (!eof) return absl::InternalError("libssh: no EOF on the channel");
    PARLEY_RETURN_IF_ERROR(CheckOutput(out, err, exit_status, expected));
    return Verified(out);
  }

  Target target_;
  Algorithms algs_;
};

// The OpenSSH client, /usr/bin/ssh, as a child process with publickey
// authentication (it has no non-interactive password input).
class OpenSshPeer : public Peer {
 public:
  OpenSshPeer(const Target& target, const Algorithms& algorithms)
      : target_(target), algs_(algorithms) {}

  std::string name() const override { return "OpenSSH client"; }
  std::string auth() const override { return "publickey (ed25519)"; }
  bool child_process() const override { return true; }

  absl::optional<uint64_t> TakeChildInstructions() override {
    absl::optional<uint64_t> r;
    if (counted_ok_) r = instructions_;
    instructions_ = 0;
    counted_ok_ = true;
    return r;
  }

  absl::Status Login(Negotiated* negotiated) override {
    const std::string log = (target_.scratch / "ssh_login.log").string();
    PARLEY_ASSIGN_OR_RETURN(
        int status,
        RunSsh(negotiated ? "-v" : "-oLogLevel=ERROR", kLoginCommand, log));
    const std::string text = ReadFile(log);
    if (status != 0) {
      return absl::InternalError(
          absl::StrCat("ssh exit status ", status, ": ", text));
    }
    if (negotiated != nullptr) {
      PARLEY_RETURN_IF_ERROR(ParseDebug(text, negotiated));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Receive(const std::string& command,
                                      uint64_t expected) override {
    const std::string log = (target_.scratch / "ssh_receive.log").string();
    PARLEY_ASSIGN_OR_RETURN(int status,
                            RunSsh("-oLogLevel=VERBOSE", command, log));
    const std::string text = ReadFile(log);
    // "Transferred: sent N, received M bytes, in S seconds" counts the
    // connection's bytes on the wire (the output itself went to /dev/null).
    uint64_t received = 0;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      const size_t at = line.find("Transferred: sent ");
      if (at == absl::string_view::npos) continue;
      const size_t r = line.find("received ", at);
      if (r == absl::string_view::npos) continue;
      absl::string_view rest = line.substr(r + 9);
      (void)absl::SimpleAtoi(rest.substr(0, rest.find(' ')), &received);
    }
    if (status != 0 || received < expected) {
      return absl::InternalError(
          absl::StrCat("ssh exit status ", status, ", ", received,
                       " bytes received on the wire (expected at least ",
                       expected, "): ", text));
    }
    return absl::StrCat("stdout to /dev/null; exit status 0, ", received,
                        " bytes received on the wire (ssh -o "
                        "LogLevel=VERBOSE \"Transferred:\")");
  }

  static std::string ReadFile(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

  const std::string& version() const { return version_; }

 private:
  // Runs ssh with stdin and stdout on /dev/null and stderr into `log`;
  // returns its exit code (-signal if killed).
  // `log_flag`: -v (debug output, with the version line) or -oLogLevel=...
  absl::StatusOr<int> RunSsh(const std::string& log_flag,
                             const std::string& command,
                             const std::string& log) {
    std::vector<std::string> args = {
        "/usr/bin/ssh",
        "-F",
        "/dev/null",
        "-T",
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "IdentityFile=" + target_.identity,
        "-o",
        "PreferredAuthentications=publickey",
        "-o",
        "UserKnownHostsFile=" + target_.known_hosts,
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "UpdateHostKeys=no",
        "-o",
        "KexAlgorithms=" + algs_.kex,
        "-o",
        "HostKeyAlgorithms=" + algs_.host_key,
        "-o",
        "Ciphers=" + algs_.cipher,
        "-o",
        "MACs=" + algs_.mac,
        log_flag,
        "-p",
        std::to_string(target_.port),
        std::string(kUser) + "@" + kHost,
        command,
    };
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // A minimal environment: no agent, HOME in the scratch directory.
    std::string home = "HOME=" + target_.scratch.string();
    std::string path = "PATH=/usr/bin:/bin";
    char* envp[] = {home.data(), path.data(), nullptr};

    int sync[2];
    if (pipe2(sync, O_CLOEXEC) != 0) return absl::InternalError("pipe2");
    const int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    const int errfd =
        open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (devnull < 0 || errfd < 0) return absl::InternalError("open");
    const pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      char go;
      while (read(sync[0], &go, 1) < 0 && errno == EINTR) {
      }
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(errfd, 2);
      execve(argv[0], argv.data(), envp);
      _exit(127);
    }
    close(devnull);
    close(errfd);
    close(sync[0]);
    if (pid < 0) {
      close(sync[1]);
      return absl::InternalError("fork");
    }
    // Counts from the exec on, so not this process's fork.
    InstructionCounter counter = InstructionCounter::Open(pid);
    (void)!write(sync[1], "g", 1);
    close(sync[1]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    absl::optional<uint64_t> n = counter.Read();
    if (n) {
      instructions_ += *n;
    } else {
      counted_ok_ = false;
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return -WTERMSIG(status);
  }

  absl::Status ParseDebug(const std::string& text, Negotiated* n) {
    auto after = [](absl::string_view line, absl::string_view key) {
      const size_t at = line.find(key);
      if (at == absl::string_view::npos) return absl::string_view();
      return line.substr(at + key.size());
    };
    auto first_word = [](absl::string_view s) {
      return std::string(s.substr(0, s.find(' ')));
    };
    std::string method;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      line = absl::StripSuffix(line, "\r");
      absl::string_view v;
      if (absl::StartsWith(line, "OpenSSH_") && version_.empty()) {
        version_ = std::string(line);
      } else if (!(v = after(line, "kex: algorithm: ")).empty()) {
        n->kex = first_word(v);
      } else if (!(v = after(line, "kex: host key algorithm: ")).empty()) {
        n->host_key = first_word(v);
      } else if (!(v = after(line, "kex: client->server cipher: ")).empty()) {
        n->cipher_cs = first_word(v);
        n->mac_cs = first_word(after(v, "MAC: "));
      } else if (!(v = after(line, "kex: server->client cipher: ")).empty()) {
        n->cipher_sc = first_word(v);
        n->mac_sc = first_word(after(v, "MAC: "));
      } else if (!(v = after(line, "Authenticated to ")).empty()) {
        method = std::string(after(v, "using "));
      }
    }
    n->note = absl::StrCat("authenticated using ", method);
    if (!absl::StartsWith(method, "\"publickey\"")) {
      return absl::InternalError(
          absl::StrCat("ssh did not report publickey authentication: ", text));
    }
    return absl::OkStatus();
  }

  Target target_;
  Algorithms algs_;
  uint64_t instructions_ = 0;
  bool counted_ok_ = true;
  std::string version_;
};

// --- The benchmark
// ------------------------------------------------------------

struct Sample {
  double cpu = 0;  // seconds of client CPU (user + sys)
  double sys = 0;  // the kernel's part of it (tick-sampled split)
  long minor_faults = 0, switches = 0;  // page faults, context switches
  double wall = 0;                      // seconds
  absl::optional<uint64_t> instructions;
  int runs = 0;
};

// Runs `op` `runs` times and measures the client's CPU (and instructions).
absl::StatusOr<Sample> Measure(Peer& peer, int runs,
                               const std::function<absl::Status()>& op) {
  const bool child = peer.child_process();
  InstructionCounter self;
  if (!child) {
    self = InstructionCounter::Open(0);
  } else {
    peer.TakeChildInstructions();  // reset
  }
  const int who = child ? RUSAGE_CHILDREN : RUSAGE_SELF;
  Sample s;
  s.runs = runs;
  const Cpu c0 = CpuNow(who);
  const double w0 = WallSeconds();
  self.Start();
  for (int i = 0; i < runs; ++i) PARLEY_RETURN_IF_ERROR(op());
  self.Stop();
  s.wall = WallSeconds() - w0;
  const Cpu c1 = CpuNow(who);
  s.sys = c1.sys - c0.sys;
  s.minor_faults = c1.minor_faults - c0.minor_faults;
  s.switches = c1.voluntary_switches - c0.voluntary_switches +
               c1.involuntary_switches - c0.involuntary_switches;
  s.cpu = c1.user - c0.user + s.sys;
  s.instructions = child ? peer.TakeChildInstructions() : self.Read();
  return s;
}

std::string Fmt(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string CpuModel() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (absl::StartsWith(line, "model name")) {
      return std::string(
          absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)));
    }
  }
  return "unknown CPU";
}

std::string LoadAverage() {
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) != 3) return "unknown";
  return absl::StrCat(Fmt(load[0], 2), " ", Fmt(load[1], 2), " ",
                      Fmt(load[2], 2));
}

// --- Crypto floor ---------------------------------------------------------

constexpr size_t kFloorPacket = 32768 + 16;  // a full channel data packet
constexpr int kFloorLogins = 100;

struct CryptoFloor {
  double login = 0;     // CPU seconds per login
  double download = 0;  // CPU seconds per download
};

// The crypto a client of this backend must do for the pinned algorithms:
// per login one X25519 key pair, one shared secret and one Ed25519
// signature verification; per download, decryption and authentication of
// every packet. Measured in this process with getrusage like the clients.
absl::StatusOr<CryptoFloor> MeasureCryptoFloor(const crypto::CryptoProvider& p,
                                               const Algorithms& algs,
                                               uint64_t bytes) {
  using crypto::KexGroup;
  CryptoFloor floor;
  PARLEY_ASSIGN_OR_RETURN(auto server_kex,
                          p.NewKeyAgreement(KexGroup::kX25519));
  const Bytes server_public(server_kex->public_value().begin(),
                            server_kex->public_value().end());
  PARLEY_ASSIGN_OR_RETURN(crypto::PrivateKey host_key,
                          p.GenerateKey(crypto::KeyType::kEd25519, 0));
  PARLEY_ASSIGN_OR_RETURN(
      auto signer, p.NewSigner(host_key, crypto::SignatureAlgorithm::kEd25519));
  const Bytes exchange_hash(32, 0x42);
  PARLEY_ASSIGN_OR_RETURN(Bytes signature, signer->Sign(exchange_hash));
  auto one_login = [&]() -> absl::Status {
    PARLEY_ASSIGN_OR_RETURN(auto kex, p.NewKeyAgreement(KexGroup::kX25519));
    PARLEY_RETURN_IF_ERROR(kex->ComputeSharedSecret(server_public).status());
    PARLEY_ASSIGN_OR_RETURN(
        auto verifier, p.NewVerifier(host_key.public_key,
                                     crypto::SignatureAlgorithm::kEd25519));
    return verifier->Verify(exchange_hash, signature);
  };
  PARLEY_RETURN_IF_ERROR(one_login());  // warm-up
  Cpu c0 = CpuNow(RUSAGE_SELF);
  for (int i = 0; i < kFloorLogins; ++i) PARLEY_RETURN_IF_ERROR(one_login());
  Cpu c1 = CpuNow(RUSAGE_SELF);
  floor.login = (c1.user + c1.sys - c0.user - c0.sys) / kFloorLogins;

  const uint64_t packets = (bytes + 32767) / 32768;
  Bytes packet(kFloorPacket + 32, 0x5a);
  if (algs.aead()) {
    PARLEY_ASSIGN_OR_RETURN(auto gcm, p.NewAesGcm(Bytes(16, 1)));
    const Bytes nonce(crypto::Aead::kNonceSize, 2);
    const ByteView aad(packet.data(), 4);
    Bytes sealed(kFloorPacket + crypto::Aead::kTagSize);
    PARLEY_RETURN_IF_ERROR(
        gcm->Seal(nonce, aad, ByteView(packet.data() + 4, kFloorPacket - 4),
                  sealed.data()));
    const ByteView in(sealed.data(), kFloorPacket - 4 + crypto::Aead::kTagSize);
    c0 = CpuNow(RUSAGE_SELF);
    for (uint64_t i = 0; i < packets; ++i) {
      PARLEY_RETURN_IF_ERROR(gcm->Open(nonce, aad, in, packet.data() + 4));
    }
  } else {
    PARLEY_ASSIGN_OR_RETURN(auto ctr, p.NewAesCtr(Bytes(16, 1), Bytes(16, 2)));
    PARLEY_ASSIGN_OR_RETURN(
        auto mac, p.NewHmac(crypto::HashAlgorithm::kSha256, Bytes(32, 3)));
    uint8_t seq[4] = {0, 0, 0, 7};
    uint8_t tag[32];
    c0 = CpuNow(RUSAGE_SELF);
    for (uint64_t i = 0; i < packets; ++i) {
      PARLEY_RETURN_IF_ERROR(
          ctr->Crypt(ByteView(packet.data(), kFloorPacket), packet.data()));
      PARLEY_RETURN_IF_ERROR(
          mac->Compute({ByteView(seq), ByteView(packet.data(), kFloorPacket)},
                       MutableByteView(tag, sizeof(tag))));
    }
  }
  c1 = CpuNow(RUSAGE_SELF);
  floor.download = c1.user + c1.sys - c0.user - c0.sys;
  return floor;
}

struct Row {
  explicit Row(std::unique_ptr<Peer> p) : peer(std::move(p)) {}
  std::unique_ptr<Peer> peer;
  bool available = true;  // false: n/a in this table
  absl::Status error;
  Negotiated negotiated;
  Sample login;
  std::string receive_check;
  Sample receive;
};

struct Options {
  int logins = 40;
  int megabytes = 200;
  int downloads = 2;
  std::vector<std::string> tables = {"ctr", "gcm"};
  std::vector<std::string> peers = {"parley-openssl", "parley-cryptopp",
                                    "libssh2", "libssh", "openssh"};
  bool keep = false;
};

bool Wanted(const Options& o, const std::string& peer) {
  for (const std::string& p : o.peers) {
    if (p == peer) return true;
  }
  return false;
}

std::string FmtCount(const absl::optional<uint64_t>& total, int runs) {
  if (!total || runs == 0) return "n/a";
  const double v = static_cast<double>(*total) / runs;
  if (v >= 1e9) return Fmt(v / 1e9, 2) + " G";
  if (v >= 1e6) return Fmt(v / 1e6, 2) + " M";
  return Fmt(v / 1e3, 1) + " k";
}

// Runs one table; returns false if a peer failed.
bool RunTable(
    const Options& opts, const std::string& table,
    const std::vector<std::shared_ptr<const crypto::CryptoProvider>>& providers,
    const testing::KeyPair& client_key, const fs::path& scratch) {
  Algorithms algs;
  algs.cipher = table == "gcm" ? "aes128-gcm@openssh.com" : "aes128-ctr";

  testing::SshdOptions so;
  so.host_key_types = {testing::KeyType::kEd25519};
  so.users.push_back({kUser, kPassword, {client_key.public_key}, ""});
  so.extra_config = {"KexAlgorithms " + algs.kex,
                     "HostKeyAlgorithms " + algs.host_key,
                     "Ciphers " + algs.cipher, "MACs " + algs.mac,
                     "PubkeyAcceptedAlgorithms ssh-ed25519"};
  so.parent_dir = scratch;
  so.keep_work_dir = opts.keep;
  testing::SshdServer server(so);
  absl::Status started = server.Start();
  if (!started.ok()) {
    std::fprintf(stderr, "cannot start the hermetic sshd: %s\n",
                 started.ToString().c_str());
    return false;
  }
  Target target;
  target.port = server.port();
  target.known_hosts = server.known_hosts_path().string();
  target.identity = client_key.private_key_path.string();
  target.scratch = scratch;

  std::vector<Row> rows;
  for (const auto& p : providers) {
    if (!Wanted(opts, "parley-" + std::string(p->name()))) continue;
    rows.emplace_back(std::make_unique<ParleyPeer>(p, target, algs));
  }
  if (Wanted(opts, "libssh2")) {
    rows.emplace_back(std::make_unique<Libssh2Peer>(target, algs));
    // libssh2 1.10 has no AES-GCM (nor chacha20-poly1305, nor -etm MACs).
    rows.back().available = table != "gcm";
  }
  if (Wanted(opts, "libssh")) {
    rows.emplace_back(std::make_unique<LibsshPeer>(target, algs));
  }
  OpenSshPeer* openssh = nullptr;
  if (Wanted(opts, "openssh")) {
    auto peer = std::make_unique<OpenSshPeer>(target, algs);
    openssh = peer.get();
    rows.emplace_back(std::move(peer));
  }

  const uint64_t bytes = static_cast<uint64_t>(opts.megabytes) * 1000000;
  const std::string command = absl::StrCat("head -c ", bytes, " /dev/zero");

  std::printf("\n## %s: %s + %s, %s, %s\n\n", table.c_str(),
              algs.cipher.c_str(),
              algs.aead() ? "(implicit MAC)" : algs.mac.c_str(),
              algs.kex.c_str(), algs.host_key.c_str());
  std::printf("sshd %s on port %d (%s)\n", server.banner().c_str(),
              server.port(), absl::StrJoin(so.extra_config, "; ").c_str());

  // Warm-up login (untimed): verifies the peer and reports what it
  // negotiated.
  for (Row& r : rows) {
    if (!r.available) continue;
    r.error = r.peer->Login(&r.negotiated);
    if (r.error.ok()) r.error = r.negotiated.Expect(algs);
  }
  if (openssh != nullptr && !openssh->version().empty()) {
    std::printf("OpenSSH client: %s\n", openssh->version().c_str());
  }
  std::printf("\nNegotiated (as each client reports it):\n");
  for (Row& r : rows) {
    if (!r.available) continue;
    std::printf("- %s: %s\n", r.peer->name().c_str(),
                r.error.ok() ? r.negotiated.ToString().c_str()
                             : r.error.ToString().c_str());
  }

  // Logins and downloads, in rounds across the peers so that a change in
  // machine load spreads over all of them.
  auto accumulate = [](Sample& total, const Sample& s) {
    total.instructions =
        (total.runs == 0 || total.instructions) && s.instructions
            ? absl::optional<uint64_t>(total.instructions.value_or(0) +
                                       *s.instructions)
            : absl::nullopt;
    total.cpu += s.cpu;
    total.sys += s.sys;
    total.minor_faults += s.minor_faults;
    total.switches += s.switches;
    total.wall += s.wall;
    total.runs += s.runs;
  };
  const int rounds = std::min(4, opts.logins);
  for (int round = 0; round < rounds; ++round) {
    const int n = opts.logins / rounds + (round < opts.logins % rounds ? 1 : 0);
    for (Row& r : rows) {
      if (!r.available || !r.error.ok()) continue;
      Peer* peer = r.peer.get();
      auto s = Measure(*peer, n, [peer] { return peer->Login(nullptr); });
      if (s.ok()) {
        accumulate(r.login, *s);
      } else {
        r.error = s.status();
      }
    }
  }
  for (int round = 0; bytes > 0 && round < opts.downloads; ++round) {
    for (Row& r : rows) {
      if (!r.available || !r.error.ok()) continue;
      Peer* peer = r.peer.get();
      auto s = Measure(*peer, 1, [&] {
        auto check = peer->Receive(command, bytes);
        if (check.ok()) r.receive_check = *check;
        return check.status();
      });
      if (s.ok()) {
        accumulate(r.receive, *s);
      } else {
        r.error = s.status();
      }
    }
  }

  // The crypto each Parley backend cannot avoid, without any protocol, I/O
  // or kernel work: what no client using that library can go below.
  struct FloorRow {
    std::string name;
    absl::StatusOr<CryptoFloor> floor;
  };
  std::vector<FloorRow> floors;
  for (const auto& p : providers) {
    if (!Wanted(opts, "parley-" + std::string(p->name()))) continue;
    floors.push_back(
        {absl::StrCat("crypto alone (", std::string(p->name()), " backend)"),
         MeasureCryptoFloor(*p, algs, bytes)});
  }

  const Row* libssh2 = nullptr;
  const Row* libssh = nullptr;
  for (const Row& r : rows) {
    if (!r.available || !r.error.ok()) continue;
    if (r.peer->name() == "libssh2") libssh2 = &r;
    if (r.peer->name() == "libssh") libssh = &r;
  }
  auto per_login = [](const Sample& s) { return s.cpu / s.runs; };
  auto per_download = [](const Sample& s) { return s.cpu / s.runs; };
  auto vs = [](const Row* ref, double mine, double (*get)(const Sample&),
               const Sample Row::*which) -> std::string {
    if (ref == nullptr || (ref->*which).runs == 0) return "n/a";
    return Fmt(mine / get(ref->*which), 3);
  };
  const std::string mb = absl::StrCat(opts.megabytes, " MB");

  std::printf(
      "\nClient CPU = getrusage user+sys (OpenSSH client: RUSAGE_CHILDREN "
      "around fork/exec/wait of /usr/bin/ssh, so it includes exec, dynamic "
      "linking and ssh's start-up). Login = TCP connect + KEX + host key "
      "check against known_hosts + authentication + exec `%s` + exit status "
      "+ disconnect, mean of %d; download = `%s`, read and discarded, mean "
      "of %d. \"crypto alone\" rows: the same backend's X25519 key "
      "generation + shared secret + Ed25519 verify per login, and %s per "
      "%d-byte packet, with no protocol, I/O or kernel work.\n\n",
      kLoginCommand, opts.logins, command.c_str(), opts.downloads,
      algs.aead() ? "AES-GCM open" : "AES-CTR + HMAC-SHA256",
      static_cast<int>(kFloorPacket));
  std::printf(
      "| client | auth | ms CPU / login | instructions / login | wall ms / "
      "login | CPU s / %s | instructions / %s | wall s / %s | login vs "
      "libssh2 | %s vs libssh |\n",
      mb.c_str(), mb.c_str(), mb.c_str(), mb.c_str());
  std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  bool all_ok = true;
  for (const Row& r : rows) {
    const std::string name = r.peer->name(), auth = r.peer->auth();
    if (!r.available) {
      std::printf(
          "| %s | %s | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a |\n",
          name.c_str(), auth.c_str());
      continue;
    }
    if (!r.error.ok()) {
      all_ok = false;
      std::printf("| %s | %s | FAILED | | | | | | | |\n", name.c_str(),
                  auth.c_str());
      continue;
    }
    const bool dl = r.receive.runs > 0;
    std::printf(
        "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name.c_str(),
        auth.c_str(), Fmt(1e3 * per_login(r.login), 3).c_str(),
        FmtCount(r.login.instructions, r.login.runs).c_str(),
        Fmt(1e3 * r.login.wall / r.login.runs, 1).c_str(),
        dl ? Fmt(per_download(r.receive), 3).c_str() : "n/a",
        dl ? FmtCount(r.receive.instructions, r.receive.runs).c_str() : "n/a",
        dl ? Fmt(r.receive.wall / r.receive.runs, 2).c_str() : "n/a",
        vs(libssh2, per_login(r.login), per_login, &Row::login).c_str(),
        dl ? vs(libssh, per_download(r.receive), per_download, &Row::receive)
                 .c_str()
           : "n/a");
  }
  for (const FloorRow& f : floors) {
    if (!f.floor.ok()) {
      std::printf("| %s | | FAILED | | | | | | | |\n", f.name.c_str());
      all_ok = false;
      continue;
    }
    std::printf(
        "| %s | | %s | | | %s | | | %s | %s |\n", f.name.c_str(),
        Fmt(1e3 * f.floor->login, 3).c_str(),
        bytes > 0 ? Fmt(f.floor->download, 3).c_str() : "n/a",
        vs(libssh2, f.floor->login, per_login, &Row::login).c_str(),
        bytes > 0
            ? vs(libssh, f.floor->download, per_download, &Row::receive).c_str()
            : "n/a");
  }
  if (!PerfError().empty()) {
    std::printf("\ninstructions: n/a (%s)\n", PerfError().c_str());
  }

  std::printf(
      "\nChecks (user/sys split and counts are per login / per "
      "download; the split is tick-sampled, only the sum is exact):\n");
  for (const Row& r : rows) {
    const std::string name = r.peer->name();
    if (!r.available) {
      std::printf("- %s: n/a (libssh2 1.10 has no %s)\n", name.c_str(),
                  algs.cipher.c_str());
    } else if (!r.error.ok()) {
      std::printf("- %s: FAILED: %s\n", name.c_str(),
                  r.error.ToString().c_str());
    } else {
      const double n = r.login.runs;
      const double d = r.receive.runs > 0 ? r.receive.runs : 1;
      std::printf(
          "- %s: %d logins with exit status 0 (%.3f ms user + %.3f ms sys, "
          "%.1f minor faults, %.1f context switches)",
          name.c_str(), r.login.runs, 1e3 * (r.login.cpu - r.login.sys) / n,
          1e3 * r.login.sys / n, r.login.minor_faults / n,
          r.login.switches / n);
      if (r.receive.runs > 0) {
        std::printf(
            "; download: %s (%.3f s user + %.3f s sys, %.0f minor faults, "
            "%.0f context switches)",
            r.receive_check.c_str(), (r.receive.cpu - r.receive.sys) / d,
            r.receive.sys / d, r.receive.minor_faults / d,
            r.receive.switches / d);
      }
      std::printf("\n");
    }
  }

  std::printf("\nLoad average after this table: %s.\n", LoadAverage().c_str());
  std::printf("\nTargets (Parley at most 1/3 of the reference):\n");
  for (const Row& r : rows) {
    if (!r.available || !r.error.ok() ||
        !absl::StartsWith(r.peer->name(), "Parley")) {
      continue;
    }
    auto verdict = [](double q) {
      return q <= 1.0 / 3.0 ? "target met" : "TARGET MISSED";
    };
    if (libssh2 != nullptr) {
      const double q = per_login(r.login) / per_login(libssh2->login);
      std::printf("- %s / libssh2, CPU per login: %.3f (%s)\n",
                  r.peer->name().c_str(), q, verdict(q));
    } else {
      std::printf("- %s / libssh2, CPU per login: n/a (no libssh2 here)\n",
                  r.peer->name().c_str());
    }
    if (libssh != nullptr && r.receive.runs > 0) {
      const double q = per_download(r.receive) / per_download(libssh->receive);
      std::printf("- %s / libssh, CPU per %s: %.3f (%s)\n",
                  r.peer->name().c_str(), mb.c_str(), q, verdict(q));
    }
  }
  std::fflush(stdout);
  return all_ok;
}

int Main(int argc, char** argv) {
  Options opts;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    bool ok = true;
    if (absl::ConsumePrefix(&a, "--logins=")) {
      ok = absl::SimpleAtoi(a, &opts.logins) && opts.logins > 0;
    } else if (absl::ConsumePrefix(&a, "--megabytes=")) {
      // 0 skips the download (for profiling logins).
      ok = absl::SimpleAtoi(a, &opts.megabytes) && opts.megabytes >= 0;
    } else if (absl::ConsumePrefix(&a, "--downloads=")) {
      ok = absl::SimpleAtoi(a, &opts.downloads) && opts.downloads > 0;
    } else if (absl::ConsumePrefix(&a, "--tables=")) {
      opts.tables = absl::StrSplit(a, ',', absl::SkipEmpty());
    } else if (absl::ConsumePrefix(&a, "--peers=")) {
      opts.peers = absl::StrSplit(a, ',', absl::SkipEmpty());
    } else if (a == "--keep") {
      opts.keep = true;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(
          stderr,
          "usage: %s [--logins=N] [--megabytes=M] [--downloads=R] "
          "[--tables=ctr,gcm] "
          "[--peers=parley-openssl,parley-cryptopp,libssh2,libssh,openssh] "
          "[--keep]\n",
          argv[0]);
      return 2;
    }
  }

  // Scratch space outside /tmp, so that sshd gets a private /tmp (see
  // SshdOptions::private_tmp).
  char tmpl[] = "/var/tmp/parley_ssh_bench.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    std::fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
    return 1;
  }
  const fs::path scratch = tmpl;
  auto client_key = testing::GenerateKeyPair(testing::KeyType::kEd25519,
                                             scratch / "id_ed25519");
  if (!client_key.ok()) {
    std::fprintf(stderr, "ssh-keygen: %s\n",
                 client_key.status().ToString().c_str());
    return 1;
  }

  crypto::LoaderOptions lo;
  lo.search_dirs = {"backends/openssl", "backends/cryptopp"};
  std::vector<std::shared_ptr<const crypto::CryptoProvider>> providers;
  for (const char* name : {"openssl", "cryptopp"}) {
    auto p = crypto::LoadCryptoBackend(name, lo);
    if (!p.ok()) {
      std::fprintf(stderr, "backend %s: %s\n", name,
                   p.status().ToString().c_str());
      return 1;
    }
    providers.push_back(*p);
  }
  libssh2_init(0);
  ssh_init();

  std::printf("# SSH client benchmark\n\n");
  std::printf("Machine: %s, %ld CPUs online, load average %s.\n",
              CpuModel().c_str(), sysconf(_SC_NPROCESSORS_ONLN),
              LoadAverage().c_str());
  std::printf("Clients: Parley backends");
  for (const auto& p : providers) {
    std::printf(" %s (%s)", std::string(p->name()).c_str(),
                p->library_version().c_str());
  }
  std::printf("; libssh2 %s; libssh %s; /usr/bin/ssh.\n", libssh2_version(0),
              ssh_version(0));
  std::printf(
      "All clients run on 127.0.0.1 against one hermetic OpenSSH sshd "
      "(PAM password auth through pam_wrapper) with the same algorithms "
      "pinned on the server and in every client. The OpenSSH client logs in "
      "with an ed25519 key (publickey: it has no non-interactive password "
      "input); the libraries use password authentication.\n");
  std::fflush(stdout);

  bool ok = true;
  for (const std::string& table : opts.tables) {
    if (table != "ctr" && table != "gcm") {
      std::fprintf(stderr, "unknown table %s (ctr, gcm)\n", table.c_str());
      return 2;
    }
    ok = RunTable(opts, table, providers, *client_key, scratch) && ok;
  }
  ssh_finalize();
  libssh2_exit();
  if (!opts.keep) {
    std::error_code ec;
    fs::remove_all(scratch, ec);
  } else {
    std::printf("\nkept %s\n", scratch.c_str());
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace parley::bench

int main(int argc, char** argv) { return parley::bench::Main(argc, argv); }
