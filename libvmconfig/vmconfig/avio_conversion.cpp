#include "vmconfig/avio_conversion.hpp"

#include "vmconfig/grammar.hpp"

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

GuestConversionPlan plan_avio_conversion(const Guest& guest) {
  GuestConversionPlan plan;
  plan.guest = guest.name;
  std::set<std::pair<int, int>> adapters; // scsi adapters, by bus and slot
  for (const auto& d : guest.storage) {
    if (d.adapter != StorageAdapter::scsi) {
      continue;
    }
    DeviceConversionPlan p;
    p.before = format(d);
    p.kept =
        fmt::format("bus {}, slot {}, target {}", d.address.bus, d.address.slot, d.address.target);
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
  for (const auto& n : guest.networks) {
    if (n.adapter != NetAdapter::lan) {
      continue;
    }
    DeviceConversionPlan p;
    p.before = format(n);
    p.kept =
        fmt::format("bus {}, slot {}, MAC {}, vswitch {}{}", n.address.bus, n.address.slot,
                    n.mac.canonical(), n.vswitch, n.port ? fmt::format(", port {}", *n.port) : "");
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
