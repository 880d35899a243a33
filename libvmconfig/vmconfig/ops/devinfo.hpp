// hpvmdevinfo: how each configured device of a guest appears inside it.
#pragma once

#include "vmconfig/model/devinfo.hpp"
#include "vmconfig/store/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace vmconfig {

// One guest (`name`), or every guest in name order. For a running guest its
// guest agent is asked (avio::guest_device_names, at most ~2 s a guest);
// what it does not say stays unknown. Reads only.
std::vector<GuestDeviceMap> device_map(Store& store, const std::optional<std::string>& name);

} // namespace vmconfig
