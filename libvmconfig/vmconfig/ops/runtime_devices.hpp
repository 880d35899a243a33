// The runtime view of a guest's configured devices (what libavio's QEMU
// runtime is given at a start and in hot-plug changes), and applying hot-plug
// changes to a running guest. Below modify, live and lifecycle: it knows
// nothing of the commands that use it.
#pragma once

#include "vmconfig/model/guest.hpp"

#include <avio/hotplug.hpp>
#include <avio/machine.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <vector>

namespace vmconfig {

// How long a hot-removed PCI device may take to leave before it is reported
// as removal pending (hpvmmodify, hpvmmodify -R).
constexpr std::chrono::milliseconds k_removal_timeout{5000};

// The runtime view of configured devices, for a start and for hot-plug.
avio::GuestDisk runtime_disk(const StorageDevice& device);
avio::GuestNic runtime_nic(const Guest& guest, const NetworkDevice& device);
avio::MachineSpec machine_spec(const Guest& guest);

// Applies hot-plug changes to a running guest under its runtime lock, then
// `commit` (still under the lock; see avio::apply_batch). Throws
// avio::BatchFailed or avio::CommitFailed (everything undone) or hpvm::Busy.
avio::BatchResult
change_running_guest(const std::filesystem::path& root, const Guest& guest,
                     const std::vector<avio::HotChange>& changes,
                     std::chrono::milliseconds removal_timeout,
                     const std::function<void(const avio::BatchResult&)>& commit = {});

} // namespace vmconfig
