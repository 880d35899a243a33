// Starting, stopping and changing running guests: libvmconfig checks the
// configuration against the host, then drives libavio's QEMU runtime.
#pragma once

#include "vmconfig/ops/operations.hpp"
#include "vmconfig/ops/runtime.hpp"

#include <avio/console.hpp>
#include <avio/hotplug.hpp>
#include <avio/machine.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace vmconfig {

using Progress = std::function<void(std::string_view line)>;

struct StartRequest {
  std::string name;
  bool force = false; // -F: start although the host lacks the memory
};

// Checks every resource against the host (backing stores present, not
// restricted, not held by another running guest unless shared; memory;
// runnable status), then launches the guest's QEMU. Throws hpvm::Refused
// listing every problem. Problems -F overrides come back as warnings.
Report start_guest(Store& store, const StartRequest& request, const Progress& progress);

struct StopRequest {
  std::string name;
  bool graceful = false;             // -g: ACPI power-down first
  std::chrono::seconds timeout{300}; // how long -g waits before stopping hard
};

// Stops the guest (hard, or gracefully then hard). A guest whose QEMU is
// already gone has its stale run files removed (reported as a warning).
Report stop_guest(Store& store, const StopRequest& request);

// The runtime view of configured devices, for hot-plug (hpvmmodify).
avio::GuestDisk runtime_disk(const StorageDevice& device);
avio::GuestNic runtime_nic(const Guest& guest, const NetworkDevice& device);
avio::MachineSpec machine_spec(const Guest& guest);

// Applies hot-plug changes to a running guest under its runtime lock.
// Throws avio::BatchFailed (everything undone) or hpvm::Busy.
avio::BatchResult change_running_guest(const std::filesystem::path& root, const Guest& guest,
                                       const std::vector<avio::HotChange>& changes,
                                       std::chrono::milliseconds removal_timeout);

// Brings a running guest back in line with its configuration (after a
// command died between changing the guest and committing, say): vNICs whose
// pending removal the guest completed leave the configuration; block nodes
// and netdevs no device uses are deleted; SCSI targets and vNICs only in the
// guest are removed, configured ones missing from it are added (a vNIC's tap
// joined to its vswitch first), and backing stores that differ are replaced,
// as one batch. What only a restart changes (adapter types, vNIC models,
// MACs) is listed. Returns one line per change or remaining difference.
std::vector<std::string> resync_running_guest(Store& store, const Guest& guest,
                                              std::chrono::milliseconds removal_timeout);

// What the running guest has against what is configured, for hpvmstatus.
LiveState live_state(Store& store, const Guest& guest);
// live_state() for a running guest; for a stopped one, a report only when a
// crashed QEMU left run files behind (hpvmstop -P cleans them up).
std::optional<LiveState> runtime_report(Store& store, const Guest& guest, RunState state);

// Relays standard input and output to the guest's serial console.
avio::ConsoleEnd attach_guest_console(const std::filesystem::path& root, const Guest& guest);

// Memory the host can give a new guest now (MemAvailable), in MB.
std::uint64_t host_available_memory_mb();

} // namespace vmconfig
