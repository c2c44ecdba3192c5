/*
 * Parley does not provide libssh2's SFTP API yet (the file-transfer work
 * will). This header is here so that `#include <libssh2_sftp.h>` next to
 * Parley's libssh2.h fails with this message instead of picking up another
 * libssh2's libssh2_sftp.h, which would compile against Parley's headers
 * and fail only at link time (or worse, link against the wrong library).
 */
#ifndef LIBSSH2_SFTP_H
#error \
    "libssh2_sftp.h: Parley does not provide libssh2's SFTP API yet (see core/capi/README.md)"
#endif
