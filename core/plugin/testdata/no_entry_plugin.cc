// A shared object with the version symbol but no plugin entry point.
#include "parley_responder.h"

extern "C" __attribute__((visibility("default"))) uint32_t
parley_responder_abi_version(void) {
  return PARLEY_RESPONDER_ABI_VERSION;
}
