// The device database's SQL (devdb_entries, devdb_aliases,
// devdb_attributes, devdb_dependents) and the storage_devices queries the
// device rules need. Callers hold a Store::WriteTransaction for writes.
#pragma once

#include "vmconfig/model/devdb_entry.hpp"
#include "vmconfig/store/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace vmconfig::devdb_store {

// Entries of one type (every type when nullopt), ordered by type then name,
// with aliases, attributes and dependents.
std::vector<DevEntry> load_entries(Store& store, std::optional<EntryType> type = std::nullopt);
// The entry of `type` with this name or alias.
std::optional<DevEntry> find_entry(Store& store, EntryType type, const std::string& name);
// The entry of `type` for this host identity.
std::optional<DevEntry> find_by_identity(Store& store, EntryType type, const std::string& identity);
// The entries `guest` depends on.
std::vector<DevEntry> entries_of_dependent(Store& store, const std::string& guest);

// Inserts the entry with its aliases, attributes and dependents; sets entry.id.
void insert_entry(Store& store, DevEntry& entry);
void delete_entry(Store& store, std::int64_t id);
void set_names(Store& store, std::int64_t id, const std::string& name,
               const std::vector<std::string>& aliases);
void set_host_identity(Store& store, std::int64_t id, const std::string& identity,
                       const std::string& unique_id);
// Sets (replacing, keeping its place) or appends an attribute.
void set_attribute(Store& store, std::int64_t id, const Attribute& attribute);
void delete_attribute(Store& store, std::int64_t id, const std::string& name);
void add_dependent(Store& store, std::int64_t id, const std::string& guest);
void delete_dependent(Store& store, std::int64_t id, const std::string& guest);
void rename_dependent(Store& store, const std::string& old_name, const std::string& new_name);

// A guest's storage device as the rules and -n/-r see it.
struct StorageUse {
  std::string guest;
  std::string device_type;  // disk, dvd, ...
  std::string storage_type; // disk, lv, file, ...
  std::string location;
  std::string identity;
  std::int64_t row_id = 0;
};
// Devices of guests other than `except` backed by this host identity.
std::vector<StorageUse> storage_with_identity(Store& store, const std::string& identity,
                                              const std::string& except);
// Every guest's devices that have a backing store (of one guest when given).
std::vector<StorageUse> storage_uses(Store& store, const std::optional<std::string>& guest = {});
// Points one storage device at another backing store.
void set_storage_location(Store& store, std::int64_t row_id, const std::string& location,
                          const std::string& identity);

} // namespace vmconfig::devdb_store
