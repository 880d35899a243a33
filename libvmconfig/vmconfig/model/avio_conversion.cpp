#include "vmconfig/model/avio_conversion.hpp"

#include "vmconfig/model/grammar.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace vmconfig {

AvioConversion convert_to_avio(const ResourceStatement& statement) {
  AvioConversion out{statement, std::nullopt};
  if (const auto* st = std::get_if<StorageStatement>(&statement)) {
    if (st->adapter == StorageAdapter::avio_stor) {
      return out;
    }
    if (st->storage == StorageType::attach) {
      out.blocker = fmt::format(
          "The attached {} '{}' cannot move to avio_stor as it is: remove it, and give it again "
          "as {}:avio_stor:...:attach_path:{} after the conversion.",
          to_string(st->device), format(*st), to_string(st->device), st->location);
      return out;
    }
    StorageStatement converted = *st;
    converted.adapter = StorageAdapter::avio_stor;
    out.converted = converted;
  } else if (const auto* nw = std::get_if<NetworkStatement>(&statement)) {
    NetworkStatement converted = *nw;
    converted.adapter = NetAdapter::avio_lan;
    out.converted = converted;
  }
  return out;
}

bool GuestConversionPlan::blocked() const {
  return std::any_of(devices.begin(), devices.end(),
                     [](const auto& d) { return d.blocker.has_value(); });
}

GuestConversionPlan plan_avio_conversion(const Guest& guest,
                                         const std::vector<NicPlacement>& placements) {
  GuestConversionPlan plan;
  plan.guest = guest.name;
  std::set<std::pair<int, int>> adapters; // scsi adapters, by bus and slot
  for (const auto& d : guest.storage) {
    if (d.adapter != StorageAdapter::scsi) {
      continue;
    }
    DeviceConversionPlan p;
    p.before = format(d);
    p.kept.bus = d.address.bus;
    p.kept.slot = d.address.slot;
    p.kept.target = d.address.target;
    StorageStatement st{d.device,
                        d.adapter,
                        {d.address.bus, d.address.slot, d.address.target},
                        d.storage,
                        d.location};
    auto converted = convert_to_avio(st);
    p.blocker = converted.blocker;
    if (!p.blocker) {
      p.after = format(converted.converted);
      p.guest_sees = fmt::format("a virtio-scsi {} instead of one on a MegaRAID SAS (megasas) HBA",
                                 d.device == DeviceType::dvd ? "CD/DVD drive" : "disk");
    }
    adapters.insert({d.address.bus, d.address.slot});
    plan.devices.push_back(std::move(p));
  }
  for (const auto& [bus, slot] : adapters) {
    plan.changes.push_back(format(HbaStatement{StorageAdapter::avio_stor, bus, slot}));
    plan.undo.push_back(format(HbaStatement{StorageAdapter::scsi, bus, slot}));
  }
  for (std::size_t i = 0; i < guest.networks.size(); ++i) {
    const auto& n = guest.networks[i];
    if (n.adapter != NetAdapter::lan) {
      continue;
    }
    const NicPlacement placement = i < placements.size() ? placements[i] : NicPlacement{n.port, {}};
    DeviceConversionPlan p;
    p.before = format(n);
    p.kept.bus = n.address.bus;
    p.kept.slot = n.address.slot;
    p.kept.mac = n.mac;
    p.kept.vswitch = n.vswitch;
    p.kept.port = placement.port;
    p.kept.port_pinned = n.port.has_value();
    p.kept.vlan = placement.vlan;
    NetworkDevice converted = n;
    converted.adapter = NetAdapter::avio_lan;
    p.after = format(converted);
    p.guest_sees = "a virtio-net NIC instead of an Intel e1000: a new interface, same MAC";
    plan.changes.push_back(p.after);
    plan.undo.push_back(p.before);
    plan.devices.push_back(std::move(p));
  }
  return plan;
}

} // namespace vmconfig
