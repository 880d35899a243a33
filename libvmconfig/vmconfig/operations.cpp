#include "vmconfig/operations.hpp"

#include "vmconfig/devdb.hpp"
#include "vmconfig/names.hpp"
#include "vmconfig/planner.hpp"
#include "vmconfig/runtime.hpp"
#include "vmconfig/store_vswitch.hpp"

#include <avio/error.hpp>

#include <fmt/format.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace vmconfig {

Guest find_guest(Store& store, const std::string& name) {
  if (auto g = store.load_guest(name)) {
    return *g;
  }
  throw hpvm::Error(fmt::format("The guest '{}' does not exist.", name), name);
}

Guest find_guest(Store& store, int vm_number) {
  if (auto g = store.load_guest(vm_number)) {
    return *g;
  }
  throw hpvm::Error(fmt::format("No guest has the VM number {}.", vm_number));
}

Report create_guest(Store& store, const CreateRequest& request) {
  const std::string& name = request.name;
  if (auto problem = guest_name_problem(name)) {
    throw hpvm::Refused({fmt::format("Invalid {}.", *problem)}, "Unable to create the guest.", name);
  }
  Report report;
  std::vector<std::string> errors;
  Guest guest;
  guest.name = name;
  apply_characteristics(request.characteristics, request.force, guest, errors, report.warnings);

  Store::WriteTransaction tx(store);
  if (store.load_guest(name)) {
    errors.push_back(fmt::format("A guest named '{}' already exists.", name));
  }
  DevicePlanner planner(store, guest, request.force);
  for (const auto& statement : request.resources) {
    planner.add(statement);
  }
  errors.insert(errors.end(), planner.errors().begin(), planner.errors().end());
  report.warnings.insert(report.warnings.end(), planner.warnings().begin(), planner.warnings().end());
  if (!errors.empty()) {
    throw hpvm::Refused(std::move(errors), "Unable to create the guest.", name);
  }
  if (request.check_only) {
    return report; // -s: everything checked, nothing written
  }
  guest.storage = planner.storage();
  guest.networks = planner.networks();
  guest.vm_number = store.next_vm_number();
  guest.uuid = new_uuid();
  store.insert_guest(guest, planner.storage_identities());
  VswitchStore(store).set_nic_ports(guest.name, guest.networks, planner.vswitch_ports());
  sync_guest_dependents(store, guest);
  try {
    make_run_dir(store.root(), guest);
    tx.commit();
  } catch (...) {
    remove_run_dir(store.root(), guest);
    throw;
  }
  return report;
}

Guest check_removable(Store& store, const std::string& name) {
  Guest guest = find_guest(store, name);
  if (run_state(store.root(), guest.uuid).on) {
    throw hpvm::Refused({fmt::format("The guest '{}' is running; stop it first with hpvmstop.", name)},
                        "Unable to remove the guest.", name);
  }
  return guest;
}

Report remove_guest(Store& store, const std::string& name) {
  Report report;
  Store::WriteTransaction tx(store);
  const Guest guest = check_removable(store, name);
  drop_guest_dependents(store, guest.name);
  store.delete_guest(guest);
  tx.commit();
  remove_run_dir(store.root(), guest);
  return report;
}

} // namespace vmconfig

#include "vmconfig/lifecycle.hpp"
#include "vmconfig/render.hpp"

namespace vmconfig {

std::string status_report(Store& store, const StatusRequest& request) {
  const fs::path& root = store.root();
  const bool one = request.name || request.number;
  if (!one && request.format == StatusFormat::summary) {
    const auto running = running_uuids(root);
    std::vector<SummaryStatus> rows;
    for (auto& s : store.summaries()) {
      const RunState state{running.contains(s.uuid)};
      rows.push_back({std::move(s), state});
    }
    return render_summary(rows);
  }
  std::vector<GuestStatus> guests;
  if (one) {
    Guest g = request.name ? find_guest(store, *request.name) : find_guest(store, *request.number);
    const RunState state = run_state(root, g.uuid);
    std::optional<LiveState> live;
    if (request.format == StatusFormat::details || request.format == StatusFormat::verbose) {
      live = runtime_report(root, g, state);
    }
    guests.push_back({std::move(g), state, std::move(live)});
  } else {
    const auto running = running_uuids(root);
    for (auto& g : store.load_guests()) {
      const RunState state{running.contains(g.uuid)};
      guests.push_back({std::move(g), state, std::nullopt});
    }
  }
  std::string out;
  switch (request.format) {
  case StatusFormat::xml: return render_xml(guests);
  case StatusFormat::json: return render_json(guests);
  case StatusFormat::summary:
  case StatusFormat::details:
  case StatusFormat::verbose:
  case StatusFormat::devices:
  case StatusFormat::machine:
    for (const auto& g : guests) {
      if (!out.empty() && request.format != StatusFormat::machine) {
        out += '\n';
      }
      switch (request.format) {
      case StatusFormat::verbose: out += render_verbose(g); break;
      case StatusFormat::devices: out += render_devices(g.guest); break;
      case StatusFormat::machine: out += render_machine(g); break;
      default: out += render_details(g); break;
      }
    }
    return out;
  }
  return out;
}

} // namespace vmconfig
