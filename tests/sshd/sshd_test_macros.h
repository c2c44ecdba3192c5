// GoogleTest glue for SshdServer.
#ifndef PARLEY_TESTS_SSHD_SSHD_TEST_MACROS_H_
#define PARLEY_TESTS_SSHD_SSHD_TEST_MACROS_H_

#include <unistd.h>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/sshd/sshd_harness.h"

// Starts `server` (an SshdServer). If this host lacks something the harness
// needs (kFailedPrecondition: a Debian package, /run/sshd), the test is
// skipped with the reason -- unless it runs as root, as CI does: there a
// missing prerequisite is a setup bug and fails the test. Any other error
// fails the test. Use in the test body or SetUp(), not in a helper function.
#define PARLEY_START_SSHD_OR_SKIP(server)                                   \
  do {                                                                      \
    const ::absl::Status parley_sshd_status_ = (server).Start();            \
    if (::absl::IsFailedPrecondition(parley_sshd_status_) &&                \
        ::geteuid() != 0) {                                                 \
      GTEST_SKIP() << "hermetic sshd unavailable: " << parley_sshd_status_; \
    }                                                                       \
    ASSERT_TRUE(parley_sshd_status_.ok()) << parley_sshd_status_;           \
  } while (0)

#endif  // PARLEY_TESTS_SSHD_SSHD_TEST_MACROS_H_
