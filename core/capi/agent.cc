// libssh2_agent_*: the keys of a running ssh-agent (core/agent), with
// libssh2's semantics: identities in memory from the session's allocator,
// libssh2_agent_get_identity's 0 / 1 / negative, LIBSSH2_ERROR_AGENT_PROTOCOL
// for what goes wrong with the agent, LIBSSH2_ERROR_EAGAIN from
// libssh2_agent_userauth on a non-blocking session while the agent signs.
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/agent/agent_signer.h"
#include "core/agent/client.h"
#include "core/capi/internal.h"
#include "core/crypto/algorithms.h"
#include "core/wire/reader.h"

namespace parley::capi {

class Agent {
 public:
  explicit Agent(SessionHandle* session) : session_(session) {}
  virtual ~Agent() { ClearIdentities(); }

  static constexpr uint32_t kMagic = 0x50414754;  // "PAGT"
  bool valid() const { return magic_ == kMagic && session_->valid(); }
  void Invalidate() { magic_ = 0; }

  int Connect() {
    const std::string path =
        agent::AgentSocketPath(identity_path_.empty() ? "" : identity_path_);
    if (path.empty()) {
      return session_->SetError(LIBSSH2_ERROR_BAD_USE,
                                "no auth sock variable (SSH_AUTH_SOCK)");
    }
    absl::StatusOr<std::unique_ptr<agent::AgentClient>> c =
        agent::AgentClient::Connect(path);
    if (!c.ok()) {
      return session_->SetError(LIBSSH2_ERROR_AGENT_PROTOCOL,
                                c.status().message());
    }
    client_ = *std::move(c);
    return 0;
  }

  int ListIdentities() {
    if (client_ == nullptr) return NotConnected();
    absl::StatusOr<std::vector<agent::Identity>> ids =
        client_->ListIdentities();
    if (!ids.ok()) {
      return session_->SetError(LIBSSH2_ERROR_AGENT_PROTOCOL,
                                ids.status().message());
    }
    ClearIdentities();
    for (agent::Identity& id : *ids) {
      auto node = std::make_unique<Node>();
      node->id = std::move(id);
      node->ext.magic = kNodeMagic;
      node->ext.node = node.get();
      node->ext.blob_len = node->id.key_blob.size();
      node->ext.blob =
          static_cast<unsigned char*>(session_->Alloc(node->ext.blob_len));
      node->ext.comment = session_->CopyString(node->id.comment);
      if (node->ext.blob == nullptr || node->ext.comment == nullptr) {
        session_->Free(node->ext.blob);
        session_->Free(node->ext.comment);
        ClearIdentities();
        return session_->SetError(LIBSSH2_ERROR_ALLOC,
                                  "Unable to allocate memory for identities");
      }
      std::copy(node->id.key_blob.begin(), node->id.key_blob.end(),
                node->ext.blob);
      nodes_.push_back(std::move(node));
    }
    return 0;
  }

  int GetIdentity(libssh2_agent_publickey** store,
                  libssh2_agent_publickey* prev) {
    if (store == nullptr) {
      return session_->SetError(LIBSSH2_ERROR_INVAL, "no store given");
    }
    size_t next = 0;
    if (prev != nullptr) {
      const int i = Index(prev);
      if (i < 0) {
        return session_->SetError(LIBSSH2_ERROR_INVAL,
                                  "prev is not an identity of this agent");
      }
      next = static_cast<size_t>(i) + 1;
    }
    if (next >= nodes_.size()) return 1;
    *store = &nodes_[next]->ext;
    return 0;
  }

  int Userauth(const char* user, libssh2_agent_publickey* identity) {
    if (user == nullptr) {
      return session_->SetError(LIBSSH2_ERROR_INVAL, "no username given");
    }
    std::shared_ptr<auth::Signer> signer;
    if (!session_->resuming(AuthCall::kPublicKeySigner)) {
      if (client_ == nullptr) return NotConnected();
      const int i = Index(identity);
      if (i < 0) {
        return session_->SetError(LIBSSH2_ERROR_INVAL,
                                  "not an identity of this agent");
      }
      absl::StatusOr<agent::AgentKey> key =
          agent::NewAgentSigner(client_->path(), nodes_[i]->id);
      if (!key.ok()) {
        return session_->SetError(
            LIBSSH2_ERROR_METHOD_NOT_SUPPORTED,
            absl::StrCat("Unusable agent key: ", key.status().message()));
      }
      signer = key->signer;
    }
    return session_->UserauthSigner(user, std::move(signer));
  }

  int Sign(libssh2_agent_publickey* identity, unsigned char** sig,
           size_t* s_len, const unsigned char* data, size_t d_len,
           const char* method, unsigned int method_len) {
    if (client_ == nullptr) return NotConnected();
    const int i = Index(identity);
    if (i < 0 || sig == nullptr || s_len == nullptr ||
        (data == nullptr && d_len > 0) || method == nullptr) {
      return session_->SetError(LIBSSH2_ERROR_INVAL,
                                "bad identity, buffer or method");
    }
    const absl::string_view want(method, method_len);
    crypto::SignatureAlgorithm alg;
    uint32_t flags = 0;
    if (crypto::SignatureAlgorithmFromName(want, &alg)) {
      flags = agent::SignFlags(alg);
    }
    absl::StatusOr<Bytes> blob =
        client_->Sign(nodes_[i]->id.key_blob, ByteView(data, d_len), flags);
    if (!blob.ok()) {
      return session_->SetError(LIBSSH2_ERROR_AGENT_PROTOCOL,
                                blob.status().message());
    }
    // string algorithm, string signature: libssh2 returns the signature
    // part, and the algorithm must be the one asked for.
    wire::Reader r(*blob);
    absl::string_view name;
    ByteView raw;
    if (!r.ReadString(&name).ok() || !r.ReadString(&raw).ok()) {
      return session_->SetError(LIBSSH2_ERROR_AGENT_PROTOCOL,
                                "malformed signature from the agent");
    }
    if (name != want) {
      return session_->SetError(
          LIBSSH2_ERROR_AGENT_PROTOCOL,
          absl::StrCat("the agent signed with ", name, ", not ", want));
    }
    auto* out = static_cast<unsigned char*>(session_->Alloc(raw.size()));
    if (out == nullptr && !raw.empty()) {
      return session_->SetError(LIBSSH2_ERROR_ALLOC, "out of memory");
    }
    std::copy(raw.begin(), raw.end(), out);
    *sig = out;
    *s_len = raw.size();
    return 0;
  }

  int Disconnect() {
    client_.reset();
    return 0;
  }

  void SetIdentityPath(const char* path) {
    identity_path_ = path != nullptr ? path : "";
  }
  const char* IdentityPath() const {
    return identity_path_.empty() ? nullptr : identity_path_.c_str();
  }

 private:
  static constexpr unsigned kNodeMagic = 0x50414944;  // "PAID"
  struct Node {
    libssh2_agent_publickey ext{};
    agent::Identity id;
  };

  int NotConnected() {
    return session_->SetError(LIBSSH2_ERROR_BAD_USE,
                              "the agent is not connected");
  }
  int Index(const libssh2_agent_publickey* p) const {
    if (p == nullptr || p->magic != kNodeMagic) return -1;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (&nodes_[i]->ext == p) return static_cast<int>(i);
    }
    return -1;
  }
  void ClearIdentities() {
    for (auto& n : nodes_) {
      session_->Free(n->ext.blob);
      session_->Free(n->ext.comment);
      n->ext.magic = 0;
    }
    nodes_.clear();
  }

  uint32_t magic_ = kMagic;
  SessionHandle* session_;
  std::string identity_path_;
  std::unique_ptr<agent::AgentClient> client_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

}  // namespace parley::capi

struct _LIBSSH2_AGENT final : parley::capi::Agent {
  using Agent::Agent;
};

// ---------------------------------------------------------------------------
// The C API

using parley::capi::Guarded;

namespace {

_LIBSSH2_AGENT* A(LIBSSH2_AGENT* agent) {
  return agent != nullptr && agent->valid() ? agent : nullptr;
}

}  // namespace

extern "C" {

LIBSSH2_AGENT* libssh2_agent_init(LIBSSH2_SESSION* session) {
  if (session == nullptr || !session->valid()) return nullptr;
  auto* agent = Guarded<_LIBSSH2_AGENT*>(nullptr, nullptr, [&] {
    return new (std::nothrow) _LIBSSH2_AGENT(session);
  });
  if (agent == nullptr) {
    session->SetError(LIBSSH2_ERROR_ALLOC,
                      "Unable to allocate memory for agent connection");
  }
  return agent;
}

int libssh2_agent_connect(LIBSSH2_AGENT* agent) {
  auto* a = A(agent);
  if (a == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(nullptr, LIBSSH2_ERROR_ALLOC, [&] { return a->Connect(); });
}

int libssh2_agent_list_identities(LIBSSH2_AGENT* agent) {
  auto* a = A(agent);
  if (a == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(nullptr, LIBSSH2_ERROR_ALLOC,
                 [&] { return a->ListIdentities(); });
}

int libssh2_agent_get_identity(LIBSSH2_AGENT* agent,
                               struct libssh2_agent_publickey** store,
                               struct libssh2_agent_publickey* prev) {
  auto* a = A(agent);
  if (a == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(nullptr, LIBSSH2_ERROR_ALLOC,
                 [&] { return a->GetIdentity(store, prev); });
}

int libssh2_agent_userauth(LIBSSH2_AGENT* agent, const char* username,
                           struct libssh2_agent_publickey* identity) {
  auto* a = A(agent);
  if (a == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(nullptr, LIBSSH2_ERROR_ALLOC,
                 [&] { return a->Userauth(username, identity); });
}

int libssh2_agent_sign(LIBSSH2_AGENT* agent,
                       struct libssh2_agent_publickey* identity,
                       unsigned char** sig, size_t* s_len,
                       const unsigned char* data, size_t d_len,
                       const char* method, unsigned int method_len) {
  auto* a = A(agent);
  if (a == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(nullptr, LIBSSH2_ERROR_ALLOC, [&] {
    return a->Sign(identity, sig, s_len, data, d_len, method, method_len);
  });
}

int libssh2_agent_disconnect(LIBSSH2_AGENT* agent) {
  auto* a = A(agent);
  if (a == nullptr) return LIBSSH2_ERROR_BAD_USE;
  return Guarded(nullptr, LIBSSH2_ERROR_ALLOC, [&] { return a->Disconnect(); });
}

void libssh2_agent_free(LIBSSH2_AGENT* agent) {
  auto* a = A(agent);
  if (a == nullptr) return;
  a->Invalidate();
  delete a;
}

void libssh2_agent_set_identity_path(LIBSSH2_AGENT* agent, const char* path) {
  auto* a = A(agent);
  if (a == nullptr) return;
  // Out of memory keeps the previous path (the function reports nothing).
  Guarded(nullptr, 0, [&] {
    a->SetIdentityPath(path);
    return 0;
  });
}

const char* libssh2_agent_get_identity_path(LIBSSH2_AGENT* agent) {
  auto* a = A(agent);
  return a != nullptr ? a->IdentityPath() : nullptr;
}

}  // extern "C"
