#include "plugins/scripted/rules.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/file.h"
#include "plugins/scripted/toml_text.h"

extern char** environ;

namespace parley::scripted {
namespace {

constexpr size_t kMaxRulesFile = 1 << 20;
constexpr size_t kMaxAnswer = 4096;

absl::StatusOr<std::unique_ptr<RE2>> Regex(absl::string_view path,
                                           const toml::node& node,
                                           absl::string_view key) {
  const auto* s = node.as_string();
  if (s == nullptr) {
    return TomlError(path, node.source(),
                     absl::StrCat(key, " must be a string"));
  }
  RE2::Options o;
  o.set_log_errors(false);
  auto re = std::make_unique<RE2>(s->get(), o);
  if (!re->ok()) {
    return TomlError(
        path, node.source(),
        absl::StrCat(key, " is not a valid RE2 pattern: ", re->error()));
  }
  return re;
}

using SteadyTime = std::chrono::steady_clock::time_point;

// Waits for `pid` to exit until `deadline`, reading and discarding what
// else it writes to `fd` (so that it is not killed by SIGPIPE), then kills
// it. Its wait status, or nullopt if it had to be killed.
absl::optional<int> Reap(pid_t pid, int fd, SteadyTime deadline) {
  int status = 0;
  char sink[256];
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      SecureWipe(sink, sizeof(sink));
      return status;
    }
    if (r < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() >= deadline) break;
    pollfd pfd = {fd, POLLIN, 0};
    if (fd >= 0 && ::poll(&pfd, 1, 5) > 0) {
      if (::read(fd, sink, sizeof(sink)) <= 0) fd = -1;  // closed: just wait
    } else if (fd < 0) {
      ::usleep(5000);
    }
  }
  SecureWipe(sink, sizeof(sink));
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return absl::nullopt;
}

}  // namespace

absl::StatusOr<Rules> ParseRules(absl::string_view text,
                                 absl::string_view path) {
  absl::StatusOr<toml::table> parsed =
      ParseToml(text, path, kMaxRulesFile, "rules file");
  if (!parsed.ok()) return parsed.status();
  const toml::table& doc = *parsed;
  Rules rules;
  for (const auto& [key, node] : doc) {
    const std::string_view k = key.str();
    if (k == "rounds") {
      const auto* v = node.as_integer();
      if (v == nullptr || v->get() < 1 || v->get() > 1000) {
        return TomlError(path, node.source(), "rounds must be a number from 1");
      }
      rules.rounds = static_cast<int>(v->get());
    } else if (k == "unmatched") {
      const auto* v = node.as_string();
      if (v == nullptr || (v->get() != "fail" && v->get() != "decline")) {
        return TomlError(path, node.source(),
                         "unmatched must be \"fail\" or "
                         "\"decline\"");
      }
      rules.fail_unmatched = v->get() == "fail";
    } else if (k == "answer") {
      const auto* list = node.as_array();
      if (list == nullptr) {
        return TomlError(path, node.source(),
                         "answer must be an array of tables "
                         "([[answer]])");
      }
      for (const toml::node& item : *list) {
        const auto* t = item.as_table();
        if (t == nullptr) {
          return TomlError(path, item.source(), "each answer must be a table");
        }
        Rule rule;
        rule.line = static_cast<int>(item.source().begin.line);
        int sources = 0;
        for (const auto& [rkey, rnode] : *t) {
          const std::string_view rk = rkey.str();
          if (rk == "prompt" || rk == "name" || rk == "instruction") {
            absl::StatusOr<std::unique_ptr<RE2>> re =
                Regex(path, rnode, std::string(rk));
            if (!re.ok()) return re.status();
            (rk == "prompt" ? rule.prompt
             : rk == "name" ? rule.name
                            : rule.instruction) = *std::move(re);
          } else if (rk == "round") {
            const auto* v = rnode.as_integer();
            if (v == nullptr || v->get() < 1) {
              return TomlError(path, rnode.source(),
                               "round must be a number from 1");
            }
            rule.round = static_cast<int>(v->get());
          } else if (rk == "echo") {
            const auto* v = rnode.as_boolean();
            if (v == nullptr) {
              return TomlError(path, rnode.source(),
                               "echo must be true or false");
            }
            rule.echo = v->get();
          } else if (rk == "text" || rk == "env" || rk == "file") {
            const auto* v = rnode.as_string();
            if (v == nullptr) {
              return TomlError(
                  path, rnode.source(),
                  absl::StrCat(std::string(rk), " must be a string"));
            }
            rule.text = v->get();
            rule.source = rk == "text"  ? Rule::Source::kText
                          : rk == "env" ? Rule::Source::kEnv
                                        : Rule::Source::kFile;
            ++sources;
          } else if (rk == "command") {
            const auto* v = rnode.as_array();
            if (v == nullptr || v->empty()) {
              return TomlError(path, rnode.source(),
                               "command must be a non-empty array of strings");
            }
            for (const toml::node& arg : *v) {
              const auto* s = arg.as_string();
              if (s == nullptr) {
                return TomlError(path, arg.source(),
                                 "command arguments are strings");
              }
              rule.command.push_back(s->get());
            }
            if (rule.command.front().empty() ||
                rule.command.front().front() != '/') {
              return TomlError(path, rnode.source(),
                               "command must start with an absolute path");
            }
            rule.source = Rule::Source::kCommand;
            ++sources;
          } else if (rk == "next") {
            const auto* v = rnode.as_boolean();
            if (v == nullptr || !v->get()) {
              return TomlError(path, rnode.source(), "next must be true");
            }
            rule.source = Rule::Source::kNext;
            ++sources;
          } else {
            return TomlError(
                path, rnode.source(),
                absl::StrCat("unknown key \"", std::string(rk), "\""));
          }
        }
        if (rule.prompt == nullptr) {
          return TomlError(path, item.source(),
                           "an answer needs a prompt pattern");
        }
        if (sources != 1) {
          return TomlError(
              path, item.source(),
              "an answer needs exactly one of text, env, file, command "
              "or next");
        }
        rules.rules.push_back(std::move(rule));
      }
    } else {
      return TomlError(path, node.source(),
                       absl::StrCat("unknown key \"", std::string(k), "\""));
    }
  }
  return rules;
}

absl::StatusOr<Rules> LoadRules(const std::string& path) {
  FileRules rules;
  rules.what = "rules file";
  rules.max_bytes = kMaxRulesFile;
  // A rules file decides what is answered (and which commands run).
  rules.access = FileRules::Access::kTrusted;
  absl::StatusOr<std::string> text = ReadSmallFile(path, rules);
  if (!text.ok()) return text.status();
  return ParseRules(*text, path);
}

const Rule* Match(const Rules& rules, int round, absl::string_view name,
                  absl::string_view instruction, absl::string_view prompt,
                  bool echo) {
  auto piece = [](absl::string_view s) {
    return re2::StringPiece(s.data(), s.size());
  };
  for (const Rule& r : rules.rules) {
    if (r.round.has_value() && *r.round != round) continue;
    if (r.echo.has_value() && *r.echo != echo) continue;
    if (r.name != nullptr && !RE2::PartialMatch(piece(name), *r.name)) continue;
    if (r.instruction != nullptr &&
        !RE2::PartialMatch(piece(instruction), *r.instruction)) {
      continue;
    }
    if (!RE2::PartialMatch(piece(prompt), *r.prompt)) continue;
    return &r;
  }
  return nullptr;
}

absl::StatusOr<SecureBuffer> Answer(
    const Rule& rule, std::chrono::steady_clock::time_point deadline) {
  switch (rule.source) {
    case Rule::Source::kText:
      return SecureBuffer(rule.text.begin(), rule.text.end());
    case Rule::Source::kEnv: {
      const char* v = std::getenv(rule.text.c_str());
      if (v == nullptr) {
        return absl::NotFoundError(absl::StrCat(
            "rule of line ", rule.line, ": $", rule.text, " is not set"));
      }
      return SecureBuffer(v, v + std::strlen(v));
    }
    case Rule::Source::kFile: {
      FileRules rules;
      rules.what = "answer file";
      rules.max_bytes = kMaxAnswer + 2;  // the line and its end
      rules.access = FileRules::Access::kPrivate;
      rules.no_follow = true;
      absl::StatusOr<SecureBuffer> text = ReadSecretFile(rule.text, rules);
      if (!text.ok()) {
        return absl::Status(text.status().code(),
                            absl::StrCat("rule of line ", rule.line, ": ",
                                         text.status().message()));
      }
      // Its first line.
      SecureBuffer line;
      for (uint8_t c : *text) {
        if (c == '\n') break;
        if (c != '\r') line.push_back(c);
      }
      return line;
    }
    case Rule::Source::kCommand: {
      int out[2];
      if (::pipe2(out, O_CLOEXEC) != 0) {
        return absl::InternalError("pipe failed");
      }
      // stdin from /dev/null, the answer on stdout, stderr kept for its
      // messages, nothing else inherited (the program's sockets included).
      posix_spawn_file_actions_t actions;
      posix_spawn_file_actions_init(&actions);
      posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                       O_RDONLY, 0);
      posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
      posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
      std::vector<std::string> args = rule.command;
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      pid_t pid;
      const int rc = ::posix_spawn(&pid, args[0].c_str(), &actions, nullptr,
                                   argv.data(), environ);
      posix_spawn_file_actions_destroy(&actions);
      ::close(out[1]);
      if (rc != 0) {
        ::close(out[0]);
        return absl::FailedPreconditionError(
            absl::StrCat("rule of line ", rule.line, ": cannot run ", args[0],
                         ": ", std::strerror(rc)));
      }
      LineRead first_line;
      first_line.max_bytes = kMaxAnswer;
      first_line.deadline = deadline;
      absl::StatusOr<SecureBuffer> line = ReadSecretLine(out[0], first_line);
      const absl::optional<int> status = Reap(
          pid, out[0], line.ok() ? deadline : std::chrono::steady_clock::now());
      ::close(out[0]);
      if (!line.ok()) {
        return absl::Status(
            line.status().code(),
            absl::StrCat("rule of line ", rule.line, ": ", args[0], ": ",
                         line.status().message()));
      }
      if (!status.has_value()) {
        return absl::DeadlineExceededError(
            absl::StrCat("rule of line ", rule.line, ": ", args[0],
                         " did not exit in time"));
      }
      if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
        return absl::FailedPreconditionError(
            absl::StrCat("rule of line ", rule.line, ": ", args[0], " failed"));
      }
      return line;
    }
    case Rule::Source::kNext:
      break;
  }
  return absl::InternalError("a delegated prompt has no answer here");
}

}  // namespace parley::scripted
