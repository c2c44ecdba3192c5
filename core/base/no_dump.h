// Keeps a program's secrets (keys, passwords, PINs) out of core files and
// away from other processes of the same user: no core dump, not
// ptrace-attachable (as OpenSSH's ssh-agent does). For programs only: a
// library must not change its host's process settings.
#ifndef PARLEY_CORE_BASE_NO_DUMP_H_
#define PARLEY_CORE_BASE_NO_DUMP_H_

#include <sys/prctl.h>
#include <sys/resource.h>

namespace parley {

// Best effort: failures are ignored (the program works either way).
inline void DisableCoreDumps() {
  struct rlimit none = {0, 0};
  (void)::setrlimit(RLIMIT_CORE, &none);
  (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

}  // namespace parley

#endif  // PARLEY_CORE_BASE_NO_DUMP_H_
