// SSH message numbers (RFC 4250 section 4.1, RFC 8308, RFC 4256).
#ifndef PARLEY_CORE_TRANSPORT_MESSAGES_H_
#define PARLEY_CORE_TRANSPORT_MESSAGES_H_

#include <cstdint>

namespace parley::transport {

enum : uint8_t {
  kMsgDisconnect = 1,
  kMsgIgnore = 2,
  kMsgUnimplemented = 3,
  kMsgDebug = 4,
  kMsgServiceRequest = 5,
  kMsgServiceAccept = 6,
  kMsgExtInfo = 7,
  kMsgKexInit = 20,
  kMsgNewKeys = 21,
  kMsgKexEcdhInit = 30,   // also KEXDH_INIT
  kMsgKexEcdhReply = 31,  // also KEXDH_REPLY
  // RFC 4419 section 5 (group exchange; 31 is also KEX_DH_GEX_GROUP).
  kMsgKexDhGexGroup = 31,
  kMsgKexDhGexInit = 32,
  kMsgKexDhGexReply = 33,
  kMsgKexDhGexRequest = 34,
  kMsgUserauthRequest = 50,
  kMsgUserauthFailure = 51,
  kMsgUserauthSuccess = 52,
  kMsgUserauthBanner = 53,
  kMsgUserauthInfoRequest = 60,  // also PASSWD_CHANGEREQ, PK_OK
  kMsgUserauthInfoResponse = 61,
  kMsgGlobalRequest = 80,
  kMsgRequestSuccess = 81,
  kMsgRequestFailure = 82,
  kMsgChannelOpen = 90,
  kMsgChannelOpenConfirmation = 91,
  kMsgChannelOpenFailure = 92,
  kMsgChannelWindowAdjust = 93,
  kMsgChannelData = 94,
  kMsgChannelExtendedData = 95,
  kMsgChannelEof = 96,
  kMsgChannelClose = 97,
  kMsgChannelRequest = 98,
  kMsgChannelSuccess = 99,
  kMsgChannelFailure = 100,
};

// Disconnect reason codes (RFC 4253 section 11.1).
enum DisconnectReason : uint32_t {
  kDisconnectHostNotAllowedToConnect = 1,
  kDisconnectProtocolError = 2,
  kDisconnectKeyExchangeFailed = 3,
  kDisconnectReserved = 4,
  kDisconnectMacError = 5,
  kDisconnectCompressionError = 6,
  kDisconnectServiceNotAvailable = 7,
  kDisconnectProtocolVersionNotSupported = 8,
  kDisconnectHostKeyNotVerifiable = 9,
  kDisconnectConnectionLost = 10,
  kDisconnectByApplication = 11,
  kDisconnectTooManyConnections = 12,
  kDisconnectAuthCancelledByUser = 13,
  kDisconnectNoMoreAuthMethodsAvailable = 14,
  kDisconnectIllegalUserName = 15,
};

const char* DisconnectReasonName(uint32_t reason);

// "SSH_MSG_KEXINIT" for message number 20, "SSH_MSG_31" for numbers whose
// meaning depends on the method (KEX replies, 60-79), "SSH_MSG_<n>" for
// unknown ones.
const char* MessageName(uint8_t type);

}  // namespace parley::transport

#endif  // PARLEY_CORE_TRANSPORT_MESSAGES_H_
