// A hostile SSH server on a real TCP socket, for the hostile-server suite.
//
// HostileServer listens on 127.0.0.1, accepts one connection and runs a
// script on its own thread. The script drives a ServerConnection: the
// server-role transport of tests/transport (FakeServer, which completes a
// real key exchange: real DH/ECDH, a real host-key signature, real packet
// protection) plus blocking socket I/O, and then misbehaves at will — raw
// bytes, corrupted packets, messages out of place, floods, stalls, a closed
// socket in any phase.
//
// Everything the client sends is kept (raw bytes and decrypted messages),
// so a test can prove that a credential was or was not sent.
//
//   HostileServer server(Options(), [](ServerConnection& c) {
//     if (!c.Handshake()) return;
//     c.AcceptServiceAndReadRequest();
//     c.Send(InfoRequest("", "", {{"Password: ", false}}));
//     c.Close();  // mid-auth
//   });
//   ... connect a client to server.port() ...
#ifndef PARLEY_TESTS_HOSTILE_HOSTILE_SERVER_H_
#define PARLEY_TESTS_HOSTILE_HOSTILE_SERVER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/types/optional.h"
#include "core/base/bytes.h"
#include "tests/session/engine_harness.h"
#include "tests/transport/fake_server.h"

namespace parley::hostile {

using Millis = std::chrono::milliseconds;

class ServerConnection {
 public:
  ServerConnection(int fd, transport::testing::FakeServerOptions options);
  ~ServerConnection();
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  // Runs the key exchange until keys are in place both ways. False if the
  // client closed or broke the protocol (see server().error()).
  bool Handshake(Millis timeout = Millis(10000));
  // Runs the handshake until the server reaches `stage` (its on_stage
  // point), without sending what that stage queued. False if it never
  // does.
  bool HandshakeUntil(transport::testing::Stage stage,
                      Millis timeout = Millis(10000));
  // Sends the pending output except its last `drop` bytes, then closes
  // the socket: a connection that dies in the middle of a packet.
  void SendAllButAndClose(size_t drop);
  // After HandshakeUntil(stage): sends the output queued up to that stage
  // except its last `drop` bytes, then closes the socket.
  void CutAtStageAndClose(size_t drop);
  // Sends everything the transport has queued. False once the client is
  // gone (the socket refuses bytes).
  bool Flush();
  // The next upper-layer message from the client, or nullopt on timeout,
  // end of stream or a transport failure.
  absl::optional<Bytes> Read(Millis timeout = Millis(10000));
  // Reads the service request, accepts it and returns the first
  // USERAUTH_REQUEST (nullopt if anything else happened).
  absl::optional<session::testing::UserauthRequest>
  AcceptServiceAndReadRequest();
  // One keyboard-interactive round: sends the prompt and returns the
  // answers (nullopt if no INFO_RESPONSE came).
  absl::optional<std::vector<std::string>> AskPassword(
      const std::string& prompt = "Password: ");
  // The service, a keyboard-interactive request and one password round
  // answered with `expected`, then USERAUTH_SUCCESS. False otherwise.
  bool Login(const std::string& expected);

  // The channel part of a session: reads the client's CHANNEL_OPEN and
  // confirms it (our channel 7, `window` bytes), giving the client's
  // channel number and window; false if something else came.
  bool AcceptSessionChannel(uint32_t window = 1 << 20,
                            uint32_t* client_channel = nullptr,
                            uint32_t* client_window = nullptr);
  // Reads until a CHANNEL_REQUEST arrives and answers it with success.
  bool AcceptRequest(uint32_t client_channel);
  // A whole command after login: the channel accepted, its request
  // answered, `output`, the exit status, EOF and CLOSE sent; then waits for
  // the client to go.
  bool ServeCommand(const std::string& output, uint32_t exit_status = 0);

  // Sends an upper-layer message (encrypted, in order).
  bool Send(const Bytes& payload);
  // Writes bytes to the socket as they are.
  bool SendRaw(ByteView bytes);
  // Writes the transport's pending output one byte at a time, `gap`
  // apart, for at most `budget` (a slow-loris server).
  bool Trickle(Millis gap, Millis budget);
  // Keeps reading (and dropping) what the client sends until it closes
  // the connection or `timeout` passes. True if the client closed it.
  bool WaitForClientClose(Millis timeout = Millis(10000));
  // Closes the socket now (shutdown both ways).
  void Close();
  // Closes the socket with a TCP reset (SO_LINGER 0): the client's next
  // read or write fails with ECONNRESET.
  void Reset();
  // From now on every byte goes out in its own send(), `gap` apart: the
  // client's reads return one byte, then EAGAIN.
  void set_one_byte_per_send(std::chrono::microseconds gap) { byte_gap_ = gap; }

  transport::testing::FakeServer& server() { return server_; }
  // Every decrypted upper-layer message the client sent, in order.
  const std::vector<Bytes>& received() const { return received_; }
  // Every byte the client sent.
  const Bytes& raw_received() const { return raw_; }
  // Whether `needle` appears in any decrypted message of the client.
  bool ClientSent(const std::string& needle) const;
  // Whether the client sent a message of this type.
  bool ClientSentType(uint8_t type) const;

 private:
  // Reads what is available within `timeout` and feeds it to the server.
  // False on end of stream, socket error or timeout.
  bool ReadSome(Millis timeout);
  void TakeMessages();

  int fd_;
  // Each stage reached, with the size of the unsent output at that point.
  std::vector<std::pair<transport::testing::Stage, size_t>> stages_;
  size_t stage_mark_ = 0;  // output size at HandshakeUntil's stage
  transport::testing::FakeServer server_;
  std::vector<Bytes> received_;
  size_t next_ = 0;  // first message of received_ not yet Read()
  Bytes raw_;
  bool eof_ = false;
  std::chrono::microseconds byte_gap_{-1};  // < 0: whole writes
};

class HostileServer {
 public:
  using Script = std::function<void(ServerConnection&)>;
  // Host key: the harness's Ed25519 key unless options name others.
  HostileServer(transport::testing::FakeServerOptions options, Script script);
  explicit HostileServer(Script script);
  ~HostileServer();  // waits for the script

  uint16_t port() const { return port_; }
  // Waits for the script to end.
  void Join();
  // Whether a client connected and the script ran.
  bool ran() const { return ran_; }

 private:
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> ran_{false};
  std::thread thread_;
};

// The server options every scenario starts from: the OpenSSL backend
// linked in, an Ed25519 host key, strict KEX, EXT_INFO with
// server-sig-algs.
transport::testing::FakeServerOptions DefaultServerOptions();

}  // namespace parley::hostile

#endif  // PARLEY_TESTS_HOSTILE_HOSTILE_SERVER_H_
