// Guards the responder plugin ABI: the layout of every structure of
// parley_responder.h is pinned for PARLEY_RESPONDER_ABI_VERSION 1, and so is
// the header's content (comments and spacing aside). Changing the header
// fails this test: if the change breaks plugins built against the old
// header, bump PARLEY_RESPONDER_ABI_VERSION; either way, update the pins.
#include <openssl/sha.h>

#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "parley_responder.h"

static_assert(PARLEY_RESPONDER_ABI_VERSION == 1,
              "a new ABI version: pin its layout below");
static_assert(sizeof(parley_str) == 16);
static_assert(sizeof(parley_prompt) == 24);
static_assert(sizeof(parley_challenge) == 160);
static_assert(sizeof(parley_host_api) == 48);
static_assert(sizeof(parley_config_entry) == 32);
static_assert(sizeof(parley_responder_plugin) == 80);
static_assert(offsetof(parley_prompt, echo) == 16);
static_assert(offsetof(parley_prompt, prompt_class) == 20);
static_assert(offsetof(parley_challenge, name) == 8);
static_assert(offsetof(parley_challenge, prompts) == 56);
static_assert(offsetof(parley_challenge, num_prompts) == 64);
static_assert(offsetof(parley_challenge, round) == 72);
static_assert(offsetof(parley_challenge, user) == 80);
static_assert(offsetof(parley_challenge, server_port) == 112);
static_assert(offsetof(parley_challenge, host_key_fingerprint) == 120);
static_assert(offsetof(parley_challenge, round_ms_left) == 136);
static_assert(offsetof(parley_challenge, asked) == 144);
static_assert(offsetof(parley_challenge, waker) == 152);
static_assert(offsetof(parley_host_api, set_answer) == 8);
static_assert(offsetof(parley_host_api, wake) == 16);
static_assert(offsetof(parley_host_api, retain_waker) == 24);
static_assert(offsetof(parley_host_api, release_waker) == 32);
static_assert(offsetof(parley_host_api, log) == 40);
static_assert(offsetof(parley_responder_plugin, abi_version) == 8);
static_assert(offsetof(parley_responder_plugin, name) == 16);
static_assert(offsetof(parley_responder_plugin, description) == 24);
static_assert(offsetof(parley_responder_plugin, prompt_classes) == 32);
static_assert(offsetof(parley_responder_plugin, create) == 40);
static_assert(offsetof(parley_responder_plugin, destroy) == 48);
static_assert(offsetof(parley_responder_plugin, claim) == 56);
static_assert(offsetof(parley_responder_plugin, respond) == 64);
static_assert(offsetof(parley_responder_plugin, abort) == 72);
static_assert(PARLEY_PROMPT_INFO == 5 && PARLEY_RESPOND_DECLINE == 3 &&
              PARLEY_LOG_ERROR == 3);

namespace {

// The header without comments, whitespace folded to single spaces.
std::string Normalized(const std::string& text) {
  std::string out;
  bool space = false;
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 2, "/*") == 0) {
      const size_t end = text.find("*/", i + 2);
      i = end == std::string::npos ? text.size() : end + 2;
      space = true;
      continue;
    }
    if (text.compare(i, 2, "//") == 0) {
      const size_t end = text.find('\n', i);
      i = end == std::string::npos ? text.size() : end;
      continue;
    }
    const char c = text[i++];
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string Sha256Hex(const std::string& s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : d) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

// The pin of ABI version 1's declarations.
constexpr char kAbiV1Hash[] =
    "ea3165c39974b403a94afb0eab9d791258ca47811adc4fc7dac6779ce4449652";

TEST(ResponderAbiTest, HeaderMatchesItsVersion) {
  std::ifstream in("core/plugin/include/parley_responder.h");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(Sha256Hex(Normalized(text.str())), kAbiV1Hash)
      << "parley_responder.h changed: bump PARLEY_RESPONDER_ABI_VERSION if "
         "the change breaks plugins built against the old header, then pin "
         "the new declarations here";
}

}  // namespace
