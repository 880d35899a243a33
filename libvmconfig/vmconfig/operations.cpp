#include "vmconfig/operations.hpp"

#include "vmconfig/names.hpp"
#include "vmconfig/planner.hpp"
#include "vmconfig/runtime.hpp"

#include <avio/error.hpp>

#include <fmt/format.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace vmconfig {

namespace {

std::string new_uuid() {
  std::ifstream in("/proc/sys/kernel/random/uuid");
  std::string uuid;
  std::getline(in, uuid);
  if (uuid.size() != 36) {
    throw hpvm::Error("Cannot generate a UUID: /proc/sys/kernel/random/uuid is not readable.");
  }
  return uuid;
}

// The guest's run directory and its guests/<name> link, as on HPVM.
void make_run_dir(const fs::path& root, const Guest& g) {
  const fs::path dir = run_dir(root, g.uuid).dir;
  fs::create_directories(dir);
  ::chmod(dir.c_str(), 0700);
  const fs::path link = guest_link(root, g.name);
  fs::create_directories(link.parent_path());
  std::error_code ec;
  fs::remove(link, ec);
  fs::create_directory_symlink(fs::path("..") / "uuids" / g.uuid, link);
}

void remove_run_dir(const fs::path& root, const Guest& g) {
  std::error_code ec;
  fs::remove(guest_link(root, g.name), ec);
  fs::remove_all(run_dir(root, g.uuid).dir, ec);
}

} // namespace

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
    throw hpvm::Refused({fmt::format("A guest named '{}' already exists.", name)},
                        "Unable to create the guest.", name);
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
  for (std::size_t i = 0; i < guest.storage.size(); ++i) {
    const auto& d = guest.storage[i];
    if (!d.location.empty()) {
      store.add_gdev_dependent(d.location, devtype_of(d.storage), planner.storage_identities()[i],
                               guest.name);
    }
  }
  try {
    make_run_dir(store.root(), guest);
    tx.commit();
  } catch (...) {
    remove_run_dir(store.root(), guest);
    throw;
  }
  return report;
}

Report remove_guest(Store& store, const std::string& name) {
  Report report;
  Store::WriteTransaction tx(store);
  const Guest guest = find_guest(store, name);
  if (run_state(store.root(), guest.uuid).on) {
    throw hpvm::Refused({fmt::format("The guest '{}' is running; stop it first with hpvmstop.", name)},
                        "Unable to remove the guest.", name);
  }
  store.drop_gdev_dependents(guest.name);
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
    std::vector<SummaryStatus> rows;
    for (auto& s : store.summaries()) {
      const RunState state = run_state(root, s.uuid);
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
    for (auto& g : store.load_guests()) {
      const RunState state = run_state(root, g.uuid);
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
