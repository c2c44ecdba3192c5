// Responders answer keyboard-interactive challenges on the user's behalf
// (a terminal, an OTP generator, a smartcard, a script). This is the C++
// interface; plugins reach it through a versioned C ABI (core/plugin).
//
// A responder gets the typed, already validated challenge and either answers
// (one response per prompt), asks to be called again later (a smartcard is
// busy, a push approval is pending), cancels the login, or declines so that
// the next responder of a chain may answer.
//
// Answering later: a responder that returns kRetryLater must make sure that
// challenge.waker.Wake() is called once it can answer (from any thread), or
// say through retry_after() when to be asked again (a one-time code valid
// from the next time step); the engine then calls Respond() again with the
// same challenge. Nothing is polled: without a wake or a retry time the
// responder is asked again only when the round deadline passes (which ends
// the login). The challenge is an owned value:
// a responder that works on another thread copies what it needs (or the
// whole Challenge) and must not keep references into it after returning.
#ifndef PARLEY_CORE_AUTH_RESPONDER_H_
#define PARLEY_CORE_AUTH_RESPONDER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/optional.h"
#include "core/auth/kbdint.h"
#include "core/base/secure_buffer.h"
#include "core/base/waker.h"

namespace parley::auth {

struct Challenge {
  InfoRequest request;
  int round = 0;     // 1 for the first INFO_REQUEST of this attempt
  std::string user;  // the user being authenticated
  // The server (as the application named it) and its host key's
  // fingerprint ("SHA256:..."), for responders that keep per-server state.
  std::string host;
  uint16_t port = 0;
  std::string host_key_fingerprint;
  // Time left before the round deadline when the responder is called
  // (nullopt: no round deadline).
  absl::optional<std::chrono::milliseconds> time_left;
  // Wake() when an answer is ready after kRetryLater.
  Waker waker;
};

enum class ResponderStatus {
  kAnswered,    // `answers` holds one response per prompt
  kRetryLater,  // call again (after challenge.waker.Wake()) with the same
                // challenge
  kCancel,      // abort the login; nothing more is sent
  kDecline,     // not mine: let the next responder of a chain answer
};

class Responder {
 public:
  virtual ~Responder() = default;
  // `answers` arrives empty. Called once per round, or again after
  // kRetryLater, on the thread that drives the login.
  virtual ResponderStatus Respond(const Challenge& challenge,
                                  std::vector<SecureBuffer>* answers) = 0;
  // After kRetryLater: ask again after this long even without a wake
  // (zero: only after a wake).
  virtual std::chrono::milliseconds retry_after() const {
    return std::chrono::milliseconds(0);
  }
  // After kCancel: why, for the login's error ("no responder answers the
  // prompt 'Token: '"); OK for a plain cancel.
  virtual absl::Status failure() const { return absl::OkStatus(); }
  // The round this responder was asked about ended without its answer
  // (cancel, deadline, the connection failed): drop any work in progress.
  // Called on the driving thread, only after a kRetryLater.
  virtual void Abort() {}
};

// Asks each responder in turn; the first that does not decline decides.
// A responder that asked to be called later is asked again first. If all
// decline, the login is cancelled.
class ResponderChain : public Responder {
 public:
  void Add(std::shared_ptr<Responder> r) { chain_.push_back(std::move(r)); }
  ResponderStatus Respond(const Challenge& challenge,
                          std::vector<SecureBuffer>* answers) override;
  std::chrono::milliseconds retry_after() const override;
  void Abort() override;

 private:
  std::vector<std::shared_ptr<Responder>> chain_;
  // The responder that returned kRetryLater for the current round.
  Responder* waiting_ = nullptr;
};

// Adapts a function.
class FunctionResponder : public Responder {
 public:
  using Fn = std::function<ResponderStatus(const Challenge&,
                                           std::vector<SecureBuffer>*)>;
  explicit FunctionResponder(Fn fn) : fn_(std::move(fn)) {}
  ResponderStatus Respond(const Challenge& challenge,
                          std::vector<SecureBuffer>* answers) override {
    return fn_(challenge, answers);
  }

 private:
  Fn fn_;
};

// Answers every non-echoed prompt with a password (the common PAM case) and
// declines rounds that ask for anything else. Zero-prompt rounds are
// answered with zero responses.
class PasswordResponder : public Responder {
 public:
  explicit PasswordResponder(SecureBuffer password)
      : password_(std::move(password)) {}
  ResponderStatus Respond(const Challenge& challenge,
                          std::vector<SecureBuffer>* answers) override;

 private:
  SecureBuffer password_;
};

}  // namespace parley::auth

#endif  // PARLEY_CORE_AUTH_RESPONDER_H_
