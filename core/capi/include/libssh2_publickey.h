/*
 * Parley does not provide libssh2's publickey subsystem API
 * (libssh2_publickey_*). This header is here so that
 * `#include <libssh2_publickey.h>` next to Parley's libssh2.h fails with
 * this message instead of picking up another libssh2's header, which would
 * compile against Parley's headers and fail only at link time.
 */
#ifndef LIBSSH2_PUBLICKEY_H
#error \
    "libssh2_publickey.h: Parley does not provide libssh2's publickey subsystem API (see core/capi/README.md)"
#endif
