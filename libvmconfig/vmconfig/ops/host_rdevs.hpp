// What hpvmhostrdev does: the rdev entries for the storage the host itself
// uses (mounts, swap and what they are built on), kept in step with the host.
#pragma once

#include "vmconfig/store/store.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vmconfig {

struct HostRdevChanges {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::vector<std::string> warnings;
};

// Adds every device the host uses as an rdev entry (AUTORDEV=YES) and
// removes its own entries the host no longer uses; `rescan` first asks the
// SCSI adapters to rescan. Backs the rdev entries up first.
HostRdevChanges update_host_rdevs(Store& store, bool rescan);
// Removes every AUTORDEV=YES entry (hand-made ones stay). Backs up first.
HostRdevChanges delete_host_rdevs(Store& store);
// Puts hpvmhostrdev's own rdev entries back as they were before the last
// update or delete (hand-made entries are not touched).
HostRdevChanges restore_host_rdevs(Store& store);

// Whether hpvmhostrdev -u runs when the suite starts on the host (-E / -D;
// enabled unless turned off, as on HPVM).
void set_host_rdev_autorun(const std::filesystem::path& root, bool enabled);
bool host_rdev_autorun(const std::filesystem::path& root);
// The start-up run (hpvmnet -b without -S, which share/systemd/hpvm.service
// runs at boot): update_host_rdevs() without a rescan, as hpvmhostrdev -u,
// when host_rdev_autorun(); nullopt when it is turned off.
std::optional<HostRdevChanges> update_host_rdevs_at_start(Store& store);

} // namespace vmconfig
