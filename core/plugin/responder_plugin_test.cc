// Loading responder plugins as shared objects: the OTP plugin answering a
// round, and every refusal of the loader with its message (wrong ABI
// version, missing entry point, writable file or folder, foreign owner, a
// name declared twice, a file that calls itself something else).
#include "core/plugin/responder_plugin.h"

#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>

#include "core/auth/responder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugins/otp/otp.h"

namespace parley::plugin {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kOtpPlugin[] = "plugins/otp/libparley_responder_otp.so";
// Base32 of "12345678901234567890".
constexpr char kSecret[] = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

class ResponderPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / "plugins";
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    chmod(dir_.c_str(), 0755);
    work_ = fs::path(::testing::TempDir()) / "plugin_work";
    fs::remove_all(work_);
    fs::create_directories(work_);
  }
  std::string Install(const std::string& from, const std::string& name) {
    const std::string to = (dir_ / name).string();
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    chmod(to.c_str(), 0755);
    return to;
  }
  std::string SecretFile(mode_t mode = 0600) {
    const std::string p = (work_ / ("secret" + std::to_string(mode))).string();
    std::ofstream(p) << kSecret << "\n";
    chmod(p.c_str(), mode);
    return p;
  }
  fs::path dir_, work_;
};

auth::Challenge OtpRound() {
  auth::Challenge c;
  c.round = 1;
  c.user = "alice";
  c.request.prompts.push_back({"Password: ", false});
  c.request.prompts.push_back(
      {"One-time password (OATH) for `alice': ", false});
  return c;
}

TEST_F(ResponderPluginTest, OtpPluginAnswersItsPrompt) {
  Install(kOtpPlugin, "libparley_responder_otp.so");
  PluginFinder finder({dir_.string()}, /*installed=*/false);
  auto plugin = finder.Find("otp");
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  EXPECT_EQ((*plugin)->name(), "parley.responder.otp");
  EXPECT_EQ((*plugin)->short_name(), "otp");
  auto same = finder.Find("parley.responder.otp");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(plugin->get(), same->get());

  std::vector<std::string> logs;
  auto instance = (*plugin)->NewInstance(
      {{"secret-file", SecretFile()},
       {"state-file", (work_ / "state").string()}},
      [&](parley_log_level, absl::string_view m) { logs.emplace_back(m); });
  ASSERT_TRUE(instance.ok()) << instance.status();
  const auth::Challenge c = OtpRound();
  EXPECT_THAT((*instance)->Claim(c), ::testing::ElementsAre(false, true));
  std::vector<SecureBuffer> answers(2);
  const std::vector<bool> asked = {false, true};
  const int64_t before = time(nullptr);
  ASSERT_EQ((*instance)->Respond(c, asked, &answers),
            auth::ResponderStatus::kAnswered);
  const int64_t after = time(nullptr);
  EXPECT_TRUE(answers[0].empty());
  const std::string code(answers[1].begin(), answers[1].end());
  const std::string seed = "12345678901234567890";
  const SecureBuffer key(seed.begin(), seed.end());
  const std::string expect_before =
      *otp::Hotp(key, otp::TotpStep(before, 30), otp::OtpHash::kSha1, 6);
  const std::string expect_after =
      *otp::Hotp(key, otp::TotpStep(after, 30), otp::OtpHash::kSha1, 6);
  EXPECT_TRUE(code == expect_before || code == expect_after) << code;

  // The same time step again: never the same code twice. With the round
  // deadline too close, the plugin cancels and says why.
  auth::Challenge tight = OtpRound();
  tight.time_left = std::chrono::milliseconds(100);
  std::vector<SecureBuffer> again(2);
  auto status = (*instance)->Respond(tight, asked, &again);
  if (otp::TotpStep(time(nullptr), 30) == otp::TotpStep(after, 30)) {
    EXPECT_EQ(status, auth::ResponderStatus::kCancel);
    EXPECT_THAT(std::string((*instance)->failure().message()),
                HasSubstr("already used"));
    // Without a deadline it asks to be called when the next step begins.
    std::vector<SecureBuffer> later(2);
    EXPECT_EQ((*instance)->Respond(OtpRound(), asked, &later),
              auth::ResponderStatus::kRetryLater);
    EXPECT_GT((*instance)->retry_after().count(), 0);
    EXPECT_LE((*instance)->retry_after(), std::chrono::milliseconds(30200));
  }
}

// host= and host-key= keep a responder to its servers: elsewhere it is not
// even shown the round (a one-time code must not go to any server asking).
TEST_F(ResponderPluginTest, HostOptionsKeepAResponderToItsServers) {
  Install(kOtpPlugin, "libparley_responder_otp.so");
  PluginFinder finder({dir_.string()}, /*installed=*/false);
  auto plugin = finder.Find("otp");
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  auto instance =
      (*plugin)->NewInstance({{"secret-file", SecretFile()},
                              {"state-file", (work_ / "state").string()},
                              {"host", "*.corp.example,!bastion.corp.example"},
                              {"host-key", "SHA256:good,SHA256:other"}},
                             nullptr);
  ASSERT_TRUE(instance.ok()) << instance.status();
  auto claims = [&](const std::string& host, const std::string& fp) {
    auth::Challenge c = OtpRound();
    c.host = host;
    c.host_key_fingerprint = fp;
    return (*instance)->Claim(c);
  };
  using ::testing::ElementsAre;
  EXPECT_THAT(claims("db1.corp.example", "SHA256:good"),
              ElementsAre(false, true));
  EXPECT_THAT(claims("DB1.Corp.Example", "SHA256:other"),
              ElementsAre(false, true));
  EXPECT_THAT(claims("bastion.corp.example", "SHA256:good"),
              ElementsAre(false, false));
  EXPECT_THAT(claims("evil.example", "SHA256:good"), ElementsAre(false, false));
  EXPECT_THAT(claims("db1.corp.example", "SHA256:evil"),
              ElementsAre(false, false));
  // Mistakes in them are the host's, named as such.
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"host", ""}, {"host", "a,,b"}, {"host-key", "MD5:aa:bb"}}) {
    auto bad = (*plugin)->NewInstance({{"secret-file", SecretFile()}, {k, v}},
                                      nullptr);
    ASSERT_FALSE(bad.ok()) << k << "=" << v;
    EXPECT_THAT(std::string(bad.status().message()),
                HasSubstr("responder parley.responder.otp: " + k));
  }
}

// A state file claiming a code far in the future was used: the clock went
// back or the file is damaged; the plugin says so instead of waiting years.
TEST_F(ResponderPluginTest, AFarFutureStateFileIsAClearError) {
  Install(kOtpPlugin, "libparley_responder_otp.so");
  PluginFinder finder({dir_.string()}, /*installed=*/false);
  auto plugin = finder.Find("otp");
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  const std::string state = (work_ / "far_state").string();
  std::ofstream(state) << otp::TotpStep(time(nullptr), 30) + 5000 << "\n";
  auto instance = (*plugin)->NewInstance(
      {{"secret-file", SecretFile()}, {"state-file", state}}, nullptr);
  ASSERT_TRUE(instance.ok()) << instance.status();
  std::vector<SecureBuffer> answers(2);
  EXPECT_EQ((*instance)->Respond(OtpRound(), {false, true}, &answers),
            auth::ResponderStatus::kCancel);
  EXPECT_THAT(std::string((*instance)->failure().message()),
              HasSubstr("the clock went back"));
}

TEST_F(ResponderPluginTest, ConfigurationErrorsComeFromThePlugin) {
  Install(kOtpPlugin, "libparley_responder_otp.so");
  PluginFinder finder({dir_.string()}, false);
  auto plugin = finder.Find("otp");
  ASSERT_TRUE(plugin.ok());
  const std::string state = (work_ / "state").string();
  struct Case {
    Config config;
    const char* error;
  } cases[] = {
      {{}, "secret-file is required"},
      {{{"secret", kSecret}}, "never taken from the command line"},
      {{{"secret-file", SecretFile(0644)}, {"state-file", state}}, "chmod 600"},
      {{{"secret-file", SecretFile()}, {"digits", "9"}}, "digits"},
      {{{"secret-file", SecretFile()}, {"bogus", "1"}}, "unknown option"},
      {{{"secret-file", SecretFile()}, {"type", "hotp"}}, "counter-file"},
      {{{"secret-file", SecretFile()}, {"prompt", "("}}, "RE2"},
  };
  for (const Case& c : cases) {
    auto instance = (*plugin)->NewInstance(c.config, nullptr);
    EXPECT_FALSE(instance.ok()) << c.error;
    EXPECT_THAT(std::string(instance.status().message()), HasSubstr(c.error));
  }
}

TEST_F(ResponderPluginTest, WrongAbiVersionIsRefusedBeforeAnythingElse) {
  Install("core/plugin/testdata/libparley_responder_badabi.so",
          "libparley_responder_badabi.so");
  PluginFinder finder({dir_.string()}, false);
  auto p = finder.Find("badabi");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("has ABI version 999, this Parley needs 1"));
}

TEST_F(ResponderPluginTest, MissingEntryPointIsRefused) {
  Install("core/plugin/testdata/libparley_responder_noentry.so",
          "libparley_responder_noentry.so");
  PluginFinder finder({dir_.string()}, false);
  auto p = finder.Find("noentry");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("missing parley_responder_entry"));
}

TEST_F(ResponderPluginTest, UntrustedFilesAreRefusedNotSkipped) {
  // A writable copy in the first folder is an error, although a good copy
  // sits in the second.
  const fs::path good = fs::path(::testing::TempDir()) / "good_plugins";
  fs::remove_all(good);
  fs::create_directories(good);
  chmod(good.c_str(), 0755);
  fs::copy_file(kOtpPlugin, good / "libparley_responder_otp.so");
  const std::string bad = Install(kOtpPlugin, "libparley_responder_otp.so");
  chmod(bad.c_str(), 0775);
  PluginFinder finder({dir_.string(), good.string()}, false);
  auto p = finder.Find("otp");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr(bad));
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("group-writable"));
  // A world-writable folder.
  chmod(bad.c_str(), 0755);
  chmod(dir_.c_str(), 0777);
  EXPECT_THAT(
      std::string(
          PluginFinder({dir_.string()}, false).Find("otp").status().message()),
      HasSubstr("folder is world-writable"));
  chmod(dir_.c_str(), 0755);
  // A foreign owner (root can make one).
  if (geteuid() == 0) {
    ASSERT_EQ(chown(bad.c_str(), 4242, 4242), 0);
    EXPECT_THAT(std::string(PluginFinder({dir_.string()}, false)
                                .Find("otp")
                                .status()
                                .message()),
                HasSubstr("owned by uid 4242"));
  }
}

TEST_F(ResponderPluginTest, NameDeclaredTwiceIsAnError) {
  Install(kOtpPlugin, "libparley_responder_otp.so");
  Install(kOtpPlugin, "libparley_responder_otp2.so");
  PluginFinder finder({dir_.string()}, false);
  auto all = finder.FindAll();
  EXPECT_EQ(all.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(all.status().message()),
              HasSubstr("\"parley.responder.otp\" is declared twice"));
  // Found by the other file's short name: it declares another name.
  PluginFinder other({dir_.string()}, false);
  EXPECT_THAT(std::string(other.Find("otp2").status().message()),
              HasSubstr("declares plugin \"parley.responder.otp\""));
}

TEST_F(ResponderPluginTest, UnknownAndInvalidNames) {
  PluginFinder finder({dir_.string()}, false);
  auto p = finder.Find("smartcard");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("libparley_responder_smartcard.so"));
  EXPECT_EQ(finder.Find("../evil").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(finder.Find("Otp").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ResponderPluginTest, ChainsFromSpecs) {
  Install(kOtpPlugin, "libparley_responder_otp.so");
  PluginFinder finder({dir_.string()}, false);
  auto specs = ParseResponderSpecs("otp:secret-file=" + SecretFile() +
                                   ",state-file=" + (work_ / "s2").string());
  ASSERT_TRUE(specs.ok());
  auto chain = BuildChain(finder, *specs, nullptr);
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ((*chain)->size(), 1u);
  // The password prompt has no taker: the round fails naming it.
  std::vector<SecureBuffer> answers;
  EXPECT_EQ((*chain)->Respond(OtpRound(), &answers),
            auth::ResponderStatus::kCancel);
  EXPECT_THAT(std::string((*chain)->failure().message()),
              HasSubstr("\"Password: \""));
}

}  // namespace
}  // namespace parley::plugin
