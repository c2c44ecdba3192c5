// The terminal responder as a loaded plugin: on a pseudo-terminal (echo off
// for secrets, server text made safe), through SSH_ASKPASS, and refusing
// when it has neither.
#include <fcntl.h>
#include <pty.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "core/plugin/responder_plugin.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace parley::tty {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::shared_ptr<plugin::ResponderPlugin> Plugin() {
  plugin::PluginFinder finder({"plugins/terminal"}, false);
  auto p = finder.Find("terminal");
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : nullptr;
}

auth::Challenge Round() {
  auth::Challenge c;
  c.round = 1;
  c.request.name = "Corp login";
  c.request.instruction = "Be careful \x1b[31mred\x1b[0m";
  c.request.prompts.push_back({"Password: ", false});
  c.request.prompts.push_back({"Team: ", true});
  return c;
}

TEST(TerminalTest, AsksOnTheTerminalWithEchoOffForSecrets) {
  int master, slave;
  char name[256];
  ASSERT_EQ(openpty(&master, &slave, name, nullptr, nullptr), 0);
  auto p = Plugin();
  ASSERT_NE(p, nullptr);
  auto inst = p->NewInstance({{"tty", name}, {"askpass", "never"}}, nullptr);
  ASSERT_TRUE(inst.ok()) << inst.status();
  std::string seen;
  std::thread user([&] {
    char buf[512];
    auto wait_for = [&](const std::string& what) {
      while (seen.find(what) == std::string::npos) {
        const ssize_t n = read(master, buf, sizeof(buf));
        if (n <= 0) return;
        seen.append(buf, static_cast<size_t>(n));
      }
    };
    wait_for("Password: ");
    // Echo is off while the password is typed.
    termios t{};
    tcgetattr(slave, &t);
    EXPECT_EQ(t.c_lflag & ECHO, 0u);
    (void)!write(master, "s3cret\n", 7);
    wait_for("Team: ");
    (void)!write(master, "blue\n", 5);
    wait_for("blue");
  });
  std::vector<SecureBuffer> answers(2);
  const auth::Challenge c = Round();
  EXPECT_EQ((*inst)->Respond(c, {true, true}, &answers),
            auth::ResponderStatus::kAnswered);
  user.join();
  EXPECT_EQ(std::string(answers[0].begin(), answers[0].end()), "s3cret");
  EXPECT_EQ(std::string(answers[1].begin(), answers[1].end()), "blue");
  EXPECT_THAT(seen, HasSubstr("Corp login"));
  // The escape sequence is shown, not obeyed; the password never echoed.
  EXPECT_THAT(seen, HasSubstr("\\x1b[31m"));
  EXPECT_EQ(seen.find('\x1b'), std::string::npos);
  EXPECT_EQ(seen.find("s3cret"), std::string::npos);
  close(master);
  close(slave);
}

TEST(TerminalTest, AsksThroughAskpassWhenForced) {
  const fs::path dir = fs::path(::testing::TempDir()) / "askpass";
  fs::create_directories(dir);
  const std::string script = (dir / "askpass.sh").string();
  std::ofstream(script) << "#!/bin/sh\necho \"ask:$1:${SSH_ASKPASS_PROMPT}\"\n";
  chmod(script.c_str(), 0755);
  setenv("SSH_ASKPASS", script.c_str(), 1);
  setenv("SSH_ASKPASS_REQUIRE", "force", 1);
  auto p = Plugin();
  ASSERT_NE(p, nullptr);
  auto inst = p->NewInstance({{"tty", "/nonexistent/tty"}}, nullptr);
  ASSERT_TRUE(inst.ok()) << inst.status();
  auth::Challenge c;
  c.round = 1;
  c.request.prompts.push_back({"PIN: ", false});
  c.request.prompts.push_back({"Really (yes/no)? ", true});
  std::vector<SecureBuffer> answers(2);
  EXPECT_EQ((*inst)->Respond(c, {true, true}, &answers),
            auth::ResponderStatus::kAnswered);
  EXPECT_EQ(std::string(answers[0].begin(), answers[0].end()), "ask:PIN: :");
  EXPECT_EQ(std::string(answers[1].begin(), answers[1].end()),
            "ask:Really (yes/no)? :confirm");
  // An askpass program that fails gives no answer.
  std::ofstream(script) << "#!/bin/sh\nexit 1\n";
  std::vector<SecureBuffer> none(2);
  EXPECT_EQ((*inst)->Respond(c, {true, false}, &none),
            auth::ResponderStatus::kCancel);
  EXPECT_THAT(std::string((*inst)->failure().message()),
              HasSubstr("no answer"));
  unsetenv("SSH_ASKPASS");
  unsetenv("SSH_ASKPASS_REQUIRE");
}

TEST(TerminalTest, NoTerminalAndNoAskpassIsAClearError) {
  unsetenv("DISPLAY");
  unsetenv("WAYLAND_DISPLAY");
  auto p = Plugin();
  ASSERT_NE(p, nullptr);
  auto inst = p->NewInstance(
      {{"tty", "/nonexistent/tty"}, {"askpass", "never"}}, nullptr);
  ASSERT_TRUE(inst.ok());
  std::vector<SecureBuffer> answers(2);
  EXPECT_EQ((*inst)->Respond(Round(), {true, false}, &answers),
            auth::ResponderStatus::kCancel);
  EXPECT_THAT(std::string((*inst)->failure().message()),
              HasSubstr("no terminal to ask on"));
  EXPECT_FALSE(p->NewInstance({{"askpass", "sometimes"}}, nullptr).ok());
}

// tty= naming a file that is not a terminal: refused, and the file is
// never written (a server's text must not land in it).
TEST(TerminalTest, ATtyThatIsNotATerminalIsRefusedAndLeftAlone) {
  unsetenv("DISPLAY");
  unsetenv("WAYLAND_DISPLAY");
  const std::string file = ::testing::TempDir() + "/not_a_tty";
  std::ofstream(file) << "precious\n";
  auto p = Plugin();
  ASSERT_NE(p, nullptr);
  auto inst = p->NewInstance({{"tty", file}, {"askpass", "never"}}, nullptr);
  ASSERT_TRUE(inst.ok());
  std::vector<SecureBuffer> answers(2);
  EXPECT_EQ((*inst)->Respond(Round(), {true, false}, &answers),
            auth::ResponderStatus::kCancel);
  EXPECT_THAT(std::string((*inst)->failure().message()),
              HasSubstr("is not a terminal"));
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "precious\n");
}

}  // namespace
}  // namespace parley::tty
