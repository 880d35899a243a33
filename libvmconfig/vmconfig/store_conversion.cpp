#include "vmconfig/store_conversion.hpp"

#include <SQLiteCpp/Statement.h>

namespace vmconfig {

void ConversionStore::save_undo(std::int64_t guest_id, const std::vector<std::string>& statements) {
  drop_undo(guest_id);
  SQLite::Statement insert(
      m_store.database(),
      "INSERT INTO avio_conversion_undo (guest_id, seq, statement) VALUES (?, ?, ?)");
  for (std::size_t i = 0; i < statements.size(); ++i) {
    insert.bind(1, guest_id);
    insert.bind(2, static_cast<std::int64_t>(i));
    insert.bind(3, statements[i]);
    insert.exec();
    insert.reset();
  }
}

std::vector<std::string> ConversionStore::undo(std::int64_t guest_id) {
  SQLite::Statement q(m_store.database(),
                      "SELECT statement FROM avio_conversion_undo WHERE guest_id = ? ORDER BY seq");
  q.bind(1, guest_id);
  std::vector<std::string> out;
  while (q.executeStep()) {
    out.push_back(q.getColumn(0).getString());
  }
  return out;
}

void ConversionStore::drop_undo(std::int64_t guest_id) {
  SQLite::Statement del(m_store.database(), "DELETE FROM avio_conversion_undo WHERE guest_id = ?");
  del.bind(1, guest_id);
  del.exec();
}

} // namespace vmconfig
