/* parley.responder.example: a responder plugin in plain C, built out of
 * tree the way a third party builds one -- against the installed header
 * only:
 *
 *   cc -std=c99 -shared -fPIC -pthread -o libparley_responder_example.so \
 *      example_responder.c $(pkg-config --cflags parley-responder)
 *
 * and installed into PREFIX/lib/parley/plugins/ (mode 0755, not writable by
 * others). It answers the prompts whose text contains `match` with the
 * value of the environment variable `variable`, fetched on a worker thread
 * -- as a real plugin would ask a token, a vault or a phone -- while the
 * session carries on: respond() returns PARLEY_RESPOND_LATER and the worker
 * wakes the session once the answer is ready.
 *
 * Configuration: match=TEXT and variable=NAME (both required), delay-ms=N
 * (how long the worker takes; default 50).
 *
 * What it shows: configuration and refusing it with a reason, claim(),
 * an asynchronous respond() with retain_waker/wake/release_waker, abort(),
 * answers through set_answer() with the plugin's copy wiped, and log().
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <parley_responder.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A volatile pointer keeps the compiler from dropping the wipe. */
static void wipe(void *p, size_t n) {
  volatile unsigned char *v = (volatile unsigned char *)p;
  while (n-- > 0) *v++ = 0;
}

/* One round's work, shared by the instance and its worker thread. */
struct job {
  pthread_mutex_t mu;
  int refs; /* the instance's and the worker's */
  int done;
  int dropped; /* the round ended without the answer */
  char *answer;
  size_t answer_len;
  const parley_host_api *host;
  parley_host_waker *waker;
  char variable[128];
  unsigned delay_ms;
};

struct instance {
  const parley_host_api *host;
  parley_host_instance *host_instance;
  char match[256];
  char variable[128];
  unsigned delay_ms;
  struct job *job; /* the round in progress, or NULL */
  uint32_t job_round;
};

static void log_message(const struct instance *inst, parley_log_level level,
                        const char *message) {
  inst->host->log(inst->host_instance, level, message, strlen(message));
}

static void job_unref(struct job *job) {
  int last;
  pthread_mutex_lock(&job->mu);
  last = --job->refs == 0;
  pthread_mutex_unlock(&job->mu);
  if (!last) return;
  if (job->answer != NULL) {
    wipe(job->answer, job->answer_len);
    free(job->answer);
  }
  pthread_mutex_destroy(&job->mu);
  free(job);
}

static void *worker(void *arg) {
  struct job *job = arg;
  struct timespec t;
  const char *value;
  t.tv_sec = job->delay_ms / 1000;
  t.tv_nsec = (long)(job->delay_ms % 1000) * 1000000L;
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
  value = getenv(job->variable);
  pthread_mutex_lock(&job->mu);
  if (value != NULL) {
    job->answer_len = strlen(value);
    job->answer = malloc(job->answer_len + 1);
    if (job->answer != NULL) memcpy(job->answer, value, job->answer_len + 1);
  }
  job->done = 1;
  /* wake() is the one host call allowed from any thread. Under the lock, so
     that it never runs after the instance dropped the round and released
     the waker. */
  if (!job->dropped) job->host->wake(job->waker);
  pthread_mutex_unlock(&job->mu);
  job_unref(job);
  return NULL;
}

/* Ends the instance's part in the current job (on the session's thread). */
static void finish_job(struct instance *inst) {
  struct job *job = inst->job;
  if (job == NULL) return;
  pthread_mutex_lock(&job->mu);
  job->dropped = 1;
  pthread_mutex_unlock(&job->mu);
  inst->host->release_waker(job->waker);
  inst->job = NULL;
  job_unref(job);
}

static int copy_value(char *out, size_t size, parley_str value) {
  if (value.length == 0 || value.length >= size) return -1;
  memcpy(out, value.data, value.length);
  out[value.length] = '\0';
  return 0;
}

/* Whether `text` contains `needle`; server text may hold NUL bytes, so the
   length counts, not the terminator. */
static int contains(parley_str text, const char *needle) {
  const size_t n = strlen(needle);
  size_t i;
  if (n > text.length) return 0;
  for (i = 0; i + n <= text.length; i++) {
    if (memcmp(text.data + i, needle, n) == 0) return 1;
  }
  return 0;
}

static int key_is(parley_str key, const char *name) {
  return key.length == strlen(name) && memcmp(key.data, name, key.length) == 0;
}

static void *create(const parley_host_api *host,
                    parley_host_instance *host_instance,
                    const parley_config_entry *config, size_t num_config,
                    char *error, size_t error_size) {
  struct instance *inst = calloc(1, sizeof(*inst));
  size_t i;
  if (inst == NULL) {
    snprintf(error, error_size, "out of memory");
    return NULL;
  }
  inst->host = host;
  inst->host_instance = host_instance;
  inst->delay_ms = 50;
  for (i = 0; i < num_config; i++) {
    const parley_config_entry *e = &config[i];
    int bad = 0;
    if (key_is(e->key, "match")) {
      bad = copy_value(inst->match, sizeof(inst->match), e->value);
    } else if (key_is(e->key, "variable")) {
      bad = copy_value(inst->variable, sizeof(inst->variable), e->value);
    } else if (key_is(e->key, "delay-ms")) {
      char digits[8];
      char *end = digits;
      long ms;
      bad = copy_value(digits, sizeof(digits), e->value);
      ms = bad ? -1 : strtol(digits, &end, 10);
      bad = ms < 0 || ms > 60000 || *end != '\0';
      inst->delay_ms = (unsigned)ms;
    } else {
      snprintf(error, error_size, "unknown option \"%.*s\"",
               (int)(e->key.length > 64 ? 64 : e->key.length), e->key.data);
      free(inst);
      return NULL;
    }
    if (bad) {
      snprintf(error, error_size, "bad value for %.*s",
               (int)(e->key.length > 64 ? 64 : e->key.length), e->key.data);
      free(inst);
      return NULL;
    }
  }
  if (inst->match[0] == '\0' || inst->variable[0] == '\0') {
    snprintf(error, error_size, "match=TEXT and variable=NAME are required");
    free(inst);
    return NULL;
  }
  return inst;
}

static void destroy(void *instance) {
  struct instance *inst = instance;
  finish_job(inst);
  free(inst);
}

static void claim(void *instance, const parley_challenge *c,
                  unsigned char *claimed) {
  const struct instance *inst = instance;
  size_t i;
  for (i = 0; i < c->num_prompts; i++) {
    claimed[i] = (unsigned char)contains(c->prompts[i].text, inst->match);
  }
}

static parley_respond_status respond(void *instance, const parley_challenge *c,
                                     parley_host_answers *answers,
                                     uint32_t *retry_after_ms) {
  struct instance *inst = instance;
  struct job *job;
  pthread_t thread;
  int done;
  size_t i;
  (void)retry_after_ms;
  if (inst->job != NULL && inst->job_round != c->round) finish_job(inst);
  if (inst->job == NULL) {
    job = calloc(1, sizeof(*job));
    if (job == NULL) {
      log_message(inst, PARLEY_LOG_ERROR, "out of memory");
      return PARLEY_RESPOND_CANCEL;
    }
    pthread_mutex_init(&job->mu, NULL);
    job->refs = 2;
    job->host = inst->host;
    job->waker = inst->host->retain_waker(c->waker);
    memcpy(job->variable, inst->variable, sizeof(job->variable));
    job->delay_ms = inst->delay_ms;
    inst->job = job;
    inst->job_round = c->round;
    if (pthread_create(&thread, NULL, worker, job) != 0) {
      job->refs = 1; /* no worker */
      finish_job(inst);
      log_message(inst, PARLEY_LOG_ERROR, "cannot start a thread");
      return PARLEY_RESPOND_CANCEL;
    }
    pthread_detach(thread);
    log_message(inst, PARLEY_LOG_DEBUG, "fetching the answer");
    return PARLEY_RESPOND_LATER;
  }
  job = inst->job;
  pthread_mutex_lock(&job->mu);
  done = job->done;
  pthread_mutex_unlock(&job->mu);
  if (!done) return PARLEY_RESPOND_LATER; /* woken for another reason */
  if (job->answer == NULL) {
    log_message(inst, PARLEY_LOG_ERROR,
                "the answer's environment variable is not set");
    finish_job(inst);
    return PARLEY_RESPOND_CANCEL;
  }
  for (i = 0; i < c->num_prompts; i++) {
    if (c->asked[i] &&
        inst->host->set_answer(answers, i, job->answer, job->answer_len) != 0) {
      finish_job(inst);
      return PARLEY_RESPOND_CANCEL;
    }
  }
  finish_job(inst); /* wipes and frees the plugin's copy */
  return PARLEY_RESPOND_ANSWERED;
}

static void abort_round(void *instance) { finish_job(instance); }

static const parley_responder_plugin plugin = {
    sizeof(parley_responder_plugin),
    PARLEY_RESPONDER_ABI_VERSION,
    "parley.responder.example",
    "example: answers matching prompts from an environment variable, "
    "fetched on a worker thread",
    0,
    create,
    destroy,
    claim,
    respond,
    abort_round,
};

__attribute__((visibility("default"))) uint32_t parley_responder_abi_version(
    void) {
  return PARLEY_RESPONDER_ABI_VERSION;
}

__attribute__((visibility("default"))) const parley_responder_plugin *
parley_responder_entry(void) {
  return &plugin;
}
