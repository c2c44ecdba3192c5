// libssh2_poll(): sockets through poll(2), channels and listeners through
// the state of their sessions' engines, which are serviced (non-blocking)
// while waiting.
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <vector>

#include "core/capi/internal.h"

namespace parley::capi {
namespace {

// Whether the channel's session has gone (closed, failed or broken).
bool SessionGone(SessionHandle* s) {
  session::Engine* e = s->engine();
  return e == nullptr || e->closed() || s->broken();
}

}  // namespace

int Poll(LIBSSH2_POLLFD* fds, unsigned int nfds, long timeout_ms) {
  if (fds == nullptr && nfds > 0) return LIBSSH2_ERROR_INVAL;
  using Clock = std::chrono::steady_clock;
  const bool forever = timeout_ms < 0;
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(forever ? 0 : timeout_ms);
  std::vector<ChannelHandle*> channels(nfds, nullptr);
  std::vector<ListenerHandle*> listeners(nfds, nullptr);
  for (unsigned int i = 0; i < nfds; ++i) {
    switch (fds[i].type) {
      case LIBSSH2_POLLFD_SOCKET:
        break;
      case LIBSSH2_POLLFD_CHANNEL: {
        ChannelHandle* c = ValidChannel(fds[i].fd.channel);
        if (c == nullptr) return LIBSSH2_ERROR_INVAL;
        channels[i] = c;
        break;
      }
      case LIBSSH2_POLLFD_LISTENER: {
        ListenerHandle* l = ValidListener(fds[i].fd.listener);
        if (l == nullptr) return LIBSSH2_ERROR_INVAL;
        listeners[i] = l;
        break;
      }
      default:
        return LIBSSH2_ERROR_INVALID_POLL_TYPE;
    }
  }
  while (true) {
    // Service the sessions of the channels (what has arrived is read).
    std::set<SessionHandle*> sessions;
    for (ChannelHandle* c : channels) {
      if (c != nullptr) sessions.insert(c->session());
    }
    for (ListenerHandle* l : listeners) {
      if (l != nullptr) sessions.insert(l->session());
    }
    for (SessionHandle* s : sessions) {
      if (!SessionGone(s)) (void)s->PumpOnce();
    }
    // Then see what is ready.
    std::vector<pollfd> sys;
    std::vector<unsigned int> sys_index;
    int ready = 0;
    for (unsigned int i = 0; i < nfds; ++i) {
      fds[i].revents = 0;
      if (fds[i].type == LIBSSH2_POLLFD_SOCKET) {
        short events = 0;
        if (fds[i].events & LIBSSH2_POLLFD_POLLIN) events |= POLLIN;
        if (fds[i].events & LIBSSH2_POLLFD_POLLPRI) events |= POLLPRI;
        if (fds[i].events & LIBSSH2_POLLFD_POLLOUT) events |= POLLOUT;
        sys.push_back({fds[i].fd.socket, events, 0});
        sys_index.push_back(i);
        continue;
      }
      if (ListenerHandle* l = listeners[i]; l != nullptr) {
        // Read polls only: a connection waits to be accepted.
        unsigned long r = 0;
        if ((fds[i].events & LIBSSH2_POLLFD_POLLIN) &&
            l->session()->ForwardPending(l)) {
          r |= LIBSSH2_POLLFD_POLLIN;
        }
        if (SessionGone(l->session())) {
          r |= LIBSSH2_POLLFD_LISTENER_CLOSED | LIBSSH2_POLLFD_SESSION_CLOSED;
        }
        fds[i].revents = r;
        if (r != 0) ++ready;
        continue;
      }
      ChannelHandle* c = channels[i];
      unsigned long r = 0;
      if ((fds[i].events & LIBSSH2_POLLFD_POLLIN) && c->Readable(false)) {
        r |= LIBSSH2_POLLFD_POLLIN;
      }
      if ((fds[i].events & LIBSSH2_POLLFD_POLLEXT) && c->Readable(true)) {
        r |= LIBSSH2_POLLFD_POLLEXT;
      }
      if ((fds[i].events & LIBSSH2_POLLFD_POLLOUT) && c->Writable()) {
        r |= LIBSSH2_POLLFD_POLLOUT;
      }
      if (c->Closed()) r |= LIBSSH2_POLLFD_CHANNEL_CLOSED;
      if (SessionGone(c->session())) r |= LIBSSH2_POLLFD_SESSION_CLOSED;
      fds[i].revents = r;
      if (r != 0) ++ready;
    }
    if (!sys.empty()) {
      if (::poll(sys.data(), sys.size(), 0) > 0) {
        for (size_t k = 0; k < sys.size(); ++k) {
          unsigned long r = 0;
          const short got = sys[k].revents;
          if (got & POLLIN) r |= LIBSSH2_POLLFD_POLLIN;
          if (got & POLLPRI) r |= LIBSSH2_POLLFD_POLLPRI;
          if (got & POLLOUT) r |= LIBSSH2_POLLFD_POLLOUT;
          if (got & POLLERR) r |= LIBSSH2_POLLFD_POLLERR;
          if (got & POLLHUP) r |= LIBSSH2_POLLFD_POLLHUP;
          if (got & POLLNVAL) r |= LIBSSH2_POLLFD_POLLNVAL;
          fds[sys_index[k]].revents = r;
          if (r != 0) ++ready;
        }
      }
    }
    if (ready > 0) return ready;
    const Clock::time_point now = Clock::now();
    if (!forever && now >= deadline) return 0;
    // Wait for any socket (the asked ones and the sessions') to move.
    for (SessionHandle* s : sessions) {
      if (!SessionGone(s) && s->socket() >= 0) {
        sys.push_back({s->socket(), POLLIN, 0});
      }
    }
    int wait_ms = 50;  // also a bound for channels whose window is awaited
    if (!forever) {
      wait_ms = static_cast<int>(std::min<long long>(
          wait_ms,
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)
              .count()));
    }
    (void)::poll(sys.data(), sys.size(), std::max(wait_ms, 0));
  }
}

}  // namespace parley::capi
