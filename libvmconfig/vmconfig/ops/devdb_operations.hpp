// What hpvmdevmgmt and hpvmhostrdev do. Each change runs in one write
// transaction: it commits everything or leaves the database as it was.
#pragma once

#include "vmconfig/model/devdb_entry.hpp"
#include "vmconfig/ops/guests.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace vmconfig {

// -l: the matching entries, one line each. An entry named but not found is
// an hpvm::Error.
std::string list_entries(Store& store, const ListSpec& spec);

// -a, -d, -m, -n. Errors and refusals throw; `Report::warnings` says what
// the user should know (a restricted device a guest still uses, ...).
Report add_entry(Store& store, const EntrySpec& spec);
Report delete_entry(Store& store, const EntrySpec& spec);
Report modify_entry(Store& store, const EntrySpec& spec);
// Points every dependent guest's devices from the old backing store to the
// new one (checked like any device given to a guest) and renames the entry.
Report replace_entry(Store& store, const ReplaceSpec& spec);

// -I: re-probes every guest backing store and entry on the host and rebuilds
// every guest's gdev dependencies from its configuration.
Report rebuild_entries(Store& store);

// -r: a shell script that repairs each inconsistency between the database
// and the host (commands where the fix is certain, comments where a person
// must choose).
std::string repair_script(Store& store);

// ---------------------------------------------------------- hpvmhostrdev

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
