/*
 * pam_parley_challenge: challenge signing at sshd's keyboard-interactive
 * step (docs/CHALLENGE.md). Shows a fresh nonce in a prompt
 * ("parley-challenge:v1:NONCE"), reads the answer, and has
 * parley-challenge-verify check it against the user's keys.
 *
 *   auth required pam_parley_challenge.so
 *        verifier=/usr/local/bin/parley-challenge-verify
 *        [keys=%h/.ssh/authorized_keys] [timeout=10]
 *
 * keys: the keys file, "%u" standing for the user and "%h" for the home
 * directory (default: %h/.ssh/authorized_keys). The verifier runs with an
 * empty environment and only the answer on its standard input; it gets
 * `timeout` seconds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define PAM_SM_AUTH
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#define MAX_PATH 4096
#define MAX_ANSWER 16384
#define NONCE_BYTES 32

/* RFC 4648 section 5 (base64url), unpadded. */
static void base64url(const unsigned char *in, size_t n, char *out) {
  static const char a[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t i, o = 0;
  for (i = 0; i + 2 < n; i += 3) {
    unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
    out[o++] = a[v >> 18 & 63];
    out[o++] = a[v >> 12 & 63];
    out[o++] = a[v >> 6 & 63];
    out[o++] = a[v & 63];
  }
  if (n - i == 1) {
    unsigned v = (unsigned)in[i] << 16;
    out[o++] = a[v >> 18 & 63];
    out[o++] = a[v >> 12 & 63];
  } else if (n - i == 2) {
    unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
    out[o++] = a[v >> 18 & 63];
    out[o++] = a[v >> 12 & 63];
    out[o++] = a[v >> 6 & 63];
  }
  out[o] = '\0';
}

/* A user name safe to pass on: no path or control characters. */
static int safe_user(const char *u) {
  const unsigned char *p;
  if (u == NULL || *u == '\0' || *u == '-' || strlen(u) > 256) return 0;
  for (p = (const unsigned char *)u; *p; ++p) {
    if (*p <= ' ' || *p == '/' || *p == 0x7f) return 0;
  }
  return 1;
}

/* `pattern` with %u and %h replaced; 0 on success. */
static int expand(const char *pattern, const char *user, const char *home,
                  char *out, size_t size) {
  size_t o = 0;
  const char *p;
  for (p = pattern; *p; ++p) {
    const char *add = NULL;
    char one[2] = {*p, '\0'};
    if (*p == '%' && (p[1] == 'u' || p[1] == 'h' || p[1] == '%')) {
      add = p[1] == 'u' ? user : p[1] == 'h' ? home : "%";
      ++p;
    } else {
      add = one;
    }
    if (o + strlen(add) >= size) return -1;
    memcpy(out + o, add, strlen(add));
    o += strlen(add);
  }
  out[o] = '\0';
  return out[0] == '/' ? 0 : -1;
}

/* Runs the verifier with `answer` on its stdin; its exit status, or -1. */
static int run_verifier(pam_handle_t *pamh, const char *verifier,
                        const char *user, const char *nonce, const char *keys,
                        const char *answer, int timeout_s) {
  int in[2];
  pid_t pid;
  int status = 0;
  size_t len = strlen(answer), off = 0;
  struct timespec start, now;
  if (pipe2(in, O_CLOEXEC) != 0) return -1;
  pid = fork();
  if (pid < 0) {
    close(in[0]);
    close(in[1]);
    return -1;
  }
  if (pid == 0) {
    char *const argv[] = {(char *)verifier, "--user", (char *)user, "--nonce",
                          (char *)nonce,    "--keys", (char *)keys, NULL};
    char *const envp[] = {NULL};
    int devnull = open("/dev/null", O_WRONLY);
    if (dup2(in[0], 0) < 0) _exit(127);
    /* stdout to /dev/null; stderr kept for the server's log. */
    if (devnull >= 0) dup2(devnull, 1);
    closefrom(3);
    execve(verifier, argv, envp);
    _exit(127);
  }
  close(in[0]);
  signal(SIGPIPE, SIG_IGN);
  while (off < len) {
    ssize_t w = write(in[1], answer + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    off += (size_t)w;
  }
  if (write(in[1], "\n", 1) != 1) { /* the verifier may have exited */
  }
  close(in[1]);
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return -1;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= timeout_s) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      pam_syslog(pamh, LOG_ERR, "%s took longer than %d s", verifier,
                 timeout_s);
      return -1;
    }
    poll(NULL, 0, 20);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
                                   const char **argv) {
  const char *verifier = NULL, *keys_pattern = "%h/.ssh/authorized_keys";
  const char *user = NULL;
  char keys[MAX_PATH], nonce[64], *answer = NULL;
  unsigned char random[NONCE_BYTES];
  struct passwd *pw;
  int timeout_s = 10, i, rc, status;
  (void)flags;
  for (i = 0; i < argc; ++i) {
    if (strncmp(argv[i], "verifier=", 9) == 0) {
      verifier = argv[i] + 9;
    } else if (strncmp(argv[i], "keys=", 5) == 0) {
      keys_pattern = argv[i] + 5;
    } else if (strncmp(argv[i], "timeout=", 8) == 0) {
      timeout_s = atoi(argv[i] + 8);
      if (timeout_s < 1 || timeout_s > 300) timeout_s = 10;
    } else {
      pam_syslog(pamh, LOG_ERR, "unknown option %s", argv[i]);
      return PAM_SERVICE_ERR;
    }
  }
  if (verifier == NULL || verifier[0] != '/') {
    pam_syslog(pamh, LOG_ERR, "verifier=ABSOLUTE_PATH is required");
    return PAM_SERVICE_ERR;
  }
  rc = pam_get_user(pamh, &user, NULL);
  if (rc != PAM_SUCCESS) return rc;
  if (!safe_user(user)) return PAM_USER_UNKNOWN;
  pw = getpwnam(user);
  if (pw == NULL) return PAM_USER_UNKNOWN;
  if (expand(keys_pattern, user, pw->pw_dir, keys, sizeof(keys)) != 0) {
    pam_syslog(pamh, LOG_ERR, "keys= must give an absolute path");
    return PAM_SERVICE_ERR;
  }
  if (getrandom(random, sizeof(random), 0) != (ssize_t)sizeof(random)) {
    return PAM_SYSTEM_ERR;
  }
  base64url(random, sizeof(random), nonce);
  rc = pam_prompt(pamh, PAM_PROMPT_ECHO_ON, &answer,
                  "Sign this challenge with your smartcard: "
                  "parley-challenge:v1:%s\nSignature: ",
                  nonce);
  if (rc != PAM_SUCCESS) return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : rc;
  if (answer == NULL || strlen(answer) > MAX_ANSWER) {
    free(answer);
    return PAM_AUTH_ERR;
  }
  status = run_verifier(pamh, verifier, user, nonce, keys, answer, timeout_s);
  free(answer);
  if (status == 0) return PAM_SUCCESS;
  if (status == 2 || status < 0) {
    pam_syslog(pamh, LOG_ERR, "%s could not check the answer (status %d)",
               verifier, status);
  }
  return PAM_AUTH_ERR;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc,
                              const char **argv) {
  (void)pamh;
  (void)flags;
  (void)argc;
  (void)argv;
  return PAM_SUCCESS;
}
