// A hermetic OpenSSH sshd on 127.0.0.1 for one test.
//
// SshdServer generates host keys with ssh-keygen into a private work
// directory, writes an sshd_config, a PAM service (pam_matrix through
// pam_wrapper) and passwd/group files (through nss_wrapper), starts
// `/usr/sbin/sshd -D -e -f CONFIG -E LOG` on a free loopback port and kills
// it again. Nothing under /etc is read for users or PAM, and nothing under
// /etc is written.
//
//   absl::StatusOr<KeyPair> key =
//       GenerateKeyPair(KeyType::kEd25519, dir / "id_ed25519");
//   SshdOptions options;
//   options.users.push_back({"alice", "secret", {key->public_key}, ""});
//   options.extra_config = {"Ciphers aes128-ctr"};
//   SshdServer server(options);
//   PARLEY_START_SSHD_OR_SKIP(server);  // sshd_test_macros.h
//   ... connect to 127.0.0.1:server.port(), trust server.known_hosts() or
//   ... server.host_key_blob(KeyType::kEd25519), log in as alice ...
//   EXPECT_TRUE(server.WaitForLog("Accepted publickey for alice").ok());
//   // ~SshdServer stops sshd and deletes the work directory.
//
// Files in work_dir(): sshd_config, sshd.log, known_hosts, host_keys/,
// home/<user>/ (and home/root/, root's home), pam/ (service files, passdb,
// oath_users), nss/ (passwd, group), tmp/ (sshd's /tmp when it has a
// private one).
//
// Test users: every user gets the uid and gid of the test process (root on
// CI), a home directory under work_dir()/home and /bin/sh as shell, so exec
// requests such as "echo hello; exit 3" work. `PermitRootLogin yes` is set
// for that reason. Run as root, sshd uses full privilege separation (it
// creates /run/sshd if missing). Run as another user, sshd runs unprivileged
// (no chroot, no uid change), which is enough because the users share the
// caller's uid; libuid_wrapper is not used (it makes sshd attempt a chroot
// that then fails).
//
// Processes: sshd and everything it starts are killed by Stop() (also from
// the destructor), including sessions that outlived their connection. If
// the test process dies, sshd gets SIGKILL through PR_SET_PDEATHSIG; that
// fires when the *thread* that called Start() exits, so call Start() from a
// thread that outlives the server (the test body is fine). Session commands
// orphaned by a crashed test are killed by the next Start() of any
// SshdServer.
//
// Not thread-safe: use one SshdServer from one thread at a time.
#ifndef PARLEY_TESTS_SSHD_SSHD_HARNESS_H_
#define PARLEY_TESTS_SSHD_SSHD_HARNESS_H_

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/base/bytes.h"
#include "tests/sshd/subprocess.h"

namespace parley::testing {

// Key types that ssh-keygen can generate, for host keys and user keys.
enum class KeyType { kEd25519, kEcdsaP256, kEcdsaP384, kEcdsaP521, kRsa3072 };

std::vector<KeyType> AllKeyTypes();

// The public key format name: "ssh-ed25519", "ecdsa-sha2-nistp256", ...,
// "ssh-rsa". This is the key type in known_hosts and authorized_keys lines.
absl::string_view KeyTypeName(KeyType type);

// The signature algorithms that select this key type in HostKeyAlgorithms /
// PubkeyAcceptedAlgorithms: the format name, except {"rsa-sha2-512",
// "rsa-sha2-256"} for RSA (OpenSSH 9.2 refuses SHA-1 "ssh-rsa" by default).
std::vector<std::string> SignatureAlgorithms(KeyType type);

struct KeyPair {
  KeyType type;
  std::filesystem::path private_key_path;  // OpenSSH format, no passphrase.
  std::string public_key;                  // "ssh-ed25519 AAAA..." (no comment)
  Bytes public_key_blob;                   // The SSH wire-format key blob.
};

// Runs ssh-keygen to create `private_key_path` and `private_key_path`.pub
// (0600, no passphrase, empty comment). Replaces existing files.
absl::StatusOr<KeyPair> GenerateKeyPair(
    KeyType type, const std::filesystem::path& private_key_path,
    const std::string& ssh_keygen = "/usr/bin/ssh-keygen");

struct TestUser {
  std::string name;      // [A-Za-z0-9._-]+, not "root" or "sshd".
  std::string password;  // For pam_matrix; may not contain ':' or newlines.
  // Lines for ~/.ssh/authorized_keys (e.g. KeyPair::public_key, options
  // allowed).
  std::vector<std::string> authorized_keys;
  // Hex seed for pam_oath TOTP (HOTP/T30/6); only for
  // PamStack::kPasswordThenTotp. Users without one cannot pass that stack.
  std::string totp_secret_hex;
};

enum class PamStack {
  // auth: pam_matrix (one "Password: " prompt). The default.
  kPassword,
  // auth: pam_matrix, then pam_oath (TOTP, window=2, digits=6): two
  // keyboard-interactive rounds. Needs libpam-oath.
  kPasswordThenTotp,
  // auth: pam_chatty (optional; `chatty_lines` info and error messages,
  // which sshd folds into the next prompt's text), then pam_matrix.
  kChattyThenPassword,
  // auth: SshdOptions::custom_auth, verbatim (e.g. a module under test).
  kCustom,
};

// How sshd gets the test's PAM stack.
enum class PamMode {
  // pam_wrapper preloaded (PAM_WRAPPER_SERVICE_DIR). Works without
  // privileges, but Debian's libpam-wrapper 1.1.4 gives every PAM process a
  // folder /tmp/pam.X with X one of 62 characters, so at most 62
  // connections can be open on the machine at once.
  kWrapper,
  // Ordinary PAM reading the test stack: sshd runs in its own mount
  // namespace with work_dir()/pam bind-mounted on /etc/pam.d (the host's
  // /etc is untouched) and only nss_wrapper preloaded. No connection limit.
  // Needs root with CAP_SYS_ADMIN (CI has it); elsewhere Start() fails with
  // kFailedPrecondition, so tests skip as non-root.
  kNamespacedPamD,
};

struct SshdOptions {
  // Host keys to generate; each becomes a HostKey line, in this order.
  std::vector<KeyType> host_key_types = AllKeyTypes();
  std::vector<TestUser> users;
  PamStack pam_stack = PamStack::kPassword;
  PamMode pam_mode = PamMode::kWrapper;
  int chatty_lines = 2;  // For kChattyThenPassword.
  // For kCustom: the PAM "auth" lines ("auth required /path/x.so args").
  std::vector<std::string> custom_auth;
  // The AuthenticationMethods line, e.g. "publickey,keyboard-interactive";
  // empty means sshd's default (any single method).
  std::string authentication_methods;
  // More sshd_config lines, e.g. "KexAlgorithms curve25519-sha256",
  // "Ciphers aes128-ctr", "MACs hmac-sha2-256", "RekeyLimit 1M". They are
  // placed before the harness's own settings, so they win over them (sshd
  // keeps the first value of a keyword). Lines from the first "Match" on are
  // placed at the end instead.
  std::vector<std::string> extra_config;
  // When set (a CA private key file): every host key is certified by it
  // with `ssh-keygen -s CA -h` for these principals and validity (as -n and
  // -V take them), and sshd serves the certificates (HostCertificate).
  std::string host_certificate_ca;
  std::string host_certificate_principals = "127.0.0.1";
  std::string host_certificate_validity = "-5m:+1h";
  // sshd's LogLevel. VERBOSE logs each "Accepted <method> for <user>";
  // DEBUG1 also logs the negotiated algorithms ("kex: host key algorithm:").
  std::string log_level = "VERBOSE";
  // Start() gives up after this long (per bind attempt).
  absl::Duration start_timeout = absl::Seconds(20);
  // Run sshd in its own mount namespace with work_dir()/tmp on /tmp, when
  // possible (root with CAP_SYS_ADMIN, work directory not under /tmp).
  // pam_wrapper keeps per-process state in /tmp/pam.[0-9A-Za-z], 62 slots
  // shared machine-wide, chosen without locking: with many sshd processes
  // from parallel tests, two can pick the same slot and one then fails
  // ("pwrap_init: Failed to copy config files", connection reset) or reads
  // another test's PAM files. A private /tmp isolates servers from each
  // other. Sessions then also see work_dir()/tmp as /tmp.
  bool private_tmp = true;
  // Keep work_dir() after destruction (for debugging).
  bool keep_work_dir = false;
  // Where to create the work directory: $TEST_TMPDIR if empty and set,
  // otherwise the system temp directory.
  std::filesystem::path parent_dir;
  std::string sshd_path = "/usr/sbin/sshd";
  std::string ssh_keygen_path = "/usr/bin/ssh-keygen";
};

class SshdServer {
 public:
  explicit SshdServer(SshdOptions options);
  SshdServer(const SshdServer&) = delete;
  SshdServer& operator=(const SshdServer&) = delete;
  // Stops sshd and removes the work directory (unless keep_work_dir).
  ~SshdServer();

  // Prepares the work directory (first call only: keys, users, PAM), then
  // starts sshd on a free 127.0.0.1 port and waits until that port is
  // listened on by this sshd and answers with an SSH banner. Errors:
  // kFailedPrecondition if something this host must provide is missing
  // (sshd, ssh-keygen, cwrap libraries, /run/sshd) or the server is already
  // running; kInvalidArgument for bad options; kDeadlineExceeded / kInternal
  // if sshd does not come up (the message holds the tail of its log).
  // May be called again after Stop(): same keys and users, a new port.
  absl::Status Start();

  // Kills sshd and every process it started. Idempotent. The log and the
  // work directory stay until destruction.
  void Stop();

  bool running() const { return process_ != nullptr; }
  // Whether sshd got a private /tmp (see SshdOptions::private_tmp).
  bool has_private_tmp() const { return use_private_tmp_; }
  static constexpr absl::string_view host() { return "127.0.0.1"; }
  // 0 before Start(); after Stop(), the port it had.
  int port() const { return port_; }
  pid_t pid() const;  // The sshd listener; 0 if not running.
  // The server's identification line, e.g. "SSH-2.0-OpenSSH_9.2p1 ...".
  const std::string& banner() const { return banner_; }

  // The SSH wire-format blob of the generated host key of `type`;
  // kNotFound if that type was not requested.
  absl::StatusOr<Bytes> host_key_blob(KeyType type) const;
  // "ssh-ed25519 AAAA..." for the host key of `type`.
  absl::StatusOr<std::string> host_public_key(KeyType type) const;
  // One "[127.0.0.1]:PORT keytype base64" line per host key.
  std::string known_hosts() const;
  // A file holding known_hosts(), rewritten by each Start().
  std::filesystem::path known_hosts_path() const;

  const std::filesystem::path& work_dir() const { return work_dir_; }
  std::filesystem::path config_path() const;
  std::filesystem::path log_path() const;
  std::filesystem::path home_dir(absl::string_view user) const;
  // The whole sshd log (sshd's own log plus anything it wrote to stderr,
  // e.g. pam_wrapper errors), with sshd's CR LF line ends turned into LF.
  // Empty if there is none yet.
  std::string ReadLog() const;
  // Its last `lines` lines.
  std::string LogTail(int lines = 40) const;
  // Waits until the log contains `text`. Use it for anything sshd logs after
  // the client may already have gone (failures, disconnects, "[preauth]"
  // lines): the log is written asynchronously to the client's exit. Lines
  // logged before a session starts ("Accepted publickey for ...") are there
  // once the client has seen its command's output. kDeadlineExceeded with
  // the log tail on timeout.
  absl::Status WaitForLog(absl::string_view text,
                          absl::Duration timeout = absl::Seconds(10)) const;

  // The sshd listener, its descendants and its session processes that were
  // re-parented away (for tests of the harness itself).
  std::vector<pid_t> ProcessTree() const;

 private:
  absl::Status Prepare();
  absl::Status WriteUsersAndPam();
  absl::Status WriteConfig(int port) const;
  // One attempt on `port`. kUnavailable if the port was taken meanwhile.
  absl::Status StartOnPort(int port);
  absl::Status WaitUntilReady(int port, size_t log_offset);
  std::string LogSince(size_t offset) const;

  SshdOptions options_;
  std::filesystem::path work_dir_;
  std::string marker_;  // NAME=value that sshd puts in sessions' environment.
  std::vector<KeyPair> host_keys_;
  std::string preload_;
  std::string nss_wrapper_;
  bool prepared_ = false;
  bool use_private_tmp_ = false;
  int port_ = 0;
  std::string banner_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace parley::testing

#endif  // PARLEY_TESTS_SSHD_SSHD_HARNESS_H_
