// A running guest against its configuration: what QEMU runs that differs
// (hpvmstatus) and bringing it back in line (hpvmmodify -R). Above modify,
// whose drop_released_nics() it uses for removals the guest has completed.
#pragma once

#include "vmconfig/model/guest.hpp"
#include "vmconfig/model/run_state.hpp"
#include "vmconfig/store/store.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vmconfig {

// Brings a running guest back in line with its configuration (after a
// command died between changing the guest and committing, say): vNICs whose
// pending removal the guest completed leave the configuration; block nodes
// and netdevs no device uses are deleted; SCSI targets and vNICs only in the
// guest are removed, configured ones missing from it are added (a vNIC's tap
// joined to its vswitch first), and backing stores that differ are replaced,
// as one batch. Returns one line per change.
std::vector<std::string> resync_running_guest(Store& store, const Guest& guest,
                                              std::chrono::milliseconds removal_timeout);

// hpvmmodify -R: brings a running guest back in line with its stored
// configuration (after a command or QEMU died halfway through a change) and
// returns what it changed, one line each, then what only a restart changes
// (adapter types, vNIC models, MACs, a vNIC whose tap is gone). The configuration is the truth and
// is not touched. Throws hpvm::Error for a guest that is not running.
std::vector<std::string> resync_guest(Store& store, const std::string& name);

// What the running guest has against what is configured, for hpvmstatus.
LiveState live_state(Store& store, const Guest& guest);
// For the views that list every guest: the LiveState of a running guest
// whose state cannot be known now (its QEMU stopped, or its monitor busy or
// not answering one query within the QMP bounds), with only why; nullopt
// otherwise.
std::optional<LiveState> unknown_runtime(const std::filesystem::path& root, const std::string& uuid,
                                         const std::string& name);
// live_state() for a running guest; for a stopped one, a report only when a
// crashed QEMU left run files behind (hpvmstop -P cleans them up).
std::optional<LiveState> runtime_report(Store& store, const Guest& guest, RunState state);
// Only the balloon of a running guest with dynamic memory (its size now, 2 s
// at most, and the target last asked), for -M and -X; nullopt otherwise.
std::optional<LiveState> balloon_report(Store& store, const Guest& guest, RunState state);

// What to check and do about a copy an interrupted migration had told
// `target` to take over (the hand-over marker): its QEMU paused here
// (`paused`) or the guest Off. hpvmstatus's problem, hpvmstart's refusal.
std::string handed_over_problem(const std::string& guest, const std::string& target, bool paused);

} // namespace vmconfig
