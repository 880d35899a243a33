#include "vmconfig/ops/devinfo.hpp"

#include "vmconfig/model/grammar.hpp"
#include "vmconfig/ops/guests.hpp"
#include "vmconfig/ops/runtime.hpp"

#include <avio/guest_agent.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace vmconfig {

namespace {

GuestDeviceMap map_guest(const std::filesystem::path& root, const Guest& g) {
  GuestDeviceMap map;
  map.guest = g.name;
  map.state = run_state(root, g.uuid);
  avio::GuestDeviceNames names;
  if (map.state.on) {
    names = avio::guest_device_names(run_dir(root, g.uuid));
    map.agent = names.answered ? AgentState::answered : AgentState::silent;
    map.agent_problem = names.problem;
  }
  for (const auto& d : g.storage) {
    MappedDevice m{std::string(to_string(d.device)),
                   std::string(to_string(d.adapter)),
                   d.address.bus,
                   d.address.slot,
                   d.address.target,
                   std::string(to_string(d.storage)),
                   d.location,
                   std::nullopt,
                   std::nullopt};
    const auto seen = std::find_if(names.disks.begin(), names.disks.end(),
                                   [&](const auto& n) { return n.address == d.address; });
    if (seen != names.disks.end()) {
      m.guest_device = seen->device;
      // virtio-scsi has one channel, and its SCSI ids are the targets. qemu-ga
      // reports neither reliably (7.2: target 0 for every virtio-scsi disk,
      // channel 0 for megaraid_sas, whose Linux driver puts QEMU's disks on
      // channel 2): a megasas disk's address stays unknown.
      if (seen->scsi_address && d.adapter == StorageAdapter::avio_stor) {
        m.guest_address = fmt::format("0.{}.0", d.address.target);
      }
    }
    map.devices.push_back(std::move(m));
  }
  for (const auto& n : g.networks) {
    MappedDevice m{"network",     std::string(to_string(n.adapter)),
                   n.address.bus, n.address.slot,
                   std::nullopt,  "vswitch",
                   n.vswitch,     std::nullopt,
                   std::nullopt};
    const auto seen = std::find_if(names.nics.begin(), names.nics.end(),
                                   [&](const auto& s) { return s.mac == n.mac; });
    if (seen != names.nics.end()) {
      m.guest_device = seen->name;
      m.guest_address = seen->ipv4.empty() ? "none" : seen->ipv4;
    }
    map.devices.push_back(std::move(m));
  }
  return map;
}

} // namespace

std::vector<GuestDeviceMap> device_map(Store& store, const std::optional<std::string>& name) {
  std::vector<GuestDeviceMap> maps;
  if (name) {
    maps.push_back(map_guest(store.root(), find_guest(store, *name)));
    return maps;
  }
  for (const auto& g : store.load_guests()) {
    maps.push_back(map_guest(store.root(), g));
  }
  return maps;
}

} // namespace vmconfig
