/* A libssh2 client that logs in with the keys of a running ssh-agent,
 * written only against libssh2's documented agent API:
 *
 *   agent_exec HOST PORT USER KNOWN_HOSTS COMMAND
 * [blocking|nonblocking|forward]
 *
 * Connects to $SSH_AUTH_SOCK, lists the agent's identities, has the agent
 * sign a test message with the first one (libssh2_agent_sign), then tries
 * each identity with libssh2_agent_userauth until one is accepted -- in
 * non-blocking mode calling again while it returns LIBSSH2_ERROR_EAGAIN --
 * runs COMMAND and exits with its status. With "forward" the agent is
 * forwarded to COMMAND (libssh2_channel_request_auth_agent). */
#include <arpa/inet.h>
#include <libssh2.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FAIL(code)   \
  do {               \
    result = (code); \
    goto cleanup;    \
  } while (0)

static int wait_socket(int sock, LIBSSH2_SESSION *session) {
  struct pollfd p;
  int dir = libssh2_session_block_directions(session);
  p.fd = sock;
  p.events = 0;
  if (dir & LIBSSH2_SESSION_BLOCK_INBOUND) p.events |= POLLIN;
  if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND) p.events |= POLLOUT;
  /* The agent signs on a thread of its own: wake up now and then. */
  return poll(&p, 1, 50);
}

int main(int argc, char **argv) {
  LIBSSH2_SESSION *session;
  LIBSSH2_CHANNEL *channel = NULL;
  LIBSSH2_AGENT *agent = NULL;
  LIBSSH2_KNOWNHOSTS *known;
  struct libssh2_agent_publickey *identity = NULL, *prev = NULL;
  struct sockaddr_in sin;
  const char *key;
  size_t key_len;
  int key_type, sock, rc, result = 0, nonblocking, forward;
  unsigned char *sig = NULL;
  size_t sig_len = 0;
  char buf[4096];
  ssize_t n;

  if (argc != 6 && argc != 7) {
    fprintf(stderr, "usage: %s HOST PORT USER KNOWN_HOSTS CMD [nonblocking]\n",
            argv[0]);
    return 2;
  }
  nonblocking = argc == 7 && strcmp(argv[6], "nonblocking") == 0;
  forward = argc == 7 && strcmp(argv[6], "forward") == 0;
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

  agent = libssh2_agent_init(session);
  if (!agent) FAIL(30);
  if (libssh2_agent_connect(agent) != 0) {
    char *msg;
    libssh2_session_last_error(session, &msg, NULL, 0);
    fprintf(stderr, "agent connect failed: %s\n", msg);
    FAIL(31);
  }
  if (libssh2_agent_list_identities(agent) != 0) FAIL(32);

  /* The agent signs a message with the first key, with the algorithm its
     blob names (ssh-ed25519, ecdsa-sha2-*; RSA keys sign rsa-sha2-256). */
  if (libssh2_agent_get_identity(agent, &identity, NULL) != 0) FAIL(33);
  {
    const unsigned char msg[] = "parley agent test";
    const char *method;
    unsigned int method_len =
        (unsigned int)(((unsigned)identity->blob[0] << 24) |
                       ((unsigned)identity->blob[1] << 16) |
                       ((unsigned)identity->blob[2] << 8) | identity->blob[3]);
    method = (const char *)identity->blob + 4;
    if (method_len == 7 && memcmp(method, "ssh-rsa", 7) == 0) {
      method = "rsa-sha2-256";
      method_len = 12;
    }
    rc = libssh2_agent_sign(agent, identity, &sig, &sig_len, msg,
                            sizeof(msg) - 1, method, method_len);
    if (rc != 0 || sig_len == 0) FAIL(34);
    fprintf(stderr, "agent signed with %.*s: %u bytes\n", (int)method_len,
            method, (unsigned)sig_len);
    libssh2_free(session, sig);
  }

  if (nonblocking) libssh2_session_set_blocking(session, 0);
  for (prev = NULL;; prev = identity) {
    rc = libssh2_agent_get_identity(agent, &identity, prev);
    if (rc == 1) {
      fprintf(stderr, "no agent key was accepted\n");
      FAIL(18);
    }
    if (rc < 0) FAIL(35);
    while ((rc = libssh2_agent_userauth(agent, argv[3], identity)) ==
           LIBSSH2_ERROR_EAGAIN) {
      wait_socket(sock, session);
    }
    fprintf(stderr, "key %s: %s\n", identity->comment,
            rc == 0 ? "accepted" : "refused");
    if (rc == 0) break;
  }
  libssh2_session_set_blocking(session, 1);

  channel = libssh2_channel_open_session(session);
  if (!channel) FAIL(21);
  if (forward && libssh2_channel_request_auth_agent(channel) != 0) {
    char *msg;
    libssh2_session_last_error(session, &msg, NULL, 0);
    fprintf(stderr, "agent forwarding refused: %s\n", msg);
    FAIL(36);
  }
  if (libssh2_channel_exec(channel, argv[5]) != 0) FAIL(22);
  while ((n = libssh2_channel_read(channel, buf, sizeof(buf))) > 0) {
    fwrite(buf, 1, (size_t)n, stdout);
  }
  libssh2_channel_close(channel);
  libssh2_channel_wait_closed(channel);
  result = libssh2_channel_get_exit_status(channel);
cleanup:
  if (channel) libssh2_channel_free(channel);
  if (agent) {
    libssh2_agent_disconnect(agent);
    libssh2_agent_free(agent);
  }
  libssh2_session_disconnect(session, "bye");
  libssh2_session_free(session);
  close(sock);
  libssh2_exit();
  fflush(stdout);
  return result;
}
