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
