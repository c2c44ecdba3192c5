// Signers make the signature of a publickey login (RFC 4252 section 7): an
// in-memory private key (KeySigner), an ssh-agent key, a PKCS#11 token key,
// an application's callback. The login engine knows only this interface, so
// every kind of key plugs in the same way (as Go's ssh.Signer).
//
// Signing may finish later (a token asks for a PIN, an agent is slow):
// Sign() then returns kRetryLater and must make sure request.waker.Wake()
// is called once it can answer, or say through retry_after() when to be
// asked again; the engine calls Sign() again with the same request.
// Nothing is polled.
#ifndef PARLEY_CORE_AUTH_SIGNER_H_
#define PARLEY_CORE_AUTH_SIGNER_H_

#include <chrono>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/base/waker.h"
#include "core/crypto/provider.h"
#include "core/crypto/signature.h"

namespace parley::auth {

struct SignRequest {
  // What to sign: string session_id || the USERAUTH_REQUEST so far.
  Bytes data;
  crypto::SignatureAlgorithm algorithm = crypto::SignatureAlgorithm::kEd25519;
  Waker waker;
};

enum class SignResult { kSigned, kRetryLater };

class Signer {
 public:
  virtual ~Signer() = default;
  // The public key and its SSH blob.
  virtual const crypto::PublicKey& public_key() const = 0;
  virtual const Bytes& public_key_blob() const = 0;
  // The signature algorithms this signer can make, in its preference order
  // (the engine picks the first the server accepts). Default: every
  // algorithm of the key's type, rsa-sha2-512 before rsa-sha2-256 for RSA.
  virtual std::vector<crypto::SignatureAlgorithm> algorithms() const;
  // public_key_blob() is an OpenSSH certificate of public_key(): requests
  // name the -cert-v01@openssh.com form of the algorithm (the signature
  // stays the plain key's). Default: false.
  virtual bool certified() const { return false; }
  // Ask the server whether it would accept the key before signing (a query
  // without signature, RFC 4252 section 7): worth a round trip when signing
  // is costly or asks the user (agents, tokens). Default: false.
  virtual bool query_first() const { return false; }
  // kSigned with `*signature` holding the SSH signature blob (string
  // algorithm name, string signature), kRetryLater, or an error (the login
  // attempt fails with it).
  virtual absl::StatusOr<SignResult> Sign(const SignRequest& request,
                                          Bytes* signature) = 0;
  // After kRetryLater: ask again after this long even without a wake
  // (zero: only after a wake).
  virtual std::chrono::milliseconds retry_after() const {
    return std::chrono::milliseconds(0);
  }
  // The attempt ended while a signature was in progress: drop it.
  virtual void Abort() {}
};

// Delegates everything to another signer; the decorators below change one
// thing each.
class ForwardingSigner : public Signer {
 public:
  explicit ForwardingSigner(std::shared_ptr<Signer> inner)
      : inner_(std::move(inner)) {}
  const crypto::PublicKey& public_key() const override {
    return inner_->public_key();
  }
  const Bytes& public_key_blob() const override {
    return inner_->public_key_blob();
  }
  bool certified() const override { return inner_->certified(); }
  std::vector<crypto::SignatureAlgorithm> algorithms() const override {
    return inner_->algorithms();
  }
  bool query_first() const override { return inner_->query_first(); }
  absl::StatusOr<SignResult> Sign(const SignRequest& request,
                                  Bytes* signature) override {
    return inner_->Sign(request, signature);
  }
  std::chrono::milliseconds retry_after() const override {
    return inner_->retry_after();
  }
  void Abort() override { inner_->Abort(); }

 private:
  std::shared_ptr<Signer> inner_;
};

// Presents an OpenSSH certificate for another signer's key (which signs):
// the certificate's blob in place of the plain key's.
class CertifiedSigner : public ForwardingSigner {
 public:
  CertifiedSigner(std::shared_ptr<Signer> inner, Bytes certificate_blob)
      : ForwardingSigner(std::move(inner)),
        blob_(std::move(certificate_blob)) {}
  const Bytes& public_key_blob() const override { return blob_; }
  bool certified() const override { return true; }

 private:
  Bytes blob_;
};

// Offers only the algorithms an application named, in its order
// (libssh2's LIBSSH2_METHOD_SIGN_ALGO, OpenSSH's PubkeyAcceptedAlgorithms):
// this is how ssh-rsa (SHA-1) signatures are asked for, for servers too old
// for rsa-sha2. Names of other key types are ignored; if none fits the
// key, the inner signer's own list stands.
class PreferredAlgorithmsSigner : public ForwardingSigner {
 public:
  PreferredAlgorithmsSigner(std::shared_ptr<Signer> inner,
                            std::vector<crypto::SignatureAlgorithm> wanted);
  std::vector<crypto::SignatureAlgorithm> algorithms() const override {
    return algorithms_;
  }

 private:
  std::vector<crypto::SignatureAlgorithm> algorithms_;
};

// Signs with a private key in memory.
class KeySigner : public Signer {
 public:
  KeySigner(std::shared_ptr<const crypto::CryptoProvider> provider,
            crypto::PrivateKey key);
  const crypto::PublicKey& public_key() const override {
    return key_.public_key;
  }
  const Bytes& public_key_blob() const override { return blob_; }
  absl::StatusOr<SignResult> Sign(const SignRequest& request,
                                  Bytes* signature) override;

 private:
  std::shared_ptr<const crypto::CryptoProvider> provider_;
  crypto::PrivateKey key_;
  Bytes blob_;
};

}  // namespace parley::auth

#endif  // PARLEY_CORE_AUTH_SIGNER_H_
