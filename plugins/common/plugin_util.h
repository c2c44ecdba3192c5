// Helpers for Parley's own responder plugins (not part of the ABI: third
// party plugins need only parley_responder.h).
#ifndef PARLEY_PLUGINS_COMMON_PLUGIN_UTIL_H_
#define PARLEY_PLUGINS_COMMON_PLUGIN_UTIL_H_

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"
#include "parley_responder.h"

namespace parley::plugins {

inline absl::string_view View(parley_str s) {
  return absl::string_view(s.data, s.length);
}

// Writes `message` into a create() error buffer.
inline void SetError(char* error, size_t size, absl::string_view message) {
  if (error == nullptr || size == 0) return;
  const size_t n = std::min(size - 1, message.size());
  std::memcpy(error, message.data(), n);
  error[n] = '\0';
}

inline void Log(const parley_host_api* host, parley_host_instance* instance,
                parley_log_level level, absl::string_view message) {
  if (host != nullptr && host->log != nullptr) {
    host->log(instance, level, message.data(), message.size());
  }
}

// Defines the two exported entry points for `plugin_table` (a
// parley_responder_plugin with static storage).
#define PARLEY_DEFINE_RESPONDER_PLUGIN(plugin_table)         \
  extern "C" __attribute__((visibility("default"))) uint32_t \
  parley_responder_abi_version(void) {                       \
    return PARLEY_RESPONDER_ABI_VERSION;                     \
  }                                                          \
  extern "C" __attribute__((visibility("default")))          \
  const parley_responder_plugin*                             \
  parley_responder_entry(void) {                             \
    return &(plugin_table);                                  \
  }

}  // namespace parley::plugins

#endif  // PARLEY_PLUGINS_COMMON_PLUGIN_UTIL_H_
