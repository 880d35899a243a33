// Time left until a deadline, in the milliseconds poll(2) takes.
#pragma once

#include <algorithm>
#include <chrono>

namespace avio {

// Rounded up: a wait of this many milliseconds never ends before the
// deadline (rounded down, a wait gave up up to 1 ms early, and a caller
// that checks the clock afterwards saw time left on a spent budget).
inline std::chrono::milliseconds millis_until(std::chrono::steady_clock::time_point deadline) {
  return std::max(std::chrono::milliseconds{0}, std::chrono::ceil<std::chrono::milliseconds>(
                                                    deadline - std::chrono::steady_clock::now()));
}

} // namespace avio
