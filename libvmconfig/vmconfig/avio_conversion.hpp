// Moving guests from the emulated VIO adapters (scsi, lan) to AVIO
// (avio_stor, avio_lan) while every address stays: bus, slot and target for
// storage; bus, slot, MAC, vswitch and port for vNICs. hpvmimport -A converts
// statements; hpvmconvert plans, applies and undoes whole-guest conversions
// through hpvmmodify's operation (adapters switch with -m hba).
#pragma once

#include "vmconfig/guest.hpp"
#include "vmconfig/resource.hpp"

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

// What converting one device means.
struct DeviceConversionPlan {
  std::string before;     // canonical statement now
  std::string after;      // canonical statement after; empty when blocked
  std::string kept;       // the address that stays, in words
  std::string guest_sees; // what the guest OS sees differently
  std::optional<std::string> blocker;
};

struct GuestConversionPlan {
  std::string guest;
  std::vector<DeviceConversionPlan> devices; // only those on scsi or lan
  // The hpvmmodify -m statements that do it, and those that undo it.
  std::vector<std::string> changes;
  std::vector<std::string> undo;
  bool blocked() const;
};

// The conversion of every scsi adapter and lan vNIC of `guest`.
GuestConversionPlan plan_avio_conversion(const Guest& guest);

} // namespace vmconfig
