// The client transport against hostile key-exchange replies and hostile
// transport messages right after the keys: the fake server of
// tests/transport runs a real exchange, then (mode 0) sends the input as its
// KEX reply in place of the real one -- K_S, Q_S or f, and the signature,
// each parsed and checked by the client -- or (mode 1) completes the real
// exchange and sends the input's packets under the new keys as the first
// ones the client reads: EXT_INFO, IGNORE, DEBUG, DISCONNECT, KEXINIT and
// whatever else they say.
//
// Method 3 is group exchange (RFC 4419) in mode 0: the input is the group
// the server sends (uint16 length of p, p, then g), which the client must
// check before computing in it.
//
// Input: byte 0 = method (bits 0-1: curve25519, ECDH P-256, DH group 14,
// group exchange) and mode (bit 7); then mode 0: the reply's fields (after
// the type byte) or the group; mode 1: (uint16 length, payload) records.
#include <algorithm>
#include <cstdint>
#include <string>

#include "core/transport/messages.h"
#include "core/transport/transport.h"
#include "tests/session/engine_harness.h"
#include "tests/transport/fake_server.h"

namespace {

using parley::Bytes;
using parley::ByteView;
namespace transport = parley::transport;
using transport::testing::FakeServer;
using transport::testing::Stage;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const char* const kMethods[] = {
      "curve25519-sha256", "ecdh-sha2-nistp256",
      "diffie-hellman-group14-sha256", "diffie-hellman-group-exchange-sha256"};
  const std::string method = kMethods[data[0] & 3];
  const bool gex = (data[0] & 3) == 3;
  const bool after_keys = (data[0] & 0x80) != 0;
  const ByteView rest(data + 1, size - 1);

  transport::TransportOptions c;
  c.provider = parley::session::testing::TestProvider();
  c.algorithms.kex = {method};
  c.verify_host_key = [](const transport::HostKeyInfo&) {
    return absl::OkStatus();
  };
  transport::testing::FakeServerOptions s;
  s.provider = c.provider;
  s.host_keys = {parley::session::testing::TestKey()};
  s.algorithms.kex = {method};
  if (gex && !after_keys && rest.size() >= 2) {
    const size_t p_len =
        std::min((size_t{rest[0]} << 8) | rest[1], rest.size() - 2);
    s.gex_group =
        std::make_pair(Bytes(rest.begin() + 2, rest.begin() + 2 + p_len),
                       Bytes(rest.begin() + 2 + p_len, rest.end()));
  }
  s.on_stage = [rest, after_keys, gex](FakeServer& srv, Stage stage) {
    if (!after_keys && !gex && stage == Stage::kBeforeKexReply) {
      Bytes reply{transport::kMsgKexEcdhReply};
      reply.insert(reply.end(), rest.begin(), rest.end());
      (void)srv.SendPacket(reply);
    }
    if (after_keys && stage == Stage::kAfterNewKeys) {
      size_t i = 0;
      for (int n = 0; n < 64 && i + 2 <= rest.size(); ++n) {
        const size_t len = (size_t{rest[i]} << 8) | rest[i + 1];
        i += 2;
        const size_t take = std::min(len, rest.size() - i);
        if (take > 0) (void)srv.SendPacket(rest.subspan(i, take));
        i += take;
      }
    }
  };
  transport::Transport client(std::move(c));
  FakeServer server(std::move(s));
  if (!client.Start().ok() || !server.Start().ok()) return 0;
  transport::testing::Pump(client, server);
  Bytes m;
  while (client.Receive(&m)) {
  }
  return 0;
}
