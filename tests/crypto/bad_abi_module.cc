// A module that claims a future backend ABI version: the loader must refuse
// it before calling anything else in it.
#include <cstdint>

extern "C" __attribute__((visibility("default"))) uint32_t
parley_crypto_backend_abi_version(void) {
  return 999;
}
extern "C" __attribute__((visibility("default"))) const char*
parley_crypto_backend_name(void) {
  return "badabi";
}
extern "C" __attribute__((visibility("default"))) void*
parley_crypto_backend_create(void) {
  __builtin_trap();  // must never be reached
}
