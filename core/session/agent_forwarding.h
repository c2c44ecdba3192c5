// Agent forwarding: the channels a server opens to reach our agent
// ("auth-agent@openssh.com") are relayed to the local agent's socket.
// Requests are framed (uint32 length, at most 256 KiB) and sent to the
// agent one at a time per channel, each on a worker thread (an agent may
// ask its user to confirm), which wakes the session when the answer is
// there; the answer goes back on the channel within its window. An agent
// that cannot be reached answers SSH_AGENT_FAILURE, as OpenSSH's client
// does. Owned and stepped by the session engine.
#ifndef PARLEY_CORE_SESSION_AGENT_FORWARDING_H_
#define PARLEY_CORE_SESSION_AGENT_FORWARDING_H_

#include <map>
#include <memory>
#include <string>

#include "core/base/bytes.h"
#include "core/base/waker.h"
#include "core/channel/connection.h"

namespace parley::session {

class AgentForwarding {
 public:
  AgentForwarding(std::string socket_path, Waker waker)
      : socket_path_(std::move(socket_path)), waker_(std::move(waker)) {}
  ~AgentForwarding();

  // Takes the agent channels the server opened, moves requests and answers.
  void Step(channel::Connection& connection);
  // A request is with the agent (its worker will wake the session).
  bool busy() const;
  const std::string& socket_path() const { return socket_path_; }

 private:
  struct Job;
  struct Relay {
    Bytes in;   // from the server, not yet a whole request
    Bytes out;  // to the server, not yet sent
    std::shared_ptr<Job> job;
    std::shared_ptr<struct AgentConnection> agent;
  };
  void Step(channel::Connection& connection, uint32_t id, Relay& relay);

  std::string socket_path_;
  Waker waker_;
  std::map<uint32_t, Relay> relays_;
};

}  // namespace parley::session

#endif  // PARLEY_CORE_SESSION_AGENT_FORWARDING_H_
