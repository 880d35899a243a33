#include "vmconfig/store/store_conversion.hpp"

#include <SQLiteCpp/Statement.h>

namespace vmconfig {

namespace {

void insert_devices(SQLite::Database& db, std::int64_t guest_id, const char* phase,
                    const std::vector<std::string>& statements) {
  SQLite::Statement insert(db, "INSERT INTO avio_conversion_devices (guest_id, phase, seq, "
                               "statement) VALUES (?, ?, ?, ?)");
  for (std::size_t i = 0; i < statements.size(); ++i) {
    insert.bind(1, guest_id);
    insert.bind(2, phase);
    insert.bind(3, static_cast<std::int64_t>(i));
    insert.bind(4, statements[i]);
    insert.exec();
    insert.reset();
  }
}

std::vector<std::string> devices(SQLite::Database& db, std::int64_t guest_id, const char* phase) {
  SQLite::Statement q(db, "SELECT statement FROM avio_conversion_devices WHERE guest_id = ? AND "
                          "phase = ? ORDER BY seq");
  q.bind(1, guest_id);
  q.bind(2, phase);
  std::vector<std::string> out;
  while (q.executeStep()) {
    out.push_back(q.getColumn(0).getString());
  }
  return out;
}

} // namespace

void ConversionStore::save(std::int64_t guest_id, const ConversionRecord& record) {
  drop(guest_id);
  SQLite::Statement insert(
      m_store.database(),
      "INSERT INTO avio_conversion_undo (guest_id, seq, statement) VALUES (?, ?, ?)");
  for (std::size_t i = 0; i < record.undo.size(); ++i) {
    insert.bind(1, guest_id);
    insert.bind(2, static_cast<std::int64_t>(i));
    insert.bind(3, record.undo[i]);
    insert.exec();
    insert.reset();
  }
  insert_devices(m_store.database(), guest_id, "before", record.before);
  insert_devices(m_store.database(), guest_id, "after", record.after);
}

ConversionRecord ConversionStore::record(std::int64_t guest_id) {
  ConversionRecord out;
  SQLite::Statement q(m_store.database(),
                      "SELECT statement FROM avio_conversion_undo WHERE guest_id = ? ORDER BY seq");
  q.bind(1, guest_id);
  while (q.executeStep()) {
    out.undo.push_back(q.getColumn(0).getString());
  }
  out.before = devices(m_store.database(), guest_id, "before");
  out.after = devices(m_store.database(), guest_id, "after");
  return out;
}

void ConversionStore::drop(std::int64_t guest_id) {
  for (const char* sql : {"DELETE FROM avio_conversion_undo WHERE guest_id = ?",
                          "DELETE FROM avio_conversion_devices WHERE guest_id = ?"}) {
    SQLite::Statement del(m_store.database(), sql);
    del.bind(1, guest_id);
    del.exec();
  }
}

} // namespace vmconfig
