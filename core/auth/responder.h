// Responders answer keyboard-interactive challenges on the user's behalf
// (a terminal, an OTP generator, a smartcard, a script). This is the C++
// interface; plugins reach it through a versioned C ABI (core/plugin).
//
// A responder gets the typed, already validated challenge and either answers
// (one response per prompt), asks to be called again later (a smartcard is
// busy, a push approval is pending: the non-blocking driver then returns
// "would block on the responder" instead of blocking the thread), cancels
// the login, or declines so that the next responder of a chain may answer.
#ifndef PARLEY_CORE_AUTH_RESPONDER_H_
#define PARLEY_CORE_AUTH_RESPONDER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/auth/kbdint.h"
#include "core/base/secure_buffer.h"

namespace parley::auth {

struct Challenge {
  const InfoRequest& request;
  int round;         // 1 for the first INFO_REQUEST of this attempt
  std::string user;  // the user being authenticated
};

enum class ResponderStatus {
  kAnswered,    // `answers` holds one response per prompt
  kRetryLater,  // call again later with the same challenge
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
};

// Asks each responder in turn; the first that does not decline decides.
// If all decline, the login is cancelled.
class ResponderChain : public Responder {
 public:
  void Add(std::shared_ptr<Responder> r) { chain_.push_back(std::move(r)); }
  ResponderStatus Respond(const Challenge& challenge,
                          std::vector<SecureBuffer>* answers) override;

 private:
  std::vector<std::shared_ptr<Responder>> chain_;
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
