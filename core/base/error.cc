#include "core/base/error.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace parley {
namespace {

constexpr char kKindUrl[] = "type.parley.dev/error-kind";
constexpr char kDetailUrl[] = "type.parley.dev/error-detail";

}  // namespace

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUnclassified:
      return "unclassified";
    case ErrorKind::kProtocol:
      return "protocol";
    case ErrorKind::kVersionExchange:
      return "version-exchange";
    case ErrorKind::kKeyExchange:
      return "key-exchange";
    case ErrorKind::kIntegrity:
      return "integrity";
    case ErrorKind::kSendFailed:
      return "send-failed";
    case ErrorKind::kRecvFailed:
      return "recv-failed";
    case ErrorKind::kConnectionClosed:
      return "connection-closed";
    case ErrorKind::kServerDisconnect:
      return "server-disconnect";
    case ErrorKind::kLocalDisconnect:
      return "local-disconnect";
    case ErrorKind::kConnectFailed:
      return "connect-failed";
    case ErrorKind::kCancelled:
      return "cancelled";
    case ErrorKind::kDeadline:
      return "deadline";
    case ErrorKind::kRoundLimit:
      return "round-limit";
    case ErrorKind::kAuthDenied:
      return "auth-denied";
    case ErrorKind::kHostKeyRejected:
      return "host-key-rejected";
    case ErrorKind::kRefused:
      return "refused";
    case ErrorKind::kResourceLimit:
      return "resource-limit";
    case ErrorKind::kBadUse:
      return "bad-use";
    case ErrorKind::kUnsupported:
      return "unsupported";
  }
  return "?";
}

absl::Status Error(ErrorKind kind, absl::Status status) {
  if (status.ok()) return status;
  status.SetPayload(kKindUrl, absl::Cord(absl::StrCat(static_cast<int>(kind))));
  status.ErasePayload(kDetailUrl);
  return status;
}

absl::Status Error(ErrorKind kind, absl::Status status, int64_t detail) {
  if (status.ok()) return status;
  status = Error(kind, std::move(status));
  status.SetPayload(kDetailUrl, absl::Cord(absl::StrCat(detail)));
  return status;
}

ErrorKind KindOf(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kKindUrl);
  if (!payload.has_value()) return ErrorKind::kUnclassified;
  int value = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &value) || value < 0 ||
      value > static_cast<int>(ErrorKind::kLast)) {
    return ErrorKind::kUnclassified;
  }
  return static_cast<ErrorKind>(value);
}

absl::optional<int64_t> ErrorDetailOf(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kDetailUrl);
  int64_t value = 0;
  if (!payload.has_value() ||
      !absl::SimpleAtoi(std::string(*payload), &value)) {
    return absl::nullopt;
  }
  return value;
}

absl::Status WithDefaultKind(ErrorKind kind, absl::Status status) {
  if (status.ok() || KindOf(status) != ErrorKind::kUnclassified) return status;
  return Error(kind, std::move(status));
}

}  // namespace parley
