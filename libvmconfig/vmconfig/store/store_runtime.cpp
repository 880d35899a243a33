#include "vmconfig/store/store_runtime.hpp"

#include <SQLiteCpp/Statement.h>

namespace vmconfig {

std::vector<GuestRef> guests_using_storage(Store& store, const std::string& identity,
                                           std::int64_t except_guest_id) {
  SQLite::Statement q(store.database(),
                      "SELECT DISTINCT g.name, g.uuid FROM storage_devices s "
                      "JOIN guests g ON g.id = s.guest_id "
                      "WHERE s.identity = ? AND s.guest_id != ? ORDER BY g.vm_number");
  q.bind(1, identity);
  q.bind(2, except_guest_id);
  std::vector<GuestRef> out;
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString()});
  }
  return out;
}

bool storage_shared(Store& store, const std::string& identity) {
  SQLite::Statement q(store.database(),
                      "SELECT 1 FROM devdb_entries e JOIN devdb_attributes a ON a.entry_id = e.id "
                      "WHERE e.type = 'gdev' AND e.identity = ? AND a.name = 'SHARE' "
                      "AND upper(a.value) = 'YES'");
  q.bind(1, identity);
  return q.executeStep();
}

bool storage_restricted(Store& store, const std::string& path, const std::string& identity) {
  SQLite::Statement q(store.database(), "SELECT 1 FROM devdb_entries WHERE type = 'rdev' "
                                        "AND (name = ? OR (identity != '' AND identity = ?))");
  q.bind(1, path);
  q.bind(2, identity);
  return q.executeStep();
}

} // namespace vmconfig
