// Moving guests from the emulated VIO adapters (scsi, lan) to AVIO
// (avio_stor, avio_lan) while every address stays: bus, slot and target for
// storage; bus, slot, MAC, vswitch, port and VLAN for vNICs. hpvmimport -A
// converts statements; hpvmconvert plans, applies and undoes whole-guest
// conversions through hpvmmodify's operation (adapters switch with -m hba).
#pragma once

#include "vmconfig/model/guest.hpp"
#include "vmconfig/model/resource.hpp"

#include <optional>
#include <string>
#include <vector>

namespace vmconfig {

// One statement after conversion, or why it cannot be converted.
struct AvioConversion {
  ResourceStatement converted;
  std::optional<std::string> blocker; // set: `converted` is the statement unchanged
};

// scsi -> avio_stor and lan -> avio_lan; statements already on AVIO, and
// hba statements, come back as they are. Attached devices (attach) block: on
// avio_stor they are given with attach_path, as HPVM requires.
AvioConversion convert_to_avio(const ResourceStatement& statement);

// Where a vNIC sits on its vswitch (network_devices.vswitch_port and the
// port's untagged VLAN): the database knows, the statement may not.
struct NicPlacement {
  std::optional<int> port; // the vswitch port it holds; unset while the vswitch does not exist
  std::optional<int> vlan; // the port's untagged VLAN (hpvmnet -u); unset: none
};

// The address a conversion keeps. Storage: bus, slot, target. vNICs: bus,
// slot, MAC, vswitch, the port held and its VLAN.
struct KeptAddress {
  int bus = 0;
  int slot = 0;
  std::optional<int> target;           // set for storage
  std::optional<avio::MacAddress> mac; // set for vNICs; so are the members below
  std::string vswitch;
  std::optional<int> port;
  bool port_pinned = false; // the statement gives the port (portid)
  std::optional<int> vlan;
};

// What converting one device means.
struct DeviceConversionPlan {
  std::string before; // canonical statement now
  std::string after;  // canonical statement after; empty when blocked
  KeptAddress kept;
  std::string guest_sees; // what the guest OS sees differently
  std::optional<std::string> blocker;
};

struct GuestConversionPlan {
  std::string guest;
  // Running now: the configuration converts, the adapters switch at its next start.
  bool running = false;
  std::vector<DeviceConversionPlan> devices; // only those on scsi or lan
  // The hpvmmodify -m statements that do it, and those that undo it.
  std::vector<std::string> changes;
  std::vector<std::string> undo;
  bool blocked() const;
};

// The conversion of every scsi adapter and lan vNIC of `guest`. `placements`
// is where each of guest.networks sits on its vswitch, in the same order
// (missing entries: not known).
GuestConversionPlan plan_avio_conversion(const Guest& guest,
                                         const std::vector<NicPlacement>& placements = {});

} // namespace vmconfig
