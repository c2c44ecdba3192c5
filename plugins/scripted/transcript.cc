#include "plugins/scripted/transcript.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/auth/kbdint.h"
#include "plugins/scripted/toml_text.h"
#include "re2/re2.h"

namespace parley::scripted {
namespace {

std::string Utf8(absl::string_view s) { return auth::ToValidUtf8(s); }

// A TOML basic string literal of `s` (valid UTF-8).
std::string Quote(const std::string& s) {
  std::ostringstream out;
  out << toml::toml_formatter(toml::table{{"v", s}});
  // "v = <literal>"
  std::string line = out.str();
  const size_t eq = line.find(" = ");
  return line.substr(eq + 3);
}

// Reads string `key` of `t` into `out`; absent is empty.
absl::Status GetString(absl::string_view path, const toml::table& t,
                       const char* key, std::string* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return absl::OkStatus();
  const auto* s = n->as_string();
  if (s == nullptr) {
    return TomlError(path, n->source(), absl::StrCat(key, " must be a string"));
  }
  *out = s->get();
  return absl::OkStatus();
}

}  // namespace

std::string FormatTranscript(const Transcript& t) {
  toml::table doc;
  doc.insert("user", Utf8(t.user));
  doc.insert("server", Utf8(t.server));
  doc.insert("host_key", Utf8(t.host_key));
  toml::array rounds;
  for (const RecordedRound& r : t.rounds) {
    toml::table round;
    round.insert("round", r.round);
    round.insert("name", Utf8(r.name));
    round.insert("instruction", Utf8(r.instruction));
    round.insert("language", Utf8(r.language));
    toml::array prompts;
    for (const RecordedPrompt& p : r.prompts) {
      prompts.push_back(toml::table{
          {"text", Utf8(p.text)}, {"echo", p.echo}, {"class", p.prompt_class}});
    }
    round.insert("prompt", std::move(prompts));
    rounds.push_back(std::move(round));
  }
  doc.insert("round", std::move(rounds));
  std::ostringstream out;
  out << "# A keyboard-interactive conversation recorded by "
         "parley.responder.scripted.\n"
         "# Answers are never recorded. Make replay rules with\n"
         "# parley-transcript-to-rules.\n"
      << toml::toml_formatter(doc) << "\n";
  return out.str();
}

absl::StatusOr<Transcript> ParseTranscript(absl::string_view text,
                                           absl::string_view path) {
  absl::StatusOr<toml::table> parsed =
      ParseToml(text, path, kMaxTranscript, "transcript");
  if (!parsed.ok()) return parsed.status();
  const toml::table& doc = *parsed;
  Transcript t;
  for (auto [key, out] : {std::pair<const char*, std::string*>{"user", &t.user},
                          {"server", &t.server},
                          {"host_key", &t.host_key}}) {
    if (absl::Status s = GetString(path, doc, key, out); !s.ok()) return s;
  }
  const toml::node* rounds = doc.get("round");
  if (rounds == nullptr) return t;
  const auto* list = rounds->as_array();
  if (list == nullptr) {
    return TomlError(path, rounds->source(),
                     "round must be an array of tables");
  }
  for (const toml::node& item : *list) {
    const auto* rt = item.as_table();
    if (rt == nullptr) {
      return TomlError(path, item.source(), "each round must be a table");
    }
    RecordedRound r;
    const auto* number = rt->get_as<int64_t>("round");
    if (number == nullptr || number->get() < 1 || number->get() > 100000) {
      return TomlError(path, item.source(),
                       "a round needs its number (round = N)");
    }
    r.round = static_cast<int>(number->get());
    for (auto [key, out] :
         {std::pair<const char*, std::string*>{"name", &r.name},
          {"instruction", &r.instruction},
          {"language", &r.language}}) {
      if (absl::Status s = GetString(path, *rt, key, out); !s.ok()) return s;
    }
    if (const toml::node* prompts = rt->get("prompt"); prompts != nullptr) {
      const auto* plist = prompts->as_array();
      if (plist == nullptr) {
        return TomlError(path, prompts->source(),
                         "prompt must be an array of tables");
      }
      for (const toml::node& pnode : *plist) {
        const auto* pt = pnode.as_table();
        if (pt == nullptr || pt->get_as<std::string>("text") == nullptr) {
          return TomlError(path, pnode.source(), "a prompt needs its text");
        }
        RecordedPrompt p;
        p.text = pt->get_as<std::string>("text")->get();
        if (const auto* e = pt->get_as<bool>("echo")) p.echo = e->get();
        if (const auto* c = pt->get_as<std::string>("class")) {
          p.prompt_class = c->get();
        }
        r.prompts.push_back(std::move(p));
      }
    }
    t.rounds.push_back(std::move(r));
  }
  return t;
}

std::string AnswerVariable(int round, int prompt) {
  return absl::StrCat("PARLEY_ANSWER_R", round, "_P", prompt);
}

std::string RulesFromTranscript(const Transcript& t) {
  std::string out = absl::StrCat(
      "# Replays a keyboard-interactive conversation",
      t.server.empty() ? "" : absl::StrCat(" with ", Utf8(t.server)),
      t.user.empty() ? "" : absl::StrCat(" as ", Utf8(t.user)),
      ".\n# Each answer comes from the environment variable named.\n");
  int last_round = 0;
  for (const RecordedRound& r : t.rounds)
    last_round = std::max(last_round, r.round);
  if (last_round > 0) absl::StrAppend(&out, "rounds = ", last_round, "\n");
  absl::StrAppend(&out, "unmatched = \"fail\"\n");
  for (const RecordedRound& r : t.rounds) {
    for (size_t i = 0; i < r.prompts.size(); ++i) {
      const RecordedPrompt& p = r.prompts[i];
      absl::StrAppend(&out, "\n[[answer]]\nround = ", r.round, "\n");
      if (!r.name.empty()) {
        absl::StrAppend(&out, "name = ",
                        Quote("^" + RE2::QuoteMeta(Utf8(r.name)) + "$"), "\n");
      }
      absl::StrAppend(
          &out, "prompt = ", Quote("^" + RE2::QuoteMeta(Utf8(p.text)) + "$"),
          "\necho = ", p.echo ? "true" : "false", "\nenv = \"",
          AnswerVariable(r.round, static_cast<int>(i) + 1), "\"\n");
    }
  }
  return out;
}

}  // namespace parley::scripted
