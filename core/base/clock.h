// The one clock of Parley. Engines never read it: they take `now` from
// their caller (drivers and adapters read the clock), so tests run without
// sleeping and fuzzers are deterministic.
#ifndef PARLEY_CORE_BASE_CLOCK_H_
#define PARLEY_CORE_BASE_CLOCK_H_

#include <chrono>

namespace parley {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

}  // namespace parley

#endif  // PARLEY_CORE_BASE_CLOCK_H_
