#include "vmconfig/conversion.hpp"

#include "vmconfig/modify.hpp"
#include "vmconfig/runtime.hpp"
#include "vmconfig/store_conversion.hpp"
#include "vmconfig/store_vswitch.hpp"

#include <avio/error.hpp>

#include <fmt/format.h>

#include <functional>

namespace vmconfig {

namespace {

struct DeviceChanges {
  std::vector<std::string> statements;          // hpvmmodify -m
  std::optional<std::vector<std::string>> undo; // recorded; nullopt: the record is used up
};

// In one transaction: loads the guest, asks `changes_for` what to change,
// applies it as hpvmmodify would and keeps the undo record.
Report modify_devices(Store& store, const std::string& name, const char* refused,
                      const std::function<DeviceChanges(const Guest&)>& changes_for) {
  Store::WriteTransaction tx(store);
  const Guest guest = find_guest(store, name);
  const DeviceChanges changes = changes_for(guest);
  ModifyRequest request;
  request.name = name;
  for (const auto& s : changes.statements) {
    request.changes.push_back({DeviceChange::Kind::modify, s});
  }
  ModifyPlan plan = plan_modification(store, guest, request);
  if (!plan.errors.empty()) {
    throw hpvm::Refused(std::move(plan.errors), refused, name);
  }
  apply_modification(store, plan);
  ConversionStore records(store);
  if (changes.undo) {
    records.save_undo(guest.id, *changes.undo);
  } else {
    records.drop_undo(guest.id);
  }
  tx.commit();
  Report report{std::move(plan.warnings)};
  if (run_state(store.root(), guest.uuid).on) {
    // Adapters cannot change type under a running guest (as on HPVM).
    report.warnings.push_back("The guest is running: its new adapters take effect at its next "
                              "start (hpvmstop, then hpvmstart).");
  }
  return report;
}

// Where each of the guest's vNICs sits on its vswitch: the port it holds
// and that port's untagged VLAN.
std::vector<NicPlacement> placements(Store& store, const Guest& guest) {
  VswitchStore vswitches(store);
  std::vector<NicPlacement> out;
  for (const auto& n : guest.networks) {
    NicPlacement p;
    p.port = vswitches.nic_port(guest.name, n.address);
    if (const auto v = vswitches.find(n.vswitch); v && p.port) {
      const auto vlans = vswitches.port_vlans(v->id);
      if (const auto it = vlans.find(*p.port); it != vlans.end()) {
        p.vlan = it->second;
      }
    }
    out.push_back(p);
  }
  return out;
}

GuestConversionPlan plan_for(Store& store, const Guest& guest) {
  GuestConversionPlan plan = plan_avio_conversion(guest, placements(store, guest));
  plan.running = run_state(store.root(), guest.uuid).on;
  return plan;
}

} // namespace

std::vector<GuestConversionPlan> conversion_plans(Store& store,
                                                  const std::optional<std::string>& name) {
  std::vector<GuestConversionPlan> plans;
  if (name) {
    plans.push_back(plan_for(store, find_guest(store, *name)));
    return plans;
  }
  for (const auto& g : store.load_guests()) {
    plans.push_back(plan_for(store, g));
  }
  return plans;
}

Report convert_guest(Store& store, const std::string& name) {
  constexpr const char* refused = "Unable to convert the guest.";
  return modify_devices(store, name, refused, [&](const Guest& guest) {
    const GuestConversionPlan plan = plan_avio_conversion(guest);
    std::vector<std::string> problems;
    for (const auto& d : plan.devices) {
      if (d.blocker) {
        problems.push_back(*d.blocker);
      }
    }
    if (!problems.empty()) {
      throw hpvm::Refused(std::move(problems), refused, name);
    }
    if (plan.changes.empty()) {
      throw hpvm::Error(fmt::format("The guest '{}' has no scsi adapter and no lan vNIC: nothing "
                                    "to convert.",
                                    name),
                        name);
    }
    return DeviceChanges{plan.changes, plan.undo};
  });
}

Report undo_conversion(Store& store, const std::string& name) {
  return modify_devices(store, name, "Unable to undo the conversion.", [&](const Guest& guest) {
    auto undo = ConversionStore(store).undo(guest.id);
    if (undo.empty()) {
      throw hpvm::Error(fmt::format("The guest '{}' has no conversion to undo.", name), name);
    }
    return DeviceChanges{std::move(undo), std::nullopt};
  });
}

} // namespace vmconfig
