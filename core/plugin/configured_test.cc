// Where a libssh2 program's responders come from: $PARLEY_RESPONDERS, else
// the user's file; mistakes name their source (and line); the chain is
// built from plugin folders only, by name.
#include "core/plugin/configured.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace parley::plugin {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class Env {
 public:
  Env& Set(const std::string& k, const std::string& v) {
    vars_[k] = v;
    return *this;
  }
  GetEnv Get() const {
    return [this](const char* name) -> const char* {
      auto it = vars_.find(name);
      return it == vars_.end() ? nullptr : it->second.c_str();
    };
  }

 private:
  std::map<std::string, std::string> vars_;
};

// $XDG_CONFIG_HOME with parley/responders holding `text` (mode `mode`).
std::string ConfigHome(const std::string& name, const std::string& text,
                       mode_t mode = 0644) {
  const fs::path home = fs::path(::testing::TempDir()) / name;
  fs::create_directories(home / "parley");
  const fs::path file = home / "parley" / "responders";
  std::ofstream(file) << text;
  ::chmod(file.c_str(), mode);
  return home.string();
}

TEST(ConfiguredTest, NothingConfiguredMeansNoChain) {
  Env env;
  auto c = ConfiguredResponderSpecs(env.Get());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->specs.empty());
  // A home without the file.
  env.Set("HOME", "/nonexistent");
  c = ConfiguredResponderSpecs(env.Get());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->specs.empty());
}

TEST(ConfiguredTest, TheVariableComesFirst) {
  Env env;
  env.Set("XDG_CONFIG_HOME", ConfigHome("var_first", "scripted:rules=/r\n"));
  env.Set("PARLEY_RESPONDERS", "otp:secret-file=/s,skew=1; terminal");
  auto c = ConfiguredResponderSpecs(env.Get());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->source, "$PARLEY_RESPONDERS");
  ASSERT_EQ(c->specs.size(), 2u);
  EXPECT_EQ(c->specs[0].name, "otp");
  EXPECT_EQ(c->specs[0].config, (Config{{"secret-file", "/s"}, {"skew", "1"}}));
  EXPECT_EQ(c->specs[1].name, "terminal");
  // Set but empty: none, the file notwithstanding.
  env.Set("PARLEY_RESPONDERS", " ");
  c = ConfiguredResponderSpecs(env.Get());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->specs.empty());
  // A mistake names the variable.
  env.Set("PARLEY_RESPONDERS", "otp:skew");
  EXPECT_THAT(ConfiguredResponderSpecs(env.Get()).status().message(),
              HasSubstr("$PARLEY_RESPONDERS: "));
}

TEST(ConfiguredTest, TheFileHoldsOneOrMoreSpecsPerLine) {
  Env env;
  const std::string home =
      ConfigHome("file",
                 "# responders for every libssh2 program\n\n"
                 "otp:secret-file=/s,host=*.corp.example\n"
                 "  scripted:rules=/r,host-key=SHA256:abc ; "
                 "terminal:host=\"a,b\"\n");
  env.Set("XDG_CONFIG_HOME", home);
  auto c = ConfiguredResponderSpecs(env.Get());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->source, home + "/parley/responders");
  ASSERT_EQ(c->specs.size(), 3u);
  EXPECT_EQ(c->specs[1].name, "scripted");
  EXPECT_EQ(c->specs[2].name, "terminal");
  // ~/.config without XDG_CONFIG_HOME.
  Env by_home;
  ConfigHome("home/.config", "terminal:host=db1\n");
  by_home.Set("HOME", ::testing::TempDir() + "/home");
  c = ConfiguredResponderSpecs(by_home.Get());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->specs.size(), 1u);
}

TEST(ConfiguredTest, FileMistakesNameTheLine) {
  Env env;
  env.Set("XDG_CONFIG_HOME",
          ConfigHome("bad_line", "terminal:host=a\n# fine\notp:=x\n"));
  EXPECT_THAT(ConfiguredResponderSpecs(env.Get()).status().message(),
              HasSubstr("/parley/responders:3: "));
  // Anyone could change what it loads: refused.
  env.Set("XDG_CONFIG_HOME", ConfigHome("writable", "terminal\n", 0666));
  EXPECT_THAT(ConfiguredResponderSpecs(env.Get()).status().message(),
              HasSubstr("is writable by everyone"));
}

TEST(ConfiguredTest, ChainsComeFromPluginFoldersByName) {
  const std::string rules = ::testing::TempDir() + "/configured_rules.toml";
  std::ofstream(rules) << "[[answer]]\nprompt = \"Password\"\ntext = \"pw\"\n";
  const std::vector<std::string> dirs = {"plugins/otp", "plugins/scripted"};
  Env env;
  env.Set("PARLEY_RESPONDERS", "scripted:rules=" + rules);
  auto c = ConfiguredResponderSpecs(env.Get());
  ASSERT_TRUE(c.ok()) << c.status();
  auto chain = BuildConfiguredChain(*c, nullptr, dirs);
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ((*chain)->size(), 1u);

  env.Set("PARLEY_RESPONDERS", "nosuch");
  c = ConfiguredResponderSpecs(env.Get());
  ASSERT_TRUE(c.ok());
  auto missing = BuildConfiguredChain(*c, nullptr, dirs);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("$PARLEY_RESPONDERS: "));
  EXPECT_THAT(missing.status().message(), HasSubstr("nosuch"));
  // A path is not a name.
  env.Set("PARLEY_RESPONDERS", "/tmp/libevil.so");
  auto path = ConfiguredResponderSpecs(env.Get());
  EXPECT_FALSE(path.ok() && BuildConfiguredChain(*path, nullptr, dirs).ok());
}

}  // namespace
}  // namespace parley::plugin
