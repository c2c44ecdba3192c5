// parley_userauth_pkcs11: publickey authentication with the keys of a
// PKCS#11 token (core/pkcs11), with libssh2's conventions: the PIN asked
// through the application's callback on its own thread, EAGAIN while the
// token signs on a non-blocking session, libssh2 error codes.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/capi/internal.h"
#include "core/pkcs11/signer.h"
#include "core/pkcs11/token.h"

namespace parley::capi {

struct SessionHandle::Pkcs11Keys {
  std::shared_ptr<pkcs11::Module> module;
  std::vector<pkcs11::TokenSigner> keys;
  size_t next = 0;  // the key being offered
};

int SessionHandle::UserauthPkcs11(absl::string_view user,
                                  const char* module_or_uri,
                                  PinCallback callback, void* abstract) {
  if (module_or_uri == nullptr) {
    return SetError(LIBSSH2_ERROR_INVAL, "no PKCS#11 module or URI given");
  }
  if (int rc = RequireConnected(); rc < 0) return rc;
  const bool resumed =
      pkcs11_keys_ != nullptr && resuming(AuthCall::kPublicKeySigner);
  if (!resumed) {
    absl::StatusOr<pkcs11::KeySelection> selection =
        pkcs11::ParseKeySelection(module_or_uri);
    if (!selection.ok()) {
      return SetError(LIBSSH2_ERROR_FILE, selection.status().message());
    }
    auto keys = std::make_shared<Pkcs11Keys>();
    absl::StatusOr<std::shared_ptr<pkcs11::Module>> module =
        pkcs11::Module::Load(selection->module_path);
    if (!module.ok())
      return SetError(LIBSSH2_ERROR_FILE, module.status().message());
    keys->module = *module;
    // The PIN is asked before signing, on this thread (Login below): the
    // signers themselves never ask.
    absl::StatusOr<std::vector<pkcs11::TokenSigner>> found =
        pkcs11::TokenSigners(*selection, provider_, nullptr);
    if (!found.ok())
      return SetError(LIBSSH2_ERROR_FILE, found.status().message());
    if (found->empty()) {
      return SetError(LIBSSH2_ERROR_FILE,
                      absl::StrCat("no usable key on the PKCS#11 token(s) of ",
                                   module_or_uri));
    }
    keys->keys = *std::move(found);
    pkcs11_keys_ = std::move(keys);
  }
  Pkcs11Keys& k = *pkcs11_keys_;
  const pkcs11::PinSource pin =
      [callback,
       abstract](const pkcs11::PinRequest& r) -> absl::StatusOr<SecureBuffer> {
    if (callback == nullptr) {
      return absl::CancelledError(
          "the token needs a PIN and no callback was given");
    }
    SecureBuffer buf(256);
    const int flags = (r.count_low ? PARLEY_PIN_COUNT_LOW : 0) |
                      (r.final_try ? PARLEY_PIN_FINAL_TRY : 0);
    const int n =
        callback(r.token_label.c_str(), flags,
                 reinterpret_cast<char*>(buf.data()), buf.size(), abstract);
    if (n < 0 || static_cast<size_t>(n) > buf.size()) {
      return absl::CancelledError("the PIN callback declined");
    }
    buf.resize(static_cast<size_t>(n));
    return buf;
  };
  bool resuming_key = resumed;
  while (k.next < k.keys.size()) {
    const pkcs11::TokenSigner& key = k.keys[k.next];
    if (!resuming_key) {
      absl::Status login = k.module->Login(key.key, pin);
      if (!login.ok()) {
        pkcs11_keys_.reset();
        return SetError(
            absl::IsPermissionDenied(login) || absl::IsCancelled(login)
                ? LIBSSH2_ERROR_KEYFILE_AUTH_FAILED
                : LIBSSH2_ERROR_FILE,
            login.message());
      }
    }
    resuming_key = false;
    const int rc = UserauthSigner(user, key.signer);
    if (rc == LIBSSH2_ERROR_EAGAIN) return rc;
    if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED && !partial_success_) {
      ++k.next;  // refused: the next key
      continue;
    }
    pkcs11_keys_.reset();
    return rc;
  }
  pkcs11_keys_.reset();
  return SetError(LIBSSH2_ERROR_AUTHENTICATION_FAILED,
                  "Authentication failed (publickey): no key of the token was "
                  "accepted");
}

}  // namespace parley::capi

using parley::capi::Guarded;
using parley::capi::SessionHandle;

extern "C" {

int parley_userauth_pkcs11(LIBSSH2_SESSION* session, const char* username,
                           const char* module_or_uri,
                           parley_pin_callback pin_callback, void* abstract) {
  if (session == nullptr || !session->valid()) return LIBSSH2_ERROR_BAD_USE;
  if (username == nullptr) {
    return session->SetError(LIBSSH2_ERROR_INVAL, "no username given");
  }
  return Guarded(session, LIBSSH2_ERROR_ALLOC, [&] {
    return session->UserauthPkcs11(username, module_or_uri, pin_callback,
                                   abstract);
  });
}

}  // extern "C"
