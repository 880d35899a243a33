#include "vmconfig/ops/modify.hpp"

#include "vmconfig/devdb/dependents.hpp"
#include "vmconfig/model/grammar.hpp"
#include "vmconfig/model/names.hpp"
#include "vmconfig/ops/memory.hpp"
#include "vmconfig/ops/online.hpp"
#include "vmconfig/ops/planner.hpp"
#include "vmconfig/ops/runtime.hpp"
#include "vmconfig/ops/runtime_devices.hpp"
#include "vmconfig/ops/vswitch.hpp"
#include "vmconfig/store/errors.hpp"
#include "vmconfig/store/store_modify.hpp"
#include "vmconfig/store/store_vswitch.hpp"

#include <avio/error.hpp>
#include <avio/guest_process.hpp>
#include <avio/hotplug.hpp>
#include <avio/vswitch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <functional>

namespace vmconfig {

namespace {

constexpr const char* k_refused = "Unable to modify the guest.";

// Whether `r` changes anything besides the -x keywords.
bool changes_plain_characteristics(const CharacteristicsRequest& r) {
  return r.os_type || r.vcpus || r.entitlement || r.cycles || r.memory || r.label || r.start ||
         !r.users.empty() || !r.groups.empty();
}

bool changes_characteristics(const CharacteristicsRequest& r) {
  return changes_plain_characteristics(r) || !r.extended.empty();
}

// With modify_status=disabled only the request that enables it again passes,
// as on HPVM ("except to set modify_status=enabled again"); register_status,
// which would change the other statuses too, does not.
bool only_enables_modify(const ModifyRequest& r) {
  const auto& x = r.characteristics.extended;
  return !r.new_name && r.changes.empty() && !changes_plain_characteristics(r.characteristics) &&
         !x.empty() && std::all_of(x.begin(), x.end(), [](const std::string& kv) {
           return kv == "modify_status=enabled";
         });
}

} // namespace

void plan_device_changes(DevicePlanner& planner, const std::vector<DeviceChange>& changes) {
  for (const auto& change : changes) {
    switch (change.kind) {
    case DeviceChange::Kind::add:
      planner.add(change.statement);
      break;
    case DeviceChange::Kind::remove:
      planner.remove(change.statement);
      break;
    case DeviceChange::Kind::modify:
      planner.modify(change.statement);
      break;
    }
  }
}

ModifyPlan plan_modification(Store& store, const Guest& guest, const ModifyRequest& request) {
  ModifyPlan plan;
  plan.before = guest;
  plan.after = guest;
  if (!guest.modifiable && !only_enables_modify(request)) {
    plan.errors.emplace_back("The guest's modify_status is disabled: the only change allowed is "
                             "-x modify_status=enabled.");
    return plan;
  }
  apply_characteristics(request.characteristics, request.force, plan.after, plan.errors,
                        plan.warnings);
  if (request.new_name && *request.new_name != guest.name) {
    if (auto problem = guest_name_problem(*request.new_name)) {
      plan.errors.push_back(fmt::format("Invalid new name: {}.", *problem));
    } else if (store.load_guest(*request.new_name)) {
      plan.errors.push_back(fmt::format("A guest named '{}' already exists.", *request.new_name));
    } else {
      plan.after.name = *request.new_name;
    }
  }
  DevicePlanner planner(store, guest, request.force);
  plan_device_changes(planner, request.changes);
  plan.errors.insert(plan.errors.end(), planner.errors().begin(), planner.errors().end());
  plan.warnings.insert(plan.warnings.end(), planner.warnings().begin(), planner.warnings().end());
  plan.after.storage = planner.storage();
  plan.after.networks = planner.networks();
  plan.storage_identities = planner.storage_identities();
  plan.vswitch_ports = planner.vswitch_ports();
  VswitchStore ports(store);
  for (const auto& n : guest.networks) {
    plan.before_ports.push_back(ports.nic_port(guest.name, n.address));
  }
  return plan;
}

void update_device_dependents(Store& store, const std::string& old_name, const Guest& guest,
                              const Guest* before) {
  if (old_name != guest.name) {
    rename_dependent(store, old_name, guest.name);
  }
  sync_guest_dependents(store, guest, before);
}

void apply_modification(Store& store, const ModifyPlan& plan) {
  update_guest(store, plan.before, plan.after, plan.storage_identities);
  // Each vNIC's vswitch port, which a vNIC row written again above has lost.
  VswitchStore(store).set_nic_ports(plan.after.name, plan.after.networks, plan.vswitch_ports);
  update_device_dependents(store, plan.before.name, plan.after, &plan.before);
  if (plan.after.name != plan.before.name) {
    link_guest(store.root(), plan.after.name, plan.after.uuid);
  }
}

namespace {

void remove_taps(const Guest& guest, const std::vector<NetworkDevice>& nics) {
  for (const auto& n : nics) {
    try {
      avio::remove_port_tap(avio::tap_name(guest.vm_number, n.address.bus, n.address.slot));
    } catch (const hpvm::Error&) {
      // Not there: QEMU's own tap left with the device.
    }
  }
}

// hpvmmodify on a running guest (hpvmmodify(1M), ONLINE CHANGES). Runs inside
// the modification's transaction, after its rows are written; `commit` runs
// once the guest has changed, while the change can still be undone, so a
// failed commit leaves the guest as it was.
void apply_online(Store& store, ModifyPlan& plan, Report& report,
                  const std::function<void()>& commit) {
  const OnlineChanges online = plan_online_changes(plan.before, plan.after);
  const Guest written = plan.after; // what the transaction holds now
  for (const auto& n : online.added_nics) {
    if (const auto request = port_request(store, plan.after, n)) {
      try {
        prepare_port_bridge(store, n.vswitch);
        avio::create_port_tap(*request);
      } catch (const hpvm::Error& e) {
        report.warnings.push_back(fmt::format("vNIC {} is not connected to vswitch '{}': {}",
                                              format(n), n.vswitch, e.what()));
      }
    }
  }
  report.warnings.insert(report.warnings.end(), online.deferred.begin(), online.deferred.end());
  if (online.changes.empty()) {
    commit(); // nothing for QEMU to do now
    return;
  }
  std::vector<NetworkDevice> gone_nics;
  // A PCI device the guest has not let go of stays configured, so the
  // configuration says what the guest still has.
  const auto settle = [&](const avio::BatchResult& result) {
    bool kept = false;
    for (std::size_t i = 0; i < online.changes.size(); ++i) {
      const bool pending = result.outcomes.at(i) == avio::Outcome::removal_pending;
      if (const auto* nic = std::get_if<avio::RemoveNic>(&online.changes[i])) {
        const auto it =
            std::find_if(plan.before.networks.begin(), plan.before.networks.end(),
                         [&](const NetworkDevice& n) { return n.address == nic->nic.address; });
        if (pending && it != plan.before.networks.end()) {
          plan.after.networks.push_back(*it);
          plan.vswitch_ports.push_back(
              plan.before_ports.at(static_cast<std::size_t>(it - plan.before.networks.begin())));
          kept = true;
        } else if (it != plan.before.networks.end()) {
          gone_nics.push_back(*it);
        }
      }
      if (pending && std::holds_alternative<avio::RemoveNic>(online.changes[i])) {
        report.warnings.push_back(fmt::format(
            "The guest has not released the device of '{}': its removal is pending and it stays "
            "configured until the guest lets go (hpvmstatus shows it).",
            avio::describe(online.changes[i])));
      } else if (pending) {
        report.warnings.push_back(
            fmt::format("The guest has not released the adapter left empty by '{}': its removal "
                        "is pending (hpvmstatus shows it).",
                        avio::describe(online.changes[i])));
      }
    }
    if (kept) {
      // Written over what the first write left, so only the kept vNICs go back.
      plan.before = written;
      apply_modification(store, plan);
    }
    commit();
  };
  try {
    change_running_guest(store.root(), plan.after, online.changes, k_removal_timeout, settle);
  } catch (const avio::BatchFailed& e) {
    remove_taps(plan.after, online.added_nics);
    // QEMU's own errors have no final period, the suite's messages do.
    const std::string reason = e.reason().ends_with('.') ? e.reason() : e.reason() + ".";
    std::vector<std::string> problems{
        fmt::format("{} '{}': {} Nothing was changed.",
                    e.refused() ? "The running guest refused" : "The running guest did not answer",
                    e.change(), reason)};
    problems.insert(problems.end(), e.rollback_problems().begin(), e.rollback_problems().end());
    throw hpvm::Refused(std::move(problems), k_refused, plan.before.name);
  } catch (const avio::CommitFailed& e) {
    remove_taps(plan.after, online.added_nics);
    const std::string reason = e.what();
    std::vector<std::string> problems;
    if (e.rollback_problems().empty()) {
      // A full file system's message says itself that nothing was changed.
      problems.push_back(fmt::format("{}{} The running guest was changed back{}", reason,
                                     reason.ends_with('.') ? "" : ".",
                                     e.no_space() ? "." : ": nothing was changed."));
    } else {
      problems.push_back(fmt::format("{}{} The running guest was not entirely changed back; "
                                     "hpvmmodify -P {} -R brings it in line with the "
                                     "configuration, which is unchanged:",
                                     reason, reason.ends_with('.') ? "" : ".", plan.before.name));
      problems.insert(problems.end(), e.rollback_problems().begin(), e.rollback_problems().end());
    }
    throw hpvm::Refused(std::move(problems), k_refused, plan.before.name);
  } catch (const hpvm::Busy&) {
    remove_taps(plan.after, online.added_nics);
    throw;
  } catch (const hpvm::Error& e) {
    remove_taps(plan.after, online.added_nics);
    throw hpvm::Refused(
        {fmt::format("The running guest cannot be changed: {} Nothing was changed.", e.what())},
        k_refused, plan.before.name);
  }
  remove_taps(plan.before, gone_nics); // only once the configuration no longer has them
}

} // namespace

std::vector<std::string> drop_released_nics(Store& store, const Guest& guest,
                                            const std::set<std::string>& released) {
  Store::WriteTransaction tx(store);
  DevicePlanner planner(store, guest, true);
  std::vector<std::string> dropped;
  for (const auto& n : guest.networks) {
    if (released.contains(avio::nic_id(n.address))) {
      planner.remove(format(n));
      dropped.push_back(format(n));
    }
  }
  if (dropped.empty()) {
    return dropped;
  }
  ModifyPlan plan{guest, guest, planner.storage_identities(), planner.vswitch_ports(), {}, {}, {}};
  plan.after.networks = planner.networks();
  apply_modification(store, plan);
  tx.commit();
  return dropped;
}

Report modify_guest(Store& store, const ModifyRequest& request) {
  const auto& extended = request.characteristics.extended;
  if (const auto target =
          std::find_if(extended.rbegin(), extended.rend(),
                       [](const std::string& x) { return x.starts_with("ram_target="); });
      target != extended.rend()) {
    // The running guest's memory, not its configuration: kept apart so a
    // failure can leave both as they were.
    if (request.new_name || !request.changes.empty() ||
        changes_plain_characteristics(request.characteristics) ||
        std::any_of(extended.begin(), extended.end(),
                    [](const std::string& x) { return !x.starts_with("ram_target="); })) {
      throw hpvm::UsageError("-x ram_target changes only the running guest's memory: give it "
                             "without other changes.",
                             request.name);
    }
    return change_memory_target(store, request.name, target->substr(target->find('=') + 1),
                                request.check_only);
  }
  if (!request.new_name && request.changes.empty() &&
      !changes_characteristics(request.characteristics)) {
    throw hpvm::UsageError("Nothing to modify: give -a, -d, -m, -N or a characteristic option.",
                           request.name);
  }
  Store::WriteTransaction tx(store);
  const Guest guest = find_guest(store, request.name);
  if (!request.new_name) { // -N is the way out the refusal gives
    refuse_shadowed_guest(store, guest, k_refused);
  }
  ModifyPlan plan = plan_modification(store, guest, request);
  if (!plan.errors.empty()) {
    throw hpvm::Refused(std::move(plan.errors), k_refused, request.name);
  }
  Report report{std::move(plan.warnings)};
  if (request.check_only) {
    return report; // -s: everything checked, nothing written
  }
  const bool renamed = plan.after.name != guest.name;
  try {
    apply_modification(store, plan);
    // A database error at the commit is reported like any other.
    const auto commit = [&tx] {
      try {
        tx.commit();
      } catch (...) {
        rethrow_as_project_error();
      }
    };
    if (run_state(store.root(), guest.uuid).on) {
      // A stopped QEMU would only time out: refused before anything changes.
      avio::refuse_stopped_qemu(run_dir(store.root(), guest.uuid), guest.name);
      // The running guest changes first, then the configuration is committed;
      // when either fails the guest is changed back.
      const auto asked = move_start_target(store, guest, plan.after, report);
      try {
        apply_online(store, plan, report, commit);
      } catch (...) {
        if (asked) {
          restore_memory_target(store, guest, *asked);
        }
        throw;
      }
    } else {
      commit();
    }
  } catch (...) {
    if (renamed) {
      unlink_guest(store.root(), plan.after.name, plan.after.uuid);
    }
    throw;
  }
  if (renamed) {
    unlink_guest(store.root(), guest.name, guest.uuid);
  }
  return report;
}

} // namespace vmconfig
