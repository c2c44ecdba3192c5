#include "core/crypto/algorithms.h"

#include "core/crypto/cipher.h"

namespace parley::crypto {

size_t DigestSize(HashAlgorithm alg) {
  switch (alg) {
    case HashAlgorithm::kSha1:
      return 20;
    case HashAlgorithm::kSha256:
      return 32;
    case HashAlgorithm::kSha384:
      return 48;
    case HashAlgorithm::kSha512:
      return 64;
  }
  return 0;
}

absl::string_view HashName(HashAlgorithm alg) {
  switch (alg) {
    case HashAlgorithm::kSha1:
      return "sha1";
    case HashAlgorithm::kSha256:
      return "sha256";
    case HashAlgorithm::kSha384:
      return "sha384";
    case HashAlgorithm::kSha512:
      return "sha512";
  }
  return "unknown";
}

absl::string_view KexGroupName(KexGroup group) {
  switch (group) {
    case KexGroup::kX25519:
      return "x25519";
    case KexGroup::kNistP256:
      return EcCurveName(KeyType::kEcdsaP256);
    case KexGroup::kNistP384:
      return EcCurveName(KeyType::kEcdsaP384);
    case KexGroup::kNistP521:
      return EcCurveName(KeyType::kEcdsaP521);
    case KexGroup::kModp2048:
      return "modp2048";
    case KexGroup::kModp4096:
      return "modp4096";
    case KexGroup::kModp8192:
      return "modp8192";
    case KexGroup::kModpServerChosen:
      return "modp-server-chosen";
  }
  return "unknown";
}

namespace {

struct SigName {
  SignatureAlgorithm alg;
  const char* name;
  KeyType key;
};

constexpr SigName kSigNames[] = {
    {SignatureAlgorithm::kEd25519, "ssh-ed25519", KeyType::kEd25519},
    {SignatureAlgorithm::kEcdsaP256Sha256, "ecdsa-sha2-nistp256",
     KeyType::kEcdsaP256},
    {SignatureAlgorithm::kEcdsaP384Sha384, "ecdsa-sha2-nistp384",
     KeyType::kEcdsaP384},
    {SignatureAlgorithm::kEcdsaP521Sha512, "ecdsa-sha2-nistp521",
     KeyType::kEcdsaP521},
    {SignatureAlgorithm::kRsaSha256, "rsa-sha2-256", KeyType::kRsa},
    {SignatureAlgorithm::kRsaSha512, "rsa-sha2-512", KeyType::kRsa},
    {SignatureAlgorithm::kRsaSha1, "ssh-rsa", KeyType::kRsa},
};

// The one table of key types: SSH key-type name and, for ECDSA, the curve
// name that key blobs and key files carry (RFC 5656 section 6.1).
struct KeyName {
  KeyType type;
  const char* name;
  const char* curve;
};

constexpr KeyName kKeyNames[] = {
    {KeyType::kEd25519, "ssh-ed25519", ""},
    {KeyType::kEcdsaP256, "ecdsa-sha2-nistp256", "nistp256"},
    {KeyType::kEcdsaP384, "ecdsa-sha2-nistp384", "nistp384"},
    {KeyType::kEcdsaP521, "ecdsa-sha2-nistp521", "nistp521"},
    {KeyType::kRsa, "ssh-rsa", ""},
};

}  // namespace

absl::string_view SignatureAlgorithmName(SignatureAlgorithm alg) {
  for (const auto& s : kSigNames) {
    if (s.alg == alg) return s.name;
  }
  return "unknown";
}

bool SignatureAlgorithmFromName(absl::string_view name,
                                SignatureAlgorithm* out) {
  for (const auto& s : kSigNames) {
    if (name == s.name) {
      *out = s.alg;
      return true;
    }
  }
  return false;
}

KeyType KeyTypeFor(SignatureAlgorithm alg) {
  for (const auto& s : kSigNames) {
    if (s.alg == alg) return s.key;
  }
  return KeyType::kRsa;
}

absl::string_view EcCurveName(KeyType type) {
  for (const auto& k : kKeyNames) {
    if (k.type == type) return k.curve;
  }
  return "";
}

absl::string_view KeyTypeName(KeyType type) {
  for (const auto& k : kKeyNames) {
    if (k.type == type) return k.name;
  }
  return "unknown";
}

bool KeyTypeFromName(absl::string_view name, KeyType* out) {
  for (const auto& k : kKeyNames) {
    if (name == k.name) {
      *out = k.type;
      return true;
    }
  }
  return false;
}

size_t EcFieldSize(KeyType type) {
  switch (type) {
    case KeyType::kEcdsaP256:
      return 32;
    case KeyType::kEcdsaP384:
      return 48;
    case KeyType::kEcdsaP521:
      return 66;
    default:
      return 0;
  }
}

AlgorithmLists OpenSshDefaultAlgorithms() {
  AlgorithmLists lists;
  lists.kex = {"curve25519-sha256",
               "curve25519-sha256@libssh.org",
               "ecdh-sha2-nistp256",
               "ecdh-sha2-nistp384",
               "ecdh-sha2-nistp521",
               "diffie-hellman-group16-sha512",
               "diffie-hellman-group18-sha512",
               "diffie-hellman-group14-sha256"};
  lists.host_key = {"ssh-ed25519",         "ecdsa-sha2-nistp256",
                    "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                    "rsa-sha2-512",        "rsa-sha2-256"};
  lists.cipher = {"chacha20-poly1305@openssh.com",
                  "aes128-ctr",
                  "aes192-ctr",
                  "aes256-ctr",
                  "aes128-gcm@openssh.com",
                  "aes256-gcm@openssh.com"};
  lists.mac = {"hmac-sha2-256-etm@openssh.com",
               "hmac-sha2-512-etm@openssh.com",
               "hmac-sha1-etm@openssh.com",
               "hmac-sha2-256",
               "hmac-sha2-512",
               "hmac-sha1"};
  return lists;
}

std::vector<SignatureAlgorithm> SignatureAlgorithmsFor(KeyType type) {
  switch (type) {
    case KeyType::kEd25519:
      return {SignatureAlgorithm::kEd25519};
    case KeyType::kEcdsaP256:
      return {SignatureAlgorithm::kEcdsaP256Sha256};
    case KeyType::kEcdsaP384:
      return {SignatureAlgorithm::kEcdsaP384Sha384};
    case KeyType::kEcdsaP521:
      return {SignatureAlgorithm::kEcdsaP521Sha512};
    case KeyType::kRsa:
      break;
  }
  return {SignatureAlgorithm::kRsaSha512, SignatureAlgorithm::kRsaSha256};
}

std::string CertificateAlgorithmName(SignatureAlgorithm alg) {
  return std::string(SignatureAlgorithmName(alg)) + "-cert-v01@openssh.com";
}

std::vector<std::string> CertificateHostKeyAlgorithms() {
  std::vector<std::string> out;
  for (SignatureAlgorithm alg :
       {SignatureAlgorithm::kEd25519, SignatureAlgorithm::kEcdsaP256Sha256,
        SignatureAlgorithm::kEcdsaP384Sha384,
        SignatureAlgorithm::kEcdsaP521Sha512, SignatureAlgorithm::kRsaSha512,
        SignatureAlgorithm::kRsaSha256}) {
    out.push_back(CertificateAlgorithmName(alg));
  }
  return out;
}

AlgorithmLists LegacyAlgorithms() {
  AlgorithmLists lists;
  lists.kex = {"diffie-hellman-group-exchange-sha256",
               "diffie-hellman-group14-sha1",
               "diffie-hellman-group-exchange-sha1"};
  lists.host_key = {"ssh-rsa"};
  lists.cipher = {"aes128-cbc", "aes192-cbc", "aes256-cbc", "3des-cbc"};
  lists.mac = {"hmac-sha1-96", "hmac-md5", "hmac-md5-96"};
  return lists;
}

size_t CbcKeySize(CbcAlgorithm alg) {
  switch (alg) {
    case CbcAlgorithm::kAes128:
      return 16;
    case CbcAlgorithm::kAes192:
    case CbcAlgorithm::kTripleDes:
      return 24;
    case CbcAlgorithm::kAes256:
      return 32;
  }
  return 0;
}

size_t CbcBlockSize(CbcAlgorithm alg) {
  return alg == CbcAlgorithm::kTripleDes ? 8 : 16;
}

}  // namespace parley::crypto
