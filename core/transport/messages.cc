#include "core/transport/messages.h"

namespace parley::transport {

const char* DisconnectReasonName(uint32_t reason) {
  static const char* const kNames[] = {
      "unknown",
      "HOST_NOT_ALLOWED_TO_CONNECT",
      "PROTOCOL_ERROR",
      "KEY_EXCHANGE_FAILED",
      "RESERVED",
      "MAC_ERROR",
      "COMPRESSION_ERROR",
      "SERVICE_NOT_AVAILABLE",
      "PROTOCOL_VERSION_NOT_SUPPORTED",
      "HOST_KEY_NOT_VERIFIABLE",
      "CONNECTION_LOST",
      "BY_APPLICATION",
      "TOO_MANY_CONNECTIONS",
      "AUTH_CANCELLED_BY_USER",
      "NO_MORE_AUTH_METHODS_AVAILABLE",
      "ILLEGAL_USER_NAME",
  };
  return reason < sizeof(kNames) / sizeof(kNames[0]) ? kNames[reason]
                                                     : "unknown";
}

}  // namespace parley::transport
