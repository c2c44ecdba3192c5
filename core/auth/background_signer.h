// A Signer whose signatures are made by a blocking function on a thread of
// their own (an agent that asks its user to confirm, a token that is slow or
// asks for a PIN), so that the session -- and every session of an event
// loop -- goes on meanwhile: Sign() starts the work and says "later"; the
// worker wakes the session when the signature is ready.
#ifndef PARLEY_CORE_AUTH_BACKGROUND_SIGNER_H_
#define PARLEY_CORE_AUTH_BACKGROUND_SIGNER_H_

#include <functional>
#include <memory>
#include <vector>

#include "core/auth/signer.h"

namespace parley::auth {

class BackgroundSigner : public Signer {
 public:
  // Makes the SSH signature blob of `data` with `algorithm`. Runs on a
  // worker thread; may outlive the signer (it must own what it uses).
  using SignFunction = std::function<absl::StatusOr<Bytes>(
      const Bytes& data, crypto::SignatureAlgorithm algorithm)>;

  BackgroundSigner(crypto::PublicKey key, Bytes blob,
                   std::vector<crypto::SignatureAlgorithm> algorithms,
                   SignFunction sign);
  ~BackgroundSigner() override;

  const crypto::PublicKey& public_key() const override { return key_; }
  const Bytes& public_key_blob() const override { return blob_; }
  std::vector<crypto::SignatureAlgorithm> algorithms() const override;
  // Signing costs a round trip to an agent or a token (and maybe a PIN):
  // ask the server first.
  bool query_first() const override { return true; }
  absl::StatusOr<SignResult> Sign(const SignRequest& request,
                                  Bytes* signature) override;
  void Abort() override;

 private:
  struct Job;
  crypto::PublicKey key_;
  Bytes blob_;
  std::vector<crypto::SignatureAlgorithm> algorithms_;
  std::shared_ptr<const SignFunction> sign_;
  std::shared_ptr<Job> job_;  // the signature in progress
};

}  // namespace parley::auth

#endif  // PARLEY_CORE_AUTH_BACKGROUND_SIGNER_H_
