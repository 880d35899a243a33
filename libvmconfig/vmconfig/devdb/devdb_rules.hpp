// The device-database rules every backing store given to a guest must pass
// (hpvmcreate, hpvmmodify, hpvmclone all reach them through DevicePlanner):
//   1. a restricted path (an rdev entry, anything stacked with one, or a path
//      under an rdev directory: its direct entries, or everything below it
//      with RECURSIVE=DIR, or below it on the same file system with
//      RECURSIVE=FS) is never given to a guest. An LV is restricted only by
//      an entry for itself or for a device built on it: the restricted PVs
//      of the host's own LVs (root, swap) leave the other LVs of that volume
//      group to guests, as vg00 LVs were on HPVM;
//   2. one host storage entity serves one device type at a time;
//   3. a backing store another guest uses is refused unless its gdev entry
//      has SHARE=YES;
//   4. storage that overlaps storage in use (a partition and its disk,
//      device-mapper/md devices and their slaves, an LV and the physical
//      volumes of its volume group) is refused.
// admit_guarded() adds the rule no database entry is needed for: the suite's
// own files, host storage in use and host system files
// (avio/storage_guard.hpp).
// "The same entity" is avio::HostEntity::identity: every path to one file or
// device, and every path to one disk (WWID), is one entity.
#pragma once

#include "vmconfig/model/devdb_entry.hpp"

#include <avio/backing.hpp>
#include <avio/lvm.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vmconfig {

class Store;

class DeviceRules {
public:
  // Rules for giving devices to `guest` (whose existing devices are noted
  // with note()); reads the rdev entries once.
  DeviceRules(Store& store, std::string guest);

  // The problems with giving `location` (probed as `entity`) to the guest as
  // a `device`; empty when it may be given.
  std::vector<std::string> check(avio::DeviceType device, const std::string& location,
                                 const avio::HostEntity& entity);
  // The same for a device the guest inherits from another (hpvmclone: the
  // guest named in the constructor is the source, whose use does not count):
  // every rule but SHARE, which the caller checks between the two guests.
  std::vector<std::string> check_inherited(avio::DeviceType device, const std::string& location,
                                           const avio::HostEntity& entity);
  // The guest uses (or now gets) `location`.
  void note(const std::string& location, const avio::HostEntity& entity);

  // How two overlapping entities are related.
  enum class Relation : unsigned char { stacked, lv_on_pv, pv_under_lv };
  struct Overlap {
    Relation relation = Relation::stacked;
    std::string vg; // the volume group, for the LVM relations
  };

private:
  struct Restricted {
    DevEntry entry;
    avio::HostEntity entity;
  };

  // Host identities that overlap `entity` (not the entity itself), and how.
  std::map<std::string, Overlap> overlaps_of(const std::string& location,
                                             const avio::HostEntity& entity);
  // The overlaps through which an rdev entry restricts `entity`: all of them,
  // except for an LV, which only the devices built on it restrict.
  std::map<std::string, Overlap>
  restricting_overlaps(const std::string& location, const avio::HostEntity& entity,
                       const std::map<std::string, Overlap>& overlaps);
  std::vector<std::string> problems(avio::DeviceType device, const std::string& location,
                                    const avio::HostEntity& entity, bool share_rule);
  const avio::LvmTopology& lvm();
  std::optional<std::string> restricted_problem(const std::string& location,
                                                const avio::HostEntity& entity,
                                                const std::map<std::string, Overlap>& overlaps);

  Store& m_store;
  std::string m_guest;
  std::vector<Restricted> m_restricted;
  std::map<std::string, std::string> m_own; // identity -> location, this guest's devices
  std::optional<avio::LvmTopology> m_lvm;
};

// The host's own rule beside the device database's (avio/storage_guard.hpp:
// the suite's files, host storage in use, system files), with the store's
// root as the suite's: a refusal goes to `errors` and false is returned; a
// system file, with `force`, is a warning.
bool admit_guarded(const Store& store, const std::string& location, const avio::HostEntity& entity,
                   bool force, std::vector<std::string>& errors,
                   std::vector<std::string>& warnings);

} // namespace vmconfig
