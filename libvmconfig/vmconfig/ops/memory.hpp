// Dynamic memory on a running guest: the balloon target a start gives it
// (ram_dyn_target_start) and hpvmmodify -x ram_target, which moves it.
#pragma once

#include "vmconfig/model/report.hpp"
#include "vmconfig/store/store.hpp"

#include <avio/layout.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace vmconfig {

// Right after QEMU started the guest (under its runtime lock): asks its
// balloon for ram_dyn_target_start when the guest has dynamic memory. A
// monitor that does not answer leaves the guest with all of its memory and
// a warning in `report`.
void apply_start_target(const Guest& guest, const avio::RunDir& run, Report& report);

// hpvmmodify -P name -x ram_target=value (an amount, or "start"): moves the
// running guest's memory, waiting up to avio::k_balloon_wait for the guest to
// get there (a warning when it has not). Nothing is configured. Throws
// hpvm::Refused when dynamic memory is off, the value is outside its range or
// the guest is not running or has no balloon; with `check_only` only checks.
Report change_memory_target(Store& store, const std::string& name, const std::string& value,
                            bool check_only);

// hpvmmodify changing ram_dyn_target_start of a running guest whose dynamic
// memory stays on: moves the running guest there now, as -x ram_target
// would (same wait, same refusals, but a guest with no balloon yet keeps its
// memory with a warning). Returns the target the guest had, for
// restore_memory_target() when the rest of the change fails; nullopt when
// the guest was not asked.
std::optional<std::uint64_t> move_start_target(const Store& store, const Guest& before,
                                               const Guest& after, Report& report);
// Asks the running guest for `target_mb` again, without waiting; best effort.
void restore_memory_target(const Store& store, const Guest& guest, std::uint64_t target_mb);

} // namespace vmconfig
