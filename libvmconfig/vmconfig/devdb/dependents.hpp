// Keeping gdev entries in step with guests -- the one call other operations
// make after they change a guest's storage:
//
//   sync_guest_dependents(store, guest[, before])
//     Call inside the caller's Store::WriteTransaction, after the guest's
//     storage_devices rows are written (hpvmcreate, hpvmmodify -a/-d/-m,
//     hpvmclone). It recomputes the guest's dependencies from those rows:
//     each backing store gets a gdev entry (one per host entity: another path
//     to the same disk or file becomes an alias of the existing entry) with
//     the guest as a dependent; entries the guest no longer uses lose it, and
//     an entry losing its last dependent is deleted unless PRESERVE=YES.
//     With `before` (hpvmmodify), only what changed from it is looked at.
//   drop_guest_dependents(store, name)    hpvmremove: as if it had no storage.
//   rename_dependent(store, old, new)     hpvmmodify -N.
//
// The rules every device given to a guest must pass are in devdb_rules.hpp;
// DevicePlanner applies them.
#pragma once

#include <string>

namespace vmconfig {

class Store;
struct Guest;

// `before`: the guest before a modification; its backing stores are taken
// to have their entries already, and entries are released only when one of
// them is gone (nullptr: every backing store is looked up, every entry the
// guest depends on checked).
void sync_guest_dependents(Store& store, const Guest& guest, const Guest* before = nullptr);
void drop_guest_dependents(Store& store, const std::string& guest);
void rename_dependent(Store& store, const std::string& old_name, const std::string& new_name);

} // namespace vmconfig
