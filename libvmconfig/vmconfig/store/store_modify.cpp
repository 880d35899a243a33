#include "vmconfig/store/store_modify.hpp"

#include "vmconfig/model/grammar.hpp"
#include "vmconfig/store/store.hpp"

#include <SQLiteCpp/Statement.h>

#include <algorithm>

namespace vmconfig {

namespace {

// The guests row's own columns (not its id, number or uuid, which never change).
bool same_characteristics(const Guest& a, const Guest& b) {
  return a.name == b.name && a.os_type == b.os_type && a.os_version == b.os_version &&
         a.vcpus == b.vcpus && a.entitlement == b.entitlement && a.memory_mb == b.memory_mb &&
         a.label == b.label && a.start == b.start && a.runnable == b.runnable &&
         a.modifiable == b.modifiable && a.visible == b.visible;
}

void update_characteristics(Store& store, const Guest& g) {
  auto q = store.statement("UPDATE guests SET name = ?, os_type = ?, os_version = ?, vcpus = ?, "
                           "entitlement_cycles = ?, entitlement_min = ?, entitlement_max = ?, "
                           "memory_mb = ?, label = ?, start_auto = ?, runnable = ?, "
                           "modifiable = ?, visible = ? WHERE id = ?");
  q->bind(1, g.name);
  q->bind(2, g.os_type);
  q->bind(3, g.os_version);
  q->bind(4, g.vcpus);
  q->bind(5, g.entitlement.cycles ? 1 : 0);
  q->bind(6, g.entitlement.minimum);
  q->bind(7, g.entitlement.maximum);
  q->bind(8, static_cast<std::int64_t>(g.memory_mb));
  q->bind(9, g.label);
  q->bind(10, g.start == StartAttr::automatic ? 1 : 0);
  q->bind(11, g.runnable ? 1 : 0);
  q->bind(12, g.modifiable ? 1 : 0);
  q->bind(13, g.visible ? 1 : 0);
  q->bind(14, g.id);
  q->exec();
}

void delete_storage_device(Store& store, const Guest& g, const avio::StorageAddress& a) {
  auto q = store.statement("DELETE FROM storage_devices WHERE guest_id = ? AND bus = ? AND "
                           "slot = ? AND target = ?");
  q->bind(1, g.id);
  q->bind(2, a.bus);
  q->bind(3, a.slot);
  q->bind(4, a.target);
  q->exec();
}

// Writes the row of a device kept at its address only if something in it
// changed (its backing store, type, or the identity of what backs it).
void update_storage_device(Store& store, const Guest& g, const StorageDevice& d,
                           const std::string& identity) {
  auto q = store.statement(
      "UPDATE storage_devices SET device_type = ?5, adapter_type = ?6, storage_type = ?7, "
      "location = ?8, identity = ?9 WHERE guest_id = ?1 AND bus = ?2 AND slot = ?3 AND "
      "target = ?4 AND (device_type, adapter_type, storage_type, location, identity) IS NOT "
      "(?5, ?6, ?7, ?8, ?9)");
  q->bind(1, g.id);
  q->bind(2, d.address.bus);
  q->bind(3, d.address.slot);
  q->bind(4, d.address.target);
  q->bind(5, std::string(to_string(d.device)));
  q->bind(6, std::string(to_string(d.adapter)));
  q->bind(7, std::string(to_string(d.storage)));
  q->bind(8, d.location);
  q->bind(9, identity);
  q->exec();
}

void delete_rows(Store& store, const char* table, const Guest& g) {
  // `table` is one of our own table names, never user text.
  auto q = store.statement(std::string("DELETE FROM ") + table + " WHERE guest_id = ?");
  q->bind(1, g.id);
  q->exec();
}

} // namespace

void update_guest(Store& store, const Guest& stored, const Guest& g,
                  const std::vector<std::string>& storage_identities) {
  if (!same_characteristics(stored, g)) {
    update_characteristics(store, g);
  }
  const auto holds = [](const std::vector<StorageDevice>& devices, const avio::StorageAddress& a) {
    return std::any_of(devices.begin(), devices.end(),
                       [&](const StorageDevice& d) { return d.address == a; });
  };
  for (const auto& d : stored.storage) {
    if (!holds(g.storage, d.address)) {
      delete_storage_device(store, g, d.address);
    }
  }
  for (std::size_t i = 0; i < g.storage.size(); ++i) {
    const auto& d = g.storage[i];
    const std::string identity =
        i < storage_identities.size() ? storage_identities[i] : std::string();
    if (holds(stored.storage, d.address)) {
      update_storage_device(store, g, d, identity);
    } else {
      store.insert_storage_device(g, d, identity);
    }
  }
  // vNICs, -x keywords and console access change seldom and as a whole: their
  // rows are written again (a vNIC's MAC is unique, so rows updated in place
  // one by one could collide while two vNICs swap MACs).
  if (stored.networks != g.networks) {
    delete_rows(store, "network_devices", g);
    store.insert_networks(g);
  }
  if (stored.extended != g.extended) {
    delete_rows(store, "guest_extended", g);
    store.insert_extended(g);
  }
  if (stored.access != g.access) {
    delete_rows(store, "guest_access", g);
    store.insert_access(g);
  }
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
