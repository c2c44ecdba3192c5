#include "backends/cryptopp/util.h"

#include <unistd.h>

namespace parley::crypto::cryptopp_backend {

absl::Status StatusFromException(absl::string_view operation,
                                 const CryptoPP::Exception& e) {
  const std::string message =
      absl::StrCat("Crypto++ ", operation, " failed: ", e.what());
  switch (e.GetErrorType()) {
    case CryptoPP::Exception::NOT_IMPLEMENTED:
      return absl::UnimplementedError(message);
    case CryptoPP::Exception::INVALID_ARGUMENT:
    case CryptoPP::Exception::INVALID_DATA_FORMAT:
      return absl::InvalidArgumentError(message);
    case CryptoPP::Exception::DATA_INTEGRITY_CHECK_FAILED:
      return absl::DataLossError(message);
    case CryptoPP::Exception::IO_ERROR:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

void RandomSource::GenerateBlock(CryptoPP::byte* output, size_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  const pid_t pid = ::getpid();
  if (pool_ == nullptr) {
    pool_ = std::make_unique<CryptoPP::AutoSeededRandomPool>();
    pid_ = pid;
  } else if (pid != pid_) {
    pool_->Reseed();
    pid_ = pid;
  }
  pool_->GenerateBlock(output, size);
}

Bytes EncodeMinimal(const CryptoPP::Integer& n) {
  if (n.IsZero()) return Bytes();
  Bytes out(n.MinEncodedSize());
  n.Encode(out.data(), out.size());
  return out;
}

SecureBuffer EncodeMinimalSecret(const CryptoPP::Integer& n) {
  if (n.IsZero()) return SecureBuffer();
  return EncodePaddedSecret(n, n.MinEncodedSize());
}

SecureBuffer EncodePaddedSecret(const CryptoPP::Integer& n, size_t size) {
  SecureBuffer out(size);
  n.Encode(out.data(), out.size());
  return out;
}

}  // namespace parley::crypto::cryptopp_backend
