// Channels the server opens: remote forwarding
// (libssh2_channel_forward_listen_ex / _accept / _cancel) and X11
// (libssh2_channel_x11_req_ex and the LIBSSH2_CALLBACK_X11 callback), plus
// direct-streamlocal channels. The protocol (which server opens are
// accepted, the grant's port, the queues) is the connection engine's; this
// is libssh2's shape for it.
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/base/error.h"
#include "core/base/status_macros.h"
#include "core/capi/internal.h"

namespace parley::capi {

LIBSSH2_LISTENER* SessionHandle::ForwardListen(absl::string_view host, int port,
                                               int* bound_port,
                                               int queue_maxsize) {
  if (RequireConnected() < 0) return nullptr;
  if (!authenticated()) {
    SetError(LIBSSH2_ERROR_REQUEST_DENIED,
             "cannot ask for a forward before authentication");
    return nullptr;
  }
  if (port < 0 || port > 65535 || queue_maxsize <= 0) {
    SetError(LIBSSH2_ERROR_INVAL,
             "a port from 0 to 65535 and a positive queue size");
    return nullptr;
  }
  channel::Connection& conn = engine_->connection();
  if (!requesting_forward_.has_value()) {
    absl::StatusOr<uint64_t> forward = conn.RequestForward(
        host, static_cast<uint32_t>(port), static_cast<size_t>(queue_maxsize));
    if (!forward.ok()) {
      if (KindOf(forward.status()) == ErrorKind::kResourceLimit) {
        SetError(LIBSSH2_ERROR_REQUEST_DENIED, forward.status().message());
      } else {
        Fail(forward.status());
      }
      return nullptr;
    }
    requesting_forward_ = *forward;
  }
  const uint64_t forward = *requesting_forward_;
  const int rc = Run(
      [&]() -> int {
        return conn.ForwardResult(forward).has_value() ? kStepDone : kStepWait;
      },
      "requesting tcpip-forward", /*protocol_step=*/true);
  if (Resumable(rc)) return nullptr;
  requesting_forward_.reset();
  if (rc < 0) {
    (void)conn.CancelForward(forward);
    return nullptr;
  }
  absl::StatusOr<uint32_t> bound = *conn.ForwardResult(forward);
  if (!bound.ok()) {
    (void)conn.CancelForward(forward);
    SetError(LIBSSH2_ERROR_REQUEST_DENIED,
             absl::StrCat("Unable to complete request for forward-listen: ",
                          bound.status().message()));
    return nullptr;
  }
  std::unique_ptr<_LIBSSH2_LISTENER> listener(
      new (std::nothrow) _LIBSSH2_LISTENER(this, forward));
  if (listener != nullptr) {
    try {
      listeners_.insert(listener.get());
    } catch (const std::bad_alloc&) {
      listener.reset();
    }
  }
  if (listener == nullptr) {
    (void)conn.CancelForward(forward);
    SetError(LIBSSH2_ERROR_ALLOC, "Unable to allocate a listener");
    return nullptr;
  }
  if (bound_port != nullptr) *bound_port = static_cast<int>(*bound);
  return listener.release();
}

LIBSSH2_CHANNEL* SessionHandle::ForwardAccept(ListenerHandle* listener) {
  if (RequireConnected() < 0) return nullptr;
  channel::Connection& conn = engine_->connection();
  absl::optional<uint32_t> id;
  const int rc = Run(
      [&]() -> int {
        while (!id.has_value()) {
          absl::optional<uint32_t> next =
              conn.TakeForwarded(listener->forward());
          if (!next.has_value()) return kStepWait;
          // Skip one the engine dropped meanwhile (the transport ended).
          if (conn.Find(*next) != nullptr) id = next;
        }
        return kStepDone;
      },
      "waiting for a forwarded connection");
  if (rc < 0) return nullptr;
  return AdoptChannel(*id);
}

int SessionHandle::ForwardCancel(ListenerHandle* listener) {
  listeners_.erase(listener);
  int rc = 0;
  if (engine_ != nullptr && !broken_) {
    absl::Status s = engine_->connection().CancelForward(listener->forward());
    if (!s.ok()) rc = Fail(s);
    if (rc == 0 && !engine_->closed()) (void)PumpOnce();
  }
  listener->Invalidate();
  delete static_cast<_LIBSSH2_LISTENER*>(listener);
  return rc;
}

bool SessionHandle::ForwardPending(ListenerHandle* listener) {
  return engine_ != nullptr &&
         engine_->connection().ForwardWaiting(listener->forward()) > 0;
}

void SessionHandle::DeliverX11() {
  if (engine_ == nullptr || delivering_x11_) return;
  channel::Connection& conn = engine_->connection();
  std::vector<uint32_t> ids = conn.TakeX11Channels();
  if (ids.empty()) return;
  // The callback may call back into the library; it is not re-entered.
  delivering_x11_ = true;
  for (uint32_t id : ids) {
    const channel::Channel* c = conn.Find(id);
    if (c == nullptr) continue;
    if (x11_cb_ == nullptr) {
      conn.Release(id);  // libssh2 refuses them without a callback
      continue;
    }
    const std::string host = c->origin().originator;
    const int port = static_cast<int>(c->origin().originator_port);
    LIBSSH2_CHANNEL* channel = AdoptChannel(id);
    if (channel == nullptr) continue;
    reinterpret_cast<LIBSSH2_X11_OPEN_FUNC((*))>(x11_cb_)(
        handle(), channel, host.c_str(), port, abstract());
  }
  delivering_x11_ = false;
}

}  // namespace parley::capi

// ---------------------------------------------------------------------------
// The C API

using parley::capi::ChannelHandle;
using parley::capi::Guarded;
using parley::capi::SessionHandle;
using parley::capi::ValidChannel;
using parley::capi::ValidListener;
using parley::capi::ValidSession;

extern "C" {

LIBSSH2_CHANNEL* libssh2_channel_direct_streamlocal_ex(LIBSSH2_SESSION* session,
                                                       const char* socket_path,
                                                       const char* shost,
                                                       int sport) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  if (socket_path == nullptr || shost == nullptr) {
    s->SetError(LIBSSH2_ERROR_INVAL, "no socket path or originator given");
    return nullptr;
  }
  return Guarded<LIBSSH2_CHANNEL*>(s, nullptr, [&] {
    return s->OpenDirectStreamlocal(socket_path, shost, sport);
  });
}

LIBSSH2_LISTENER* libssh2_channel_forward_listen_ex(LIBSSH2_SESSION* session,
                                                    const char* host, int port,
                                                    int* bound_port,
                                                    int queue_maxsize) {
  SessionHandle* s = ValidSession(session);
  if (s == nullptr) return nullptr;
  return Guarded<LIBSSH2_LISTENER*>(s, nullptr, [&] {
    // libssh2's default: every address of the server.
    return s->ForwardListen(host != nullptr ? host : "0.0.0.0", port,
                            bound_port, queue_maxsize);
  });
}

LIBSSH2_CHANNEL* libssh2_channel_forward_accept(LIBSSH2_LISTENER* listener) {
  auto* l = ValidListener(listener);
  if (l == nullptr) return nullptr;
  SessionHandle* s = l->session();
  return Guarded<LIBSSH2_CHANNEL*>(s, nullptr,
                                   [&] { return s->ForwardAccept(l); });
}

int libssh2_channel_forward_cancel(LIBSSH2_LISTENER* listener) {
  auto* l = ValidListener(listener);
  if (l == nullptr) return LIBSSH2_ERROR_BAD_USE;
  SessionHandle* s = l->session();
  return Guarded(s, LIBSSH2_ERROR_ALLOC, [&] { return s->ForwardCancel(l); });
}

int libssh2_channel_x11_req_ex(LIBSSH2_CHANNEL* channel, int single_connection,
                               const char* auth_proto, const char* auth_cookie,
                               int screen_number) {
  ChannelHandle* c = ValidChannel(channel);
  if (c == nullptr) return LIBSSH2_ERROR_BAD_USE;
  if (screen_number < 0) {
    return c->session()->SetError(LIBSSH2_ERROR_INVAL,
                                  "the screen number is negative");
  }
  return Guarded(c->session(), LIBSSH2_ERROR_ALLOC, [&] {
    return c->Request("x11-req", [&]() -> absl::Status {
      // As libssh2: MIT-MAGIC-COOKIE-1 with a random 128-bit cookie in
      // hex unless the application gives its own.
      std::string cookie;
      if (auth_cookie != nullptr) {
        cookie = auth_cookie;
      } else {
        const parley::crypto::CryptoProvider* provider =
            c->session()->Provider();
        if (provider == nullptr) {
          return absl::FailedPreconditionError("no crypto backend");
        }
        unsigned char raw[16];
        PARLEY_RETURN_IF_ERROR(
            provider->RandomBytes(parley::MutableByteView(raw, sizeof(raw))));
        cookie = absl::BytesToHexString(
            absl::string_view(reinterpret_cast<const char*>(raw), sizeof(raw)));
      }
      return c->session()->connection()->RequestX11(
          c->id(), single_connection != 0,
          auth_proto != nullptr ? auth_proto : "MIT-MAGIC-COOKIE-1", cookie,
          static_cast<uint32_t>(screen_number));
    });
  });
}

}  // extern "C"
