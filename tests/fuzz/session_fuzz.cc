// Whole sessions after the key exchange: a server (the in-process fake
// server of tests/transport, doing a real key exchange) sends what the
// input says, encrypted, to an engine that is in the middle of a
// keyboard-interactive login, logged in and idle, or running a command --
// so the keyboard-interactive state machine, userauth, channels and the
// connection layer meet hostile sequences together. The input: one byte
// for the scenario, then (control byte, uint16 length, message) records;
// the control byte may advance the fake clock (bit 0) and start a real
// server-initiated key re-exchange before the message (bit 7), so rekeys
// interleave with everything else. Messages of every type are sent, the
// key-exchange ones too (out of place, the client must refuse them).
#include <memory>
#include <string>
#include <vector>

#include "core/auth/responder.h"
#include "core/session/engine.h"
#include "core/session/exec.h"
#include "tests/session/engine_harness.h"

namespace {

using parley::Bytes;
using parley::SecureBuffer;
namespace auth = parley::auth;
namespace session = parley::session;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  session::testing::EngineHarness h;
  h.Connect();
  if (h.engine().closed()) return 0;
  const int scenario = data[0] % 3;
  auto responder = std::make_shared<auth::FunctionResponder>(
      [](const auth::Challenge& c, std::vector<SecureBuffer>* answers) {
        answers->assign(c.request.prompts.size(), SecureBuffer{'x'});
        return auth::ResponderStatus::kAnswered;
      });
  std::unique_ptr<session::ExecTask> exec;
  if (scenario == 0) {
    if (!h.engine()
             .AuthKeyboardInteractive("alice", responder.get(), {}, h.now())
             .ok()) {
      return 0;
    }
    if (!h.AcceptServiceAndReadRequest().has_value()) return 0;
  } else {
    h.Authenticate();
    if (!h.engine().authenticated()) return 0;
    if (scenario == 2) {
      exec = std::make_unique<session::ExecTask>("true");
      (void)exec->Poll(h.engine());
      h.Pump();
    }
  }
  size_t i = 1;
  for (int n = 0; n < 64 && i + 3 <= size && !h.engine().closed(); ++n) {
    const uint8_t control = data[i];
    const size_t len = (size_t{data[i + 1]} << 8) | data[i + 2];
    i += 3;
    const size_t take = std::min(len, size - i);
    Bytes msg(data + i, data + i + take);
    i += take;
    if (control & 0x80) (void)h.server().Rekey();
    if (msg.empty()) continue;
    (void)h.server().Send(msg);  // fails once the server closed
    if (control & 1) {
      h.Advance(std::chrono::milliseconds(100) * (control >> 1));
    } else {
      h.Pump();
    }
    if (exec != nullptr) (void)exec->Poll(h.engine());
    if (h.engine().auth_done()) (void)h.engine().TakeAuthResult();
  }
  return 0;
}
