// Presentation of virtual switches (hpvmnet): pure functions of the model;
// ops/vswitch.cpp asks the host and the store what they show.
#pragma once

#include "vmconfig/model/vswitch.hpp"

#include <string>
#include <vector>

namespace vmconfig {

// hpvmnet: the vswitch table, one line per vswitch.
std::string render_vswitch_list(const std::vector<VswitchStatus>& vswitches);
// hpvmnet -S name: for each vswitch, its table line and its
// [Port Configuration Details]; a blank line between vswitches.
std::string render_vswitch_ports(const std::vector<VswitchStatus>& vswitches);
// hpvmnet -A [-S name]: the same with [Port Statistics].
std::string render_vswitch_statistics(const std::vector<VswitchStatus>& vswitches);

// hpvmnet -J: {"vswitches": [...]}, each with its ports, or with -A
// (`statistics`) its port statistics.
std::string render_vswitch_json(const std::vector<VswitchStatus>& vswitches, bool statistics);

} // namespace vmconfig
