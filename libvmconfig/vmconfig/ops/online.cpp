#include "vmconfig/ops/online.hpp"

#include "vmconfig/model/characteristics.hpp"
#include "vmconfig/model/grammar.hpp"
#include "vmconfig/ops/runtime_devices.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace vmconfig {

namespace {

std::string next_start(const std::string& what) {
  return fmt::format("{} takes effect at the guest's next start.", what);
}

} // namespace

OnlineChanges plan_online_changes(const Guest& before, const Guest& after) {
  OnlineChanges out;
  // PCI removals (vNICs, an adapter's last target) go last: the guest may
  // keep such a device, and an eject asked for cannot be taken back when a
  // later change fails.
  std::vector<avio::HotChange> removals, replacements, additions, pci_removals;

  std::map<avio::StorageAddress, const StorageDevice*> old_storage, new_storage;
  for (const auto& d : before.storage) {
    old_storage[d.address] = &d;
  }
  for (const auto& d : after.storage) {
    new_storage[d.address] = &d;
  }
  for (const auto& [address, d] : old_storage) {
    const auto it = new_storage.find(address);
    if (it == new_storage.end()) {
      const bool adapter_stays =
          std::any_of(after.storage.begin(), after.storage.end(), [&](const StorageDevice& o) {
            return o.address.bus == address.bus && o.address.slot == address.slot;
          });
      (adapter_stays ? removals : pci_removals).emplace_back(avio::RemoveStorage{runtime_disk(*d)});
    } else if (it->second->adapter != d->adapter) {
      out.deferred.push_back(next_start(fmt::format("The adapter switch of '{}' to {}", format(*d),
                                                    to_string(it->second->adapter))));
    } else if (it->second->device != d->device) {
      removals.emplace_back(avio::RemoveStorage{runtime_disk(*d)});
      additions.emplace_back(avio::AddStorage{runtime_disk(*it->second)});
    } else if (!(*it->second == *d)) {
      replacements.emplace_back(avio::ReplaceBacking{runtime_disk(*d), runtime_disk(*it->second)});
    }
  }
  for (const auto& [address, d] : new_storage) {
    if (!old_storage.contains(address)) {
      additions.emplace_back(avio::AddStorage{runtime_disk(*d)});
    }
  }

  std::map<avio::NicAddress, const NetworkDevice*> old_nics, new_nics;
  for (const auto& n : before.networks) {
    old_nics[n.address] = &n;
  }
  for (const auto& n : after.networks) {
    new_nics[n.address] = &n;
  }
  for (const auto& [address, n] : old_nics) {
    const auto it = new_nics.find(address);
    if (it == new_nics.end()) {
      pci_removals.emplace_back(avio::RemoveNic{runtime_nic(before, *n)});
      out.removed_nics.push_back(*n);
    } else if (!(*it->second == *n)) {
      out.deferred.push_back(
          next_start(fmt::format("The change of '{}' to '{}'", format(*n), format(*it->second))));
    }
  }
  for (const auto& [address, n] : new_nics) {
    if (!old_nics.contains(address)) {
      additions.emplace_back(avio::AddNic{runtime_nic(after, *n)});
      out.added_nics.push_back(*n);
    }
  }

  if (before.vcpus != after.vcpus) {
    out.deferred.push_back(next_start(fmt::format("The vCPU count {}", after.vcpus)));
  }
  if (before.memory_mb != after.memory_mb) {
    out.deferred.push_back(next_start(fmt::format("The memory size {} MB", after.memory_mb)));
  }
  // The balloon is plugged at a start.
  const auto was = dynamic_memory(before);
  const auto will = dynamic_memory(after);
  if (was.has_value() != will.has_value()) {
    out.deferred.push_back(
        next_start(will ? "Dynamic memory (its balloon device)" : "Turning dynamic memory off"));
  } // a new start target moves the running guest now (memory.hpp's move_start_target)
  for (auto* list : {&removals, &replacements, &additions, &pci_removals}) {
    out.changes.insert(out.changes.end(), list->begin(), list->end());
  }
  return out;
}

} // namespace vmconfig
