#include "vmconfig/store/store_devdb.hpp"

#include <SQLiteCpp/Statement.h>

#include <unordered_map>

namespace vmconfig::devdb_store {

namespace {

constexpr const char* k_entry_columns = "id, type, name, identity, unique_id";

DevEntry read_entry_row(SQLite::Statement& q) {
  DevEntry e;
  e.id = q.getColumn(0).getInt64();
  e.type = *entry_type_from(q.getColumn(1).getString());
  e.name = q.getColumn(2).getString();
  e.identity = q.getColumn(3).getString();
  e.unique_id = q.getColumn(4).getString();
  return e;
}

// Fills aliases, attributes and dependents of `entries`: a few entries (a
// lookup by name, identity or dependent) with indexed queries per entry, so
// their cost does not grow with the database; many (a listing) with three
// whole-table reads.
void load_details(Store& store, std::vector<DevEntry>& entries) {
  if (entries.empty()) {
    return;
  }
  constexpr std::size_t k_few = 32;
  if (entries.size() <= k_few) {
    auto a = store.statement("SELECT alias FROM devdb_aliases WHERE entry_id = ? ORDER BY seq");
    auto t =
        store.statement("SELECT name, value FROM devdb_attributes WHERE entry_id = ? ORDER BY seq");
    auto d =
        store.statement("SELECT guest FROM devdb_dependents WHERE entry_id = ? ORDER BY guest");
    for (auto& e : entries) {
      a->reset();
      a->bind(1, e.id);
      while (a->executeStep()) {
        e.aliases.push_back(a->getColumn(0).getString());
      }
      t->reset();
      t->bind(1, e.id);
      while (t->executeStep()) {
        e.attributes.push_back({t->getColumn(0).getString(), t->getColumn(1).getString()});
      }
      d->reset();
      d->bind(1, e.id);
      while (d->executeStep()) {
        e.dependents.push_back(d->getColumn(0).getString());
      }
    }
    return;
  }
  auto& db = store.database();
  std::unordered_map<std::int64_t, DevEntry*> by_id;
  for (auto& e : entries) {
    by_id[e.id] = &e;
  }
  SQLite::Statement a(db, "SELECT entry_id, alias FROM devdb_aliases ORDER BY entry_id, seq");
  while (a.executeStep()) {
    if (auto it = by_id.find(a.getColumn(0).getInt64()); it != by_id.end()) {
      it->second->aliases.push_back(a.getColumn(1).getString());
    }
  }
  SQLite::Statement t(db,
                      "SELECT entry_id, name, value FROM devdb_attributes ORDER BY entry_id, seq");
  while (t.executeStep()) {
    if (auto it = by_id.find(t.getColumn(0).getInt64()); it != by_id.end()) {
      it->second->attributes.push_back({t.getColumn(1).getString(), t.getColumn(2).getString()});
    }
  }
  SQLite::Statement d(db, "SELECT entry_id, guest FROM devdb_dependents ORDER BY entry_id, guest");
  while (d.executeStep()) {
    if (auto it = by_id.find(d.getColumn(0).getInt64()); it != by_id.end()) {
      it->second->dependents.push_back(d.getColumn(1).getString());
    }
  }
}

std::vector<DevEntry> query_entries(Store& store, const std::string& where,
                                    const std::vector<std::string>& params) {
  std::vector<DevEntry> out;
  {
    auto q =
        store.statement(std::string("SELECT ") + k_entry_columns + " FROM devdb_entries " + where +
                        " ORDER BY CASE type WHEN 'server' THEN 0 WHEN 'env' THEN 1 "
                        "WHEN 'rdev' THEN 2 ELSE 3 END, name");
    for (std::size_t i = 0; i < params.size(); ++i) {
      q->bind(static_cast<int>(i + 1), params[i]);
    }
    while (q->executeStep()) {
      out.push_back(read_entry_row(*q));
    }
  }
  load_details(store, out);
  return out;
}

std::optional<DevEntry> first(std::vector<DevEntry> entries) {
  if (entries.empty()) {
    return std::nullopt;
  }
  return std::move(entries.front());
}

void insert_aliases(Store& store, std::int64_t id, const std::vector<std::string>& aliases) {
  if (aliases.empty()) {
    return;
  }
  auto ins = store.statement("INSERT OR IGNORE INTO devdb_aliases (entry_id, seq, alias) "
                             "VALUES (?, ?, ?)");
  int seq = 0;
  for (const auto& alias : aliases) {
    ins->reset();
    ins->bind(1, id);
    ins->bind(2, seq++);
    ins->bind(3, alias);
    ins->exec();
  }
}

} // namespace

std::vector<DevEntry> load_entries(Store& store, std::optional<EntryType> type) {
  if (!type) {
    return query_entries(store, "", {});
  }
  return query_entries(store, "WHERE type = ?", {std::string(to_string(*type))});
}

std::optional<DevEntry> find_entry(Store& store, EntryType type, const std::string& name) {
  return first(query_entries(store,
                             // Two indexed lookups, then the rows by id ("+type": not by
                             // the type index, which would visit every entry of the type).
                             "WHERE id IN (SELECT id FROM devdb_entries WHERE type = ?1 AND "
                             "name = ?2 UNION SELECT entry_id FROM devdb_aliases WHERE alias = ?2) "
                             "AND +type = ?1",
                             {std::string(to_string(type)), name}));
}

std::optional<DevEntry> find_by_identity(Store& store, EntryType type,
                                         const std::string& identity) {
  if (identity.empty()) {
    return std::nullopt;
  }
  return first(query_entries(store, "WHERE type = ? AND identity = ?",
                             {std::string(to_string(type)), identity}));
}

std::vector<DevEntry> entries_of_dependent(Store& store, const std::string& guest) {
  return query_entries(store, "WHERE id IN (SELECT entry_id FROM devdb_dependents WHERE guest = ?)",
                       {guest});
}

void insert_entry(Store& store, DevEntry& entry) {
  auto q = store.statement(
      "INSERT INTO devdb_entries (type, name, identity, unique_id) VALUES (?, ?, ?, ?)");
  q->bind(1, std::string(to_string(entry.type)));
  q->bind(2, entry.name);
  q->bind(3, entry.identity);
  q->bind(4, entry.unique_id);
  q->exec();
  entry.id = store.database().getLastInsertRowid();
  insert_aliases(store, entry.id, entry.aliases); // a new entry: no old aliases to drop
  for (const auto& a : entry.attributes) {
    set_attribute(store, entry.id, a);
  }
  for (const auto& d : entry.dependents) {
    add_dependent(store, entry.id, d);
  }
}

void delete_entry(Store& store, std::int64_t id) {
  SQLite::Statement q(store.database(), "DELETE FROM devdb_entries WHERE id = ?");
  q.bind(1, id);
  q.exec();
}

void set_names(Store& store, std::int64_t id, const std::string& name,
               const std::vector<std::string>& aliases) {
  auto n = store.statement("UPDATE devdb_entries SET name = ? WHERE id = ?");
  n->bind(1, name);
  n->bind(2, id);
  n->exec();
  auto del = store.statement("DELETE FROM devdb_aliases WHERE entry_id = ?");
  del->bind(1, id);
  del->exec();
  insert_aliases(store, id, aliases);
}

void set_host_identity(Store& store, std::int64_t id, const std::string& identity,
                       const std::string& unique_id) {
  SQLite::Statement q(store.database(),
                      "UPDATE devdb_entries SET identity = ?, unique_id = ? WHERE id = ?");
  q.bind(1, identity);
  q.bind(2, unique_id);
  q.bind(3, id);
  q.exec();
}

void set_attribute(Store& store, std::int64_t id, const Attribute& attribute) {
  auto upd =
      store.statement("UPDATE devdb_attributes SET value = ? WHERE entry_id = ? AND name = ?");
  upd->bind(1, attribute.value);
  upd->bind(2, id);
  upd->bind(3, attribute.name);
  if (upd->exec() > 0) {
    return;
  }
  auto ins = store.statement("INSERT INTO devdb_attributes (entry_id, seq, name, value) "
                             "VALUES (?1, (SELECT coalesce(max(seq), -1) + 1 FROM devdb_attributes "
                             "WHERE entry_id = ?1), ?2, ?3)");
  ins->bind(1, id);
  ins->bind(2, attribute.name);
  ins->bind(3, attribute.value);
  ins->exec();
}

void delete_attribute(Store& store, std::int64_t id, const std::string& name) {
  SQLite::Statement q(store.database(),
                      "DELETE FROM devdb_attributes WHERE entry_id = ? AND name = ?");
  q.bind(1, id);
  q.bind(2, name);
  q.exec();
}

void add_dependent(Store& store, std::int64_t id, const std::string& guest) {
  auto q =
      store.statement("INSERT OR IGNORE INTO devdb_dependents (entry_id, guest) VALUES (?, ?)");
  q->bind(1, id);
  q->bind(2, guest);
  q->exec();
}

void delete_dependent(Store& store, std::int64_t id, const std::string& guest) {
  SQLite::Statement q(store.database(),
                      "DELETE FROM devdb_dependents WHERE entry_id = ? AND guest = ?");
  q.bind(1, id);
  q.bind(2, guest);
  q.exec();
}

void rename_dependent(Store& store, const std::string& old_name, const std::string& new_name) {
  SQLite::Statement q(store.database(), "UPDATE devdb_dependents SET guest = ? WHERE guest = ?");
  q.bind(1, new_name);
  q.bind(2, old_name);
  q.exec();
}

namespace {

constexpr const char* k_use_query =
    "SELECT g.name, s.device_type, s.storage_type, s.location, s.identity, s.id "
    "FROM storage_devices s JOIN guests g ON g.id = s.guest_id ";

std::vector<StorageUse> read_uses(SQLite::Statement& q) {
  std::vector<StorageUse> out;
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                   q.getColumn(2).getString(), q.getColumn(3).getString(),
                   q.getColumn(4).getString(), q.getColumn(5).getInt64()});
  }
  return out;
}

} // namespace

std::vector<StorageUse> storage_with_identity(Store& store, const std::string& identity,
                                              const std::string& except) {
  SQLite::Statement q(store.database(),
                      std::string(k_use_query) +
                          "WHERE s.identity = ? AND g.name <> ? ORDER BY g.vm_number, s.bus, "
                          "s.slot, s.target");
  q.bind(1, identity);
  q.bind(2, except);
  return read_uses(q);
}

std::vector<StorageUse> storage_uses(Store& store, const std::optional<std::string>& guest) {
  // One guest's rows by the name index ("?1 IS NULL OR g.name = ?1" would
  // read every storage row of every guest).
  SQLite::Statement q(store.database(), std::string(k_use_query) +
                                            (guest ? "WHERE s.location <> '' AND g.name = ?1 "
                                                   : "WHERE s.location <> '' ") +
                                            "ORDER BY g.vm_number, s.bus, s.slot, s.target");
  if (guest) {
    q.bind(1, *guest);
  }
  return read_uses(q);
}

void set_storage_location(Store& store, std::int64_t row_id, const std::string& location,
                          const std::string& identity) {
  SQLite::Statement q(store.database(),
                      "UPDATE storage_devices SET location = ?, identity = ? WHERE id = ?");
  q.bind(1, location);
  q.bind(2, identity);
  q.bind(3, row_id);
  q.exec();
}

} // namespace vmconfig::devdb_store
