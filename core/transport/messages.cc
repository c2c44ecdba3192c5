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

const char* MessageName(uint8_t type) {
  switch (type) {
    case kMsgDisconnect:
      return "SSH_MSG_DISCONNECT";
    case kMsgIgnore:
      return "SSH_MSG_IGNORE";
    case kMsgUnimplemented:
      return "SSH_MSG_UNIMPLEMENTED";
    case kMsgDebug:
      return "SSH_MSG_DEBUG";
    case kMsgServiceRequest:
      return "SSH_MSG_SERVICE_REQUEST";
    case kMsgServiceAccept:
      return "SSH_MSG_SERVICE_ACCEPT";
    case kMsgExtInfo:
      return "SSH_MSG_EXT_INFO";
    case kMsgKexInit:
      return "SSH_MSG_KEXINIT";
    case kMsgNewKeys:
      return "SSH_MSG_NEWKEYS";
    case kMsgKexEcdhInit:
      return "SSH_MSG_KEX_ECDH_INIT";
    case kMsgKexEcdhReply:
      return "SSH_MSG_KEX_ECDH_REPLY";
    case kMsgUserauthRequest:
      return "SSH_MSG_USERAUTH_REQUEST";
    case kMsgUserauthFailure:
      return "SSH_MSG_USERAUTH_FAILURE";
    case kMsgUserauthSuccess:
      return "SSH_MSG_USERAUTH_SUCCESS";
    case kMsgUserauthBanner:
      return "SSH_MSG_USERAUTH_BANNER";
    case kMsgUserauthInfoRequest:
      return "SSH_MSG_USERAUTH_INFO_REQUEST";
    case kMsgUserauthInfoResponse:
      return "SSH_MSG_USERAUTH_INFO_RESPONSE";
    case kMsgGlobalRequest:
      return "SSH_MSG_GLOBAL_REQUEST";
    case kMsgRequestSuccess:
      return "SSH_MSG_REQUEST_SUCCESS";
    case kMsgRequestFailure:
      return "SSH_MSG_REQUEST_FAILURE";
    case kMsgChannelOpen:
      return "SSH_MSG_CHANNEL_OPEN";
    case kMsgChannelOpenConfirmation:
      return "SSH_MSG_CHANNEL_OPEN_CONFIRMATION";
    case kMsgChannelOpenFailure:
      return "SSH_MSG_CHANNEL_OPEN_FAILURE";
    case kMsgChannelWindowAdjust:
      return "SSH_MSG_CHANNEL_WINDOW_ADJUST";
    case kMsgChannelData:
      return "SSH_MSG_CHANNEL_DATA";
    case kMsgChannelExtendedData:
      return "SSH_MSG_CHANNEL_EXTENDED_DATA";
    case kMsgChannelEof:
      return "SSH_MSG_CHANNEL_EOF";
    case kMsgChannelClose:
      return "SSH_MSG_CHANNEL_CLOSE";
    case kMsgChannelRequest:
      return "SSH_MSG_CHANNEL_REQUEST";
    case kMsgChannelSuccess:
      return "SSH_MSG_CHANNEL_SUCCESS";
    case kMsgChannelFailure:
      return "SSH_MSG_CHANNEL_FAILURE";
  }
  static const char* const kNumbers[256] = {
#define PARLEY_N(n) "SSH_MSG_" #n
#define PARLEY_N10(t)                                                 \
  PARLEY_N(t##0), PARLEY_N(t##1), PARLEY_N(t##2), PARLEY_N(t##3),     \
      PARLEY_N(t##4), PARLEY_N(t##5), PARLEY_N(t##6), PARLEY_N(t##7), \
      PARLEY_N(t##8), PARLEY_N(t##9)
      PARLEY_N(0),    PARLEY_N(1),    PARLEY_N(2),    PARLEY_N(3),
      PARLEY_N(4),    PARLEY_N(5),    PARLEY_N(6),    PARLEY_N(7),
      PARLEY_N(8),    PARLEY_N(9),    PARLEY_N10(1),  PARLEY_N10(2),
      PARLEY_N10(3),  PARLEY_N10(4),  PARLEY_N10(5),  PARLEY_N10(6),
      PARLEY_N10(7),  PARLEY_N10(8),  PARLEY_N10(9),  PARLEY_N10(10),
      PARLEY_N10(11), PARLEY_N10(12), PARLEY_N10(13), PARLEY_N10(14),
      PARLEY_N10(15), PARLEY_N10(16), PARLEY_N10(17), PARLEY_N10(18),
      PARLEY_N10(19), PARLEY_N10(20), PARLEY_N10(21), PARLEY_N10(22),
      PARLEY_N10(23), PARLEY_N10(24), PARLEY_N(250),  PARLEY_N(251),
      PARLEY_N(252),  PARLEY_N(253),  PARLEY_N(254),  PARLEY_N(255),
#undef PARLEY_N10
#undef PARLEY_N
  };
  return kNumbers[type];
}

}  // namespace parley::transport
