// A shared object that is not a Parley backend (no entry points).
extern "C" __attribute__((visibility("default"))) int parley_unrelated(void) {
  return 1;
}
