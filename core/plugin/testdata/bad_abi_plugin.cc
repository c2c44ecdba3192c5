// A responder plugin built for another ABI version: the host must refuse it
// after asking only for its version.
#include <cstdlib>

#include "parley_responder.h"

extern "C" __attribute__((visibility("default"))) uint32_t
parley_responder_abi_version(void) {
  return 999;
}

// Must never be called: the version check comes first.
extern "C" __attribute__((visibility("default"))) const parley_responder_plugin*
parley_responder_entry(void) {
  std::abort();
}
