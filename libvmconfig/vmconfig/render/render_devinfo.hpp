// hpvmdevinfo's output formats: pure functions of the model.
#pragma once

#include "vmconfig/model/devinfo.hpp"

#include <string>
#include <vector>

namespace vmconfig {

// The table per guest; `verbose` (-V) adds why the guest columns are unknown.
std::string render_devinfo(const std::vector<GuestDeviceMap>& guests, bool verbose);
// -M: one colon-separated line per device (guest name first).
std::string render_devinfo_machine(const std::vector<GuestDeviceMap>& guests);
// -J: {"guests": [...]}, unknown values null.
std::string render_devinfo_json(const std::vector<GuestDeviceMap>& guests);

} // namespace vmconfig
