#include "vmconfig/ops/copied_guests.hpp"

#include "vmconfig/devdb/dependents.hpp"
#include "vmconfig/model/guest_config.hpp"
#include "vmconfig/model/names.hpp"
#include "vmconfig/ops/guests.hpp"
#include "vmconfig/ops/modify.hpp"
#include "vmconfig/ops/planner.hpp"
#include "vmconfig/ops/runtime.hpp"
#include "vmconfig/store/store_modify.hpp"
#include "vmconfig/store/store_vswitch.hpp"

#include <avio/error.hpp>
#include <avio/host.hpp>
#include <avio/layout.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <optional>

namespace fs = std::filesystem;

namespace vmconfig {

namespace {

constexpr const char* k_refused =
    "Unable to register the guest's configuration copied to this host.";

struct Copy {
  fs::path file;
  std::string uuid; // of the directory guests/<name> leads to
  GuestConfig config;
  std::vector<std::string> errors; // why the file cannot be used
};

// The configuration file guests/<name> leads to, read and checked against
// where it is; nullopt when there is none (nothing was copied here).
std::optional<Copy> read_copy(const fs::path& root, const std::string& name) {
  const auto uuid = avio::layout::guest_link_uuid(root, name);
  if (!uuid || !is_uuid(*uuid)) {
    return std::nullopt;
  }
  const fs::path file = avio::layout::run_dir(root, *uuid).config_file();
  const auto text = avio::read_file(file);
  if (!text) {
    return std::nullopt;
  }
  Copy copy{file, *uuid, {}, {}};
  auto& errors = copy.errors;
  copy.config = read_guest_config(*text, errors);
  for (auto& e : errors) {
    e = fmt::format("The configuration file '{}' cannot be read: {}.", file.string(), e);
  }
  const auto& c = copy.config;
  if (errors.empty() && c.name != name) {
    errors.push_back(fmt::format("The configuration file '{}' names the guest '{}', not '{}'.",
                                 file.string(), c.name, name));
  }
  if (errors.empty() && c.uuid != *uuid) {
    errors.push_back(fmt::format("The configuration file '{}' has the UUID {}, but it is in the "
                                 "directory of the UUID {}.",
                                 file.string(), c.uuid, *uuid));
  }
  return copy;
}

// guests/<name> leading to a directory that is gone while this host has a
// guest of that name with another UUID: the administrator removed a copy
// to keep this host's guest under the name (decide's refusal says to), and
// the link leads to this host's guest again.
void relink_own_guest(Store& store, const std::string& name) {
  const auto uuid = avio::layout::guest_link_uuid(store.root(), name);
  std::error_code ec;
  if (!uuid || fs::exists(avio::layout::run_dir(store.root(), *uuid).dir, ec)) {
    return;
  }
  if (const auto own = store.load_guest(name); own && own->uuid != *uuid) {
    link_guest(store.root(), name, own->uuid);
  }
}

enum class Action : unsigned char {
  none,
  add,         // a guest this host does not know
  update,      // a newer configuration of a guest it knows
  take_change, // the same configuration under a higher change number
  write_back,  // the copy is older: this host's goes back into the file
  take_back,   // a guest migrated away, copied back from the host it went to
};

struct Decision {
  Action action = Action::none;
  std::optional<Guest> known; // this host's guest of the copy's UUID
  std::int64_t change = 0;    // this host's change number
};

// Whether a configuration body is that of a copy left by a migration (the
// "x migrated_to=" line hpvmmigrate's mark puts in it).
bool left_by_migration(const std::string& body) {
  const std::string mark = fmt::format("x {}=", k_migrated_to);
  return body.starts_with(mark) || body.find("\n" + mark) != std::string::npos;
}

Decision decide(Store& store, const std::string& name, const Copy& copy, CopyUse use) {
  const GuestConfig& c = copy.config;
  if (const auto by_name = store.load_guest(name); by_name && by_name->uuid != c.uuid) {
    throw hpvm::Refused({two_guests_problem(name, by_name->uuid, copy.file, copy.uuid)}, k_refused,
                        name);
  }
  Decision d;
  d.known = store.load_guest_by_uuid(c.uuid);
  if (!d.known) {
    d.action = Action::add;
    return d;
  }
  const auto record = store.config_export(d.known->id);
  d.change = record ? record->change : 0;
  // This host's copy of a guest migrated away, and the configuration of the
  // host it went to copied over it (OpenSVC failing it back after
  // 'om migrate'): that host's is the guest's now, whatever the change
  // numbers (this host's grew when the copy was marked). Taken back only by
  // hpvmstart, the cluster's order to run it here; a look at it (hpvmstatus
  // -P) leaves both as they are.
  if (!d.known->runnable && d.known->extended.contains(k_migrated_to) &&
      !left_by_migration(c.body)) {
    d.action = use == CopyUse::start ? Action::take_back : Action::none;
    return d;
  }
  const bool same = record && record->body == c.body;
  if (c.change == d.change) {
    if (!same) {
      throw hpvm::Refused(
          {fmt::format("The guest was changed on this host and on another: the copied "
                       "configuration '{}' and this host's are both change {}, and they differ. "
                       "Change it again (hpvmmodify) on the host whose configuration is to be "
                       "kept, then copy it here again.",
                       copy.file.string(), c.change)},
          k_refused, name);
    }
    return d;
  }
  if (c.change < d.change) {
    d.action = Action::write_back;
    return d;
  }
  d.action = same ? Action::take_change : Action::update;
  if (d.action == Action::update && run_state(store.root(), c.uuid).on) {
    throw hpvm::Refused({fmt::format("The guest runs on this host: the newer configuration copied "
                                     "into '{}' (change {}; this host's is change {}) is not "
                                     "applied while it runs.",
                                     copy.file.string(), c.change, d.change)},
                        k_refused, name);
  }
  return d;
}

// The copy's characteristics on `guest`, and its devices through `planner`
// as hpvmcreate plans them; every problem is thrown.
void plan(const GuestConfig& c, Guest& guest, DevicePlanner& planner, Report& report) {
  std::vector<std::string> errors;
  // Console users unknown here are a warning, as with -F: they cannot stop
  // a failover.
  apply_characteristics(c.characteristics, true, guest, errors, report.warnings);
  planner.add_all(c.devices);
  errors.insert(errors.end(), planner.errors().begin(), planner.errors().end());
  report.warnings.insert(report.warnings.end(), planner.warnings().begin(),
                         planner.warnings().end());
  if (!errors.empty()) {
    throw hpvm::Refused(std::move(errors), k_refused, c.name);
  }
  guest.storage = planner.storage();
  guest.networks = planner.networks();
}

void add(Store& store, const Copy& copy, Report& report) {
  const GuestConfig& c = copy.config;
  Guest guest;
  guest.name = c.name;
  guest.uuid = c.uuid;
  DevicePlanner planner(store, guest, false);
  plan(c, guest, planner, report);
  guest.vm_number = store.next_vm_number();
  store.insert_guest(guest, planner.storage_identities());
  VswitchStore(store).set_nic_ports(guest.name, guest.networks, planner.vswitch_ports());
  sync_guest_dependents(store, guest);
  store.set_config_export(guest.id, {c.change, c.body});
  report.warnings.push_back(fmt::format("The guest's configuration copied to this host ('{}', "
                                        "change {}) was registered as VM number {}.",
                                        copy.file.string(), c.change, guest.vm_number));
}

void update(Store& store, const Copy& copy, const Guest& before, std::int64_t change,
            Report& report, bool take_back = false) {
  const GuestConfig& c = copy.config;
  // This host's devices go first (inside the transaction), so that its own
  // MACs and pinned ports do not count as taken when the copy's are placed.
  Guest bare = before;
  bare.storage.clear();
  bare.networks.clear();
  update_guest(store, before, bare, {});
  Guest after;
  after.id = before.id;
  after.vm_number = before.vm_number;
  after.uuid = before.uuid;
  after.name = c.name;
  // The registration attributes are this host's own, but for a guest taken
  // back: runnable here again, as on the host it comes from.
  after.runnable = take_back || before.runnable;
  after.modifiable = take_back || before.modifiable;
  after.visible = take_back || before.visible;
  DevicePlanner planner(store, bare, false);
  plan(c, after, planner, report);
  update_guest(store, bare, after, planner.storage_identities());
  VswitchStore(store).set_nic_ports(after.name, after.networks, planner.vswitch_ports());
  update_device_dependents(store, before.name, after, nullptr);
  store.set_config_export(after.id, {c.change, c.body});
  if (take_back) {
    report.warnings.push_back(fmt::format(
        "The guest migrated to the VM Host '{}' was taken back from the configuration copied "
        "into '{}' (change {}; this host's copy was change {}): it is runnable here again.",
        before.extended.at(k_migrated_to), copy.file.string(), c.change, change));
    return;
  }
  report.warnings.push_back(fmt::format("This host's configuration of the guest (change {}) was "
                                        "updated from the copy in '{}' (change {}).",
                                        change, copy.file.string(), c.change));
}

} // namespace

bool copied_config_present(const std::string& name) {
  if (guest_name_problem(name)) {
    return false;
  }
  const fs::path root = Store::location().root;
  const auto uuid = avio::layout::guest_link_uuid(root, name);
  if (!uuid) {
    return false;
  }
  const avio::RunDir run = avio::layout::run_dir(root, *uuid);
  std::error_code ec;
  return avio::read_file(run.config_file()).has_value() || !fs::exists(run.dir, ec);
}

Report register_copied_guest(Store& store, const std::string& name, CopyUse use) {
  Report report;
  if (guest_name_problem(name)) {
    return report; // no such guest: the command says so
  }
  const auto copy = read_copy(store.root(), name);
  if (!copy) {
    relink_own_guest(store, name);
    return report;
  }
  if (!copy->errors.empty()) {
    // This host's own guest: its database is the truth, and the file is
    // written from it again. Anything else cannot be registered.
    const auto known = store.load_guest(name);
    if (!known || known->uuid != copy->uuid) {
      throw hpvm::Refused(copy->errors, k_refused, name);
    }
    store.rewrite_config_file(*known);
    report.warnings.push_back(fmt::format("The configuration file '{}' could not be used; this "
                                          "host's configuration was written there again.",
                                          copy->file.string()));
    return report;
  }
  // Decided first without the write lock: most uses find nothing to do.
  const Decision first = decide(store, name, *copy, use);
  if (first.action == Action::none) {
    return report;
  }
  if (first.action == Action::write_back) {
    store.rewrite_config_file(*first.known);
    report.warnings.push_back(
        fmt::format("The configuration copied into '{}' (change {}) is older than this host's "
                    "(change {}): this host's was written there again.",
                    copy->file.string(), copy->config.change, first.change));
    return report;
  }
  Store::WriteTransaction tx(store);
  const Decision d = decide(store, name, *copy, use); // again, under the lock
  switch (d.action) {
  case Action::add:
    add(store, *copy, report);
    break;
  case Action::update:
    update(store, *copy, *d.known, d.change, report);
    break;
  case Action::take_change:
    store.set_config_export(d.known->id, {copy->config.change, copy->config.body});
    break;
  case Action::take_back:
    update(store, *copy, *d.known, d.change, report, true);
    break;
  case Action::none:
  case Action::write_back:
    return report; // another command got there first
  }
  tx.commit();
  if (d.known && d.known->name != copy->config.name) {
    unlink_guest(store.root(), d.known->name, d.known->uuid); // renamed on the other host
  }
  return report;
}

} // namespace vmconfig
