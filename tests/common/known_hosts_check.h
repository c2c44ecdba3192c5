// Tests' host-key check: the server at 127.0.0.1:port must present a key
// listed in one known_hosts file (as the hermetic sshd and AsyncSSH harnesses
// write it).
#ifndef PARLEY_TESTS_COMMON_KNOWN_HOSTS_CHECK_H_
#define PARLEY_TESTS_COMMON_KNOWN_HOSTS_CHECK_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "core/crypto/provider.h"
#include "core/hostkeys/host_key_policy.h"
#include "core/transport/transport.h"

namespace parley::testing {

inline std::function<absl::Status(const transport::HostKeyInfo&)>
KnownHostsCheck(std::shared_ptr<const crypto::CryptoProvider> provider,
                std::string known_hosts, uint16_t port) {
  return [provider, known_hosts, port](const transport::HostKeyInfo& info) {
    hostkeys::HostKeyVerifyOptions hk;
    hk.known_hosts_files = {known_hosts};
    return hostkeys::VerifyHostKey(hk, *provider, "127.0.0.1", port, info.blob);
  };
}

}  // namespace parley::testing

#endif  // PARLEY_TESTS_COMMON_KNOWN_HOSTS_CHECK_H_
