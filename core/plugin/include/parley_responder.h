/*
 * Parley responder plugins: the C ABI, version 1.
 *
 * A responder plugin answers keyboard-interactive prompts (RFC 4256) for
 * Parley: a one-time code, a PIN, a scripted answer, a terminal prompt. It is
 * a shared object that exports two functions:
 *
 *   uint32_t parley_responder_abi_version(void);
 *       returns PARLEY_RESPONDER_ABI_VERSION as the plugin was built with.
 *       Parley calls it before anything else and refuses a plugin whose
 *       version differs from its own.
 *   const parley_responder_plugin *parley_responder_entry(void);
 *       returns the plugin's description and entry points (static storage).
 *
 * Nothing but C crosses this boundary: no C++ type, no Parley status, no
 * allocator. Strings are (pointer, length) pairs. Every pointer says who owns
 * it and for how long ("OWNERSHIP:" notes below). Structures that may grow
 * start with `struct_size`: a reader uses only the fields that fit in the
 * size the writer gave.
 *
 * Threading: create, claim, respond, abort and destroy of one instance are
 * called on one thread at a time (the thread driving its session); an
 * instance serves one login at a time. Only host->wake may be called from
 * any thread (and from a signal handler). Parley never unloads a plugin once
 * loaded, so a thread the plugin started may finish after destroy() -- but
 * it must not touch the destroyed instance.
 *
 * Security: a plugin runs inside the program that loads it, with all its
 * rights; it is not a security boundary. Parley loads plugins only from
 * trusted folders (not writable by group or others, owned by the user or
 * root). See docs/PLUGINS.md.
 */
#ifndef PARLEY_RESPONDER_H_
#define PARLEY_RESPONDER_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PARLEY_RESPONDER_ABI_VERSION 1u
#define PARLEY_RESPONDER_ABI_SYMBOL "parley_responder_abi_version"
#define PARLEY_RESPONDER_ENTRY_SYMBOL "parley_responder_entry"
#define PARLEY_NO_DEADLINE 0xffffffffu

/* A string of `length` bytes. OWNERSHIP: the writer's; valid for the
   duration stated where it is passed. Text from the server is UTF-8
   (invalid sequences replaced by U+FFFD) but may hold NUL bytes: use
   `length`. A NUL byte follows the data in strings the host passes, for
   convenience. */
typedef struct parley_str {
  const char *data;
  size_t length;
} parley_str;

/* What a prompt asks for, as the host classifies its text. Plugins claim
   prompts by class (parley_responder_plugin.prompt_classes) or by their own
   rules (claim). */
typedef enum parley_prompt_class {
  PARLEY_PROMPT_OTHER = 0,
  PARLEY_PROMPT_PASSWORD = 1, /* "Password:", "passphrase" */
  PARLEY_PROMPT_OTP = 2,      /* one-time codes: OATH, "Verification code" */
  PARLEY_PROMPT_PIN = 3,      /* "PIN" */
  PARLEY_PROMPT_CONFIRM = 4,  /* "(yes/no)", "[y/N]", "confirm" */
  PARLEY_PROMPT_INFO = 5      /* "Press Enter to continue" */
} parley_prompt_class;

#define PARLEY_PROMPT_CLASS_BIT(c) (1u << (unsigned)(c))
#define PARLEY_PROMPT_ALL_CLASSES 0x3fu

typedef struct parley_prompt {
  parley_str text;
  int echo; /* nonzero: the answer may be shown while typed */
  parley_prompt_class prompt_class;
} parley_prompt;

/* Host objects, opaque to plugins. */
typedef struct parley_host_answers parley_host_answers;
typedef struct parley_host_waker parley_host_waker;
typedef struct parley_host_instance parley_host_instance;

/* One keyboard-interactive round. OWNERSHIP: the host's, valid until the
   call it is passed to returns; copy what you need beyond that. */
typedef struct parley_challenge {
  size_t struct_size;
  parley_str name;
  parley_str instruction;
  parley_str language;
  const parley_prompt *prompts;
  size_t num_prompts;
  uint32_t round; /* 1 for the first round of a login */
  parley_str user;
  parley_str server_host;
  uint16_t server_port;
  parley_str host_key_fingerprint; /* "SHA256:..." */
  /* Milliseconds left before the round deadline, at this call;
     PARLEY_NO_DEADLINE when the login has none. A plugin that would need
     longer (to wait for the next one-time code) should cancel and say why
     rather than answer too late. */
  uint32_t round_ms_left;
  /* num_prompts flags: nonzero for the prompts this instance is asked to
     answer in respond() (those it claimed); NULL in claim(). */
  const unsigned char *asked;
  /* Wakes the session after PARLEY_RESPOND_LATER. OWNERSHIP: the host's,
     valid during respond(); host->retain_waker() to keep it longer, and
     host->release_waker() once done. */
  parley_host_waker *waker;
} parley_challenge;

typedef enum parley_respond_status {
  /* host->set_answer() was called for every asked prompt. */
  PARLEY_RESPOND_ANSWERED = 0,
  /* Not ready: call respond() again with the same round after
     host->wake(waker), or after *retry_after_ms milliseconds if the plugin
     set it (a code valid from the next time step). */
  PARLEY_RESPOND_LATER = 1,
  /* Abort the login: nothing more is sent for it. Log the reason first
     (host->log at PARLEY_LOG_ERROR): it becomes the login's error. */
  PARLEY_RESPOND_CANCEL = 2,
  /* Not mine after all: the prompts go to the next responder that claims
     them. */
  PARLEY_RESPOND_DECLINE = 3
} parley_respond_status;

/* Severity for host->log. */
typedef enum parley_log_level {
  PARLEY_LOG_DEBUG = 0,
  PARLEY_LOG_INFO = 1,
  PARLEY_LOG_WARNING = 2,
  PARLEY_LOG_ERROR = 3
} parley_log_level;

/* Services of the host. OWNERSHIP: the host's, static for as long as the
   plugin is loaded. */
typedef struct parley_host_api {
  size_t struct_size;
  /* Stores the answer to prompt `index` of the round being answered, copying
     `length` bytes from `data` into memory the host wipes after use; the
     plugin should wipe its own copy. `answers` is the one passed to
     respond() and valid only during that call. Returns 0, or -1 for a bad
     index or a prompt the instance was not asked. */
  int (*set_answer)(parley_host_answers *answers, size_t index,
                    const char *data, size_t length);
  /* Makes the session call respond() again soon. Any thread, also a signal
     handler; harmless after the login ended. */
  void (*wake)(parley_host_waker *waker);
  /* Keeps `waker` valid beyond respond(); returns it. */
  parley_host_waker *(*retain_waker)(parley_host_waker *waker);
  void (*release_waker)(parley_host_waker *waker);
  /* A message for the user or the logs. Never pass a secret. `instance` is
     the host_instance given to create(). */
  void (*log)(parley_host_instance *instance, parley_log_level level,
              const char *message, size_t length);
} parley_host_api;

/* One configuration entry ("secret-file" = "/path"). OWNERSHIP: the
   host's, valid during create(). The keys "host" and "host-key" are
   Parley's (which servers an instance answers) and never reach a plugin. */
typedef struct parley_config_entry {
  parley_str key;
  parley_str value;
} parley_config_entry;

typedef struct parley_responder_plugin {
  size_t struct_size;
  uint32_t abi_version; /* PARLEY_RESPONDER_ABI_VERSION */
  /* Reversed-DNS name, e.g. "parley.responder.otp"; the last part is the
     short name tools accept ("otp"). Static storage. */
  const char *name;
  const char *description; /* one line; static storage */
  /* The prompt classes the plugin answers by default (bits of
     PARLEY_PROMPT_CLASS_BIT); used when claim is NULL. */
  uint32_t prompt_classes;

  /* Creates an instance from its configuration. On failure returns NULL
     and writes a NUL-terminated reason (no secret) into `error`
     (`error_size` bytes). OWNERSHIP: `host` is static; `host_instance` is
     the host's and valid until destroy(); the returned instance is the
     plugin's until destroy(). */
  void *(*create)(const parley_host_api *host,
                  parley_host_instance *host_instance,
                  const parley_config_entry *config, size_t num_config,
                  char *error, size_t error_size);
  void (*destroy)(void *instance);

  /* Optional: sets claimed[i] to 1 for each prompt the instance would
     answer (claimed has num_prompts zeroed entries). NULL: claims the
     prompts whose class is in prompt_classes. */
  void (*claim)(void *instance, const parley_challenge *challenge,
                unsigned char *claimed);

  /* Answers the asked prompts through host->set_answer(answers, ...). May
     set *retry_after_ms with PARLEY_RESPOND_LATER. */
  parley_respond_status (*respond)(void *instance,
                                   const parley_challenge *challenge,
                                   parley_host_answers *answers,
                                   uint32_t *retry_after_ms);

  /* Optional: the round the instance answered LATER to ended without its
     answer (cancel, deadline, connection lost): drop the work. */
  void (*abort)(void *instance);
} parley_responder_plugin;

/* The two functions a plugin exports (with default visibility). */
typedef uint32_t (*parley_responder_abi_version_fn)(void);
typedef const parley_responder_plugin *(*parley_responder_entry_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PARLEY_RESPONDER_H_ */
