// A tiny shared object for module_loader_test.
extern "C" __attribute__((visibility("default"))) int parley_test_answer(void) {
  return 42;
}
