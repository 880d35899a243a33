#include "vmconfig/store_modify.hpp"

#include "vmconfig/planner.hpp"
#include "vmconfig/store.hpp"

#include <SQLiteCpp/Statement.h>

#include <set>

namespace vmconfig {

void update_guest(Store& store, const Guest& g,
                  const std::vector<std::string>& storage_identities) {
  auto& db = store.database();
  SQLite::Statement q(db, "UPDATE guests SET name = ?, os_type = ?, os_version = ?, vcpus = ?, "
                          "entitlement_cycles = ?, entitlement_min = ?, entitlement_max = ?, "
                          "memory_mb = ?, label = ?, start_auto = ?, runnable = ?, modifiable = ?, "
                          "visible = ? WHERE id = ?");
  q.bind(1, g.name);
  q.bind(2, g.os_type);
  q.bind(3, g.os_version);
  q.bind(4, g.vcpus);
  q.bind(5, g.entitlement.cycles ? 1 : 0);
  q.bind(6, g.entitlement.minimum);
  q.bind(7, g.entitlement.maximum);
  q.bind(8, static_cast<std::int64_t>(g.memory_mb));
  q.bind(9, g.label);
  q.bind(10, g.start == StartAttr::automatic ? 1 : 0);
  q.bind(11, g.runnable ? 1 : 0);
  q.bind(12, g.modifiable ? 1 : 0);
  q.bind(13, g.visible ? 1 : 0);
  q.bind(14, g.id);
  q.exec();
  for (const char* table :
       {"storage_devices", "network_devices", "guest_extended", "guest_access"}) {
    // `table` is one of our own table names, never user text.
    SQLite::Statement del(db, std::string("DELETE FROM ") + table + " WHERE guest_id = ?");
    del.bind(1, g.id);
    del.exec();
  }
  store.insert_guest_details(g, storage_identities);
}

void sync_gdev_dependents(Store& store, const std::string& old_name, const Guest& guest,
                          const std::vector<std::string>& storage_identities) {
  auto& db = store.database();
  if (old_name != guest.name) {
    SQLite::Statement rename(db,
                             "UPDATE OR REPLACE devdb_dependents SET guest = ? WHERE guest = ?");
    rename.bind(1, guest.name);
    rename.bind(2, old_name);
    rename.exec();
  }
  std::set<std::string> used;
  for (std::size_t i = 0; i < guest.storage.size(); ++i) {
    const auto& d = guest.storage[i];
    if (!d.location.empty()) {
      store.add_gdev_dependent(d.location, devtype_of(d.storage), storage_identities[i],
                               guest.name);
      used.insert(d.location);
    }
  }
  SQLite::Statement mine(db, "SELECT e.id, e.name FROM devdb_dependents d JOIN devdb_entries e "
                             "ON e.id = d.entry_id WHERE e.type = 'gdev' AND d.guest = ?");
  mine.bind(1, guest.name);
  std::vector<std::int64_t> stale;
  while (mine.executeStep()) {
    if (used.count(mine.getColumn(1).getString()) == 0) {
      stale.push_back(mine.getColumn(0).getInt64());
    }
  }
  SQLite::Statement drop(db, "DELETE FROM devdb_dependents WHERE entry_id = ? AND guest = ?");
  SQLite::Statement orphan(db, "DELETE FROM devdb_entries WHERE id = ? "
                               "AND id NOT IN (SELECT entry_id FROM devdb_dependents) "
                               "AND id NOT IN (SELECT entry_id FROM devdb_attributes "
                               "WHERE name = 'PRESERVE' AND value = 'YES')");
  for (const auto id : stale) {
    drop.reset();
    drop.bind(1, id);
    drop.bind(2, guest.name);
    drop.exec();
    orphan.reset();
    orphan.bind(1, id);
    orphan.exec();
  }
}

bool gdev_shared(Store& store, const std::string& identity) {
  SQLite::Statement q(store.database(),
                      "SELECT 1 FROM devdb_entries e JOIN devdb_attributes a ON a.entry_id = e.id "
                      "WHERE e.type = 'gdev' AND e.identity = ? AND a.name = 'SHARE' "
                      "AND a.value = 'YES'");
  q.bind(1, identity);
  return q.executeStep();
}

std::optional<std::string> storage_user(Store& store, const std::string& identity,
                                        const std::string& except) {
  SQLite::Statement q(store.database(),
                      "SELECT g.name FROM storage_devices s JOIN guests g ON g.id = s.guest_id "
                      "WHERE s.identity = ? AND g.name <> ? ORDER BY g.vm_number LIMIT 1");
  q.bind(1, identity);
  q.bind(2, except);
  if (!q.executeStep()) {
    return std::nullopt;
  }
  return q.getColumn(0).getString();
}

} // namespace vmconfig
