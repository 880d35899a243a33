// hpvmmodify on a running guest: which differences between the configuration
// before and after a modification QEMU can take live (hot-plug), and which
// wait for the next start (announced, shown by hpvmstatus as differences).
#pragma once

#include "vmconfig/model/guest.hpp"

#include <avio/hotplug.hpp>

#include <string>
#include <vector>

namespace vmconfig {

struct OnlineChanges {
  std::vector<avio::HotChange> changes;    // removals, replacements, additions, PCI removals
  std::vector<std::string> deferred;       // what waits for the next start, one line each
  std::vector<NetworkDevice> added_nics;   // their taps are made before the batch
  std::vector<NetworkDevice> removed_nics; // their taps go after it
};

OnlineChanges plan_online_changes(const Guest& before, const Guest& after);

} // namespace vmconfig
