// What the one-time-code responders (otp, smartcard) do when this time
// step's code was used already: wait for the next step when the round's
// deadline allows it, cancel with the reason when it does not.
#ifndef PARLEY_PLUGINS_OTP_OTP_RESPOND_H_
#define PARLEY_PLUGINS_OTP_OTP_RESPOND_H_

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "parley_responder.h"
#include "plugins/common/plugin_util.h"

namespace parley::otp {

inline parley_respond_status WaitForNextCode(const parley_host_api* host,
                                             parley_host_instance* instance,
                                             const parley_challenge* c,
                                             uint32_t wait_ms,
                                             uint32_t* retry_after_ms) {
  if (c->round_ms_left != PARLEY_NO_DEADLINE && wait_ms > c->round_ms_left) {
    plugins::Log(
        host, instance, PARLEY_LOG_ERROR,
        absl::StrCat("this time step's code was already used and the next "
                     "one is valid in ",
                     (wait_ms + 999) / 1000, " s, after the round deadline (",
                     c->round_ms_left / 1000,
                     " s left); set skew if the server accepts codes ahead"));
    return PARLEY_RESPOND_CANCEL;
  }
  plugins::Log(host, instance, PARLEY_LOG_INFO,
               absl::StrCat("this time step's code was already used: waiting ",
                            (wait_ms + 999) / 1000, " s for the next one"));
  *retry_after_ms = wait_ms;
  return PARLEY_RESPOND_LATER;
}

}  // namespace parley::otp

#endif  // PARLEY_PLUGINS_OTP_OTP_RESPOND_H_
