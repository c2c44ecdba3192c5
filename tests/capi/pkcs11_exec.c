/* A libssh2 program that logs in with a key on a PKCS#11 token through
 * Parley's extension parley_userauth_pkcs11():
 *
 *   pkcs11_exec HOST PORT USER KNOWN_HOSTS MODULE_OR_URI PIN COMMAND
 *               [blocking|nonblocking]
 *
 * The PIN comes from the command line for the test's sake, through the PIN
 * callback (which reports how often and for which token it was asked). */
#include <arpa/inet.h>
#include <libssh2.h>
#include <netinet/in.h>
#include <parley_libssh2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int g_pin_calls;

static int pin_callback(const char *token_label, int flags, char *pin,
                        size_t pin_max, void *abstract) {
  const char *given = (const char *)abstract;
  size_t n = strlen(given);
  g_pin_calls++;
  fprintf(stderr, "PIN asked for %s (flags %d)\n", token_label, flags);
  if (n > pin_max) return -1;
  memcpy(pin, given, n);
  return (int)n;
}

#define FAIL(code)   \
  do {               \
    result = (code); \
    goto cleanup;    \
  } while (0)

int main(int argc, char **argv) {
  LIBSSH2_SESSION *session;
  LIBSSH2_CHANNEL *channel = NULL;
  LIBSSH2_KNOWNHOSTS *known;
  struct sockaddr_in sin;
  const char *key;
  size_t key_len;
  int key_type, sock, rc, result = 0;
  char buf[4096];
  ssize_t n;

  if (argc != 8 && argc != 9) {
    fprintf(
        stderr,
        "usage: %s HOST PORT USER KNOWN_HOSTS MODULE PIN CMD [nonblocking]\n",
        argv[0]);
    return 2;
  }
  if (libssh2_init(0) != 0) return 10;
  sock = socket(AF_INET, SOCK_STREAM, 0);
  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_port = htons((unsigned short)atoi(argv[2]));
  sin.sin_addr.s_addr = inet_addr(argv[1]);
  if (connect(sock, (struct sockaddr *)&sin, sizeof(sin)) != 0) return 11;
  session = libssh2_session_init();
  if (!session) return 12;
  libssh2_session_set_timeout(session, 20000);
  if (libssh2_session_handshake(session, sock) != 0) FAIL(13);
  known = libssh2_knownhost_init(session);
  if (!known) FAIL(14);
  if (libssh2_knownhost_readfile(known, argv[4],
                                 LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 1) {
    libssh2_knownhost_free(known);
    FAIL(14);
  }
  key = libssh2_session_hostkey(session, &key_len, &key_type);
  rc = libssh2_knownhost_checkp(
      known, argv[1], atoi(argv[2]), key, key_len,
      LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW, NULL);
  libssh2_knownhost_free(known);
  if (rc != LIBSSH2_KNOWNHOST_CHECK_MATCH) FAIL(15);

  if (argc == 9 && strcmp(argv[8], "nonblocking") == 0) {
    libssh2_session_set_blocking(session, 0);
  }
  while ((rc = parley_userauth_pkcs11(session, argv[3], argv[5], pin_callback,
                                      argv[6])) == LIBSSH2_ERROR_EAGAIN) {
    struct pollfd p;
    p.fd = sock;
    p.events = POLLIN;
    poll(&p, 1, 50);
  }
  fprintf(stderr, "PIN callback calls: %d\n", g_pin_calls);
  if (rc != 0) {
    char *msg;
    libssh2_session_last_error(session, &msg, NULL, 0);
    fprintf(stderr, "token login failed (%d): %s\n", rc, msg);
    FAIL(rc == LIBSSH2_ERROR_KEYFILE_AUTH_FAILED ? 40 : 41);
  }
  libssh2_session_set_blocking(session, 1);
  channel = libssh2_channel_open_session(session);
  if (!channel) FAIL(21);
  if (libssh2_channel_exec(channel, argv[7]) != 0) FAIL(22);
  while ((n = libssh2_channel_read(channel, buf, sizeof(buf))) > 0) {
    fwrite(buf, 1, (size_t)n, stdout);
  }
  libssh2_channel_close(channel);
  libssh2_channel_wait_closed(channel);
  result = libssh2_channel_get_exit_status(channel);
cleanup:
  if (channel) libssh2_channel_free(channel);
  libssh2_session_disconnect(session, "bye");
  libssh2_session_free(session);
  close(sock);
  libssh2_exit();
  fflush(stdout);
  return result;
}
