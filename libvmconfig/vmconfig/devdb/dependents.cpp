#include "vmconfig/devdb/dependents.hpp"

#include "vmconfig/model/devdb_entry.hpp"
#include "vmconfig/model/grammar.hpp"
#include "vmconfig/model/guest.hpp"
#include "vmconfig/store/store_devdb.hpp"

#include <avio/backing.hpp>
#include <avio/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace vmconfig {

namespace {

// Removes `guest` from `entry`; deletes the entry if that was its last
// dependent and it is not PRESERVE=YES.
void release(Store& store, const DevEntry& entry, const std::string& guest) {
  devdb_store::delete_dependent(store, entry.id, guest);
  const bool last = entry.dependents.size() == 1 && entry.dependents.front() == guest;
  if (last && entry.type == EntryType::gdev && !entry.attribute_is("PRESERVE", "YES")) {
    devdb_store::delete_entry(store, entry.id);
  }
}

// Gives the backing store of `use` its gdev entry, with `guest` a dependent.
void attach_dependent(Store& store, const std::string& guest, const devdb_store::StorageUse& use) {
  auto entry = devdb_store::find_entry(store, EntryType::gdev, use.location);
  if (!entry) {
    entry = devdb_store::find_by_identity(store, EntryType::gdev, use.identity);
  }
  if (!entry) {
    DevEntry e;
    e.type = EntryType::gdev;
    e.name = use.location;
    e.identity = use.identity;
    e.unique_id = avio::unique_id(avio::probe(use.location));
    const auto storage = storage_type_from(use.storage_type);
    // A DVD image is read-only media: shareable from the start (SHARE=NO
    // keeps it to one guest); anything writable is shared only deliberately.
    const bool dvd_image = use.device_type == "dvd" && use.storage_type == "file";
    e.attributes = {{"DEVTYPE", storage ? devtype_of(*storage) : std::string("DISK")},
                    {"SHARE", dvd_image ? "YES" : "NO"}};
    devdb_store::insert_entry(store, e);
    entry = std::move(e);
  } else if (!entry->named(use.location)) {
    // Another path to the same host entity: one entry, one more name.
    auto aliases = entry->aliases;
    aliases.push_back(use.location);
    devdb_store::set_names(store, entry->id, entry->name, aliases);
  }
  devdb_store::add_dependent(store, entry->id, guest);
}

} // namespace

void sync_guest_dependents(Store& store, const Guest& guest, const Guest* before) {
  // The backing stores `before` had kept their entries: only new ones are
  // looked up (a handful of queries each, most of a hot-add's database time).
  std::set<std::string> kept;
  if (before != nullptr) {
    for (const auto& d : before->storage) {
      kept.insert(d.location);
    }
  }
  const auto uses = devdb_store::storage_uses(store, guest.name);
  for (const auto& use : uses) {
    if (!kept.contains(use.location)) {
      attach_dependent(store, guest.name, use);
    }
  }
  // Only a backing store the guest no longer uses can release an entry.
  if (before != nullptr && std::all_of(kept.begin(), kept.end(), [&](const std::string& location) {
        return std::any_of(uses.begin(), uses.end(),
                           [&](const auto& use) { return use.location == location; });
      })) {
    return;
  }
  // An entry still names one of the guest's backing stores (by path or by
  // host entity) or loses the guest.
  for (const auto& entry : devdb_store::entries_of_dependent(store, guest.name)) {
    const bool used = std::any_of(uses.begin(), uses.end(), [&](const auto& use) {
      return entry.named(use.location) || (!use.identity.empty() && entry.identity == use.identity);
    });
    if (!used) {
      release(store, entry, guest.name);
    }
  }
}

void drop_guest_dependents(Store& store, const std::string& guest) {
  for (const auto& entry : devdb_store::entries_of_dependent(store, guest)) {
    release(store, entry, guest);
  }
}

void rename_dependent(Store& store, const std::string& old_name, const std::string& new_name) {
  devdb_store::rename_dependent(store, old_name, new_name);
}

} // namespace vmconfig
