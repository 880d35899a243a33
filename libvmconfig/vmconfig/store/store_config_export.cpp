// Each guest's configuration file (vmm_config.current, model/guest_config.hpp),
// written from the one place every change passes: Store::WriteTransaction's
// commit. SQLite's pre-update hook notes which guests a transaction changes
// (temporary triggers did it before: creating them cost each write command
// about a fifth of its time); the commit drafts their files, commits, then
// moves the drafts into place.
// SQLITE_ENABLE_PREUPDATE_HOOK declares the hook: Debian's SQLite has it
// (tests/unit/vmconfig/store/test_store_config_export.cpp checks it works).
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include "vmconfig/model/guest_config.hpp"
#include "vmconfig/store/store.hpp"

#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include <sqlite3.h>

#include <array>
#include <cstring>
#include <exception>

namespace vmconfig {

namespace {

// The tables a guest's configuration file is made from, and where each row
// names its guest: the rowid of `guests`, the guest_id column elsewhere (its
// place in the row; columns added later go after it). A change of a
// host-local column (runnable, a vNIC's held port, a backing store's
// identity) also marks its guest: staging finds the same file and writes
// nothing.
struct Tracked {
  const char* table;
  int guest_id_column; // -1: the rowid
};
constexpr std::array<Tracked, 5> k_tracked{{
    {"guests", -1},
    {"storage_devices", 1},
    {"network_devices", 1},
    {"guest_extended", 0},
    {"guest_access", 0},
}};

// The guest_id column of a tracked table (-1: its rowid), or -2.
int tracked_guest_column(const char* table) {
  for (const auto& t : k_tracked) {
    if (std::strcmp(t.table, table) == 0) {
      return t.guest_id_column;
    }
  }
  return -2;
}

} // namespace

void Store::note_changed_row(void* store, sqlite3* db, int op, const char* db_name,
                             const char* table, long long old_rowid, long long new_rowid) {
  if (std::strcmp(db_name, "main") != 0) {
    return;
  }
  const int column = tracked_guest_column(table);
  if (column == -2) {
    return;
  }
  auto& changed = static_cast<Store*>(store)->m_changed_guests;
  if (column == -1) {
    if (op != SQLITE_INSERT) {
      changed.insert(old_rowid);
    }
    if (op != SQLITE_DELETE) {
      changed.insert(new_rowid);
    }
    return;
  }
  sqlite3_value* value = nullptr;
  if (op != SQLITE_INSERT && sqlite3_preupdate_old(db, column, &value) == SQLITE_OK && value) {
    changed.insert(sqlite3_value_int64(value));
  }
  if (op != SQLITE_DELETE && sqlite3_preupdate_new(db, column, &value) == SQLITE_OK && value) {
    changed.insert(sqlite3_value_int64(value));
  }
}

void Store::track_config_changes() {
  if (m_tracking_config_changes) {
    return;
  }
  sqlite3_preupdate_hook(m_db->getHandle(), &Store::note_changed_row, this);
  m_tracking_config_changes = true;
}

std::optional<Store::ConfigExport> Store::config_export(std::int64_t guest_id) {
  auto q = statement("SELECT change, body FROM guest_config_exports WHERE guest_id = ?");
  q->bind(1, guest_id);
  if (!q->executeStep()) {
    return std::nullopt;
  }
  return ConfigExport{q->getColumn(0).getInt64(), q->getColumn(1).getString()};
}

void Store::set_config_export(std::int64_t guest_id, const ConfigExport& record) {
  auto q = statement("INSERT INTO guest_config_exports (guest_id, change, body) VALUES (?, ?, ?) "
                     "ON CONFLICT (guest_id) DO UPDATE SET change = excluded.change, "
                     "body = excluded.body");
  q->bind(1, guest_id);
  q->bind(2, record.change);
  q->bind(3, record.body);
  q->exec();
}

std::vector<Store::StagedConfig> Store::stage_config_files() {
  // The guests this transaction changed, and those never written (change 0:
  // every guest after the upgrade that brought these files). A rolled-back
  // transaction's guests may still be in the set: their files come out the same.
  std::set<std::int64_t> ids;
  ids.swap(m_changed_guests);
  {
    auto q = statement("SELECT guest_id FROM guest_config_exports WHERE change = 0");
    while (q->executeStep()) {
      ids.insert(q->getColumn(0).getInt64());
    }
  }
  std::vector<StagedConfig> staged;
  for (const auto id : ids) {
    const auto guest = load_guest_by_id(id);
    if (!guest) {
      continue; // removed
    }
    const std::string body = guest_config_body(*guest);
    const auto stored = config_export(id);
    ConfigExport record{stored ? stored->change : 0, body};
    if (!stored || stored->body != body || stored->change == 0) {
      ++record.change;
      set_config_export(id, record);
    }
    const avio::RunDir run = avio::layout::run_dir(m_root, guest->uuid);
    const std::string text = guest_config_file(body, record.change);
    if (avio::read_file(run.config_file()) == text) {
      continue;
    }
    avio::create_run_dir(run);
    avio::remove_dead_config_drafts(run);
    staged.push_back(
        {id, record.change, run,
         avio::StagedFile(run.config_file(), run.config_draft(avio::process_id()), text)});
  }
  return staged;
}

void Store::publish_config_files(std::vector<StagedConfig>& staged) noexcept {
  for (auto& s : staged) {
    try {
      s.file.publish();
      // A command that committed a newer change of this guest after ours may
      // have moved its file into place before we moved ours: the newest
      // record is written again then. Every writer checks after its own
      // move, so the last one leaves the newest; the rounds are bounded.
      for (int round = 0; round < 3; ++round) {
        const auto newest = config_export(s.guest_id);
        if (!newest || newest->change == s.change) {
          break;
        }
        avio::StagedFile(s.run.config_file(), s.run.config_draft(avio::process_id()),
                         guest_config_file(newest->body, newest->change))
            .publish();
        s.change = newest->change;
      }
    } catch (const std::exception&) {
      // The change is committed and stays so: the file is written again at
      // the guest's next change, or when hpvmstart or hpvmstatus -P find it
      // older than the database.
    }
  }
}

void Store::rewrite_config_file(const Guest& guest) {
  const auto record = config_export(guest.id);
  if (!record || record->change == 0) {
    return;
  }
  const avio::RunDir run = avio::layout::run_dir(m_root, guest.uuid);
  const std::string text = guest_config_file(record->body, record->change);
  if (avio::read_file(run.config_file()) != text) {
    avio::remove_dead_config_drafts(run);
    avio::StagedFile(run.config_file(), run.config_draft(avio::process_id()), text).publish();
  }
}

} // namespace vmconfig
