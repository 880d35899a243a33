// Tests for libavio/avio/deadline.hpp: the time left until a deadline.
#include <avio/deadline.hpp>

#include <doctest/doctest.h>

#include <poll.h>

using namespace avio;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

TEST_CASE("deadline: a part of a millisecond left is a whole one, never none") {
  // Rounded down, 0.6 ms left was a poll of 0 ms: the wait ended early and
  // a caller checking the clock found its budget not yet spent (hpvmstop -g
  // on a mute monitor then reported the monitor, not the -t timeout).
  CHECK(millis_until(Clock::now() + 600us) == 1ms);
  CHECK(millis_until(Clock::now() - 5ms) == 0ms);
}

TEST_CASE("deadline: a poll for the time left ends at or after the deadline") {
  for (int i = 0; i < 20; ++i) {
    const auto deadline = Clock::now() + 1500us;
    while (true) {
      const int wait = static_cast<int>(millis_until(deadline).count());
      if (wait == 0) {
        break;
      }
      ::poll(nullptr, 0, wait);
    }
    CHECK(Clock::now() >= deadline);
  }
}
