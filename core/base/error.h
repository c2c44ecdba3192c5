// Typed error kinds, attached to an absl::Status where the error starts.
//
// The status code keeps its Tink-style meaning (kInvalidArgument for
// malformed peer data, kDataLoss for a failed MAC, ...); the kind says which
// of Parley's failure classes it is, so that compatibility layers (the
// libssh2 C API, the CLI's exit codes) map kinds to their codes in one table
// and never by matching message text. A kind travels as a status payload, so
// it survives being returned through every layer.
//
//   return parley::Error(ErrorKind::kProtocol,
//                        absl::InvalidArgumentError("unexpected message 60"));
//   ...
//   switch (parley::KindOf(status)) { case ErrorKind::kProtocol: ... }
#ifndef PARLEY_CORE_BASE_ERROR_H_
#define PARLEY_CORE_BASE_ERROR_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace parley {

enum class ErrorKind : int {
  kUnclassified = 0,  // no kind attached
  kProtocol,          // the peer broke the protocol (malformed, out of place)
  kVersionExchange,   // the peer's identification was refused
  kKeyExchange,       // no common algorithm, bad KEX value or signature
  kIntegrity,         // a MAC or AEAD tag failed
  kSendFailed,        // the socket refused our bytes (errno attached)
  kRecvFailed,        // reading the socket failed (errno attached)
  kConnectionClosed,  // the peer closed the connection without DISCONNECT
  kServerDisconnect,  // the server sent DISCONNECT (reason attached)
  kLocalDisconnect,   // this side disconnected (the application)
  kConnectFailed,     // resolving or connecting failed (errno attached)
  kCancelled,         // the application or a responder cancelled
  kDeadline,          // a deadline passed
  kRoundLimit,        // the server asked more keyboard-interactive rounds
  kAuthDenied,        // the server refused every method we could try
  kHostKeyRejected,   // the host key was not trusted
  kRefused,           // the server refused a request (channel, command)
  kResourceLimit,     // a bound on memory or queues was reached
  kBadUse,            // the API was used in the wrong state
  kUnsupported,       // an algorithm, method or feature Parley lacks
  kLast = kUnsupported,
};

// "protocol", "deadline", ... for logs.
const char* ErrorKindName(ErrorKind kind);

// `status` with `kind` attached (replacing any earlier kind). OK stays OK.
absl::Status Error(ErrorKind kind, absl::Status status);
// The same, with an errno value (I/O kinds) or a DISCONNECT reason code
// (kServerDisconnect) as detail.
absl::Status Error(ErrorKind kind, absl::Status status, int64_t detail);

// The attached kind; kUnclassified when none is.
ErrorKind KindOf(const absl::Status& status);
// The attached detail (errno, disconnect reason), if any.
absl::optional<int64_t> ErrorDetailOf(const absl::Status& status);

// `status` with `kind` attached unless it already has one.
absl::Status WithDefaultKind(ErrorKind kind, absl::Status status);

}  // namespace parley

#endif  // PARLEY_CORE_BASE_ERROR_H_
