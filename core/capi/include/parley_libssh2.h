/*
 * Parley's extensions to its libssh2-compatible C API (libssh2.h): what
 * libssh2 users keep asking for -- the crypto backend per session, partial
 * success as a first-class result, limits and deadlines for
 * keyboard-interactive logins, and cancelling a login from another thread.
 *
 * Every function takes the LIBSSH2_SESSION of libssh2.h and returns
 * libssh2's error codes. Ownership: every returned string is owned by the
 * session and stays valid until the next call that changes it or until
 * libssh2_session_free().
 */
#ifndef PARLEY_CAPI_PARLEY_LIBSSH2_H_
#define PARLEY_CAPI_PARLEY_LIBSSH2_H_

#include "libssh2.h"

#ifndef PARLEY_LIBSSH2
#error "parley_libssh2.h needs Parley's libssh2.h, not another one"
#endif

#define PARLEY_VERSION "0.1.0"
#define PARLEY_VERSION_NUM 0x000100

/* Results of keyboard-interactive logins beyond libssh2's. No libssh2 code
   means exactly these, so each is an existing code that no other outcome of
   libssh2_userauth_keyboard_interactive_ex() produces (except
   PARLEY_ERROR_DEADLINE, which shares LIBSSH2_ERROR_TIMEOUT with the
   session timeout of blocking calls; last_error tells them apart):
   - PARLEY_ERROR_CANCELLED: parley_userauth_cancel() was called while the
     login ran. Nothing more is sent for that attempt (RFC 4256 has no way
     to abort one): disconnect, or try another method if the server allows.
   - PARLEY_ERROR_ROUND_LIMIT: the server asked more rounds than allowed
     (parley_userauth_kbdint_set_limits(); 32 by default).
   - PARLEY_ERROR_DEADLINE: the callback took longer than the round
     deadline, or the whole login longer than the overall deadline. */
#define PARLEY_ERROR_CANCELLED LIBSSH2_ERROR_REQUEST_DENIED
#define PARLEY_ERROR_ROUND_LIMIT LIBSSH2_ERROR_OUT_OF_BOUNDARY
#define PARLEY_ERROR_DEADLINE LIBSSH2_ERROR_TIMEOUT

#ifdef __cplusplus
extern "C" {
#endif

/* "Parley <version> (libssh2 <LIBSSH2_VERSION> API)". Static storage. */
LIBSSH2_API const char *parley_version(void);

/* Chooses the crypto backend module ("openssl", "cryptopp") before the
   handshake. Without this call the handshake loads $PARLEY_CRYPTO, or
   "openssl" when that is unset. Modules are looked for in
   $PARLEY_BACKEND_PATH and next to the library (see backend_loader.h).
   Errors: LIBSSH2_ERROR_METHOD_NOT_SUPPORTED for an unknown or malformed
   name, LIBSSH2_ERROR_FILE for a module that exists but was refused
   (permissions, ABI version), LIBSSH2_ERROR_BAD_USE after the handshake
   started; libssh2_session_last_error() says why. */
LIBSSH2_API int parley_session_set_crypto_backend(LIBSSH2_SESSION *session,
                                                  const char *name);
/* The backend in use (or that the handshake will load). */
LIBSSH2_API const char *parley_session_crypto_backend(LIBSSH2_SESSION *session);

/* 1 when the last authentication attempt was a partial success (the server
   accepted the method but requires more, e.g. AuthenticationMethods
   "publickey,keyboard-interactive"), 0 otherwise; negative for a NULL
   session. libssh2's functions report such an attempt as
   LIBSSH2_ERROR_AUTHENTICATION_FAILED. */
LIBSSH2_API int parley_userauth_partial_success(LIBSSH2_SESSION *session);
/* The comma-separated methods the server said can continue after the last
   failure or partial success; NULL before any. */
LIBSSH2_API const char *parley_userauth_methods_left(LIBSSH2_SESSION *session);

/* Limits for the next keyboard-interactive logins: at most `max_rounds`
   INFO_REQUEST rounds (>= 1), `round_timeout_ms` for the callback to answer
   one round and `overall_timeout_ms` for the whole login (0: no limit).
   These are separate from libssh2_session_set_timeout(), which bounds each
   blocking call. LIBSSH2_ERROR_INVAL for out-of-range values. */
LIBSSH2_API int parley_userauth_kbdint_set_limits(LIBSSH2_SESSION *session,
                                                  int max_rounds,
                                                  long round_timeout_ms,
                                                  long overall_timeout_ms);

/* Cancels the keyboard-interactive login running on `session`, from any
   thread (also from a signal handler: it only stores a flag and writes to
   an eventfd). A blocked call wakes up and returns PARLEY_ERROR_CANCELLED;
   in non-blocking mode the next call does. A cancel with no login running
   is forgotten when the next login starts. */
LIBSSH2_API void parley_userauth_cancel(LIBSSH2_SESSION *session);

/* The PIN of a PKCS#11 token: the callback writes the PIN of the token
   labelled `token_label` into `pin` (at most `pin_max` bytes; no NUL
   needed) and returns its length, or a negative value to decline. `flags`
   may hold PARLEY_PIN_COUNT_LOW (a wrong PIN was entered before) and
   PARLEY_PIN_FINAL_TRY (one more wrong PIN locks the token). It is called
   on the thread that called parley_userauth_pkcs11(), at most once per
   token and call; Parley wipes `pin` afterwards. */
#define PARLEY_PIN_COUNT_LOW 1
#define PARLEY_PIN_FINAL_TRY 2
typedef int (*parley_pin_callback)(const char *token_label, int flags,
                                   char *pin, size_t pin_max, void *abstract);

/* Publickey authentication with the keys of a PKCS#11 token (smartcard,
   HSM): `module_or_uri` is a module path or an RFC 7512 pkcs11: URI with
   module-path (pkcs11:token=...;object=...?module-path=...). The keys the
   token holds are offered in turn -- the server is asked before the token
   signs -- and the token signs without its key ever leaving it.
   Returns 0 when a key is accepted; LIBSSH2_ERROR_AUTHENTICATION_FAILED
   when none is (parley_userauth_partial_success() tells a partial
   success); LIBSSH2_ERROR_KEYFILE_AUTH_FAILED for a wrong or locked PIN or
   a declined PIN (never retried by Parley: tokens lock after a few);
   LIBSSH2_ERROR_FILE for a module or URI that cannot be used;
   LIBSSH2_ERROR_EAGAIN in non-blocking mode while the token signs. */
LIBSSH2_API int parley_userauth_pkcs11(LIBSSH2_SESSION *session,
                                       const char *username,
                                       const char *module_or_uri,
                                       parley_pin_callback pin_callback,
                                       void *abstract);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PARLEY_CAPI_PARLEY_LIBSSH2_H_ */
