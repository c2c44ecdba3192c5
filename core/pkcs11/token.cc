#include "core/pkcs11/token.h"

#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/crypto/ssh_keys.h"
#include "core/module/module_loader.h"

namespace parley::pkcs11 {
namespace {

// Largest attribute value read (an RSA modulus of 16384 bits is 2 KiB).
constexpr CK_ULONG kMaxAttribute = 8192;
constexpr size_t kMaxObjects = 1024;

struct RvName {
  CK_RV rv;
  const char* name;
};
constexpr RvName kRvNames[] = {
    {CKR_OK, "CKR_OK"},
    {CKR_CANCEL, "CKR_CANCEL"},
    {CKR_HOST_MEMORY, "CKR_HOST_MEMORY"},
    {CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID"},
    {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
    {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"},
    {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD"},
    {CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID"},
    {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
    {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY"},
    {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
    {CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID"},
    {CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT"},
    {CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED"},
    {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID"},
    {CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID"},
    {CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE"},
    {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"},
    {CKR_PIN_INVALID, "CKR_PIN_INVALID"},
    {CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE"},
    {CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED"},
    {CKR_PIN_LOCKED, "CKR_PIN_LOCKED"},
    {CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED"},
    {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
    {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
    {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED"},
    {CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN"},
    {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"},
    {CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED"},
    {CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID"},
    {CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL"},
    {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"},
    {CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED"},
};

absl::Status Failed(absl::string_view what, CK_RV rv) {
  const std::string message =
      absl::StrCat("PKCS#11 ", what, " failed: ", ReturnValueName(rv));
  switch (rv) {
    case CKR_PIN_INCORRECT:
      return absl::PermissionDeniedError(
          absl::StrCat("PKCS#11 login failed: PIN incorrect (", message, ")"));
    case CKR_PIN_LOCKED:
      return absl::PermissionDeniedError(
          "PKCS#11 login failed: the token's PIN is locked");
    case CKR_PIN_EXPIRED:
      return absl::PermissionDeniedError(
          "PKCS#11 login failed: the PIN has expired");
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_DEVICE_REMOVED:
    case CKR_TOKEN_NOT_RECOGNIZED:
      return absl::UnavailableError(
          absl::StrCat(message, ": the token is not there (removed?)"));
    default:
      return absl::FailedPreconditionError(message);
  }
}

// PKCS#11 text fields are blank-padded, not NUL-terminated.
std::string Padded(const CK_UTF8CHAR* s, size_t n) {
  std::string out(reinterpret_cast<const char*>(s), n);
  while (!out.empty() && (out.back() == ' ' || out.back() == '\0')) {
    out.pop_back();
  }
  return out;
}

// DER helpers: the OCTET STRING around an EC point, and known curves.
absl::StatusOr<Bytes> UnwrapOctetString(const Bytes& der) {
  if (der.size() >= 2 && der[0] == 0x04) {
    size_t len = der[1], off = 2;
    if (len & 0x80) {
      const size_t nbytes = len & 0x7f;
      if (nbytes == 0 || nbytes > 2 || der.size() < 2 + nbytes) {
        return absl::DataLossError("bad EC point encoding");
      }
      len = 0;
      for (size_t i = 0; i < nbytes; ++i) len = (len << 8) | der[2 + i];
      off = 2 + nbytes;
    }
    if (off + len == der.size()) return Bytes(der.begin() + off, der.end());
  }
  // Some tokens give the point itself.
  return der;
}

bool Equals(const Bytes& b, std::initializer_list<uint8_t> want) {
  return b.size() == want.size() &&
         std::equal(b.begin(), b.end(), want.begin());
}

absl::StatusOr<crypto::KeyType> CurveOf(const Bytes& params) {
  // OIDs (RFC 5480, RFC 8410) as DER, or Ed25519's PrintableString form.
  if (Equals(params,
             {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07})) {
    return crypto::KeyType::kEcdsaP256;
  }
  if (Equals(params, {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22})) {
    return crypto::KeyType::kEcdsaP384;
  }
  if (Equals(params, {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23})) {
    return crypto::KeyType::kEcdsaP521;
  }
  if (Equals(params, {0x06, 0x03, 0x2b, 0x65, 0x70})) {
    return crypto::KeyType::kEd25519;
  }
  static const std::string kEdwards = "edwards25519";
  if (params.size() == kEdwards.size() + 2 && params[0] == 0x13 &&
      params[1] == kEdwards.size() &&
      std::equal(kEdwards.begin(), kEdwards.end(), params.begin() + 2)) {
    return crypto::KeyType::kEd25519;
  }
  return absl::UnimplementedError("an elliptic curve Parley does not use");
}

struct UriDeleter {
  void operator()(P11KitUri* u) const { p11_kit_uri_free(u); }
};
using Uri = std::unique_ptr<P11KitUri, UriDeleter>;

absl::StatusOr<Uri> ParseUri(const std::string& text) {
  Uri uri(p11_kit_uri_new());
  if (text.empty()) return uri;
  const int rc =
      p11_kit_uri_parse(text.c_str(), P11_KIT_URI_FOR_ANY, uri.get());
  if (rc != P11_KIT_URI_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad pkcs11: URI: ", p11_kit_uri_message(rc)));
  }
  if (p11_kit_uri_get_pin_value(uri.get()) != nullptr) {
    return absl::InvalidArgumentError(
        "a pkcs11: URI must not hold the PIN (pin-value): PINs are asked for");
  }
  return uri;
}

}  // namespace

std::string ReturnValueName(unsigned long rv) {
  for (const RvName& n : kRvNames) {
    if (n.rv == rv) return n.name;
  }
  return absl::StrCat("CKR 0x", absl::Hex(rv));
}

absl::StatusOr<KeySelection> ParseKeySelection(
    const std::string& module_or_uri, const std::string& default_module) {
  KeySelection sel;
  if (!absl::StartsWith(module_or_uri, "pkcs11:")) {
    sel.module_path = module_or_uri;
    return sel;
  }
  absl::StatusOr<Uri> uri = ParseUri(module_or_uri);
  if (!uri.ok()) return uri.status();
  const char* module = p11_kit_uri_get_module_path(uri->get());
  sel.module_path = module != nullptr ? module : default_module;
  if (sel.module_path.empty()) {
    return absl::InvalidArgumentError(
        "the pkcs11: URI names no module (module-path=...)");
  }
  sel.uri = module_or_uri;
  return sel;
}

// A token session kept open (and logged in) for its token.
struct TokenSession {
  CK_SESSION_HANDLE handle;
};

struct Module::Impl {
  std::shared_ptr<module::Module> so;
  CK_FUNCTION_LIST_PTR f = nullptr;
  std::mutex mu;  // sessions, and one signature at a time
  // The token's session, opened and logged in (PIN from `pin`) if need be.
  absl::StatusOr<TokenSession> Session(const std::string& label,
                                       const std::string& serial,
                                       const PinSource& pin);
  // token serial + label -> the session kept open (and logged in).
  std::map<std::string, CK_SESSION_HANDLE> sessions;

  // The slot of the token with `serial` and `label`.
  absl::StatusOr<CK_SLOT_ID> SlotOf(const std::string& label,
                                    const std::string& serial) {
    absl::StatusOr<std::vector<std::pair<CK_SLOT_ID, TokenInfo>>> tokens =
        Tokens(nullptr);
    if (!tokens.ok()) return tokens.status();
    for (const auto& [slot, info] : *tokens) {
      if (info.label == label && info.serial == serial) return slot;
    }
    return absl::UnavailableError(
        absl::StrCat("token \"", label, "\" is not there (removed?)"));
  }

  absl::StatusOr<Bytes> Attribute(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                                  CK_ATTRIBUTE_TYPE type) {
    CK_ATTRIBUTE a = {type, nullptr, 0};
    CK_RV rv = f->C_GetAttributeValue(s, o, &a, 1);
    if (rv != CKR_OK) return Failed("C_GetAttributeValue", rv);
    if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION ||
        a.ulValueLen > kMaxAttribute) {
      return absl::DataLossError("an attribute is unavailable or too large");
    }
    Bytes v(a.ulValueLen);
    a.pValue = v.data();
    rv = f->C_GetAttributeValue(s, o, &a, 1);
    if (rv != CKR_OK) return Failed("C_GetAttributeValue", rv);
    v.resize(a.ulValueLen);
    return v;
  }

  absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> Find(
      CK_SESSION_HANDLE s, std::vector<CK_ATTRIBUTE> templ) {
    CK_RV rv = f->C_FindObjectsInit(s, templ.data(), templ.size());
    if (rv != CKR_OK) return Failed("C_FindObjectsInit", rv);
    std::vector<CK_OBJECT_HANDLE> out;
    while (out.size() < kMaxObjects) {
      CK_OBJECT_HANDLE h[32];
      CK_ULONG n = 0;
      rv = f->C_FindObjects(s, h, 32, &n);
      if (rv != CKR_OK || n == 0) break;
      out.insert(out.end(), h, h + n);
    }
    f->C_FindObjectsFinal(s);
    if (rv != CKR_OK) return Failed("C_FindObjects", rv);
    return out;
  }

  // The initialised tokens whose attributes `uri` matches (null: all).
  absl::StatusOr<std::vector<std::pair<CK_SLOT_ID, TokenInfo>>> Tokens(
      P11KitUri* uri) {
    CK_ULONG n = 0;
    CK_RV rv = f->C_GetSlotList(CK_TRUE, nullptr, &n);
    if (rv != CKR_OK) return Failed("C_GetSlotList", rv);
    std::vector<CK_SLOT_ID> slots(n);
    rv = f->C_GetSlotList(CK_TRUE, slots.data(), &n);
    if (rv != CKR_OK) return Failed("C_GetSlotList", rv);
    slots.resize(n);
    std::vector<std::pair<CK_SLOT_ID, TokenInfo>> out;
    for (CK_SLOT_ID slot : slots) {
      CK_TOKEN_INFO info;
      if (f->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
      // SoftHSM2 always shows an uninitialised token: skip such slots.
      if ((info.flags & CKF_TOKEN_INITIALIZED) == 0) continue;
      if (uri != nullptr && !p11_kit_uri_match_token_info(uri, &info)) {
        continue;
      }
      TokenInfo t;
      t.label = Padded(info.label, sizeof(info.label));
      t.serial = Padded(info.serialNumber, sizeof(info.serialNumber));
      t.manufacturer = Padded(info.manufacturerID, sizeof(info.manufacturerID));
      t.model = Padded(info.model, sizeof(info.model));
      out.emplace_back(slot, std::move(t));
    }
    return out;
  }

  // The one token `uri` selects.
  absl::StatusOr<std::pair<CK_SLOT_ID, TokenInfo>> OneToken(
      P11KitUri* uri, const std::string& text) {
    absl::StatusOr<std::vector<std::pair<CK_SLOT_ID, TokenInfo>>> tokens =
        Tokens(uri);
    if (!tokens.ok()) return tokens.status();
    if (tokens->empty()) {
      return absl::NotFoundError(
          absl::StrCat("no token matches \"", text, "\" (not inserted?)"));
    }
    if (tokens->size() > 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          tokens->size(), " tokens match \"", text,
          "\": name one (token=LABEL or serial=SERIAL in the URI)"));
    }
    return tokens->front();
  }

  // The one secret-key object of session `s` whose label and id `uri`
  // matches.
  absl::StatusOr<CK_OBJECT_HANDLE> OneSecret(CK_SESSION_HANDLE s,
                                             P11KitUri* uri,
                                             const std::string& token) {
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> objects =
        Find(s, {{CKA_CLASS, &cls, sizeof(cls)}});
    if (!objects.ok()) return objects.status();
    std::vector<CK_OBJECT_HANDLE> matching;
    for (CK_OBJECT_HANDLE o : *objects) {
      absl::StatusOr<Bytes> id = Attribute(s, o, CKA_ID);
      absl::StatusOr<Bytes> label = Attribute(s, o, CKA_LABEL);
      CK_ATTRIBUTE attrs[3] = {
          {CKA_CLASS, &cls, sizeof(cls)},
          {CKA_ID, id.ok() ? id->data() : nullptr, id.ok() ? id->size() : 0},
          {CKA_LABEL, label.ok() ? label->data() : nullptr,
           label.ok() ? label->size() : 0}};
      if (p11_kit_uri_match_attributes(uri, attrs, 3)) matching.push_back(o);
    }
    if (matching.empty()) {
      return absl::NotFoundError(absl::StrCat(
          "token \"", token, "\" holds no secret key the URI selects"));
    }
    if (matching.size() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(matching.size(), " secret keys on token \"", token,
                       "\" match: name one (object=LABEL or id=...)"));
    }
    return matching.front();
  }

  // Forgets the kept session of `token` when `rv` says it is gone.
  void ForgetIfGone(const std::string& token, CK_RV rv) {
    if (rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
        rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT) {
      sessions.erase(token);
    }
  }
};

absl::StatusOr<std::shared_ptr<Module>> Module::Load(const std::string& path) {
  static std::mutex mu;
  static auto* const loaded =
      new std::map<std::string, std::shared_ptr<Module>>;
  std::lock_guard<std::mutex> lock(mu);
  auto it = loaded->find(path);
  if (it != loaded->end()) return it->second;
  absl::StatusOr<std::shared_ptr<module::Module>> so =
      module::LoadModule(path, "PKCS#11 module");
  if (!so.ok()) return so.status();
  auto get =
      (*so)->Function<CK_RV(CK_FUNCTION_LIST_PTR_PTR)>("C_GetFunctionList");
  if (get == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a PKCS#11 module (no C_GetFunctionList)"));
  }
  std::shared_ptr<Module> m(new Module(path));
  m->impl_ = std::make_unique<Impl>();
  m->impl_->so = *std::move(so);
  CK_RV rv = get(&m->impl_->f);
  if (rv != CKR_OK || m->impl_->f == nullptr) {
    return Failed(absl::StrCat("C_GetFunctionList of ", path), rv);
  }
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  rv = m->impl_->f->C_Initialize(&args);
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    return Failed(absl::StrCat("C_Initialize of ", path), rv);
  }
  (*loaded)[path] = m;
  return m;
}

Module::Module(std::string path) : path_(std::move(path)) {}
Module::~Module() = default;

absl::StatusOr<std::vector<TokenKey>> Module::FindKeys(
    const std::string& text) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  CK_FUNCTION_LIST_PTR f = impl_->f;
  absl::StatusOr<std::vector<std::pair<CK_SLOT_ID, TokenInfo>>> tokens =
      impl_->Tokens(text.empty() ? nullptr : uri->get());
  if (!tokens.ok()) return tokens.status();
  std::vector<TokenKey> out;
  for (const auto& [slot, info] : *tokens) {
    CK_SESSION_HANDLE s;
    CK_RV rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &s);
    if (rv != CKR_OK) return Failed("C_OpenSession", rv);
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> objects =
        impl_->Find(s, {{CKA_CLASS, &cls, sizeof(cls)}});
    if (!objects.ok()) {
      f->C_CloseSession(s);
      return objects.status();
    }
    for (CK_OBJECT_HANDLE o : *objects) {
      absl::StatusOr<Bytes> type = impl_->Attribute(s, o, CKA_KEY_TYPE);
      absl::StatusOr<Bytes> id = impl_->Attribute(s, o, CKA_ID);
      absl::StatusOr<Bytes> label = impl_->Attribute(s, o, CKA_LABEL);
      if (!type.ok() || type->size() != sizeof(CK_KEY_TYPE) || !id.ok()) {
        continue;
      }
      // The URI's object attributes (label, id) must match.
      CK_ATTRIBUTE attrs[2] = {{CKA_ID, id->data(), id->size()},
                               {CKA_LABEL, label.ok() ? label->data() : nullptr,
                                label.ok() ? label->size() : 0}};
      if (!text.empty() &&
          !p11_kit_uri_match_attributes(uri->get(), attrs, 2)) {
        continue;
      }
      CK_KEY_TYPE kt;
      std::memcpy(&kt, type->data(), sizeof(kt));
      TokenKey key;
      key.module_path = path_;
      key.token_label = info.label;
      key.token_serial = info.serial;
      key.label = label.ok() ? std::string(label->begin(), label->end()) : "";
      key.id = *id;
      if (kt == CKK_RSA) {
        absl::StatusOr<Bytes> n = impl_->Attribute(s, o, CKA_MODULUS);
        absl::StatusOr<Bytes> e = impl_->Attribute(s, o, CKA_PUBLIC_EXPONENT);
        if (!n.ok() || !e.ok()) continue;
        key.public_key.type = crypto::KeyType::kRsa;
        auto strip = [](Bytes b) {
          b.erase(b.begin(), std::find_if(b.begin(), b.end(),
                                          [](uint8_t c) { return c; }));
          return b;
        };
        key.public_key.rsa_n = strip(*n);
        key.public_key.rsa_e = strip(*e);
      } else if (kt == CKK_EC || kt == CKK_EC_EDWARDS) {
        absl::StatusOr<Bytes> params = impl_->Attribute(s, o, CKA_EC_PARAMS);
        absl::StatusOr<Bytes> point = impl_->Attribute(s, o, CKA_EC_POINT);
        if (!params.ok() || !point.ok()) continue;
        absl::StatusOr<crypto::KeyType> curve = CurveOf(*params);
        absl::StatusOr<Bytes> raw = UnwrapOctetString(*point);
        if (!curve.ok() || !raw.ok()) continue;
        key.public_key.type = *curve;
        if (*curve == crypto::KeyType::kEd25519) {
          key.public_key.ed25519 = *raw;
        } else {
          key.public_key.ec_point = *raw;
        }
      } else {
        continue;
      }
      key.blob = crypto::EncodePublicKeyBlob(key.public_key);
      // Only what Parley's own parser accepts (sizes, points).
      if (!crypto::ParsePublicKeyBlob(key.blob).ok()) continue;
      out.push_back(std::move(key));
    }
    f->C_CloseSession(s);
  }
  return out;
}

absl::Status Module::Login(const TokenKey& key, const PinSource& pin) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->Session(key.token_label, key.token_serial, pin).status();
}

absl::StatusOr<TokenSession> Module::Impl::Session(const std::string& label,
                                                   const std::string& serial,
                                                   const PinSource& pin) {
  absl::StatusOr<CK_SLOT_ID> slot = SlotOf(label, serial);
  if (!slot.ok()) return slot.status();
  const std::string token = serial + "/" + label;
  auto it = sessions.find(token);
  CK_SESSION_HANDLE s = 0;
  if (it != sessions.end()) {
    s = it->second;
    CK_SESSION_INFO si;
    if (f->C_GetSessionInfo(s, &si) == CKR_OK && si.slotID == *slot) {
      return TokenSession{s};
    }
    sessions.erase(it);  // the token went away and came back
  }
  CK_RV rv = f->C_OpenSession(*slot, CKF_SERIAL_SESSION, nullptr, nullptr, &s);
  if (rv != CKR_OK) return Failed("C_OpenSession", rv);
  CK_TOKEN_INFO info;
  rv = f->C_GetTokenInfo(*slot, &info);
  if (rv != CKR_OK) {
    f->C_CloseSession(s);
    return Failed("C_GetTokenInfo", rv);
  }
  if ((info.flags & CKF_LOGIN_REQUIRED) != 0) {
    PinRequest req;
    req.token_label = label;
    req.count_low = (info.flags & CKF_USER_PIN_COUNT_LOW) != 0;
    req.final_try = (info.flags & CKF_USER_PIN_FINAL_TRY) != 0;
    if ((info.flags & CKF_USER_PIN_LOCKED) != 0) {
      f->C_CloseSession(s);
      return absl::PermissionDeniedError(
          absl::StrCat("the PIN of token \"", label, "\" is locked"));
    }
    if (!pin) {
      f->C_CloseSession(s);
      return absl::FailedPreconditionError(absl::StrCat(
          "token \"", label, "\" needs a PIN and none can be asked"));
    }
    absl::StatusOr<SecureBuffer> p = pin(req);
    if (!p.ok()) {
      f->C_CloseSession(s);
      return p.status();
    }
    rv = f->C_Login(s, CKU_USER, p->data(), p->size());
    SecureWipe(p->data(), p->size());
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
      f->C_CloseSession(s);
      return Failed("login", rv);
    }
  }
  sessions[token] = s;
  return TokenSession{s};
}

absl::StatusOr<Bytes> Module::Sign(const TokenKey& key,
                                   crypto::SignatureAlgorithm algorithm,
                                   ByteView data,
                                   const crypto::CryptoProvider& provider,
                                   const PinSource& pin) {
  return Sign(
      key, algorithm, data,
      [&provider](crypto::HashAlgorithm h, ByteView in) {
        return crypto::Digest(provider, h, in);
      },
      pin);
}

absl::StatusOr<Bytes> Module::Sign(const TokenKey& key,
                                   crypto::SignatureAlgorithm algorithm,
                                   ByteView data, const Digester& digester,
                                   const PinSource& pin) {
  CK_FUNCTION_LIST_PTR f = impl_->f;
  std::lock_guard<std::mutex> lock(impl_->mu);
  absl::StatusOr<TokenSession> held =
      impl_->Session(key.token_label, key.token_serial, pin);
  if (!held.ok()) return held.status();
  const CK_SESSION_HANDLE s = held->handle;
  const std::string token = key.token_serial + "/" + key.token_label;
  // The private half: same CKA_ID.
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  Bytes id = key.id;
  absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> objects = impl_->Find(
      s, {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, id.data(), id.size()}});
  if (!objects.ok()) {
    impl_->sessions.erase(token);
    f->C_CloseSession(s);
    return objects.status();
  }
  if (objects->empty()) {
    return absl::NotFoundError(absl::StrCat("token \"", key.token_label,
                                            "\" has no private key for \"",
                                            key.label, "\""));
  }
  CK_MECHANISM mech = {CKM_ECDSA, nullptr, 0};
  Bytes input(data.begin(), data.end());
  switch (algorithm) {
    case crypto::SignatureAlgorithm::kEd25519:
      mech.mechanism = CKM_EDDSA;
      break;
    case crypto::SignatureAlgorithm::kEcdsaP256Sha256:
    case crypto::SignatureAlgorithm::kEcdsaP384Sha384:
    case crypto::SignatureAlgorithm::kEcdsaP521Sha512: {
      const crypto::HashAlgorithm h =
          algorithm == crypto::SignatureAlgorithm::kEcdsaP256Sha256
              ? crypto::HashAlgorithm::kSha256
          : algorithm == crypto::SignatureAlgorithm::kEcdsaP384Sha384
              ? crypto::HashAlgorithm::kSha384
              : crypto::HashAlgorithm::kSha512;
      absl::StatusOr<Bytes> digest = digester(h, data);
      if (!digest.ok()) return digest.status();
      input = *std::move(digest);
      mech.mechanism = CKM_ECDSA;
      break;
    }
    case crypto::SignatureAlgorithm::kRsaSha256:
      mech.mechanism = CKM_SHA256_RSA_PKCS;
      break;
    case crypto::SignatureAlgorithm::kRsaSha512:
      mech.mechanism = CKM_SHA512_RSA_PKCS;
      break;
    default:
      return absl::UnimplementedError(
          "a signature algorithm tokens do not make");
  }
  CK_RV rv = f->C_SignInit(s, &mech, objects->front());
  if (rv != CKR_OK) {
    impl_->ForgetIfGone(token, rv);
    return Failed("C_SignInit", rv);
  }
  CK_ULONG len = 0;
  rv = f->C_Sign(s, input.data(), input.size(), nullptr, &len);
  if (rv != CKR_OK || len == 0 || len > kMaxAttribute) {
    return Failed("C_Sign", rv == CKR_OK ? CKR_FUNCTION_FAILED : rv);
  }
  Bytes raw(len);
  rv = f->C_Sign(s, input.data(), input.size(), raw.data(), &len);
  if (rv != CKR_OK) return Failed("C_Sign", rv);
  raw.resize(len);
  return crypto::EncodeSignatureBlob(algorithm, raw);
}

absl::StatusOr<std::vector<TokenInfo>> Module::Tokens(const std::string& text) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  absl::StatusOr<std::vector<std::pair<CK_SLOT_ID, TokenInfo>>> tokens =
      impl_->Tokens(text.empty() ? nullptr : uri->get());
  if (!tokens.ok()) return tokens.status();
  std::vector<TokenInfo> out;
  for (auto& t : *tokens) out.push_back(std::move(t.second));
  return out;
}

absl::StatusOr<SecureBuffer> Module::Hmac(const std::string& text,
                                          HmacHash hash, ByteView data,
                                          const PinSource& pin) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  CK_FUNCTION_LIST_PTR f = impl_->f;
  std::lock_guard<std::mutex> lock(impl_->mu);
  absl::StatusOr<std::pair<CK_SLOT_ID, TokenInfo>> token =
      impl_->OneToken(uri->get(), text);
  if (!token.ok()) return token.status();
  const TokenInfo& t = token->second;
  absl::StatusOr<TokenSession> held = impl_->Session(t.label, t.serial, pin);
  if (!held.ok()) return held.status();
  absl::StatusOr<CK_OBJECT_HANDLE> secret =
      impl_->OneSecret(held->handle, uri->get(), t.label);
  if (!secret.ok()) return secret.status();
  CK_MECHANISM mech = {hash == HmacHash::kSha1     ? CKM_SHA_1_HMAC
                       : hash == HmacHash::kSha256 ? CKM_SHA256_HMAC
                                                   : CKM_SHA512_HMAC,
                       nullptr, 0};
  CK_RV rv = f->C_SignInit(held->handle, &mech, *secret);
  if (rv != CKR_OK) {
    impl_->ForgetIfGone(t.serial + "/" + t.label, rv);
    return Failed("C_SignInit (HMAC)", rv);
  }
  SecureBuffer mac(64);
  CK_ULONG len = mac.size();
  Bytes input(data.begin(), data.end());
  rv = f->C_Sign(held->handle, input.data(), input.size(), mac.data(), &len);
  if (rv != CKR_OK) return Failed("C_Sign (HMAC)", rv);
  if (len > mac.size()) return Failed("C_Sign (HMAC)", CKR_GENERAL_ERROR);
  mac.resize(len);
  return mac;
}

absl::Status Module::ImportSecret(const std::string& text,
                                  const std::string& label, ByteView id,
                                  const SecureBuffer& secret,
                                  const PinSource& pin) {
  absl::StatusOr<Uri> uri = ParseUri(text);
  if (!uri.ok()) return uri.status();
  if (label.empty()) return absl::InvalidArgumentError("a label is needed");
  if (secret.empty()) return absl::InvalidArgumentError("the secret is empty");
  CK_FUNCTION_LIST_PTR f = impl_->f;
  std::lock_guard<std::mutex> lock(impl_->mu);
  absl::StatusOr<std::pair<CK_SLOT_ID, TokenInfo>> token =
      impl_->OneToken(text.empty() ? nullptr : uri->get(), text);
  if (!token.ok()) return token.status();
  const TokenInfo& t = token->second;
  absl::StatusOr<TokenSession> held = impl_->Session(t.label, t.serial, pin);
  if (!held.ok()) return held.status();
  // A secret of that label already there?
  Uri by_label(p11_kit_uri_new());
  CK_ATTRIBUTE want = {CKA_LABEL, const_cast<char*>(label.data()),
                       label.size()};
  p11_kit_uri_set_attribute(by_label.get(), &want);
  absl::StatusOr<CK_OBJECT_HANDLE> existing =
      impl_->OneSecret(held->handle, by_label.get(), t.label);
  if (existing.ok() ||
      existing.status().code() != absl::StatusCode::kNotFound) {
    return absl::AlreadyExistsError(absl::StrCat(
        "token \"", t.label, "\" already holds a secret key \"", label, "\""));
  }
  // Creating a token object needs a read-write session; the login is the
  // application's, shared by its sessions on the token.
  CK_SESSION_HANDLE rw;
  CK_RV rv = f->C_OpenSession(token->first, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                              nullptr, nullptr, &rw);
  if (rv != CKR_OK) return Failed("C_OpenSession (read-write)", rv);
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_GENERIC_SECRET;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  std::string label_copy = label;
  Bytes id_copy(id.begin(), id.end());
  SecureBuffer value(secret.begin(), secret.end());
  CK_ATTRIBUTE attrs[] = {
      {CKA_CLASS, &cls, sizeof(cls)},
      {CKA_KEY_TYPE, &type, sizeof(type)},
      {CKA_TOKEN, &yes, sizeof(yes)},
      {CKA_PRIVATE, &yes, sizeof(yes)},
      {CKA_SENSITIVE, &yes, sizeof(yes)},
      {CKA_EXTRACTABLE, &no, sizeof(no)},
      {CKA_SIGN, &yes, sizeof(yes)},
      {CKA_VERIFY, &yes, sizeof(yes)},
      {CKA_ENCRYPT, &no, sizeof(no)},
      {CKA_DECRYPT, &no, sizeof(no)},
      {CKA_WRAP, &no, sizeof(no)},
      {CKA_UNWRAP, &no, sizeof(no)},
      {CKA_DERIVE, &no, sizeof(no)},
      {CKA_LABEL, label_copy.data(), label_copy.size()},
      {CKA_ID, id_copy.data(), id_copy.size()},
      {CKA_VALUE, value.data(), value.size()},
  };
  CK_OBJECT_HANDLE object;
  rv = f->C_CreateObject(rw, attrs, sizeof(attrs) / sizeof(attrs[0]), &object);
  f->C_CloseSession(rw);
  if (rv != CKR_OK) return Failed("C_CreateObject (secret key)", rv);
  return absl::OkStatus();
}

}  // namespace parley::pkcs11
