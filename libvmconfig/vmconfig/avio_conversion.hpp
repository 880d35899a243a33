// Moving devices from the emulated VIO adapters (scsi, lan) to AVIO
// (avio_stor, avio_lan) while every address stays: bus, slot and target for
// storage; bus, slot, MAC, vswitch and port for vNICs. Used by hpvmimport -A
// now, and by the whole-guest conversion command.
#pragma once

#include "vmconfig/resource.hpp"

#include <optional>
#include <string>

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

} // namespace vmconfig
