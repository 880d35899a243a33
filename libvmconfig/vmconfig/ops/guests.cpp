#include "vmconfig/ops/guests.hpp"

#include "vmconfig/devdb/dependents.hpp"
#include "vmconfig/model/names.hpp"
#include "vmconfig/ops/planner.hpp"
#include "vmconfig/ops/runtime.hpp"
#include "vmconfig/store/store_vswitch.hpp"

#include <avio/error.hpp>
#include <avio/host.hpp>
#include <avio/layout.hpp>
#include <avio/runstate.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <set>

namespace fs = std::filesystem;

namespace vmconfig {

Guest find_guest(Store& store, const std::string& name) {
  if (auto g = store.load_guest(name)) {
    return *g;
  }
  throw hpvm::Error(fmt::format("The guest '{}' does not exist.", name), name);
}

std::string two_guests_problem(const std::string& name, const std::string& own_uuid,
                               const std::filesystem::path& copy_file,
                               const std::string& copy_uuid) {
  return fmt::format("A guest named '{}' with another UUID ({}) exists on this host; the copied "
                     "configuration '{}' has the UUID {}. To register the copy under this name, "
                     "rename this host's guest first (hpvmmodify -P {} -N <new name>); to keep "
                     "this host's guest, remove the copy's directory '{}'.",
                     name, own_uuid, copy_file.string(), copy_uuid, name,
                     copy_file.parent_path().string());
}

void refuse_shadowed_guest(Store& store, const Guest& guest, const std::string& summary) {
  // Most guests' link leads to their own directory: nothing more is read.
  const auto linked = avio::layout::guest_link_uuid(store.root(), guest.name);
  if (!linked || *linked == guest.uuid) {
    return;
  }
  // No file there: the copy's directory was removed, the name is this
  // host's guest's (the next hpvmstart or hpvmstatus -P relinks it).
  const auto file = avio::layout::run_dir(store.root(), *linked).config_file();
  if (avio::read_file(file)) {
    throw hpvm::Refused({two_guests_problem(guest.name, guest.uuid, file, *linked)}, summary,
                        guest.name);
  }
}

Guest find_guest(Store& store, int vm_number) {
  if (auto g = store.load_guest(vm_number)) {
    return *g;
  }
  throw hpvm::Error(fmt::format("No guest has the VM number {}.", vm_number));
}

void remove_leftover_run_dirs(Store& store) {
  // Each guest has one run directory and one link, so as many of each as
  // guests means nothing is left over, and the names need not be loaded (a
  // third of an hpvmcreate at 1,000 guests). A guest whose directory was
  // deleted by hand hides a leftover until the counts differ again. The
  // directories are counted from uuids/'s link count where the file system
  // keeps one: reading 1,000 entries of each directory cost 1 ms.
  const std::size_t guests = store.guest_count();
  const auto dir_count = avio::run_dir_count(store.root());
  const bool dirs_match =
      dir_count ? *dir_count == guests : avio::run_dir_uuids(store.root()).size() == guests;
  if (dirs_match && avio::guest_link_names(store.root()).size() == guests) {
    return;
  }
  const auto run_dirs = avio::run_dir_uuids(store.root());
  const auto links = avio::guest_link_names(store.root());
  const auto [names, uuids] = store.guest_names_and_uuids();
  // A run directory with a configuration file and the guests/ link to it
  // are a guest copied from another host, not yet registered here
  // (copied_guests.hpp): no command of this host leaves that file behind
  // (it is written after a commit, and hpvmremove removes it before its own).
  const auto copied = [&](const std::string& uuid) {
    return avio::has_config_file(run_dir(store.root(), uuid));
  };
  for (const auto& uuid : run_dirs) {
    if (!uuids.contains(uuid) && !copied(uuid) &&
        !avio::running_qemu(run_dir(store.root(), uuid))) {
      avio::remove_run_dir(store.root(), "", uuid);
    }
  }
  // Only a link of no guest is read: at 1,000 guests, reading every link
  // was a thousand readlink calls per hpvmcreate.
  for (const auto& name : links) {
    if (names.contains(name)) {
      continue;
    }
    const auto target = avio::layout::guest_link_uuid(store.root(), name);
    if (!(target && copied(*target))) {
      avio::remove_guest_link(store.root(), name);
    }
  }
}

Report create_guest(Store& store, const CreateRequest& request) {
  const std::string& name = request.name;
  if (auto problem = guest_name_problem(name)) {
    throw hpvm::Refused({fmt::format("Invalid {}.", *problem)}, "Unable to create the guest.",
                        name);
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
  planner.add_all(request.resources, request.origins);
  errors.insert(errors.end(), planner.errors().begin(), planner.errors().end());
  report.warnings.insert(report.warnings.end(), planner.warnings().begin(),
                         planner.warnings().end());
  if (!errors.empty()) {
    throw hpvm::Refused(std::move(errors), "Unable to create the guest.", name);
  }
  if (request.check_only) {
    return report; // -s: everything checked, nothing written
  }
  // Before the new guest is in: its own name's stale link goes too.
  remove_leftover_run_dirs(store);
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
  refuse_shadowed_guest(store, guest, "Unable to remove the guest.");
  if (run_state(store.root(), guest.uuid).on) {
    throw hpvm::Refused(
        {fmt::format("The guest '{}' is running; stop it first with hpvmstop.", name)},
        "Unable to remove the guest.", name);
  }
  return guest;
}

Report remove_guest(Store& store, const std::string& name) {
  Report report;
  Store::WriteTransaction tx(store);
  const Guest guest = check_removable(store, name);
  // A remove killed between its commit and here left its guest's run
  // directory: the next one takes it (as hpvmcreate and hpvmclone do).
  remove_leftover_run_dirs(store);
  drop_guest_dependents(store, guest.name);
  store.delete_guest(guest);
  // The configuration file goes before the commit: a run directory left
  // with one would be taken for a guest copied from another host.
  const avio::RunDir run = run_dir(store.root(), guest.uuid);
  const auto config = avio::read_file(run.config_file());
  avio::remove_config_file(run);
  try {
    tx.commit();
  } catch (...) {
    if (config) {
      try {
        avio::write_file_atomically(run.config_file(), *config);
      } catch (const hpvm::Error&) {
        // The guest's next change writes it again.
      }
    }
    throw;
  }
  remove_run_dir(store.root(), guest);
  return report;
}

} // namespace vmconfig
