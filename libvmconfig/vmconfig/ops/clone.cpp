#include "vmconfig/ops/clone.hpp"

#include "vmconfig/devdb/devdb_rules.hpp"
#include "vmconfig/model/grammar.hpp"
#include "vmconfig/model/names.hpp"
#include "vmconfig/ops/guests.hpp"
#include "vmconfig/ops/planner.hpp"
#include "vmconfig/ops/runtime.hpp"
#include "vmconfig/store/store_modify.hpp"
#include "vmconfig/store/store_runtime.hpp"
#include "vmconfig/store/store_vswitch.hpp"

#include <avio/backing.hpp>
#include <avio/backing_file.hpp>
#include <avio/copy.hpp>
#include <avio/error.hpp>
#include <avio/layout.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

namespace fs = std::filesystem;

namespace vmconfig {

namespace {

constexpr const char* k_refused = "Unable to clone the guest.";

struct StorageCopy {
  std::string from;
  std::string to;
  friend bool operator==(const StorageCopy&, const StorageCopy&) = default;
};

struct ClonePlan {
  Guest clone;
  std::vector<std::string> storage_identities;
  std::vector<std::optional<int>> vswitch_ports; // of clone.networks
  std::vector<StorageCopy> copies;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

// Whether the clone's device `d` is one it inherits unchanged from `source`.
bool inherited(const StorageDevice& d, const Guest& source) {
  return std::any_of(source.storage.begin(), source.storage.end(), [&](const StorageDevice& s) {
    return s.address == d.address && s.device == d.device && s.storage == d.storage &&
           s.location == d.location;
  });
}

bool copyable(StorageType t) {
  return t == StorageType::file || t == StorageType::disk || t == StorageType::lv;
}

// Creates an empty target file of `bytes` (sparse) for a -b copy. The files
// this run made (`made_before`, then this one) are recorded before the new
// one appears under its name, so a run killed at any instant is known by the
// next (a kill before the record leaves only a partial file the next creation
// removes).
std::optional<std::string> create_target(const Store& store,
                                         const std::set<std::string>& made_before,
                                         const std::string& path, std::uint64_t bytes) {
  try {
    avio::create_sparse_file(path, bytes, [&](const std::string& partial) {
      std::vector<avio::CreatedFile> record;
      for (const auto& f : made_before) {
        record.push_back({f, avio::probe(f).identity});
      }
      record.push_back({path, avio::probe(partial).identity});
      avio::record_created_files(store.root(), record);
    });
  } catch (const hpvm::Error& e) {
    return e.what();
  }
  return std::nullopt;
}

// One -b statement: the source's device at its address, copied to a new backing store.
void plan_copy(Store& store, const Guest& source, const std::string& text, bool force,
               DevicePlanner& planner, std::set<std::string>* created,
               const std::set<std::string>& made, ClonePlan& plan) {
  ResourceStatement statement;
  try {
    statement = parse_resource(text);
  } catch (const StatementError& e) {
    plan.errors.emplace_back(e.what());
    return;
  }
  const auto* st = std::get_if<StorageStatement>(&statement);
  if (st == nullptr) {
    plan.errors.push_back(fmt::format("'{}' is not a storage device; -b copies storage.", text));
    return;
  }
  if (!st->address.target) {
    plan.errors.push_back(fmt::format(
        "'{}' does not give the device's address: -b needs bus,device,target as hpvmstatus -d "
        "prints them.",
        text));
    return;
  }
  const avio::StorageAddress at{*st->address.bus, *st->address.slot, *st->address.target};
  const auto it = std::find_if(source.storage.begin(), source.storage.end(),
                               [&](const StorageDevice& d) { return d.address == at; });
  if (it == source.storage.end()) {
    plan.errors.push_back(fmt::format("The guest '{}' has no storage device at bus {} device {} "
                                      "target {} ('{}').",
                                      source.name, at.bus, at.slot, at.target, text));
    return;
  }
  if (!copyable(it->storage) || it->location.empty()) {
    plan.errors.push_back(fmt::format("'{}': {} has no storage to copy.", text, format(*it)));
    return;
  }
  if (!copyable(st->storage)) {
    plan.errors.push_back(
        fmt::format("'{}': -b copies into a file, disk or lv backing store.", text));
    return;
  }
  std::uint64_t bytes = 0;
  try {
    bytes = avio::storage_size(it->location);
  } catch (const hpvm::Error& e) {
    plan.errors.push_back(fmt::format("Cannot copy {}: {}", format(*it), e.what()));
    return;
  }
  // Neither end may be the suite's own files or host storage in use (a
  // source swapped for a symlink to one would be read into the clone); the
  // target is checked before it is created.
  const avio::HostEntity target = avio::probe(st->location);
  const avio::HostEntity from = avio::probe(it->location);
  std::vector<std::string> planner_warns; // the planner gives the target's own warning
  if (!admit_guarded(store, it->location, from, force, plan.errors, plan.warnings) ||
      !admit_guarded(store, st->location, target, force, plan.errors, planner_warns)) {
    return;
  }
  if (target.identity == from.identity) {
    plan.errors.push_back(fmt::format("'{}' would copy '{}' onto itself.", text, it->location));
    return;
  }
  if (st->storage == StorageType::file && made.count(st->location) == 0) {
    if (target.kind != avio::HostKind::missing) {
      plan.errors.push_back(fmt::format(
          "Backing store '{}' already exists; -b copies into a new file (or an existing disk or "
          "logical volume).",
          st->location));
      return;
    }
    if (created != nullptr) {
      if (auto problem = create_target(store, *created, st->location, bytes)) {
        plan.errors.push_back(*problem);
        return;
      }
      created->insert(st->location);
    }
  } else if (st->storage != StorageType::file && target.kind != avio::HostKind::missing &&
             target.size < bytes) {
    plan.errors.push_back(fmt::format("Backing store '{}' has {} bytes, fewer than the {} bytes of "
                                      "'{}'.",
                                      st->location, target.size, bytes, it->location));
    return;
  }
  if (auto user = storage_user(store, avio::probe(st->location).identity, "")) {
    plan.errors.push_back(fmt::format(
        "Backing store '{}' is used by guest '{}'; -b would overwrite it.", st->location, *user));
    return;
  }
  const auto before = planner.errors().size();
  planner.modify(text); // the usual checks of the new backing store
  if (planner.errors().size() == before) {
    plan.copies.push_back({it->location, st->location});
  }
}

ClonePlan plan_clone(Store& store, const CloneRequest& r, std::set<std::string>* created,
                     const std::set<std::string>& made) {
  ClonePlan plan;
  const Guest source = find_guest(store, r.source);
  refuse_shadowed_guest(store, source, k_refused);
  if (store.load_guest(r.name)) {
    plan.errors.push_back(fmt::format("A guest named '{}' already exists.", r.name));
    return plan;
  }
  Guest& clone = plan.clone;
  clone = source;
  clone.id = 0;
  clone.name = r.name;
  clone.runnable = clone.modifiable = clone.visible =
      true; // a new guest, whatever the source's state
  apply_characteristics(r.characteristics, r.force, clone, plan.errors, plan.warnings);

  if (!r.copies.empty() && run_state(store.root(), source.uuid).on) {
    plan.warnings.push_back(
        fmt::format("The guest '{}' is running: the copies of its storage may not be consistent.",
                    source.name));
  }
  DevicePlanner planner(store, clone, r.force);
  planner.renew_network_identities();
  for (const auto& text : r.copies) {
    plan_copy(store, source, text, r.force, planner, created, made, plan);
  }
  plan_device_changes(planner, r.changes);
  plan.errors.insert(plan.errors.end(), planner.errors().begin(), planner.errors().end());
  plan.warnings.insert(plan.warnings.end(), planner.warnings().begin(), planner.warnings().end());
  clone.storage = planner.storage();
  clone.networks = planner.networks();
  plan.storage_identities = planner.storage_identities();
  plan.vswitch_ports = planner.vswitch_ports();

  // What the clone inherits passes the device database's rules as if it were
  // given anew (restricted paths, one device type, overlaps with other
  // guests); the source's own use of it counts only for SHARE, below.
  DeviceRules rules(store, source.name);
  for (const auto& d : clone.storage) {
    if (d.location.empty() || !inherited(d, source)) {
      continue;
    }
    const avio::HostEntity entity = avio::probe(d.location);
    auto problems = rules.check_inherited(d.device, d.location, entity);
    std::vector<std::string> warnings;
    if (problems.empty()) {
      admit_guarded(store, d.location, entity, r.force, problems, warnings);
    }
    for (const auto& p : problems) {
      plan.errors.push_back(fmt::format("{} (from the guest '{}'): {}", format(d), source.name, p));
    }
    for (const auto& w : warnings) {
      plan.warnings.push_back(
          fmt::format("{} (from the guest '{}'): {}", format(d), source.name, w));
    }
  }

  // Storage the clone would still share with its source: DVD media too,
  // unless its gdev entry says SHARE=YES (as a DVD image's does from the start).
  std::set<std::string> source_ids;
  for (const auto& d : source.storage) {
    if (!d.location.empty()) {
      source_ids.insert(avio::probe(d.location).identity);
    }
  }
  for (std::size_t i = 0; i < clone.storage.size(); ++i) {
    const auto& d = clone.storage[i];
    const auto& id = plan.storage_identities[i];
    if (id.empty() || source_ids.count(id) == 0 || storage_shared(store, id)) {
      continue;
    }
    if (r.force) {
      plan.warnings.push_back(fmt::format(
          "Forced: {} shares its backing store with the guest '{}'; the two must not run at the "
          "same time.",
          format(d), source.name));
    } else {
      plan.errors.push_back(fmt::format(
          "{} would share its backing store with the guest '{}': give the clone its own with -b, "
          "-m or -d, mark the backing store SHARE=YES with hpvmdevmgmt, or force with -F.",
          format(d), source.name));
    }
  }
  return plan;
}

// Removes the files this command made and their record.
void remove_files(const fs::path& root, const std::set<std::string>& files) {
  for (const auto& f : files) {
    avio::remove_created_file(f);
  }
  avio::forget_created_files(root);
}

// The target files hpvmclone runs killed before they finished made (still
// the same files: a file made since at the same path is not theirs), which
// they would have removed themselves had they failed. A run killed after
// its commit left a record of files that are its clone's now: kept.
void remove_files_of_killed_runs(Store& store, std::vector<std::string>& warnings) {
  for (const auto& dead : avio::created_files_of_dead_runs(store.root())) {
    for (const auto& f : dead.files) {
      if (avio::probe(f.path).identity == f.identity && !storage_user(store, f.identity, "")) {
        avio::remove_created_file(f.path);
        warnings.push_back(fmt::format(
            "Removed '{}': hpvmclone -b (pid {}) made it and was killed before it finished.",
            f.path, dead.pid));
      }
    }
    avio::forget_created_files(dead);
  }
}

} // namespace

Report clone_guest(Store& store, const CloneRequest& r) {
  if (auto problem = guest_name_problem(r.name)) {
    throw hpvm::Refused({fmt::format("Invalid {}.", *problem)}, k_refused, r.source);
  }
  std::set<std::string> created;    // target files this command made
  std::vector<std::string> cleaned; // what killed runs left, removed
  try {
    std::vector<StorageCopy> copied;
    if (!r.copies.empty()) {
      {
        // Check everything (making the new target files) before any copy.
        Store::WriteTransaction tx(store);
        remove_files_of_killed_runs(store, cleaned);
        // Each target file is recorded as it is made (create_target).
        ClonePlan plan = plan_clone(store, r, &created, created);
        if (!plan.errors.empty()) {
          throw hpvm::Refused(std::move(plan.errors), k_refused, r.source);
        }
        if (r.check_only) {
          remove_files(store.root(), created);
          plan.warnings.insert(plan.warnings.begin(), cleaned.begin(), cleaned.end());
          return Report{std::move(plan.warnings)};
        }
        copied = plan.copies;
      } // the lock is released while the data is copied
      for (const auto& c : copied) {
        // The checks above held the lock; the copy does not. What the two
        // paths are now is what gets read and overwritten.
        std::vector<std::string> problems;
        std::vector<std::string> warnings;
        admit_guarded(store, c.from, avio::probe(c.from), r.force, problems, warnings);
        admit_guarded(store, c.to, avio::probe(c.to), r.force, problems, warnings);
        if (!problems.empty()) {
          throw hpvm::Refused(std::move(problems), k_refused, r.source);
        }
        if (r.observer != nullptr) {
          r.observer->started(c.from, c.to, avio::storage_size(c.from));
        }
        avio::copy_storage(c.from, c.to, [&](std::uint64_t done, std::uint64_t total) {
          if (r.observer != nullptr) {
            r.observer->progress(done, total);
          }
        });
        if (r.observer != nullptr) {
          r.observer->finished(c.from, c.to);
        }
      }
    }
    Store::WriteTransaction tx(store);
    ClonePlan plan = plan_clone(store, r, nullptr, created);
    if (plan.errors.empty() && plan.copies != copied) {
      plan.errors.emplace_back("The source guest's storage changed while it was copied; nothing "
                               "was cloned.");
    }
    if (!plan.errors.empty()) {
      throw hpvm::Refused(std::move(plan.errors), k_refused, r.source);
    }
    Report report{std::move(cleaned)};
    report.warnings.insert(report.warnings.end(), plan.warnings.begin(), plan.warnings.end());
    if (r.check_only) {
      return report;
    }
    remove_leftover_run_dirs(store); // before the clone is in, as hpvmcreate does
    Guest& clone = plan.clone;
    clone.vm_number = store.next_vm_number();
    clone.uuid = new_uuid();
    store.insert_guest(clone, plan.storage_identities);
    VswitchStore(store).set_nic_ports(clone.name, clone.networks, plan.vswitch_ports);
    update_device_dependents(store, clone.name, clone, nullptr);
    try {
      make_run_dir(store.root(), clone);
      tx.commit();
    } catch (...) {
      remove_run_dir(store.root(), clone);
      throw;
    }
    avio::forget_created_files(store.root()); // the clone's own files now
    return report;
  } catch (...) {
    remove_files(store.root(), created);
    throw;
  }
}

} // namespace vmconfig
