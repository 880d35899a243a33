// Dynamic memory through QEMU's virtio balloon (machine.hpp's
// balloon_device()): where a running guest's memory is, and moving it. The
// guest's balloon driver does the moving; QEMU only passes the target on and
// reports what the driver has done. Every wait is bounded.
#pragma once

#include "avio/layout.hpp"
#include "avio/qmp.hpp"

#include <cstdint>
#include <optional>

namespace avio {

// How long hpvmmodify -x ram_target waits for the guest to reach its new size.
inline constexpr Millis k_balloon_wait{5000};

// The guest's memory now (query-balloon), in MB; nullopt when the guest has
// no balloon device. Throws hpvm::Error when QEMU does not answer.
std::optional<std::uint64_t> balloon_size_mb(QmpClient& qmp);
// Asks the guest for `target_mb` of memory and records the target in the run
// directory. Throws QmpError when the guest has no balloon device.
void set_balloon_target(QmpClient& qmp, const RunDir& run, std::uint64_t target_mb);
// The target last recorded for the running guest, if any.
std::optional<std::uint64_t> recorded_balloon_target(const RunDir& run);
// The guest's own memory figures, as its balloon driver last reported them;
// unset when it reported none (no driver yet, or one that does not).
struct BalloonStats {
  std::optional<std::uint64_t> free_mb;      // free memory (MemFree)
  std::optional<std::uint64_t> available_mb; // available memory (MemAvailable)
};
// How often the balloon asks the guest's driver for its figures.
inline constexpr int k_balloon_stats_interval_s = 2;
// Makes QEMU ask the guest's balloon driver for its figures every
// k_balloon_stats_interval_s (qom-set; the figures are off by default).
// Throws hpvm::Error when QEMU refuses.
void enable_balloon_stats(QmpClient& qmp);
// The figures the guest last reported (qom-get guest-stats). Throws
// hpvm::Error when QEMU does not answer.
BalloonStats balloon_stats(QmpClient& qmp);

// Asks QEMU every 100 ms until the guest's memory is `target_mb` or `wait`
// has passed; returns the last size seen.
std::uint64_t wait_balloon(QmpClient& qmp, std::uint64_t target_mb, Millis wait);

} // namespace avio
