#include "tests/sshd/sshd_harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "core/base/status_macros.h"
#include "tests/sshd/process_tree.h"

namespace parley::testing {
namespace {

namespace fs = std::filesystem;

// Sessions started by a harness sshd carry "<kMarkerName>=<owner pid>:<id>"
// in their environment (sshd_config SetEnv), so they can be found even after
// they left sshd's process tree.
constexpr absl::string_view kMarkerName = "PARLEY_SSHD_HARNESS";
constexpr int kBindAttempts = 5;
// OpenSSH's compiled-in privilege separation directory.
constexpr char kPrivsepDir[] = "/run/sshd";

struct KeyTypeInfo {
  KeyType type;
  const char* file_id;
  const char* keygen_type;
  int bits;  // 0: ssh-keygen's only size.
  const char* name;
};

constexpr KeyTypeInfo kKeyTypes[] = {
    {KeyType::kEd25519, "ed25519", "ed25519", 0, "ssh-ed25519"},
    {KeyType::kEcdsaP256, "ecdsa256", "ecdsa", 256, "ecdsa-sha2-nistp256"},
    {KeyType::kEcdsaP384, "ecdsa384", "ecdsa", 384, "ecdsa-sha2-nistp384"},
    {KeyType::kEcdsaP521, "ecdsa521", "ecdsa", 521, "ecdsa-sha2-nistp521"},
    {KeyType::kRsa3072, "rsa3072", "rsa", 3072, "ssh-rsa"},
};

const KeyTypeInfo& Info(KeyType type) {
  for (const KeyTypeInfo& info : kKeyTypes) {
    if (info.type == type) return info;
  }
  return kKeyTypes[0];  // Unreachable for valid enum values.
}

// Library directories searched for the cwrap and PAM modules.
constexpr const char* kLibDirs[] = {
    "/usr/lib/x86_64-linux-gnu",
    "/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
};

absl::StatusOr<std::string> FindLibrary(absl::string_view relative_path,
                                        absl::string_view debian_package) {
  for (const char* dir : kLibDirs) {
    std::string path = absl::StrCat(dir, "/", relative_path);
    if (access(path.c_str(), R_OK) == 0) return path;
  }
  return absl::FailedPreconditionError(
      absl::StrCat(relative_path, " not found; install the Debian package ",
                   debian_package));
}

std::string ErrnoText(int err) { return std::strerror(err); }

absl::Status WriteFile(const fs::path& path, absl::string_view contents,
                       fs::perms mode = fs::perms::owner_read |
                                        fs::perms::owner_write) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    if (!out.good()) {
      return absl::InternalError(absl::StrCat("cannot write ", path.string()));
    }
  }
  std::error_code ec;
  fs::permissions(path, mode, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("chmod ", path.string(), ": ", ec.message()));
  }
  return absl::OkStatus();
}

std::string ReadFileOrEmpty(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status MakeDir(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (!ec) fs::permissions(path, fs::perms::owner_all, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("mkdir ", path.string(), ": ", ec.message()));
  }
  return absl::OkStatus();
}

std::string LastLines(absl::string_view text, int lines) {
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (int i = 0; i < lines && pos != absl::string_view::npos && pos > 0; ++i) {
    pos = text.rfind('\n', pos - 1);
  }
  if (pos == absl::string_view::npos) return std::string(text);
  return std::string(text.substr(pos == 0 ? 0 : pos + 1));
}

bool ValidUserName(absl::string_view name) {
  if (name.empty() || name == "root" || name == "sshd") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
           c == '_' || c == '-';
  });
}

absl::Status ValidateOptions(const SshdOptions& options) {
  if (options.host_key_types.empty()) {
    return absl::InvalidArgumentError("no host key types");
  }
  std::set<KeyType> key_types;
  for (KeyType type : options.host_key_types) {
    if (!key_types.insert(type).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("host key type ", KeyTypeName(type), " listed twice"));
    }
  }
  std::set<std::string> names;
  for (const TestUser& user : options.users) {
    if (!ValidUserName(user.name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad test user name '", user.name, "'"));
    }
    if (!names.insert(user.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("test user ", user.name, " listed twice"));
    }
    if (absl::StrContains(user.password, ':') ||
        absl::StrContains(user.password, '\n')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "password of ", user.name, " contains ':' or a newline"));
    }
    for (const std::string& line : user.authorized_keys) {
      if (absl::StrContains(line, '\n')) {
        return absl::InvalidArgumentError(absl::StrCat(
            "authorized key line of ", user.name, " contains a newline"));
      }
    }
    if (!std::all_of(user.totp_secret_hex.begin(), user.totp_secret_hex.end(),
                     [](char c) {
                       return absl::ascii_isxdigit(
                           static_cast<unsigned char>(c));
                     }) ||
        user.totp_secret_hex.size() % 2 != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("TOTP secret of ", user.name, " is not hex"));
    }
  }
  if (options.chatty_lines < 0) {
    return absl::InvalidArgumentError("chatty_lines < 0");
  }
  for (const std::string& line : options.extra_config) {
    if (absl::StrContains(line, '\n')) {
      return absl::InvalidArgumentError(
          "extra_config lines must not contain newlines");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return absl::InternalError(absl::StrCat("socket: ", ErrnoText(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    close(fd);
    return absl::InternalError(
        absl::StrCat("cannot find a free loopback port: ", ErrnoText(err)));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

// Inodes ("socket:[N]" link targets) of TCP sockets listening on
// 127.0.0.1:port, from /proc/net/tcp.
std::set<std::string> ListeningSocketLinks(int port) {
  std::set<std::string> links;
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // Header.
  while (std::getline(in, line)) {
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() < 10 || fields[3] != "0A") continue;  // 0A: LISTEN.
    std::pair<absl::string_view, absl::string_view> local =
        absl::StrSplit(fields[1], ':');
    int local_port = 0;
    // The address is the raw 32-bit value printed in host byte order.
    if ((local.first != "0100007F" && local.first != "7F000001") ||
        !absl::SimpleHexAtoi(local.second, &local_port) || local_port != port) {
      continue;
    }
    links.insert(absl::StrCat("socket:[", fields[9], "]"));
  }
  return links;
}

bool ProcessHoldsAny(pid_t pid, const std::set<std::string>& links) {
  if (links.empty()) return false;
  std::string fd_dir = absl::StrCat("/proc/", pid, "/fd");
  DIR* dir = opendir(fd_dir.c_str());
  if (dir == nullptr) return false;
  bool found = false;
  while (struct dirent* entry = readdir(dir)) {
    char target[128];
    std::string link = absl::StrCat(fd_dir, "/", entry->d_name);
    ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
    if (n > 0 && links.count(std::string(target, static_cast<size_t>(n)))) {
      found = true;
      break;
    }
  }
  closedir(dir);
  return found;
}

// Connects to 127.0.0.1:port and returns the first line the server sends,
// without CR LF.
absl::StatusOr<std::string> ReadBanner(int port, absl::Duration timeout) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return absl::InternalError(absl::StrCat("socket: ", ErrnoText(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect: ", ErrnoText(err)));
  }
  const absl::Time deadline = absl::Now() + timeout;
  std::string received;
  while (received.find('\n') == std::string::npos && received.size() < 512) {
    absl::Duration left = deadline - absl::Now();
    pollfd pfd = {fd, POLLIN, 0};
    if (left <= absl::ZeroDuration() ||
        poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) <=
            0) {
      close(fd);
      return absl::DeadlineExceededError("no banner");
    }
    char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) {
      close(fd);
      return absl::UnavailableError("connection closed before the banner");
    }
    received.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  std::string line = received.substr(0, received.find('\n'));
  absl::StripTrailingAsciiWhitespace(&line);
  return line;
}

// Kills sessions left behind by harness servers of test processes that died
// without Stop() (a crash): their owner pid in the marker is gone.
void KillSessionsOfDeadOwners() {
  const std::string prefix = absl::StrCat(kMarkerName, "=");
  std::vector<pid_t> orphans = FindProcessesByEnv([&](absl::string_view entry) {
    if (!absl::ConsumePrefix(&entry, prefix)) return false;
    int owner = 0;
    if (!absl::SimpleAtoi(entry.substr(0, entry.find(':')), &owner)) {
      return false;
    }
    return owner != getpid() && !IsProcessRunning(owner);
  });
  if (!orphans.empty()) KillProcessTrees(orphans);
}

}  // namespace

std::vector<KeyType> AllKeyTypes() {
  std::vector<KeyType> types;
  for (const KeyTypeInfo& info : kKeyTypes) types.push_back(info.type);
  return types;
}

absl::string_view KeyTypeName(KeyType type) { return Info(type).name; }

std::vector<std::string> SignatureAlgorithms(KeyType type) {
  if (type == KeyType::kRsa3072) return {"rsa-sha2-512", "rsa-sha2-256"};
  return {std::string(KeyTypeName(type))};
}

absl::StatusOr<KeyPair> GenerateKeyPair(KeyType type,
                                        const fs::path& private_key_path,
                                        const std::string& ssh_keygen) {
  const KeyTypeInfo& info = Info(type);
  fs::path public_key_path = private_key_path;
  public_key_path += ".pub";
  std::error_code ec;
  fs::remove(private_key_path, ec);  // ssh-keygen would ask to overwrite.
  fs::remove(public_key_path, ec);
  std::vector<std::string> argv = {ssh_keygen, "-q", "-t", info.keygen_type};
  if (info.bits != 0) {
    argv.push_back("-b");
    argv.push_back(absl::StrCat(info.bits));
  }
  for (const char* arg : {"-N", "", "-C", "", "-f"}) argv.push_back(arg);
  argv.push_back(private_key_path.string());
  PARLEY_ASSIGN_OR_RETURN(SubprocessResult result,
                          RunSubprocess(argv, {}, absl::Seconds(120)));
  if (result.exit_code != 0) {
    return absl::InternalError(absl::StrCat("ssh-keygen -t ", info.keygen_type,
                                            " failed: ", result.DebugString()));
  }
  std::vector<std::string> fields =
      absl::StrSplit(ReadFileOrEmpty(public_key_path), absl::ByAnyChar(" \n"),
                     absl::SkipEmpty());
  KeyPair pair;
  std::string blob;
  if (fields.size() < 2 || fields[0] != info.name ||
      !absl::Base64Unescape(fields[1], &blob)) {
    return absl::InternalError(
        absl::StrCat("unexpected public key file ", public_key_path.string()));
  }
  pair.type = type;
  pair.private_key_path = private_key_path;
  pair.public_key = absl::StrCat(fields[0], " ", fields[1]);
  pair.public_key_blob.assign(blob.begin(), blob.end());
  return pair;
}

SshdServer::SshdServer(SshdOptions options) : options_(std::move(options)) {}

SshdServer::~SshdServer() {
  Stop();
  if (!options_.keep_work_dir && !work_dir_.empty()) {
    std::error_code ec;
    fs::remove_all(work_dir_, ec);
  }
}

pid_t SshdServer::pid() const { return process_ ? process_->pid() : 0; }

fs::path SshdServer::config_path() const { return work_dir_ / "sshd_config"; }
fs::path SshdServer::log_path() const { return work_dir_ / "sshd.log"; }
fs::path SshdServer::known_hosts_path() const {
  return work_dir_ / "known_hosts";
}
fs::path SshdServer::home_dir(absl::string_view user) const {
  return work_dir_ / "home" / std::string(user);
}

std::string SshdServer::ReadLog() const {
  if (work_dir_.empty()) return std::string();
  // sshd's -E log ends lines with CR LF.
  return absl::StrReplaceAll(ReadFileOrEmpty(log_path()), {{"\r\n", "\n"}});
}

absl::Status SshdServer::WaitForLog(absl::string_view text,
                                    absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (!absl::StrContains(ReadLog(), text)) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("'", text, "' not in ", log_path().string(), " after ",
                       absl::FormatDuration(timeout), "; tail:\n", LogTail()));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::OkStatus();
}

std::string SshdServer::LogTail(int lines) const {
  return LastLines(ReadLog(), lines);
}

std::string SshdServer::LogSince(size_t offset) const {
  std::string log = ReadLog();
  return offset < log.size() ? log.substr(offset) : std::string();
}

absl::StatusOr<Bytes> SshdServer::host_key_blob(KeyType type) const {
  for (const KeyPair& key : host_keys_) {
    if (key.type == type) return key.public_key_blob;
  }
  return absl::NotFoundError(
      absl::StrCat("no ", KeyTypeName(type), " host key"));
}

absl::StatusOr<std::string> SshdServer::host_public_key(KeyType type) const {
  for (const KeyPair& key : host_keys_) {
    if (key.type == type) return key.public_key;
  }
  return absl::NotFoundError(
      absl::StrCat("no ", KeyTypeName(type), " host key"));
}

std::string SshdServer::known_hosts() const {
  std::string text;
  for (const KeyPair& key : host_keys_) {
    absl::StrAppend(&text, "[", host(), "]:", port_, " ", key.public_key, "\n");
  }
  return text;
}

std::vector<pid_t> SshdServer::ProcessTree() const {
  std::vector<pid_t> result;
  if (!process_) return result;
  std::vector<ProcessInfo> table = ReadProcessTable();
  std::set<pid_t> seen;
  std::vector<pid_t> roots = {process_->pid()};
  for (pid_t pid : FindProcessesByEnv(
           [&](absl::string_view entry) { return entry == marker_; })) {
    roots.push_back(pid);
  }
  for (pid_t root : roots) {
    for (pid_t pid : DescendantsOf(table, root)) {
      if (seen.insert(pid).second) result.push_back(pid);
    }
  }
  return result;
}

absl::Status SshdServer::Prepare() {
  PARLEY_RETURN_IF_ERROR(ValidateOptions(options_));
  if (access(options_.sshd_path.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(options_.sshd_path,
                     " is not executable; install the Debian package "
                     "openssh-server"));
  }
  if (access(options_.ssh_keygen_path.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(options_.ssh_keygen_path,
                     " is not executable; install the Debian package "
                     "openssh-client"));
  }
  PARLEY_ASSIGN_OR_RETURN(std::string pam_wrapper,
                          FindLibrary("libpam_wrapper.so", "libpam-wrapper"));
  PARLEY_ASSIGN_OR_RETURN(std::string nss_wrapper,
                          FindLibrary("libnss_wrapper.so", "libnss-wrapper"));
  preload_ = absl::StrCat(pam_wrapper, " ", nss_wrapper);
  nss_wrapper_ = nss_wrapper;

  if (geteuid() == 0) {
    // sshd chroots its pre-authentication child here when run as root.
    if (mkdir(kPrivsepDir, 0755) != 0 && errno != EEXIST) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create ", kPrivsepDir, ": ", ErrnoText(errno)));
    }
    struct stat st;
    if (stat(kPrivsepDir, &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat(kPrivsepDir, " is not a directory"));
    }
  }

  fs::path parent = options_.parent_dir;
  if (parent.empty()) {
    const char* test_tmpdir = getenv("TEST_TMPDIR");
    std::error_code tmp_ec;
    parent = test_tmpdir != nullptr && test_tmpdir[0] != '\0'
                 ? fs::path(test_tmpdir)
                 : fs::temp_directory_path(tmp_ec);
    if (tmp_ec) return absl::InternalError("no temporary directory");
  }
  std::error_code ec;
  parent = fs::absolute(parent, ec);
  if (ec) return absl::InternalError("cannot make the work directory absolute");
  const std::string parent_text = parent.string();
  if (std::any_of(parent_text.begin(), parent_text.end(), [](char c) {
        return absl::ascii_isspace(static_cast<unsigned char>(c));
      })) {
    // sshd_config and PAM service files split arguments at whitespace.
    return absl::InvalidArgumentError(absl::StrCat(
        "work directory parent '", parent.string(), "' contains whitespace"));
  }
  fs::create_directories(parent, ec);  // Keeps the mode of an existing one.
  if (ec) {
    return absl::InternalError(
        absl::StrCat("mkdir ", parent.string(), ": ", ec.message()));
  }
  std::string templ = (parent / "sshd.XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("mkdtemp ", templ, ": ", ErrnoText(errno)));
  }
  work_dir_ = templ;
  marker_ = absl::StrCat(kMarkerName, "=", getpid(), ":",
                         work_dir_.filename().string());

  // sshd's /tmp if it gets a private one (sticky and world-writable, like
  // /tmp).
  fs::create_directory(work_dir_ / "tmp", ec);
  if (!ec) {
    fs::permissions(work_dir_ / "tmp", fs::perms::all | fs::perms::sticky_bit,
                    ec);
  }
  if (ec) {
    return absl::InternalError(absl::StrCat(
        "cannot create ", (work_dir_ / "tmp").string(), ": ", ec.message()));
  }
  const std::string canonical_work_dir =
      fs::weakly_canonical(work_dir_, ec).string();
  use_private_tmp_ = options_.private_tmp && geteuid() == 0 && !ec &&
                     !absl::StartsWith(canonical_work_dir, "/tmp/");

  PARLEY_RETURN_IF_ERROR(MakeDir(work_dir_ / "host_keys"));
  for (KeyType type : options_.host_key_types) {
    PARLEY_ASSIGN_OR_RETURN(
        KeyPair key,
        GenerateKeyPair(
            type,
            work_dir_ / "host_keys" /
                absl::StrCat("ssh_host_", Info(type).file_id, "_key"),
            options_.ssh_keygen_path));
    if (!options_.host_certificate_ca.empty()) {
      PARLEY_ASSIGN_OR_RETURN(
          SubprocessResult signed_key,
          RunSubprocess(
              {options_.ssh_keygen_path, "-q", "-s",
               options_.host_certificate_ca, "-h", "-I", "parley-test-host",
               "-n", options_.host_certificate_principals, "-V",
               options_.host_certificate_validity,
               key.private_key_path.string() + ".pub"},
              {}, absl::Seconds(60)));
      if (signed_key.exit_code != 0) {
        return absl::InternalError(
            absl::StrCat("ssh-keygen -s failed: ", signed_key.DebugString()));
      }
    }
    host_keys_.push_back(std::move(key));
  }
  PARLEY_RETURN_IF_ERROR(WriteUsersAndPam());
  prepared_ = true;
  return absl::OkStatus();
}

absl::Status SshdServer::WriteUsersAndPam() {
  const uid_t uid = getuid();
  const gid_t gid = getgid();
  // root's home is in the work directory too: sshd expands "~" in the
  // user's files (~/.ssh/known_hosts for hostbased logins) through
  // getpwuid(), which finds root first when the tests run as root.
  PARLEY_RETURN_IF_ERROR(MakeDir(home_dir("root") / ".ssh"));
  std::string passwd = absl::StrCat(
      "root:x:0:0:root:", home_dir("root").string(), ":/bin/sh\n",
      "sshd:x:65534:65534:sshd privsep:/run/sshd:/usr/sbin/nologin\n");
  std::string group = "root:x:0:\nnogroup:x:65534:\n";
  if (gid != 0 && gid != 65534) {
    absl::StrAppend(&group, "parley:x:", gid, ":\n");
  }
  std::string passdb;
  std::string oath_users;
  for (const TestUser& user : options_.users) {
    const fs::path home = home_dir(user.name);
    absl::StrAppend(&passwd, user.name, ":x:", uid, ":", gid, ":", user.name,
                    ":", home.string(), ":/bin/sh\n");
    absl::StrAppend(&passdb, user.name, ":", user.password, ":sshd\n");
    if (!user.totp_secret_hex.empty()) {
      absl::StrAppend(&oath_users, "HOTP/T30/6 ", user.name, " - ",
                      user.totp_secret_hex, "\n");
    }
    PARLEY_RETURN_IF_ERROR(MakeDir(home / ".ssh"));
    std::string authorized_keys;
    for (const std::string& line : user.authorized_keys) {
      absl::StrAppend(&authorized_keys, line, "\n");
    }
    PARLEY_RETURN_IF_ERROR(
        WriteFile(home / ".ssh" / "authorized_keys", authorized_keys));
  }
  PARLEY_RETURN_IF_ERROR(MakeDir(work_dir_ / "nss"));
  PARLEY_RETURN_IF_ERROR(WriteFile(work_dir_ / "nss" / "passwd", passwd));
  PARLEY_RETURN_IF_ERROR(WriteFile(work_dir_ / "nss" / "group", group));

  const fs::path pam_dir = work_dir_ / "pam";
  PARLEY_RETURN_IF_ERROR(MakeDir(pam_dir));
  PARLEY_RETURN_IF_ERROR(WriteFile(pam_dir / "passdb", passdb));
  PARLEY_ASSIGN_OR_RETURN(
      std::string pam_matrix,
      FindLibrary("pam_wrapper/pam_matrix.so", "libpam-wrapper"));
  const std::string matrix =
      absl::StrCat(pam_matrix, " passdb=", (pam_dir / "passdb").string());
  std::string auth;
  switch (options_.pam_stack) {
    case PamStack::kPassword:
      auth = absl::StrCat("auth required ", matrix, "\n");
      break;
    case PamStack::kPasswordThenTotp: {
      PARLEY_ASSIGN_OR_RETURN(
          std::string pam_oath,
          FindLibrary("security/pam_oath.so", "libpam-oath"));
      // pam_oath rewrites this file (replay protection); it must be 0600.
      PARLEY_RETURN_IF_ERROR(WriteFile(pam_dir / "oath_users", oath_users));
      auth = absl::StrCat("auth required ", matrix, "\n", "auth required ",
                          pam_oath,
                          " usersfile=", (pam_dir / "oath_users").string(),
                          " window=2 digits=6\n");
      break;
    }
    case PamStack::kCustom:
      for (const std::string& line : options_.custom_auth) {
        absl::StrAppend(&auth, line, "\n");
      }
      break;
    case PamStack::kChattyThenPassword: {
      PARLEY_ASSIGN_OR_RETURN(
          std::string pam_chatty,
          FindLibrary("pam_wrapper/pam_chatty.so", "libpam-wrapper"));
      // pam_chatty has no setcred, so as "required" it fails the session.
      auth = absl::StrCat("auth optional ", pam_chatty,
                          " num_lines=", options_.chatty_lines, " info error\n",
                          "auth required ", matrix, "\n");
      break;
    }
  }
  const std::string service = absl::StrCat(
      auth, "account required ", matrix, "\n", "password required ", matrix,
      "\n", "session required ", matrix, "\n");
  PARLEY_RETURN_IF_ERROR(WriteFile(pam_dir / "sshd", service));
  // libpam also reads "other"; without it pam_wrapper prints an error into
  // the session's stderr (which then reaches the SSH client).
  PARLEY_RETURN_IF_ERROR(WriteFile(pam_dir / "other", service));
  return absl::OkStatus();
}

absl::Status SshdServer::WriteConfig(int port) const {
  std::vector<std::string> head;
  std::vector<std::string> match_blocks;
  bool own_max_startups = false;
  for (const std::string& line : options_.extra_config) {
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t="), absl::SkipEmpty());
    // sshd keeps the LAST MaxStartups (unlike most keywords).
    if (!words.empty() && absl::EqualsIgnoreCase(words[0], "MaxStartups")) {
      own_max_startups = true;
    }
    if (match_blocks.empty() && !words.empty() &&
        absl::EqualsIgnoreCase(words[0], "Match")) {
      match_blocks.push_back(line);
    } else if (!match_blocks.empty()) {
      match_blocks.push_back(line);
    } else {
      head.push_back(line);
    }
  }
  std::string config =
      "# Written by parley::testing::SshdServer (tests/sshd/sshd_harness.cc).\n"
      "# sshd keeps the first value of each keyword: the test's lines come "
      "first.\n";
  for (const std::string& line : head) absl::StrAppend(&config, line, "\n");
  absl::StrAppend(&config, "ListenAddress ", host(), ":", port, "\n",
                  "AddressFamily inet\n");
  for (const KeyPair& key : host_keys_) {
    absl::StrAppend(&config, "HostKey ", key.private_key_path.string(), "\n");
    if (!options_.host_certificate_ca.empty()) {
      absl::StrAppend(&config, "HostCertificate ",
                      key.private_key_path.string(), "-cert.pub\n");
    }
  }
  absl::StrAppend(&config, "PidFile ", (work_dir_ / "sshd.pid").string(), "\n",
                  "LogLevel ", options_.log_level, "\n");
  if (!options_.authentication_methods.empty()) {
    absl::StrAppend(&config, "AuthenticationMethods ",
                    options_.authentication_methods, "\n");
  }
  absl::StrAppend(&config,
                  "UsePAM yes\n"
                  "KbdInteractiveAuthentication yes\n"
                  "PasswordAuthentication yes\n"
                  "PubkeyAuthentication yes\n"
                  "PermitRootLogin yes\n"
                  "StrictModes no\n"
                  "AuthorizedKeysFile .ssh/authorized_keys\n"
                  "PrintMotd no\n"
                  "PrintLastLog no\n"
                  "UseDNS no\n"
                  "X11Forwarding no\n",
                  own_max_startups ? "" : "MaxStartups 100\n",
                  "Subsystem sftp internal-sftp\n", "SetEnv ", marker_, "\n");
  for (const std::string& line : match_blocks) {
    absl::StrAppend(&config, line, "\n");
  }
  return WriteFile(config_path(), config);
}

absl::Status SshdServer::Start() {
  if (process_) {
    return absl::FailedPreconditionError(
        absl::StrCat("sshd already running on port ", port_));
  }
  if (!prepared_) {
    if (!work_dir_.empty()) {
      return absl::FailedPreconditionError(
          "an earlier Start() failed while preparing; create a new SshdServer");
    }
    PARLEY_RETURN_IF_ERROR(Prepare());
  }
  KillSessionsOfDeadOwners();
  absl::Status status;
  for (int attempt = 0; attempt < kBindAttempts; ++attempt) {
    PARLEY_ASSIGN_OR_RETURN(int port, PickFreePort());
    status = StartOnPort(port);
    // kUnavailable: someone else bound the port between probe and sshd.
    if (!absl::IsUnavailable(status)) return status;
  }
  return status;
}

absl::Status SshdServer::StartOnPort(int port) {
  PARLEY_RETURN_IF_ERROR(WriteConfig(port));
  const size_t log_offset = ReadLog().size();
  SubprocessOptions spawn;
  spawn.clear_env = true;
  spawn.env = {
      {"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"},
      {"NSS_WRAPPER_PASSWD", (work_dir_ / "nss" / "passwd").string()},
      {"NSS_WRAPPER_GROUP", (work_dir_ / "nss" / "group").string()},
  };
  spawn.output_file = log_path();  // sshd's stderr: config errors, pam_wrapper.
  spawn.working_dir = work_dir_;
  if (options_.pam_mode == PamMode::kNamespacedPamD) {
    if (!use_private_tmp_) {
      return absl::FailedPreconditionError(
          "PamMode::kNamespacedPamD needs root with CAP_SYS_ADMIN (a mount "
          "namespace) and a work directory outside /tmp");
    }
    // Ordinary PAM: only nss_wrapper (a loaded but disabled pam_wrapper
    // makes sshd's child crash).
    spawn.env["LD_PRELOAD"] = nss_wrapper_;
    spawn.bind_mounts = {{work_dir_ / "pam", "/etc/pam.d"}};
  } else {
    spawn.env["LD_PRELOAD"] = preload_;
    spawn.env["PAM_WRAPPER"] = "1";
    spawn.env["PAM_WRAPPER_SERVICE_DIR"] = (work_dir_ / "pam").string();
  }
  if (use_private_tmp_) spawn.private_tmp = work_dir_ / "tmp";
  const std::vector<std::string> argv = {
      options_.sshd_path, "-D", "-e", "-f", config_path().string(), "-E",
      log_path().string()};
  absl::StatusOr<std::unique_ptr<Subprocess>> spawned =
      Subprocess::Spawn(argv, spawn);
  if (absl::IsPermissionDenied(spawned.status()) &&
      options_.pam_mode == PamMode::kNamespacedPamD) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot make sshd's mount namespace for the test PAM stack: ",
        spawned.status().message()));
  }
  if (absl::IsPermissionDenied(spawned.status()) && use_private_tmp_) {
    // No CAP_SYS_ADMIN (e.g. an unprivileged container): share /tmp.
    use_private_tmp_ = false;
    spawn.private_tmp.clear();
    spawned = Subprocess::Spawn(argv, spawn);
  }
  if (!spawned.ok()) return spawned.status();
  process_ = *std::move(spawned);
  absl::Status ready = WaitUntilReady(port, log_offset);
  if (!ready.ok()) {
    Stop();
    return ready;
  }
  port_ = port;
  return WriteFile(known_hosts_path(), known_hosts());
}

absl::Status SshdServer::WaitUntilReady(int port, size_t log_offset) {
  const absl::Time deadline = absl::Now() + options_.start_timeout;
  while (true) {
    if (process_->Poll()) {
      std::string log = LogSince(log_offset);
      absl::StatusOr<SubprocessResult> result =
          process_->Wait(absl::ZeroDuration());
      std::string how = result.ok() ? result->DebugString() : "";
      how = how.substr(0, how.find('\n'));
      if (absl::StrContains(log, "Address already in use") ||
          absl::StrContains(log, "Cannot bind any address")) {
        return absl::UnavailableError(
            absl::StrCat("port ", port, " was taken: ", LastLines(log, 5)));
      }
      return absl::InternalError(
          absl::StrCat("sshd exited during startup (", how, "); tail of ",
                       log_path().string(), ":\n", LastLines(log, 40)));
    }
    // Ready means: *this* sshd listens on the port (not some other process
    // that grabbed it), and it answers with a banner.
    if (ProcessHoldsAny(process_->pid(), ListeningSocketLinks(port))) {
      absl::StatusOr<std::string> banner = ReadBanner(port, absl::Seconds(5));
      if (banner.ok() && absl::StartsWith(*banner, "SSH-")) {
        banner_ = *banner;
        return absl::OkStatus();
      }
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "sshd did not answer on ", host(), ":", port, " within ",
          absl::FormatDuration(options_.start_timeout), "; tail of ",
          log_path().string(), ":\n", LastLines(LogSince(log_offset), 40)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

void SshdServer::Stop() {
  if (!process_) return;
  std::vector<pid_t> roots;
  // A reaped pid may already belong to someone else: only use it while sshd
  // has not been reaped.
  if (!process_->Poll()) roots.push_back(process_->pid());
  for (pid_t pid : FindProcessesByEnv(
           [&](absl::string_view entry) { return entry == marker_; })) {
    roots.push_back(pid);
  }
  KillProcessTrees(roots);
  (void)process_->Wait(absl::Seconds(10));
  process_.reset();
}

}  // namespace parley::testing
