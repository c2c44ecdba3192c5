// Keys on PKCS#11 tokens (smartcards, HSMs; SoftHSM2 in tests): finding
// them by an RFC 7512 pkcs11: URI (parsed by p11-kit), logging in with a
// PIN from a PIN source, and signing -- the key never leaves the token.
//
// A module is loaded once per process through core/module (the same trust
// checks as every module) and initialised for use from several threads
// (CKF_OS_LOCKING_OK); it stays loaded. Each token keeps one session open
// once logged in, so the PIN is asked once per token, as ssh-agent does.
// A wrong PIN is never retried by Parley: the error says so and the next
// attempt asks again (tokens lock after a few wrong PINs).
#ifndef PARLEY_CORE_PKCS11_TOKEN_H_
#define PARLEY_CORE_PKCS11_TOKEN_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/base/secure_buffer.h"
#include "core/crypto/algorithms.h"
#include "core/crypto/provider.h"
#include "core/crypto/signature.h"

namespace parley::pkcs11 {

// What a PIN is asked for (and what the token says about its retries).
struct PinRequest {
  std::string token_label;
  bool count_low = false;  // CKF_USER_PIN_COUNT_LOW: a wrong PIN was given
  bool final_try = false;  // CKF_USER_PIN_FINAL_TRY: one more locks it
};
// The PIN (Parley wipes it after C_Login), or an error: kCancelled when
// the user declined.
using PinSource =
    std::function<absl::StatusOr<SecureBuffer>(const PinRequest& request)>;

struct TokenKey {
  std::string module_path;
  std::string token_label;
  std::string token_serial;
  std::string label;  // CKA_LABEL
  Bytes id;           // CKA_ID (the private key has the same)
  crypto::PublicKey public_key;
  Bytes blob;  // the SSH public-key blob
};

// A token as C_GetTokenInfo describes it.
struct TokenInfo {
  std::string label;
  std::string serial;
  std::string manufacturer;
  std::string model;
};

// The HMAC mechanisms of secret-key objects (CKM_SHA_1_HMAC, ...).
enum class HmacHash { kSha1, kSha256, kSha512 };

// "MODULE" or "pkcs11:...?module-path=MODULE" (a URI without module-path
// needs `default_module`). kInvalidArgument for a malformed URI, naming
// p11-kit's reason; a URI holding pin-value is refused (a PIN never goes on
// a command line).
struct KeySelection {
  std::string module_path;
  std::string uri;  // empty: every key of every token
};
absl::StatusOr<KeySelection> ParseKeySelection(
    const std::string& module_or_uri, const std::string& default_module = "");

class Module {
 public:
  // The module at `path`, loaded and initialised once per process.
  static absl::StatusOr<std::shared_ptr<Module>> Load(const std::string& path);
  ~Module();

  const std::string& path() const { return path_; }
  // The public keys (RSA, ECDSA P-256/384/521, Ed25519) of the tokens the
  // URI selects (token and object attributes; empty: all), in slot order.
  // Keys of other types are skipped. No PIN is needed.
  absl::StatusOr<std::vector<TokenKey>> FindKeys(const std::string& uri);
  // Logs in to the token of `key` now (PIN from `pin`) if it needs it and
  // no session of ours is logged in: what a caller does to have the PIN
  // asked on its own thread rather than the signer's.
  absl::Status Login(const TokenKey& key, const PinSource& pin);
  // Signs `data` with the private key of `key` and returns the SSH
  // signature blob. Logs in first (PIN from `pin`) if the token needs it.
  // Errors: kPermissionDenied (PIN incorrect or locked), kUnavailable (no
  // such token: removed), kNotFound (no private key with that id),
  // kCancelled (the PIN source declined), kFailedPrecondition (other
  // PKCS#11 errors, named).
  absl::StatusOr<Bytes> Sign(const TokenKey& key,
                             crypto::SignatureAlgorithm algorithm,
                             ByteView data,
                             const crypto::CryptoProvider& provider,
                             const PinSource& pin);
  // The same with the digest ECDSA needs computed by `digest` (for callers
  // without a crypto provider, such as responder plugins).
  using Digester =
      std::function<absl::StatusOr<Bytes>(crypto::HashAlgorithm, ByteView)>;
  absl::StatusOr<Bytes> Sign(const TokenKey& key,
                             crypto::SignatureAlgorithm algorithm,
                             ByteView data, const Digester& digest,
                             const PinSource& pin);

  // The initialised tokens the URI's token attributes select (empty: all).
  absl::StatusOr<std::vector<TokenInfo>> Tokens(const std::string& uri);

  // HMAC of `data` computed on the token with the secret key the URI
  // selects: exactly one token (its attributes) and exactly one secret key
  // object (label, id) must match, else kNotFound / kInvalidArgument naming
  // the ambiguity. Logs in first (PIN from `pin`): card-held secrets are
  // private objects. The key never leaves the token.
  absl::StatusOr<SecureBuffer> Hmac(const std::string& uri, HmacHash hash,
                                    ByteView data, const PinSource& pin);

  // Stores `secret` on the one token the URI selects as a generic secret
  // key for HMAC: a private, sensitive, non-extractable token object
  // labelled `label` (CKA_ID `id`). kAlreadyExists when the token holds a
  // secret key with that label already. Logs in (PIN from `pin`).
  absl::Status ImportSecret(const std::string& uri, const std::string& label,
                            ByteView id, const SecureBuffer& secret,
                            const PinSource& pin);

  struct Impl;

 private:
  explicit Module(std::string path);
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

// The name of a CKR_ value ("CKR_PIN_INCORRECT").
std::string ReturnValueName(unsigned long rv);

}  // namespace parley::pkcs11

#endif  // PARLEY_CORE_PKCS11_TOKEN_H_
