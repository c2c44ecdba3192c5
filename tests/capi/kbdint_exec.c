/* A libssh2 client written only against libssh2's documented API (as in its
 * man pages), built against an installed Parley with pkg-config:
 *
 *   kbdint_exec HOST PORT USER PASSWORD KNOWN_HOSTS COMMAND
 *
 * Verifies the host key with libssh2_knownhost_*, logs in with
 * libssh2_userauth_keyboard_interactive(), runs COMMAND, copies its stdout
 * and stderr, and exits with its exit status. The password comes from the
 * command line for the test's sake. The only Parley-specific call is
 * parley_version(), which proves which library ran.
 *
 * The session uses its own allocator so that the test can check that the
 * library frees the keyboard-interactive responses with it, wiped first. */
#include <arpa/inet.h>
#include <libssh2.h>
#include <netinet/in.h>
#include <parley_libssh2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *g_password;
static int g_rounds;
static int g_responses_allocated;
static int g_responses_freed_wiped;
static int g_responses_freed_dirty;

/* Each block carries its size and a "response" mark before the pointer. */
struct header {
  size_t size;
  int is_response;
  int pad;
};

static LIBSSH2_ALLOC_FUNC(my_alloc) {
  struct header *h = malloc(sizeof(*h) + count);
  (void)abstract;
  if (!h) return NULL;
  h->size = count;
  h->is_response = 0;
  return h + 1;
}

static LIBSSH2_FREE_FUNC(my_free) {
  struct header *h;
  (void)abstract;
  if (!ptr) return;
  h = (struct header *)ptr - 1;
  if (h->is_response) {
    size_t i;
    int dirty = 0;
    for (i = 0; i < h->size; i++) {
      if (((unsigned char *)ptr)[i] != 0) dirty = 1;
    }
    if (dirty)
      g_responses_freed_dirty++;
    else
      g_responses_freed_wiped++;
  }
  free(h);
}

static LIBSSH2_REALLOC_FUNC(my_realloc) {
  struct header *h = ptr ? (struct header *)ptr - 1 : NULL;
  struct header *n;
  (void)abstract;
  n = realloc(h, sizeof(*n) + count);
  if (!n) return NULL;
  n->size = count;
  if (!h) n->is_response = 0;
  return n + 1;
}

static LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC(kbd_callback) {
  int i;
  (void)name;
  (void)name_len;
  (void)instruction;
  (void)instruction_len;
  (void)abstract;
  g_rounds++;
  fprintf(stderr, "kbdint round %d: %d prompt(s)\n", g_rounds, num_prompts);
  for (i = 0; i < num_prompts; i++) {
    size_t len = strlen(g_password);
    char *text = my_alloc(len + 1, NULL);
    struct header *h = (struct header *)text - 1;
    h->is_response = 1;
    memcpy(text, g_password, len + 1);
    fprintf(stderr, "  prompt %d (echo %d): %.*s\n", i, prompts[i].echo,
            (int)prompts[i].length, (const char *)prompts[i].text);
    responses[i].text = text;
    responses[i].length = (unsigned int)len;
    g_responses_allocated++;
  }
}

/* Failures after the session exists still release everything (the test
 * also runs under LeakSanitizer). */
#define FAIL(code)   \
  do {               \
    result = (code); \
    goto cleanup;    \
  } while (0)

int main(int argc, char **argv) {
  LIBSSH2_SESSION *session;
  LIBSSH2_CHANNEL *channel;
  LIBSSH2_KNOWNHOSTS *known;
  struct libssh2_knownhost *found = NULL;
  struct sockaddr_in sin;
  const char *fingerprint;
  const char *key;
  char *methods;
  size_t key_len;
  int key_type;
  int sock, rc, check, result = 0;
  char buf[4096];
  ssize_t n;

  if (argc != 7) {
    fprintf(stderr, "usage: %s HOST PORT USER PASSWORD KNOWN_HOSTS CMD\n",
            argv[0]);
    return 2;
  }
  g_password = argv[4];
  fprintf(stderr, "library: %s (libssh2 API %s)\n", parley_version(),
          libssh2_version(0));

  if (libssh2_init(0) != 0) return 10;
  sock = socket(AF_INET, SOCK_STREAM, 0);
  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_port = htons((unsigned short)atoi(argv[2]));
  sin.sin_addr.s_addr = inet_addr(argv[1]);
  if (connect(sock, (struct sockaddr *)&sin, sizeof(sin)) != 0) return 11;

  session = libssh2_session_init_ex(my_alloc, my_free, my_realloc, NULL);
  if (!session) return 12;
  libssh2_session_set_blocking(session, 1);
  libssh2_session_set_timeout(session, 20000);
  if (libssh2_session_handshake(session, sock) != 0) {
    char *msg;
    libssh2_session_last_error(session, &msg, NULL, 0);
    fprintf(stderr, "handshake failed: %s\n", msg);
    FAIL(13);
  }

  /* Host key against known_hosts, as libssh2's examples do. */
  known = libssh2_knownhost_init(session);
  if (!known) FAIL(14);
  if (libssh2_knownhost_readfile(known, argv[5],
                                 LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 1) {
    libssh2_knownhost_free(known);
    FAIL(14);
  }
  key = libssh2_session_hostkey(session, &key_len, &key_type);
  check = libssh2_knownhost_checkp(
      known, argv[1], atoi(argv[2]), key, key_len,
      LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW, &found);
  libssh2_knownhost_free(known);
  if (check != LIBSSH2_KNOWNHOST_CHECK_MATCH) {
    fprintf(stderr, "host key not trusted (check %d)\n", check);
    FAIL(15);
  }
  fingerprint = libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256);
  if (!fingerprint) FAIL(16);

  methods =
      libssh2_userauth_list(session, argv[3], (unsigned int)strlen(argv[3]));
  fprintf(stderr, "methods: %s\n", methods ? methods : "(none)");
  if (!methods || !strstr(methods, "keyboard-interactive")) FAIL(17);

  rc = libssh2_userauth_keyboard_interactive(session, argv[3], &kbd_callback);
  if (rc != 0) {
    char *msg;
    libssh2_session_last_error(session, &msg, NULL, 0);
    fprintf(stderr, "keyboard-interactive failed (%d): %s\n", rc, msg);
    FAIL(rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED ? 18 : 19);
  }
  if (!libssh2_userauth_authenticated(session)) FAIL(20);

  channel = libssh2_channel_open_session(session);
  if (!channel) FAIL(21);
  if (libssh2_channel_exec(channel, argv[6]) != 0) {
    libssh2_channel_free(channel);
    FAIL(22);
  }
  while ((n = libssh2_channel_read(channel, buf, sizeof(buf))) > 0) {
    fwrite(buf, 1, (size_t)n, stdout);
  }
  if (n < 0) {
    libssh2_channel_free(channel);
    FAIL(23);
  }
  while ((n = libssh2_channel_read_stderr(channel, buf, sizeof(buf))) > 0) {
    fwrite(buf, 1, (size_t)n, stderr);
  }
  libssh2_channel_close(channel);
  libssh2_channel_wait_closed(channel);
  result = libssh2_channel_get_exit_status(channel);
  libssh2_channel_free(channel);
  libssh2_session_disconnect(session, "bye");
cleanup:
  libssh2_session_free(session);
  close(sock);
  libssh2_exit();
  fprintf(stderr,
          "rounds %d, responses allocated %d, freed wiped %d, freed dirty %d\n",
          g_rounds, g_responses_allocated, g_responses_freed_wiped,
          g_responses_freed_dirty);
  fflush(stdout);
  return result;
}
