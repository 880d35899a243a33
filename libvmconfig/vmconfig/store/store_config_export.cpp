// Each guest's configuration file (vmm_config.current, model/guest_config.hpp),
// written from the one place every change passes: Store::WriteTransaction's
// commit. Temporary triggers note which guests a transaction changes; the
// commit drafts their files, commits, then moves the drafts into place.
#include "vmconfig/model/guest_config.hpp"
#include "vmconfig/store/store.hpp"

#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include <array>
#include <exception>

namespace vmconfig {

namespace {

// The columns a guest's configuration file is made from; host-local ones
// (runnable, modifiable, visible; a vNIC's held port, a backing store's
// identity) change no file.
struct Tracked {
  const char* table;
  const char* guest_id; // the column naming the guest
  const char* columns;  // "" for every column
};
constexpr std::array<Tracked, 5> k_tracked{{
    {"guests", "id",
     "name, uuid, os_type, os_version, vcpus, entitlement_cycles, entitlement_min, "
     "entitlement_max, memory_mb, label, start_auto"},
    {"storage_devices", "guest_id",
     "device_type, adapter_type, bus, slot, target, storage_type, location"},
    {"network_devices", "guest_id", "adapter_type, bus, slot, mac, vswitch, port"},
    {"guest_extended", "guest_id", ""},
    {"guest_access", "guest_id", ""},
}};

} // namespace

void Store::track_config_changes() {
  if (m_tracking_config_changes) {
    return;
  }
  std::string sql =
      "CREATE TEMP TABLE IF NOT EXISTS hpvm_changed_guests (guest_id INTEGER PRIMARY KEY);\n";
  for (const auto& t : k_tracked) {
    const std::string of = *t.columns == '\0' ? "" : fmt::format("OF {} ", t.columns);
    const std::pair<std::string, std::string> events[] = {
        {"INSERT", "NEW"}, {"UPDATE " + of, "NEW"}, {"DELETE", "OLD"}};
    for (const auto& [event, row] : events) {
      sql += fmt::format("CREATE TEMP TRIGGER IF NOT EXISTS hpvm_track_{}_{} AFTER {} ON {} "
                         "BEGIN INSERT OR IGNORE INTO hpvm_changed_guests VALUES ({}.{}); END;\n",
                         t.table, event.substr(0, 6), event, t.table, row, t.guest_id);
    }
  }
  m_db->exec(sql);
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
  std::vector<std::int64_t> ids;
  {
    // The guests this transaction changed, and those never written (change 0:
    // every guest after the upgrade that brought these files).
    SQLite::Statement q(*m_db, "SELECT guest_id FROM temp.hpvm_changed_guests UNION "
                               "SELECT guest_id FROM guest_config_exports WHERE change = 0");
    while (q.executeStep()) {
      ids.push_back(q.getColumn(0).getInt64());
    }
  }
  m_db->exec("DELETE FROM temp.hpvm_changed_guests");
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
