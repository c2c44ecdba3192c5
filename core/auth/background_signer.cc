#include "core/auth/background_signer.h"

#include <mutex>
#include <thread>

namespace parley::auth {

struct BackgroundSigner::Job {
  Bytes data;
  crypto::SignatureAlgorithm algorithm;
  std::mutex mu;
  bool done = false;
  absl::StatusOr<Bytes> result = absl::UnknownError("not signed yet");
};

BackgroundSigner::BackgroundSigner(
    crypto::PublicKey key, Bytes blob,
    std::vector<crypto::SignatureAlgorithm> algorithms, SignFunction sign)
    : key_(std::move(key)),
      blob_(std::move(blob)),
      algorithms_(std::move(algorithms)),
      sign_(std::make_shared<const SignFunction>(std::move(sign))) {}

BackgroundSigner::~BackgroundSigner() = default;

std::vector<crypto::SignatureAlgorithm> BackgroundSigner::algorithms() const {
  return algorithms_.empty() ? Signer::algorithms() : algorithms_;
}

absl::StatusOr<SignResult> BackgroundSigner::Sign(const SignRequest& request,
                                                  Bytes* signature) {
  if (job_ != nullptr &&
      (job_->data != request.data || job_->algorithm != request.algorithm)) {
    job_.reset();  // another request: the old result is not wanted
  }
  if (job_ == nullptr) {
    auto job = std::make_shared<Job>();
    job->data = request.data;
    job->algorithm = request.algorithm;
    // The worker owns what it touches: the job, the function, the waker.
    std::thread([job, sign = sign_, waker = request.waker] {
      absl::StatusOr<Bytes> r = (*sign)(job->data, job->algorithm);
      {
        std::lock_guard<std::mutex> lock(job->mu);
        job->result = std::move(r);
        job->done = true;
      }
      waker.Wake();
    }).detach();
    job_ = std::move(job);
    return SignResult::kRetryLater;
  }
  absl::StatusOr<Bytes> result = absl::UnknownError("not signed yet");
  {
    std::lock_guard<std::mutex> lock(job_->mu);
    if (!job_->done) return SignResult::kRetryLater;
    result = std::move(job_->result);
  }
  job_.reset();
  if (!result.ok()) return result.status();
  *signature = *std::move(result);
  return SignResult::kSigned;
}

void BackgroundSigner::Abort() { job_.reset(); }

}  // namespace parley::auth
