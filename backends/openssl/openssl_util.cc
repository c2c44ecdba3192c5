#include "backends/openssl/openssl_util.h"

#include <openssl/err.h>

#include <string>

#include "absl/status/statusor.h"

namespace parley::crypto::openssl_backend {

absl::Status OpenSslError(absl::string_view what, absl::StatusCode code) {
  std::string message(what);
  unsigned long err;
  char buf[256];
  while ((err = ERR_get_error()) != 0) {
    ERR_error_string_n(err, buf, sizeof(buf));
    message += ": ";
    message += buf;
  }
  return absl::Status(code, message);
}

void ClearOpenSslErrors() { ERR_clear_error(); }

BnPtr BnFromBytes(ByteView b) {
  return BnPtr(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
}

SecretBnPtr SecretBnFromBytes(ByteView b) {
  SecretBnPtr bn(BN_secure_new());
  if (bn &&
      BN_bin2bn(b.data(), static_cast<int>(b.size()), bn.get()) == nullptr) {
    bn.reset();
  }
  return bn;
}

Bytes BnToBytes(const BIGNUM* bn) {
  Bytes out(BN_num_bytes(bn));
  BN_bn2bin(bn, out.data());
  return out;
}

SecureBuffer BnToSecureBytes(const BIGNUM* bn) {
  SecureBuffer out(BN_num_bytes(bn));
  BN_bn2bin(bn, out.data());
  return out;
}

bool BnToPadded(const BIGNUM* bn, MutableByteView out) {
  return BN_bn2binpad(bn, out.data(), static_cast<int>(out.size())) ==
         static_cast<int>(out.size());
}

absl::StatusOr<PkeyPtr> PkeyFromParams(const char* key_type, int selection,
                                       OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  if (!params) return OpenSslError("OSSL_PARAM_BLD_to_param");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, key_type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1) {
    return OpenSslError("invalid key parameters",
                        absl::StatusCode::kInvalidArgument);
  }
  return PkeyPtr(raw);
}

}  // namespace parley::crypto::openssl_backend
