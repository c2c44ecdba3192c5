// LeakSanitizer settings for tests that drive SoftHSM2: SoftHSM 2.6
// (Debian 12) leaks an ASN1 string inside C_SignInit for its EdDSA keys
// (it decodes the key's parameters and never frees them). The leak is
// SoftHSM's, inside its own module, so it is suppressed by module name;
// Parley's code stays checked. Slow unwinding is needed for that: OpenSSL,
// where the allocation happens, has no frame pointers, so the fast
// unwinder's stacks stop before reaching libsofthsm2.so.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libsofthsm2.so\n";
}
extern "C" const char* __asan_default_options() {
  return "fast_unwind_on_malloc=0";
}
