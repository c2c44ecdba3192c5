/* A libssh2 program that says which library it runs on: libssh2_init()'s
   shared object, as the dynamic linker resolved it. Written only against
   libssh2's API; the drop-in tests build it the way a project's own build
   finds libssh2 (pkg-config's libssh2 module, CMake's find_package). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libssh2.h>
#include <stdio.h>

int main(void) {
  Dl_info info;
  if (libssh2_init(0) != 0) return 2;
  if (dladdr((void *)&libssh2_init, &info) == 0 || info.dli_fname == NULL) {
    return 3;
  }
  printf("libssh2 API %s from %s\n", libssh2_version(0), info.dli_fname);
  libssh2_exit();
  return 0;
}
