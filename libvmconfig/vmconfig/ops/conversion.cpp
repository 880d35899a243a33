#include "vmconfig/ops/conversion.hpp"

#include "vmconfig/model/grammar.hpp"
#include "vmconfig/ops/modify.hpp"
#include "vmconfig/ops/runtime.hpp"
#include "vmconfig/store/store_conversion.hpp"
#include "vmconfig/store/store_vswitch.hpp"

#include <avio/error.hpp>

#include <fmt/format.h>

#include <functional>
#include <map>
#include <set>

namespace vmconfig {

namespace {

// The guest's devices as statements, in hpvmstatus -d order.
std::vector<std::string> device_statements(const Guest& guest) {
  std::vector<std::string> out;
  for (const auto& d : guest.storage) {
    out.push_back(format(d));
  }
  for (const auto& n : guest.networks) {
    out.push_back(format(n));
  }
  return out;
}

// Where a device statement (as format() prints it) sits: "storage b,s,t"
// or "network b,s".
std::string address_key(const std::string& statement) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    const auto colon = statement.find(':', start);
    fields.push_back(statement.substr(start, colon == std::string::npos ? colon : colon - start));
    start = colon == std::string::npos ? statement.size() : colon + 1;
  }
  if (fields[0] == "network") {
    return "network " + fields[2].substr(0, fields[2].rfind(','));
  }
  return "storage " + fields[2];
}

// How the devices `now` differ from those `then`, one sentence each.
std::vector<std::string> changes_since(const std::vector<std::string>& then,
                                       const std::vector<std::string>& now) {
  std::multiset<std::string> old_only(then.begin(), then.end());
  std::vector<std::string> new_only;
  for (const auto& s : now) {
    if (auto it = old_only.find(s); it != old_only.end()) {
      old_only.erase(it);
    } else {
      new_only.push_back(s);
    }
  }
  std::map<std::string, std::string> old_at; // address -> statement
  for (const auto& s : old_only) {
    old_at.emplace(address_key(s), s);
  }
  std::vector<std::string> out;
  for (const auto& s : new_only) {
    if (auto it = old_at.find(address_key(s)); it != old_at.end()) {
      out.push_back(fmt::format("'{}' became '{}' after the conversion.", it->second, s));
      old_at.erase(it);
    } else {
      out.push_back(fmt::format("'{}' was added after the conversion.", s));
    }
  }
  for (const auto& s : then) { // in the guest's order
    if (auto it = old_at.find(address_key(s)); it != old_at.end() && it->second == s) {
      out.push_back(fmt::format("'{}' was removed after the conversion.", s));
      old_at.erase(it);
    }
  }
  return out;
}

std::string joined_options(const std::vector<std::string>& statements) {
  std::string out;
  for (const auto& s : statements) {
    out += fmt::format(" -m {}", s);
  }
  return out;
}

struct DeviceChanges {
  std::vector<std::string> statements; // hpvmmodify -m
  // Convert: the record to keep (its `after` is filled in here). Undo:
  // nullopt, the record is used up.
  std::optional<ConversionRecord> record;
  // Undo: the devices the change must give back, exactly.
  std::optional<std::vector<std::string>> expected;
};

// In one transaction: loads the guest, asks `changes_for` what to change,
// applies it as hpvmmodify would and keeps (or drops) the undo record.
Report modify_devices(Store& store, const std::string& name, const char* refused,
                      const std::function<DeviceChanges(const Guest&)>& changes_for) {
  Store::WriteTransaction tx(store);
  const Guest guest = find_guest(store, name);
  DeviceChanges changes = changes_for(guest);
  ModifyRequest request;
  request.name = name;
  for (const auto& s : changes.statements) {
    request.changes.push_back({DeviceChange::Kind::modify, s});
  }
  ModifyPlan plan = plan_modification(store, guest, request);
  if (!plan.errors.empty()) {
    throw hpvm::Refused(std::move(plan.errors), refused, name);
  }
  const auto result = device_statements(plan.after);
  if (changes.expected && *changes.expected != result) {
    // Cannot happen while the guest is as the conversion left it; checked
    // so that an undo never writes anything but the old configuration.
    auto problems = changes_since(*changes.expected, result);
    problems.push_back("The undo would not give back the configuration the conversion replaced.");
    throw hpvm::Refused(std::move(problems), refused, name);
  }
  apply_modification(store, plan);
  ConversionStore records(store);
  if (changes.record) {
    changes.record->after = result;
    records.save(guest.id, *changes.record);
  } else {
    records.drop(guest.id);
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
    return DeviceChanges{plan.changes, ConversionRecord{plan.undo, device_statements(guest), {}},
                         std::nullopt};
  });
}

Report undo_conversion(Store& store, const std::string& name) {
  constexpr const char* refused = "Unable to undo the conversion.";
  return modify_devices(store, name, refused, [&](const Guest& guest) {
    auto record = ConversionStore(store).record(guest.id);
    if (record.undo.empty()) {
      throw hpvm::Error(fmt::format("The guest '{}' has no conversion to undo.", name), name);
    }
    const std::string by_hand =
        fmt::format("hpvmmodify -P {}{}", name, joined_options(record.undo));
    if (record.after.empty()) {
      throw hpvm::Refused({fmt::format("The conversion was recorded by an older hpvmconvert, "
                                       "without the devices it left: whether the guest changed "
                                       "since cannot be checked. Undo it by hand: {}",
                                       by_hand)},
                          refused, name);
    }
    auto problems = changes_since(record.after, device_statements(guest));
    if (!problems.empty()) {
      problems.push_back(fmt::format(
          "The guest's devices changed since its conversion: the undo would not restore the "
          "configuration it replaced. Put the devices back as the conversion left them, or "
          "undo by hand: {}",
          by_hand));
      throw hpvm::Refused(std::move(problems), refused, name);
    }
    return DeviceChanges{std::move(record.undo), std::nullopt, std::move(record.before)};
  });
}

} // namespace vmconfig
