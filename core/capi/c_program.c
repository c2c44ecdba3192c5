/* A libssh2 client in C, written only against libssh2's documented API (as
   in libssh2's man pages and its ssh2_exec example). The build compiles it
   with the system's C compiler as strict C99 against Parley's headers and
   links it with libparley.so, as an application would after tools/install;
   capi_sshd_test runs it against the hermetic sshd.

   usage: c_program PORT USER PASSWORD COMMAND

   Logs in to 127.0.0.1:PORT with keyboard-interactive (every prompt is
   answered with PASSWORD), runs COMMAND, copies its stdout and stderr to
   ours, and finally prints "c_program: rounds=R exit_status=S" on stderr.
   Exits 0, or 2 after printing what failed. */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include <arpa/inet.h>
#include <libssh2.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PARLEY_LIBSSH2
#error "this must compile against Parley's libssh2.h"
#endif

struct kbdint_context {
  const char *password;
  int rounds;
};

static void kbd_callback(const char *name, int name_len,
                         const char *instruction, int instruction_len,
                         int num_prompts,
                         const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompts,
                         LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses,
                         void **abstract) {
  struct kbdint_context *ctx = (struct kbdint_context *)*abstract;
  int i;
  (void)name;
  (void)name_len;
  (void)instruction;
  (void)instruction_len;
  (void)prompts;
  ctx->rounds++;
  for (i = 0; i < num_prompts; i++) {
    /* Freed by the library with free() (no allocator was given). */
    responses[i].text = strdup(ctx->password);
    responses[i].length = (unsigned int)strlen(ctx->password);
  }
}

static int fail(LIBSSH2_SESSION *session, const char *step, int rc) {
  char *msg = NULL;
  if (session != NULL) libssh2_session_last_error(session, &msg, NULL, 0);
  fprintf(stderr, "c_program: %s failed (%d): %s\n", step, rc,
          msg != NULL ? msg : "");
  return 2;
}

static int copy_stream(LIBSSH2_CHANNEL *channel, int stream, FILE *to) {
  char chunk[512];
  ssize_t n;
  while ((n = libssh2_channel_read_ex(channel, stream, chunk, sizeof(chunk))) >
         0) {
    fwrite(chunk, 1, (size_t)n, to);
  }
  return (int)n;
}

int main(int argc, char **argv) {
  struct kbdint_context ctx;
  struct sockaddr_in sin;
  LIBSSH2_SESSION *session = NULL;
  LIBSSH2_CHANNEL *channel = NULL;
  libssh2_socket_t sock = LIBSSH2_INVALID_SOCKET;
  int rc, status = 2, exit_status = -1;

  if (argc != 5) {
    fprintf(stderr, "usage: c_program PORT USER PASSWORD COMMAND\n");
    return 2;
  }
  ctx.password = argv[3];
  ctx.rounds = 0;

  rc = libssh2_init(0);
  if (rc != 0) return fail(NULL, "libssh2_init", rc);
  sock = socket(AF_INET, SOCK_STREAM, 0);
  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_port = htons((unsigned short)atoi(argv[1]));
  sin.sin_addr.s_addr = inet_addr("127.0.0.1");
  if (sock == LIBSSH2_INVALID_SOCKET ||
      connect(sock, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
    status = fail(NULL, "connect", -1);
    goto out;
  }
  session = libssh2_session_init_ex(NULL, NULL, NULL, &ctx);
  if (session == NULL) {
    status = fail(NULL, "libssh2_session_init_ex", -1);
    goto out;
  }
  libssh2_session_set_blocking(session, 1);
  rc = libssh2_session_handshake(session, sock);
  if (rc != 0) {
    status = fail(session, "libssh2_session_handshake", rc);
    goto out;
  }
  rc = libssh2_userauth_keyboard_interactive(session, argv[2], &kbd_callback);
  if (rc != 0) {
    status = fail(session, "libssh2_userauth_keyboard_interactive", rc);
    goto out;
  }
  channel = libssh2_channel_open_session(session);
  if (channel == NULL) {
    status = fail(session, "libssh2_channel_open_session",
                  libssh2_session_last_errno(session));
    goto out;
  }
  rc = libssh2_channel_exec(channel, argv[4]);
  if (rc != 0) {
    status = fail(session, "libssh2_channel_exec", rc);
    goto out;
  }
  rc = copy_stream(channel, 0, stdout);
  if (rc == 0) rc = copy_stream(channel, SSH_EXTENDED_DATA_STDERR, stderr);
  if (rc != 0) {
    status = fail(session, "libssh2_channel_read_ex", rc);
    goto out;
  }
  rc = libssh2_channel_close(channel);
  if (rc != 0) {
    status = fail(session, "libssh2_channel_close", rc);
    goto out;
  }
  exit_status = libssh2_channel_get_exit_status(channel);
  fflush(stdout);
  fprintf(stderr, "c_program: rounds=%d exit_status=%d\n", ctx.rounds,
          exit_status);
  status = 0;

out:
  if (channel != NULL) libssh2_channel_free(channel);
  if (session != NULL) {
    libssh2_session_disconnect(session, "Normal Shutdown");
    libssh2_session_free(session);
  }
  if (sock != LIBSSH2_INVALID_SOCKET) LIBSSH2_SOCKET_CLOSE(sock);
  libssh2_exit();
  return status;
}
