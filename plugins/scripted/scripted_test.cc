// The scripted responder: rules files (every kind of mistake reported with
// its line and column), matching, the answer sources, the plugin loaded as a
// shared object (claims, unmatched prompts, round limits, a chain), and
// recording a conversation then replaying it from the rules made of it.
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/auth/routing.h"
#include "core/plugin/responder_plugin.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugins/scripted/rules.h"
#include "plugins/scripted/transcript.h"

namespace parley::scripted {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using ::testing::HasSubstr;

std::string Str(const SecureBuffer& b) {
  return std::string(b.begin(), b.end());
}

std::string TempFile(const std::string& name, const std::string& text,
                     fs::perms mode = fs::perms::owner_read |
                                      fs::perms::owner_write) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  fs::permissions(path, mode);
  return path;
}

struct BadRules {
  const char* text;
  const char* where;  // "line:column"
  const char* message;
};

TEST(RulesTest, MistakesNameTheirLineAndColumn) {
  const BadRules cases[] = {
      {"rounds = 2\n[[answer]\n", "2:", ""},  // TOML syntax
      {"colour = 1\n", "1:1", "unknown key \"colour\""},
      {"rounds = 0\n", "1:10", "rounds must be a number from 1"},
      {"rounds = \"two\"\n", "1:10", "rounds must be"},
      {"unmatched = \"ignore\"\n", "1:13", "unmatched must be"},
      {"answer = 3\n", "1:10", "array of tables"},
      {"[[answer]]\ntext = \"x\"\n", "1:1", "needs a prompt pattern"},
      {"[[answer]]\nprompt = \"P\"\n", "1:1", "exactly one of"},
      {"[[answer]]\nprompt = \"P\"\ntext = \"a\"\nenv = \"B\"\n", "1:1",
       "exactly one of"},
      {"[[answer]]\nprompt = \"(\"\ntext = \"a\"\n", "2:10",
       "not a valid RE2 pattern"},
      {"[[answer]]\nprompt = \"P\"\nname = 4\ntext = \"a\"\n", "3:8",
       "name must be a string"},
      {"[[answer]]\nprompt = \"P\"\nround = 0\ntext = \"a\"\n", "3:9",
       "round must be"},
      {"[[answer]]\nprompt = \"P\"\necho = 1\ntext = \"a\"\n", "3:8",
       "echo must be true or false"},
      {"[[answer]]\nprompt = \"P\"\ncommand = [\"pass\"]\n", "3:11",
       "absolute path"},
      {"[[answer]]\nprompt = \"P\"\ncommand = []\n", "3:11", "non-empty"},
      {"[[answer]]\nprompt = \"P\"\ncommand = [\"/bin/x\", 2]\n", "3:22",
       "arguments are strings"},
      {"[[answer]]\nprompt = \"P\"\nnext = false\n", "3:8",
       "next must be true"},
      {"[[answer]]\nprompt = \"P\"\ntext = \"a\"\nsecret = \"b\"\n", "4:10",
       "unknown key \"secret\""},
  };
  for (const BadRules& c : cases) {
    absl::StatusOr<Rules> r = ParseRules(c.text, "rules.toml");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(),
                HasSubstr(std::string("rules.toml:") + c.where))
        << c.text;
    EXPECT_THAT(r.status().message(), HasSubstr(c.message)) << c.text;
  }
  EXPECT_FALSE(ParseRules(std::string(2 << 20, '#'), "big.toml").ok());
  EXPECT_FALSE(LoadRules("/nonexistent/rules.toml").ok());
}

TEST(RulesTest, TheFirstMatchingRuleDecides) {
  absl::StatusOr<Rules> r = ParseRules(R"(
rounds = 3
[[answer]]
prompt = "^Password: $"
round = 2
text = "second"
[[answer]]
prompt = "^Password: $"
name = "^Corp$"
text = "corp"
[[answer]]
prompt = "(?i)password"
echo = false
text = "any"
[[answer]]
prompt = "Code"
instruction = "phone"
next = true
)",
                                       "r.toml");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rounds, 3);
  EXPECT_TRUE(r->fail_unmatched);
  auto text = [&](int round, const char* name, const char* prompt, bool echo) {
    const Rule* rule = Match(*r, round, name, "", prompt, echo);
    return rule == nullptr ? std::string("-") : rule->text;
  };
  EXPECT_EQ(text(2, "Corp", "Password: ", false), "second");
  EXPECT_EQ(text(1, "Corp", "Password: ", false), "corp");
  EXPECT_EQ(text(1, "Other", "Password: ", false), "any");
  EXPECT_EQ(text(1, "Other", "PASSWORD", true), "-");  // echo differs
  EXPECT_EQ(Match(*r, 1, "", "on your phone", "Code: ", false)->source,
            Rule::Source::kNext);
  EXPECT_EQ(Match(*r, 1, "", "by mail", "Code: ", false), nullptr);
}

TEST(RulesTest, AnswersFromEachSource) {
  ::setenv("PARLEY_SCRIPTED_TEST_ANSWER", "from env", 1);
  const std::string secret = TempFile("answer_600", "from file\nsecond\n");
  const std::string open = TempFile(
      "answer_644", "x\n",
      fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  absl::StatusOr<Rules> r = ParseRules(
      "[[answer]]\nprompt = \"a\"\ntext = \"literal\"\n"
      "[[answer]]\nprompt = \"b\"\nenv = \"PARLEY_SCRIPTED_TEST_ANSWER\"\n"
      "[[answer]]\nprompt = \"c\"\nfile = \"" +
          secret +
          "\"\n"
          "[[answer]]\nprompt = \"d\"\ncommand = [\"/bin/echo\", \"from\", "
          "\"command\"]\n"
          "[[answer]]\nprompt = \"e\"\nenv = \"PARLEY_SCRIPTED_TEST_UNSET\"\n"
          "[[answer]]\nprompt = \"f\"\nfile = \"" +
          open +
          "\"\n"
          "[[answer]]\nprompt = \"g\"\ncommand = [\"/bin/false\"]\n"
          "[[answer]]\nprompt = \"h\"\ncommand = [\"/bin/sleep\", \"20\"]\n"
          "[[answer]]\nprompt = \"i\"\ncommand = [\"/nonexistent/cmd\"]\n"
          "[[answer]]\nprompt = \"j\"\nfile = \"/nonexistent/file\"\n"
          "[[answer]]\nprompt = \"k\"\ncommand = [\"/bin/sh\", \"-c\", "
          "\"echo early; exec >&-; sleep 20\"]\n"
          "[[answer]]\nprompt = \"l\"\ncommand = [\"/bin/sh\", \"-c\", "
          "\"read x || echo stdin-closed; ls /proc/self/fd | wc -l\"]\n",
      "r.toml");
  ASSERT_TRUE(r.ok()) << r.status();
  auto answer = [&](const char* prompt) {
    const Rule* rule = Match(*r, 1, "", "", prompt, false);
    EXPECT_NE(rule, nullptr) << prompt;
    return Answer(*rule, std::chrono::steady_clock::now() + milliseconds(300));
  };
  EXPECT_EQ(Str(*answer("a")), "literal");
  EXPECT_EQ(Str(*answer("b")), "from env");
  EXPECT_EQ(Str(*answer("c")), "from file");
  EXPECT_EQ(Str(*answer("d")), "from command");
  EXPECT_THAT(answer("e").status().message(),
              HasSubstr("$PARLEY_SCRIPTED_TEST_UNSET is not set"));
  EXPECT_THAT(answer("f").status().message(), HasSubstr("chmod 600"));
  EXPECT_THAT(answer("g").status().message(), HasSubstr("/bin/false failed"));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(answer("h").status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_THAT(answer("i").status().message(), HasSubstr("cannot run"));
  EXPECT_THAT(answer("j").status().message(), HasSubstr("cannot open"));
  // A line, then no exit: killed at the deadline, not waited for forever.
  const auto k_start = std::chrono::steady_clock::now();
  EXPECT_THAT(answer("k").status().message(),
              HasSubstr("did not exit in time"));
  EXPECT_LT(std::chrono::steady_clock::now() - k_start,
            std::chrono::seconds(5));
  // stdin is /dev/null: a command cannot read the program's input.
  EXPECT_EQ(Str(*answer("l")), "stdin-closed");
}

std::shared_ptr<plugin::ResponderPlugin> Plugin() {
  plugin::PluginFinder finder({"plugins/scripted"}, false);
  auto p = finder.Find("scripted");
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : nullptr;
}

auth::Challenge Round(int round, std::vector<auth::Prompt> prompts) {
  auth::Challenge c;
  c.round = round;
  c.user = "alice";
  c.host = "db1.example";
  c.port = 2222;
  c.host_key_fingerprint = "SHA256:abc";
  c.request.name = "Corp";
  c.request.prompts = std::move(prompts);
  return c;
}

// Answers every prompt it is given with kOther.
const std::string kOther = "answered by the other responder";
class Other : public auth::PartialResponder {
 public:
  std::string name() const override { return "other"; }
  std::vector<bool> Claim(const auth::Challenge& c) override {
    return std::vector<bool>(c.request.prompts.size(), true);
  }
  auth::ResponderStatus Respond(const auth::Challenge&,
                                const std::vector<bool>& asked,
                                std::vector<SecureBuffer>* answers) override {
    for (size_t i = 0; i < asked.size(); ++i) {
      if (asked[i]) (*answers)[i] = SecureBuffer(kOther.begin(), kOther.end());
    }
    return auth::ResponderStatus::kAnswered;
  }
};

TEST(ScriptedPluginTest, RefusesABadConfiguration) {
  auto p = Plugin();
  ASSERT_NE(p, nullptr);
  EXPECT_THAT(p->NewInstance({}, nullptr).status().message(),
              HasSubstr("rules=PATH, record=PATH or both"));
  EXPECT_THAT(p->NewInstance({{"colour", "x"}}, nullptr).status().message(),
              HasSubstr("unknown option \"colour\""));
  const std::string bad = TempFile("bad_rules.toml", "[[answer]]\nx = 1\n");
  EXPECT_THAT(p->NewInstance({{"rules", bad}}, nullptr).status().message(),
              HasSubstr("bad_rules.toml:2:5: unknown key \"x\""));
  EXPECT_THAT(p->NewInstance({{"rules", bad}, {"timeout", "0"}}, nullptr)
                  .status()
                  .message(),
              HasSubstr("timeout must be"));
}

TEST(ScriptedPluginTest, AnswersByRulesAndLeavesTheRestToTheChain) {
  const std::string rules = TempFile("chain_rules.toml", R"(
unmatched = "decline"
[[answer]]
prompt = "^Password: $"
text = "hunter2"
[[answer]]
prompt = "Code"
next = true
)");
  auto p = Plugin();
  ASSERT_NE(p, nullptr);
  auto inst = p->NewInstance({{"rules", rules}}, nullptr);
  ASSERT_TRUE(inst.ok()) << inst.status();
  auth::RoutingResponder chain;
  chain.Add(*inst);
  chain.Add(std::make_shared<Other>());
  std::vector<SecureBuffer> answers;
  ASSERT_EQ(chain.Respond(Round(1, {{"Password: ", false},
                                    {"Code: ", false},
                                    {"Team: ", true}}),
                          &answers),
            auth::ResponderStatus::kAnswered);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(Str(answers[0]), "hunter2");
  EXPECT_EQ(Str(answers[1]), kOther);  // next = true
  EXPECT_EQ(Str(answers[2]), kOther);  // unmatched, declined
}

TEST(ScriptedPluginTest, AnUnmatchedPromptFailsTheLoginNamingIt) {
  const std::string rules = TempFile(
      "fail_rules.toml",
      "rounds = 1\n[[answer]]\nprompt = \"^Password: $\"\ntext = \"pw\"\n");
  auto p = Plugin();
  ASSERT_NE(p, nullptr);
  auto inst = p->NewInstance({{"rules", rules}}, nullptr);
  ASSERT_TRUE(inst.ok()) << inst.status();
  auth::RoutingResponder chain;
  chain.Add(*inst);
  chain.Add(std::make_shared<Other>());  // never reached: unmatched = fail
  std::vector<SecureBuffer> answers;
  EXPECT_EQ(chain.Respond(Round(1, {{"Password: ", false},
                                    {"Favourite \"colour\"", true}}),
                          &answers),
            auth::ResponderStatus::kCancel);
  EXPECT_THAT(chain.failure().message(),
              HasSubstr("no rule answers prompt 2 of round 1 "
                        "(\"Favourite \\\"colour\\\"\")"));
  EXPECT_TRUE(answers.empty());

  // A second round where the rules expect one.
  ASSERT_EQ(chain.Respond(Round(1, {{"Password: ", false}}), &answers),
            auth::ResponderStatus::kAnswered);
  EXPECT_EQ(chain.Respond(Round(2, {{"Password: ", false}}), &answers),
            auth::ResponderStatus::kCancel);
  EXPECT_THAT(chain.failure().message(),
              HasSubstr("round 2 but the rules expect at most 1"));
}

TEST(ScriptedPluginTest, RecordsAConversationAndReplaysItFromRulesMadeOfIt) {
  const std::string transcript = ::testing::TempDir() + "/conversation.toml";
  fs::remove(transcript);
  auto p = Plugin();
  ASSERT_NE(p, nullptr);
  auto recorder = p->NewInstance({{"record", transcript}}, nullptr);
  ASSERT_TRUE(recorder.ok()) << recorder.status();
  auth::RoutingResponder chain;
  chain.Add(*recorder);
  chain.Add(std::make_shared<Other>());
  // Text a naive writer would get wrong: quotes, backslashes, regex
  // metacharacters, a newline, UTF-8 and a byte that is not UTF-8.
  const std::vector<auth::Challenge> rounds = {
      Round(1, {{"Password (a.k.a. \"pw\") [*]: ", false},
                {"Grüße\\n\nnext line? ", true}}),
      Round(2, {}),
      Round(3, {{std::string("Code \xff: "), false}}),
  };
  for (const auth::Challenge& c : rounds) {
    std::vector<SecureBuffer> answers;
    ASSERT_EQ(chain.Respond(c, &answers), auth::ResponderStatus::kAnswered);
    EXPECT_EQ(answers.size(), c.request.prompts.size());
  }
  struct stat st;
  ASSERT_EQ(::stat(transcript.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(transcript);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_THAT(text.str(), ::testing::Not(HasSubstr(kOther)));  // no answer
  absl::StatusOr<Transcript> t = ParseTranscript(text.str(), transcript);
  ASSERT_TRUE(t.ok()) << t.status() << "\n" << text.str();
  EXPECT_EQ(t->user, "alice");
  EXPECT_EQ(t->server, "db1.example:2222");
  EXPECT_EQ(t->host_key, "SHA256:abc");
  ASSERT_EQ(t->rounds.size(), 3u);
  EXPECT_EQ(t->rounds[0].prompts[0].text, "Password (a.k.a. \"pw\") [*]: ");
  EXPECT_EQ(t->rounds[0].prompts[0].prompt_class, "password");
  EXPECT_EQ(t->rounds[0].prompts[1].text, "Grüße\\n\nnext line? ");
  EXPECT_TRUE(t->rounds[0].prompts[1].echo);
  EXPECT_TRUE(t->rounds[1].prompts.empty());
  EXPECT_EQ(t->rounds[2].prompts[0].text, "Code \xef\xbf\xbd: ");

  // The rules made from it answer the same conversation from variables.
  const std::string rules_text = RulesFromTranscript(*t);
  const std::string rules = TempFile("replay_rules.toml", rules_text);
  ::setenv(AnswerVariable(1, 1).c_str(), "a1", 1);
  ::setenv(AnswerVariable(1, 2).c_str(), "a2", 1);
  ::setenv(AnswerVariable(3, 1).c_str(), "a3", 1);
  auto replay = p->NewInstance({{"rules", rules}}, nullptr);
  ASSERT_TRUE(replay.ok()) << replay.status() << "\n" << rules_text;
  auth::RoutingResponder replay_chain;
  replay_chain.Add(*replay);
  std::vector<std::string> got;
  for (auth::Challenge c : rounds) {
    if (c.round == 3) c.request.prompts[0].text = "Code \xef\xbf\xbd: ";
    std::vector<SecureBuffer> answers;
    ASSERT_EQ(replay_chain.Respond(c, &answers),
              auth::ResponderStatus::kAnswered)
        << replay_chain.failure() << "\n"
        << rules_text;
    for (const SecureBuffer& a : answers) got.push_back(Str(a));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"a1", "a2", "a3"}));
  // A prompt the conversation did not have fails.
  std::vector<SecureBuffer> answers;
  EXPECT_EQ(replay_chain.Respond(Round(1, {{"Password: ", false}}), &answers),
            auth::ResponderStatus::kCancel);
}

TEST(TranscriptTest, BadTranscriptsNameTheirLineAndColumn) {
  EXPECT_THAT(ParseTranscript("round = 3\n", "t.toml").status().message(),
              HasSubstr("t.toml:1:9: round must be an array"));
  EXPECT_THAT(
      ParseTranscript("[[round]]\nname = \"x\"\n", "t.toml").status().message(),
      HasSubstr("t.toml:1:1: a round needs its number"));
  EXPECT_THAT(
      ParseTranscript("[[round]]\nround = 1\n[[round.prompt]]\necho = true\n",
                      "t.toml")
          .status()
          .message(),
      HasSubstr("t.toml:3:1: a prompt needs its text"));
  EXPECT_THAT(ParseTranscript("user = 1\n", "t.toml").status().message(),
              HasSubstr("t.toml:1:8: user must be a string"));
  EXPECT_FALSE(ParseTranscript("[[round\n", "t.toml").ok());
}

}  // namespace
}  // namespace parley::scripted
