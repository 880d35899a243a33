#include "vmconfig/ops/host_rdevs.hpp"

#include "vmconfig/ops/devdb_operations.hpp"
#include "vmconfig/store/store_devdb.hpp"

#include <avio/backing.hpp>
#include <avio/error.hpp>
#include <avio/host.hpp>
#include <avio/host_usage.hpp>
#include <avio/layout.hpp>

#include <fmt/format.h>

#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace vmconfig {

namespace {

// The rdev entries as -l lines, for -r.
void back_up_rdevs(Store& store) {
  std::string text;
  for (const auto& e : devdb_store::load_entries(store, EntryType::rdev)) {
    text += format_entry(e, true) + "\n";
  }
  avio::write_file_atomically(avio::layout::host_rdev_backup(store.root()), text);
}

// Deletes hpvmhostrdev's own rdev entries (AUTORDEV=YES) for which `gone`
// holds; hand-made entries are never touched.
template <class Predicate>
void drop_own_rdevs(Store& store, HostRdevChanges& changes, Predicate gone) {
  for (const auto& e : devdb_store::load_entries(store, EntryType::rdev)) {
    if (e.attribute_is("AUTORDEV", "YES") && gone(e)) {
      devdb_store::delete_entry(store, e.id);
      changes.removed.push_back(e.name);
    }
  }
}

} // namespace

HostRdevChanges update_host_rdevs(Store& store, bool rescan) {
  HostRdevChanges changes;
  if (rescan) {
    avio::rescan_scsi_hosts();
  }
  const auto in_use = avio::host_storage_in_use();
  Store::WriteTransaction tx(store);
  back_up_rdevs(store);
  std::set<std::string> current;
  for (const auto& use : in_use) {
    const auto entity = avio::probe(use.path);
    current.insert(entity.identity);
    auto existing = devdb_store::find_entry(store, EntryType::rdev, use.path);
    if (!existing) {
      existing = devdb_store::find_by_identity(store, EntryType::rdev, entity.identity);
    }
    if (existing) {
      continue; // already restricted, by hand or by an earlier run
    }
    DevEntry e;
    e.type = EntryType::rdev;
    e.name = use.path;
    e.aliases = use.aliases;
    e.identity = entity.identity;
    e.unique_id = avio::unique_id(entity);
    e.attributes = {{"DEVTYPE", devtype_of(entity.kind).empty() ? "DISK" : devtype_of(entity.kind)},
                    {"SHARE", "NO"},
                    {"AUTORDEV", "YES"}};
    devdb_store::insert_entry(store, e);
    changes.added.push_back(use.path);
    for (const auto& g : devdb_store::storage_with_identity(store, entity.identity, "")) {
      changes.warnings.push_back(fmt::format("Guest '{}' uses '{}', which the host uses ({}).",
                                             g.guest, g.location, use.reason));
    }
  }
  drop_own_rdevs(store, changes, [&](const DevEntry& e) {
    return current.count(e.identity) == 0 && current.count(avio::probe(e.name).identity) == 0;
  });
  tx.commit();
  return changes;
}

HostRdevChanges delete_host_rdevs(Store& store) {
  HostRdevChanges changes;
  Store::WriteTransaction tx(store);
  back_up_rdevs(store);
  drop_own_rdevs(store, changes, [](const DevEntry&) { return true; });
  tx.commit();
  return changes;
}

HostRdevChanges restore_host_rdevs(Store& store) {
  HostRdevChanges changes;
  const auto backup = avio::read_file(avio::layout::host_rdev_backup(store.root()));
  if (!backup) {
    throw hpvm::Error("There is no backup to restore: hpvmhostrdev has not changed the database.");
  }
  std::istringstream in(*backup);
  std::vector<DevEntry> saved;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      saved.push_back(parse_entry_line(line));
    }
  }
  // Only hpvmhostrdev's own entries change; hand-made ones are left alone.
  Store::WriteTransaction tx(store);
  drop_own_rdevs(store, changes, [](const DevEntry&) { return true; });
  for (auto& e : saved) {
    if (e.type != EntryType::rdev || !e.attribute_is("AUTORDEV", "YES") ||
        devdb_store::find_entry(store, EntryType::rdev, e.name)) {
      continue;
    }
    e.identity = avio::probe(e.name).identity;
    e.dependents.clear();
    devdb_store::insert_entry(store, e);
    changes.added.push_back(e.name);
  }
  tx.commit();
  return changes;
}

void set_host_rdev_autorun(const fs::path& root, bool enabled) {
  avio::write_file_atomically(avio::layout::host_rdev_autorun(root),
                              enabled ? "enabled\n" : "disabled\n");
}

bool host_rdev_autorun(const fs::path& root) {
  std::istringstream in(avio::read_file(avio::layout::host_rdev_autorun(root)).value_or(""));
  std::string word;
  return !(in >> word) || word != "disabled"; // enabled unless turned off, as HPVM
}

std::optional<HostRdevChanges> update_host_rdevs_at_start(Store& store) {
  if (!host_rdev_autorun(store.root())) {
    return std::nullopt;
  }
  return update_host_rdevs(store, false);
}

} // namespace vmconfig
