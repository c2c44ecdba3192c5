#include "core/session/agent_forwarding.h"

#include <mutex>
#include <thread>

#include "core/agent/client.h"
#include "core/agent/protocol.h"
#include "core/base/bytes.h"

namespace parley::session {

// The local agent, connected on first use (on a worker thread) and kept for
// the channel's life; used by one request at a time.
struct AgentConnection {
  std::string path;
  std::unique_ptr<agent::AgentClient> client;
};

struct AgentForwarding::Job {
  Bytes request;  // framed
  std::mutex mu;
  bool done = false;
  Bytes answer;  // framed
};

namespace {

// SSH_AGENT_FAILURE, framed.
Bytes Failure() { return agent::Frame(agent::kFailure, ByteView()); }

}  // namespace

AgentForwarding::~AgentForwarding() = default;

bool AgentForwarding::busy() const {
  for (const auto& [id, relay] : relays_) {
    if (relay.job != nullptr) return true;
  }
  return false;
}

void AgentForwarding::Step(channel::Connection& connection) {
  for (uint32_t id : connection.TakeNewAgentChannels()) {
    Relay relay;
    relay.agent = std::make_shared<AgentConnection>();
    relay.agent->path = socket_path_;
    relays_[id] = std::move(relay);
  }
  for (auto it = relays_.begin(); it != relays_.end();) {
    const channel::Channel* c = connection.Find(it->first);
    if (c == nullptr || !c->open() || c->close_received()) {
      if (c != nullptr) connection.Release(it->first);
      // A worker still running finishes on its own (it owns its job).
      it = relays_.erase(it);
      continue;
    }
    Step(connection, it->first, it->second);
    ++it;
  }
}

void AgentForwarding::Step(channel::Connection& connection, uint32_t id,
                           Relay& relay) {
  // From the server.
  uint8_t buf[16 * 1024];
  while (size_t n = connection.Read(id, false, buf, sizeof(buf))) {
    relay.in.insert(relay.in.end(), buf, buf + n);
  }
  (void)connection.Discard(id, true);
  // An answer ready?
  if (relay.job != nullptr) {
    std::lock_guard<std::mutex> lock(relay.job->mu);
    if (relay.job->done) {
      relay.out.insert(relay.out.end(), relay.job->answer.begin(),
                       relay.job->answer.end());
      relay.job.reset();
    }
  }
  // The next whole request to the agent.
  if (relay.job == nullptr && relay.in.size() >= 4) {
    const uint32_t len = LoadBe32(relay.in.data());
    if (len == 0 || len > agent::kMaxMessage) {
      // Not an agent conversation: end it.
      relay.in.clear();
      (void)connection.Close(id);
      return;
    }
    if (relay.in.size() >= 4 + static_cast<size_t>(len)) {
      auto job = std::make_shared<Job>();
      job->request.assign(relay.in.begin(), relay.in.begin() + 4 + len);
      relay.in.erase(relay.in.begin(), relay.in.begin() + 4 + len);
      std::thread([job, agent = relay.agent, waker = waker_] {
        Bytes answer = Failure();
        if (agent->client == nullptr) {
          auto c = agent::AgentClient::Connect(agent->path);
          if (c.ok()) agent->client = *std::move(c);
        }
        if (agent->client != nullptr) {
          absl::StatusOr<Bytes> body = agent->client->Call(job->request);
          if (body.ok() && !body->empty()) {
            answer = agent::Frame((*body)[0], ByteView(*body).subspan(1));
          } else {
            agent->client.reset();  // reconnect for the next request
          }
        }
        {
          std::lock_guard<std::mutex> lock(job->mu);
          job->answer = std::move(answer);
          job->done = true;
        }
        waker.Wake();
      }).detach();
      relay.job = std::move(job);
    }
  }
  // To the server, as its window allows.
  if (!relay.out.empty()) {
    absl::StatusOr<size_t> n = connection.Write(id, relay.out, false);
    if (n.ok()) relay.out.erase(relay.out.begin(), relay.out.begin() + *n);
  }
  // The server is done with it.
  const channel::Channel* c = connection.Find(id);
  if (c != nullptr && c->eof_received() && !c->close_sent() &&
      relay.job == nullptr && relay.out.empty()) {
    (void)connection.Close(id);
  }
}

}  // namespace parley::session
