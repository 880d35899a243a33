// LVM topology: which physical volumes make up which volume group, and
// which logical volumes it holds. Read from LVM's own reports (pvs, lvs run
// with an argv, never a shell), so it also knows LVs that are not active and
// hence have no device-mapper device in /sys.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace avio {

struct LvmPhysicalVolume {
  std::string path; // /dev/sdb, /dev/loop3
  std::string vg;   // "" when the PV belongs to no volume group
};

struct LvmLogicalVolume {
  std::string vg;
  std::string name;
  std::string path;    // /dev/<vg>/<lv>
  std::string dm_path; // /dev/mapper/<vg>-<lv>
};

struct LvmTopology {
  std::vector<LvmPhysicalVolume> pvs;
  std::vector<LvmLogicalVolume> lvs;

  // The LV a path names (its /dev/<vg>/<lv> or /dev/mapper path, or a path
  // that resolves to the same device); nullptr when none.
  const LvmLogicalVolume* logical_volume(const std::string& path) const;
  std::vector<const LvmPhysicalVolume*> physical_volumes_of(const std::string& vg) const;
  std::vector<const LvmLogicalVolume*> logical_volumes_of(const std::string& vg) const;
};

// Parses `pvs --noheadings --separator | -o pv_name,vg_name` and
// `lvs --noheadings --separator | -o vg_name,lv_name,lv_path,lv_dm_path`.
LvmTopology parse_lvm_reports(std::string_view pvs_report, std::string_view lvs_report);

// The host's LVM topology; empty when LVM's tools are not installed.
LvmTopology read_lvm_topology();

} // namespace avio
