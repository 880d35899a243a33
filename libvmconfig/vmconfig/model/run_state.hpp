// What the suite knows of a guest's runtime: whether it runs, and what QEMU
// says of it. Plain values; ops/runtime.* and ops/live.* fill them in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vmconfig {

// HPVM's state tokens, as every output form prints them: On, Off, and
// Invalid for a running guest whose QEMU cannot say how it is.
struct RunState {
  RunState() = default;
  explicit RunState(bool running) : on(running) {}
  bool on = false;
  // Why a running guest's state is unknown, in a few words and no colon
  // ("monitor busy", "QEMU stopped, pid 1234"); empty when it is known.
  std::string unknown;
  const char* token() const {
    if (!on) {
      return "Off";
    }
    return unknown.empty() ? "On" : "Invalid";
  }
};

// A running guest as QEMU reports it (live.hpp's live_state()).
struct LiveState {
  std::string qemu_status;              // query-status: running, paused, ...
  std::vector<std::string> differences; // configuration vs running guest, one line each
  std::vector<std::string> pending;     // PCI removals the guest has not completed
  std::string problem;                  // why QEMU could not be asked, if it could not
  std::string repair;                   // the command that removes the differences, if one does
  // Dynamic memory: the guest's memory now (query-balloon), when it has a
  // balloon, and the target last asked of it.
  std::optional<std::uint64_t> balloon_mb;
  std::optional<std::uint64_t> balloon_target_mb;
  // The guest's free and available memory, as its balloon driver reports
  // them (unset: it reported none).
  std::optional<std::uint64_t> guest_free_mb;
  std::optional<std::uint64_t> guest_available_mb;
  std::string unknown; // why QEMU could not be asked, in a few words (RunState::unknown)
};

} // namespace vmconfig
