// Long (~580 lines) for one job: the Store class itself (opening, WAL,
// migrating, transactions, and the guest rows its private row readers share).
#include "vmconfig/store/store.hpp"

#include "vmconfig/model/grammar.hpp"

#include <avio/error.hpp>
#include <avio/host.hpp>
#include <avio/layout.hpp>
#include <avio/lock_holder.hpp>

#include <SQLiteCpp/Statement.h>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>
#include <unordered_map>

namespace fs = std::filesystem;

namespace vmconfig {

namespace {

// How long a command waits for another's write lock before it gives up;
// HPVM_BUSY_TIMEOUT_MS overrides the 10 s (tests use short waits).
int busy_timeout_ms() {
  const char* env = std::getenv("HPVM_BUSY_TIMEOUT_MS");
  if (env != nullptr && *env != '\0') {
    char* end = nullptr;
    const long ms = std::strtol(env, &end, 10);
    if (*end == '\0' && ms >= 0 && ms <= 3600000) {
      return static_cast<int>(ms);
    }
  }
  return 10000;
}

bool is_busy(const SQLite::Exception& e) {
  return e.getErrorCode() == SQLITE_BUSY || e.getErrorCode() == SQLITE_LOCKED;
}

// The system error behind SQLite's last failure on `db` when it is a full
// file system (or quota): SQLite could not make or grow a file beside the
// database (its WAL or shared-memory index), which says only "disk I/O
// error" although the database itself is intact.
std::optional<int> no_space(SQLite::Database& db) {
  const int error = sqlite3_system_errno(db.getHandle());
  if (error == ENOSPC || error == EDQUOT) {
    return error;
  }
  return std::nullopt;
}

// Switching a new database to WAL needs an exclusive lock, and SQLite does not
// call the busy handler for it: two commands creating the database at once
// would fail. The mode is persistent, so only the first opener switches, and
// it retries for as long as the busy timeout.
void enable_wal(SQLite::Database& db) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms());
  while (true) {
    try {
      if (db.execAndGet("PRAGMA journal_mode").getString() != "wal") {
        db.execAndGet("PRAGMA journal_mode=WAL");
      }
      return;
    } catch (const SQLite::Exception& e) {
      if (!is_busy(e) || std::chrono::steady_clock::now() > deadline) {
        throw;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

// The WAL's size after a reset; a checkpoint on close deletes it.
constexpr int k_wal_size_limit = 4 * 1024 * 1024;

std::uintmax_t wal_bytes(const fs::path& root) {
  std::error_code ec;
  const auto size = fs::file_size(avio::layout::database_wal(root), ec);
  return ec ? 0 : size;
}

void set_checkpoint_on_close(SQLite::Database& db, bool on) {
  sqlite3_db_config(db.getHandle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, on ? 0 : 1, nullptr);
}

// The database is 0600 however it came to be (copied in, restored from a
// backup): it holds who may administer which guest.
void restrict_mode(const fs::path& db_path) {
  struct stat st {};
  if (::stat(db_path.c_str(), &st) != 0 || (st.st_mode & 0077) == 0) {
    return;
  }
  if (::chmod(db_path.c_str(), st.st_mode & 0700) != 0) {
    throw hpvm::Error(fmt::format("The configuration database '{}' has mode {:04o} and cannot be "
                                  "made 0600: {}.",
                                  db_path.string(), st.st_mode & 07777, std::strerror(errno)));
  }
}

// Who holds the write lock this command gave up waiting for, as its
// holder recorded itself (avio/lock_holder.hpp).
std::string busy_message(const fs::path& root) {
  const auto holder = avio::recorded_lock_holder(avio::layout::write_lock_holder(root));
  if (!holder) {
    return "The configuration database is locked by another program (no HPVM command is "
           "recorded as holding it); nothing was changed. Try again.";
  }
  const std::time_t since = holder->since;
  std::tm local{};
  ::localtime_r(&since, &local);
  if (holder->alive) {
    return fmt::format("The configuration database is locked by {} (pid {}) since {:%H:%M:%S} "
                       "(command line: {}); nothing was changed. Try again.",
                       holder->process.name, holder->process.pid, local,
                       holder->process.command_line);
  }
  // SQLite's locks go with their process: another program holds this one.
  return fmt::format("The configuration database is locked, and the record of its holder is "
                     "stale: {} (pid {}), recorded as holding it since {:%H:%M:%S}, is gone, so "
                     "another program (not an HPVM command) holds it; nothing was changed. Try "
                     "again.",
                     holder->process.name, holder->process.pid, local);
}

std::string full_state(int error) {
  return fmt::format("is full ({})", std::strerror(error));
}

std::string holding(const fs::path& path, const std::string& state) {
  return fmt::format("The file system holding '{}' {}", path.string(), state);
}

constexpr const char* k_free_space_advice =
    "Free some space there and try again; nothing was changed.";

std::string cannot_change(const fs::path& root, const std::string& state,
                          const std::string& advice) {
  return fmt::format("{}: the configuration database cannot be changed. {}", holding(root, state),
                     advice);
}

// What SQLite's failure `e` on `db` says when it is a full file system:
// SQLITE_FULL, or an I/O error whose system error is ENOSPC or EDQUOT.
std::optional<int> full_file_system(const SQLite::Exception& e, SQLite::Database& db) {
  if (e.getErrorCode() != SQLITE_FULL && e.getErrorCode() != SQLITE_IOERR) {
    return std::nullopt;
  }
  if (const auto error = no_space(db)) {
    return error;
  }
  if (e.getErrorCode() == SQLITE_FULL) {
    return ENOSPC; // a short write: no system error to tell
  }
  return std::nullopt;
}

} // namespace

std::string file_system_full(const fs::path& path, int error) {
  return holding(path, full_state(error));
}

hpvm::NoSpace full_root_error(const fs::path& root, int error) {
  return {cannot_change(root, full_state(error), k_free_space_advice), error};
}

bool Store::exists(const fs::path& root) {
  std::error_code ec;
  return fs::exists(avio::layout::database(root), ec);
}

Store::Location Store::location() {
  Location out{avio::layout::root_from_environment()};
  out.exists = exists(out.root);
  return out;
}

Store::Store(Access access) : Store(avio::layout::root_from_environment(), access) {}

namespace {

// hpvm.db as found, refused before SQLite opens it when it is not this
// user's to read, was truncated, or (for root) another user could have
// written it.
avio::DatabaseFile checked_database_file(const fs::path& root) {
  const avio::DatabaseFile file = avio::database_file(root);
  const fs::path db_path = avio::layout::database(root);
  using State = avio::DatabaseFile::State;
  // Another user's database is not this user's to read even when a mode
  // (0644) lets it: root's next command makes it 0600 again.
  const bool others = file.owned_by_other && !avio::effective_user_is_root() &&
                      (file.state == State::present || file.state == State::empty);
  if (file.state == State::denied || others) {
    throw hpvm::Error(fmt::format("Permission denied: user '{}' cannot read the configuration "
                                  "database '{}'. The HPVM commands are run by root.",
                                  avio::effective_user_name(), db_path.string()));
  }
  if (file.state == State::empty) {
    throw hpvm::Error(fmt::format("The configuration database '{}' is empty (0 bytes): it was "
                                  "truncated. {}",
                                  db_path.string(), damaged_database_advice(root)));
  }
  // Root must not act on what another user could have written (a backing
  // path QEMU would open, a device entry): the files must be root's own.
  if (!avio::effective_user_is_root()) {
    return file;
  }
  const std::string me = avio::effective_user_name();
  if (file.state == State::present && file.owner != 0) {
    throw hpvm::Error(fmt::format(
        "The configuration database '{}' belongs to user '{}', not to '{}': that user could "
        "have changed it. Check it, then give it to '{}' (chown).",
        db_path.string(), avio::user_name(file.owner), me, me));
  }
  if (file.root_owned_by_other) {
    throw hpvm::Error(fmt::format(
        "The HPVM directory '{}' belongs to another user than '{}': that user could replace "
        "the configuration database. Check it, then give it to '{}' (chown).",
        root.string(), me, me));
  }
  return file;
}

// Changes are root's (HPVM's commands are superuser commands); checked
// before a first write could make a root directory or a database.
void require_root() {
  if (!avio::effective_user_is_root()) {
    throw hpvm::Error(fmt::format("Only root may change the HPVM configuration; this command "
                                  "runs as user '{}'. Nothing was changed.",
                                  avio::effective_user_name()));
  }
}

// An SQLite URI for `path` (read-only opening of a database on a read-only
// file system): '%', '?' and '#' in the path are escaped. Without a WAL to
// read, the database is immutable there: SQLite then needs no shared-memory
// index (which it could not create).
std::string read_only_uri(const fs::path& path, bool has_wal) {
  std::string out = "file:";
  for (const char c : path.string()) {
    if (c == '%' || c == '?' || c == '#') {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + (has_wal ? "?mode=ro" : "?mode=ro&immutable=1");
}

} // namespace

std::string damaged_database_advice(const fs::path& root) {
  return fmt::format(
      "Nothing was changed. Restore '{}' from a backup of '{}' (each schema upgrade keeps the "
      "database it upgraded as '{}' with the old version's number; hpvmhostrdev -r puts back "
      "only the rdev entries), or move it away to start again with an empty configuration.",
      avio::layout::database(root).string(), root.string(),
      avio::layout::database_before_upgrade(root, "<N>").string());
}

namespace {

// SQLite's process-wide settings, before its first connection. A store is
// used by one thread at a time (hpvmstatus's threads ask monitors, not the
// store), so connections need no mutex of their own; and nothing reads
// SQLite's memory statistics, whose upkeep took a global mutex at every
// allocation. Together 7% of an hpvmcreate's instructions.
void configure_sqlite() {
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
}

} // namespace

Store::Store(fs::path root, Access access) : m_root(std::move(root)) {
  configure_sqlite();
  const avio::DatabaseFile file = checked_database_file(m_root);
  const bool missing = file.state == avio::DatabaseFile::State::missing;
  if (access == Access::if_exists && missing) {
    m_db = std::make_unique<SQLite::Database>(":memory:", SQLite::OPEN_READWRITE);
    migrate();
    return;
  }
  const fs::path db_path = avio::layout::database(m_root);
  if (file.read_only) {
    // Nothing can be written there (nor SQLite's shared-memory index made):
    // the database is read as it is, and a change is refused.
    m_unwritable = Unwritable{"is read-only", "Nothing was changed."};
    open_read_only();
    return;
  }
  if (missing) {
    require_root();
  }
  avio::create_root(m_root);
  if (missing) {
    create_database();
  }
  try {
    m_db = std::make_unique<SQLite::Database>(db_path.string(), SQLite::OPEN_READWRITE,
                                              busy_timeout_ms());
  } catch (const SQLite::Exception& e) {
    throw hpvm::Error(fmt::format("Cannot open the configuration database '{}': {}.",
                                  db_path.string(), e.what()));
  }
  restrict_mode(db_path);
  try {
    configure();
    if (missing) {
      set_checkpoint_on_close(*m_db, true); // the new database is left without a WAL
    }
  } catch (const SQLite::Exception& e) {
    if (is_busy(e)) {
      throw hpvm::Busy(busy_message(m_root));
    }
    if (const auto error = no_space(*m_db)) {
      // Not damage: the database is read as it is, and changes wait for space.
      m_statements.clear();
      m_db.reset();
      m_unwritable = Unwritable{full_state(*error), k_free_space_advice};
      open_read_only();
      return;
    }
    throw hpvm::Error(fmt::format("The configuration database '{}' is not usable: {}. {}",
                                  db_path.string(), e.what(), damaged_database_advice(m_root)));
  }
}

void Store::configure() {
  enable_wal(*m_db);
  // synchronous=NORMAL: a commit is in the WAL when the command returns, so
  // it survives the command, QEMU or the guest dying at once, and a power
  // cut once the kernel has written it back (vm.dirty_expire_centisecs,
  // 30 s by default); a power cut can lose the last commits, never corrupt
  // the database. FULL would fsync at every commit: 1.3 ms median and up
  // to 200 ms on this host's disk, for each hot-add.
  // When the WAL is reset for reuse, it is cut back to journal_size_limit.
  m_db->exec(fmt::format("PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit={}; "
                         "PRAGMA foreign_keys=ON",
                         k_wal_size_limit));
  // The last connection to close checkpoints the WAL into the database,
  // fsyncs it and deletes the WAL. Connections start without that and
  // WriteTransaction::commit() turns it on once the WAL holds
  // k_checkpoint_wal_bytes: a read (hpvmstatus) or a small write (a hot-add)
  // does not pay the checkpoint's fsyncs, and the WAL every command rebuilds its
  // index from stays small. Without it no write would ever empty the WAL:
  // each command is a new process, and the frames an automatic checkpoint
  // copied are only reused by a later write of the same process.
  set_checkpoint_on_close(*m_db, false);
  migrate();
}

void Store::create_database() {
  // Made under a name of its own and linked into place once it holds its
  // schema (closing it checkpoints its WAL away): a concurrent command never
  // opens a half-made hpvm.db, so an empty hpvm.db is always a damaged one.
  const fs::path draft = avio::layout::database_draft(m_root, avio::process_id());
  const fs::path db_path = avio::layout::database(m_root);
  const mode_t old_mask = ::umask(0077); // the database and its WAL files are 0600
  try {
    m_db = std::make_unique<SQLite::Database>(
        draft.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, busy_timeout_ms());
    configure();
    m_db.reset();
  } catch (const SQLite::Exception& e) {
    ::umask(old_mask);
    m_db.reset();
    avio::remove_database_draft(draft);
    throw hpvm::Error(fmt::format("Cannot create the configuration database '{}': {}.",
                                  db_path.string(), e.what()));
  }
  ::umask(old_mask);
  // Another command may have published its own first: that one is kept.
  avio::publish_database_draft(draft, db_path);
}

void Store::open_read_only() {
  const fs::path db_path = avio::layout::database(m_root);
  try {
    m_db = std::make_unique<SQLite::Database>(read_only_uri(db_path, wal_bytes(m_root) > 0),
                                              SQLite::OPEN_READONLY | SQLite::OPEN_URI,
                                              busy_timeout_ms());
    if (schema_version() != k_schema_version) {
      throw hpvm::Error(fmt::format("The configuration database '{}' has schema version {}, this "
                                    "program {}, and it cannot be upgraded: the file system "
                                    "holding '{}' {}.",
                                    db_path.string(), schema_version(), k_schema_version,
                                    m_root.string(), m_unwritable->state));
    }
  } catch (const SQLite::Exception& e) {
    throw hpvm::Error(fmt::format("Cannot read the configuration database '{}': {}; the file "
                                  "system holding '{}' {}.",
                                  db_path.string(), e.what(), m_root.string(),
                                  m_unwritable->state));
  }
}

Store::~Store() = default;

Store::Statement::Statement(SQLite::Statement* cached, bool* busy,
                            std::unique_ptr<SQLite::Statement> own)
    : m_statement(own ? own.get() : cached), m_busy(busy), m_own(std::move(own)) {
  if (m_busy != nullptr) {
    *m_busy = true;
  }
}

Store::Statement::~Statement() {
  if (m_busy != nullptr) {
    // A statement left mid-result would keep its read transaction open.
    m_statement->tryReset();
    try {
      m_statement->clearBindings(); // sqlite3_clear_bindings cannot fail
    } catch (const SQLite::Exception&) {
    }
    *m_busy = false;
  }
}

Store::Statement Store::statement(const std::string& sql) {
  auto& cached = m_statements[sql];
  if (cached.busy) {
    return Statement(nullptr, nullptr, std::make_unique<SQLite::Statement>(*m_db, sql));
  }
  if (!cached.statement) {
    cached.statement = std::make_unique<SQLite::Statement>(*m_db, sql);
  }
  return Statement(cached.statement.get(), &cached.busy, nullptr);
}

int Store::schema_version() {
  return m_db->execAndGet("PRAGMA user_version").getInt();
}

void Store::keep_copy_before_upgrade(int schema) {
  const fs::path copy = avio::layout::database_before_upgrade(m_root, std::to_string(schema));
  std::error_code ec;
  if (fs::exists(copy, ec)) {
    return; // an earlier upgrade from this version kept it; it stays
  }
  SQLite::Statement vacuum(*m_db, "VACUUM INTO ?");
  vacuum.bind(1, copy.string());
  vacuum.exec();
}

void Store::migrate() {
  constexpr int latest = k_schema_version;
  const int found = schema_version();
  if (found == latest) {
    return;
  }
  if (found > 0 && found < latest) {
    keep_copy_before_upgrade(found);
  }
  SQLite::Transaction tx(*m_db, SQLite::TransactionBehavior::IMMEDIATE);
  const int current = schema_version(); // again, now that we hold the write lock
  if (current > latest) {
    throw hpvm::Error(fmt::format(
        "The configuration database has schema version {}, newer than this program's {}.", current,
        latest));
  }
  const auto migrations = schema_migrations();
  for (int v = current; v < latest; ++v) {
    m_db->exec(migrations[static_cast<std::size_t>(v)]);
  }
  m_db->exec(fmt::format("PRAGMA user_version={}", latest));
  tx.commit();
  set_checkpoint_on_close(*m_db, true);
}

Store& Store::writable(Store& store) {
  require_root();
  if (store.m_unwritable) {
    throw hpvm::Error(
        cannot_change(store.m_root, store.m_unwritable->state, store.m_unwritable->advice));
  }
  return store;
}

// The change tracking is set up before BEGIN: made inside a transaction that
// rolls back, it would be rolled back too.
Store::WriteTransaction::WriteTransaction(Store& store) try
    : m_store((writable(store), store.track_config_changes(), store)),
      m_tx(*store.m_db, SQLite::TransactionBehavior::IMMEDIATE),
      m_holder(avio::layout::write_lock_holder(store.m_root)) {
} catch (const SQLite::Exception& e) {
  if (is_busy(e)) {
    throw hpvm::Busy(busy_message(store.m_root));
  }
  throw;
}

void Store::WriteTransaction::commit() {
  try {
    auto staged = m_store.stage_config_files();
    m_holder.clear(); // while the lock is still held: the next holder writes its own
    m_tx.commit();
    m_store.publish_config_files(staged);
    if (wal_bytes(m_store.root()) >= k_checkpoint_wal_bytes) {
      set_checkpoint_on_close(*m_store.m_db, true);
    }
  } catch (const hpvm::NoSpace& e) {
    throw full_root_error(m_store.root(), e.error());
  } catch (const SQLite::Exception& e) {
    if (is_busy(e)) {
      throw hpvm::Busy(busy_message(m_store.root()));
    }
    if (const auto error = full_file_system(e, *m_store.m_db)) {
      throw full_root_error(m_store.root(), *error);
    }
    throw;
  }
}

namespace {

constexpr const char* k_guest_columns =
    "id, name, vm_number, uuid, os_type, os_version, vcpus, entitlement_cycles, entitlement_min, "
    "entitlement_max, memory_mb, label, start_auto, runnable, modifiable, visible";

} // namespace

Guest Store::read_guest_row(SQLite::Statement& q) {
  Guest g;
  g.id = q.getColumn(0).getInt64();
  g.name = q.getColumn(1).getString();
  g.vm_number = q.getColumn(2).getInt();
  g.uuid = q.getColumn(3).getString();
  g.os_type = q.getColumn(4).getString();
  g.os_version = q.getColumn(5).getString();
  g.vcpus = q.getColumn(6).getInt();
  g.entitlement.cycles = q.getColumn(7).getInt() != 0;
  g.entitlement.minimum = q.getColumn(8).getDouble();
  g.entitlement.maximum = q.getColumn(9).getDouble();
  g.memory_mb = static_cast<std::uint64_t>(q.getColumn(10).getInt64());
  g.label = q.getColumn(11).getString();
  g.start = q.getColumn(12).getInt() != 0 ? StartAttr::automatic : StartAttr::manual;
  g.runnable = q.getColumn(13).getInt() != 0;
  g.modifiable = q.getColumn(14).getInt() != 0;
  g.visible = q.getColumn(15).getInt() != 0;
  return g;
}

namespace {

StorageDevice read_storage(SQLite::Statement& q, int first) {
  StorageDevice d;
  d.device = *device_type_from(q.getColumn(first).getString());
  d.adapter = *storage_adapter_from(q.getColumn(first + 1).getString());
  d.address = {q.getColumn(first + 2).getInt(), q.getColumn(first + 3).getInt(),
               q.getColumn(first + 4).getInt()};
  d.storage = *storage_type_from(q.getColumn(first + 5).getString());
  d.location = q.getColumn(first + 6).getString();
  return d;
}

NetworkDevice read_network(SQLite::Statement& q, int first) {
  NetworkDevice n;
  n.adapter = *net_adapter_from(q.getColumn(first).getString());
  n.address = {q.getColumn(first + 1).getInt(), q.getColumn(first + 2).getInt()};
  n.mac = avio::MacAddress(static_cast<std::uint64_t>(q.getColumn(first + 3).getInt64()));
  n.vswitch = q.getColumn(first + 4).getString();
  if (!q.getColumn(first + 5).isNull()) {
    n.port = q.getColumn(first + 5).getInt();
  }
  return n;
}

constexpr const char* k_storage_columns =
    "device_type, adapter_type, bus, slot, target, storage_type, location";
constexpr const char* k_network_columns = "adapter_type, bus, slot, mac, vswitch, port";

} // namespace

void Store::load_devices(Guest& g) {
  SQLite::Statement s(*m_db, fmt::format("SELECT {} FROM storage_devices WHERE guest_id = ? "
                                         "ORDER BY bus, slot, target",
                                         k_storage_columns));
  s.bind(1, g.id);
  while (s.executeStep()) {
    g.storage.push_back(read_storage(s, 0));
  }
  SQLite::Statement n(*m_db, fmt::format("SELECT {} FROM network_devices WHERE guest_id = ? "
                                         "ORDER BY bus, slot",
                                         k_network_columns));
  n.bind(1, g.id);
  while (n.executeStep()) {
    g.networks.push_back(read_network(n, 0));
  }
  SQLite::Statement x(*m_db, "SELECT keyword, value FROM guest_extended WHERE guest_id = ? "
                             "ORDER BY keyword");
  x.bind(1, g.id);
  while (x.executeStep()) {
    g.extended[x.getColumn(0).getString()] = x.getColumn(1).getString();
  }
  SQLite::Statement a(*m_db, "SELECT is_group, name, admin FROM guest_access WHERE guest_id = ? "
                             "ORDER BY seq");
  a.bind(1, g.id);
  while (a.executeStep()) {
    g.access.push_back(
        {a.getColumn(0).getInt() != 0 ? ConsoleAccess::Kind::group : ConsoleAccess::Kind::user,
         a.getColumn(1).getString(), a.getColumn(2).getInt() != 0});
  }
}

template <typename Key>
std::optional<Guest> Store::load_guest_where(const char* column, const Key& key) {
  SQLite::Statement q(*m_db,
                      fmt::format("SELECT {} FROM guests WHERE {} = ?", k_guest_columns, column));
  q.bind(1, key);
  if (!q.executeStep()) {
    return std::nullopt;
  }
  Guest g = read_guest_row(q);
  load_devices(g);
  return g;
}

std::optional<Guest> Store::load_guest(const std::string& name) {
  return load_guest_where("name", name);
}

std::optional<Guest> Store::load_guest(int vm_number) {
  return load_guest_where("vm_number", vm_number);
}

std::optional<Guest> Store::load_guest_by_uuid(const std::string& uuid) {
  return load_guest_where("uuid", uuid);
}

std::optional<Guest> Store::load_guest_by_id(std::int64_t id) {
  return load_guest_where("id", id);
}

std::unordered_map<std::int64_t, std::pair<int, int>> Store::device_counts() {
  std::unordered_map<std::int64_t, std::pair<int, int>> out;
  SQLite::Statement s(*m_db, "SELECT guest_id, count(*) FROM storage_devices GROUP BY guest_id");
  while (s.executeStep()) {
    out[s.getColumn(0).getInt64()].first = s.getColumn(1).getInt();
  }
  SQLite::Statement n(*m_db, "SELECT guest_id, count(*) FROM network_devices GROUP BY guest_id");
  while (n.executeStep()) {
    out[n.getColumn(0).getInt64()].second = n.getColumn(1).getInt();
  }
  return out;
}

std::vector<Guest> Store::load_guests(Devices devices) {
  // A handful of whole-table reads, joined in memory, so listing every guest
  // costs the same few queries at 10 or 10,000 guests.
  std::vector<Guest> guests;
  std::unordered_map<std::int64_t, std::size_t> index;
  SQLite::Statement q(*m_db,
                      fmt::format("SELECT {} FROM guests ORDER BY vm_number", k_guest_columns));
  while (q.executeStep()) {
    index[q.getColumn(0).getInt64()] = guests.size();
    guests.push_back(read_guest_row(q));
  }
  if (devices == Devices::with) {
    SQLite::Statement s(*m_db, fmt::format("SELECT guest_id, {} FROM storage_devices "
                                           "ORDER BY guest_id, bus, slot, target",
                                           k_storage_columns));
    while (s.executeStep()) {
      guests[index.at(s.getColumn(0).getInt64())].storage.push_back(read_storage(s, 1));
    }
    SQLite::Statement n(*m_db, fmt::format("SELECT guest_id, {} FROM network_devices "
                                           "ORDER BY guest_id, bus, slot",
                                           k_network_columns));
    while (n.executeStep()) {
      guests[index.at(n.getColumn(0).getInt64())].networks.push_back(read_network(n, 1));
    }
  }
  SQLite::Statement x(*m_db, "SELECT guest_id, keyword, value FROM guest_extended "
                             "ORDER BY guest_id, keyword");
  while (x.executeStep()) {
    guests[index.at(x.getColumn(0).getInt64())].extended[x.getColumn(1).getString()] =
        x.getColumn(2).getString();
  }
  SQLite::Statement a(*m_db, "SELECT guest_id, is_group, name, admin FROM guest_access "
                             "ORDER BY guest_id, seq");
  while (a.executeStep()) {
    guests[index.at(a.getColumn(0).getInt64())].access.push_back(
        {a.getColumn(1).getInt() != 0 ? ConsoleAccess::Kind::group : ConsoleAccess::Kind::user,
         a.getColumn(2).getString(), a.getColumn(3).getInt() != 0});
  }
  return guests;
}

std::vector<GuestSummary> Store::summaries() {
  std::vector<GuestSummary> out;
  SQLite::Statement q(*m_db, "SELECT g.name, g.uuid, g.vm_number, g.os_type, g.vcpus, g.memory_mb, "
                             "(SELECT count(*) FROM storage_devices s WHERE s.guest_id = g.id), "
                             "(SELECT count(*) FROM network_devices n WHERE n.guest_id = g.id) "
                             "FROM guests g ORDER BY g.vm_number");
  while (q.executeStep()) {
    GuestSummary s;
    s.name = q.getColumn(0).getString();
    s.uuid = q.getColumn(1).getString();
    s.vm_number = q.getColumn(2).getInt();
    s.os_type = q.getColumn(3).getString();
    s.vcpus = q.getColumn(4).getInt();
    s.memory_mb = static_cast<std::uint64_t>(q.getColumn(5).getInt64());
    s.storage_devices = q.getColumn(6).getInt();
    s.network_devices = q.getColumn(7).getInt();
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> Store::guest_names() {
  std::vector<std::string> out;
  SQLite::Statement q(*m_db, "SELECT name FROM guests ORDER BY vm_number");
  while (q.executeStep()) {
    out.push_back(q.getColumn(0).getString());
  }
  return out;
}

Store::GuestNames Store::guest_names_and_uuids() {
  GuestNames out;
  SQLite::Statement q(*m_db, "SELECT name, uuid FROM guests");
  while (q.executeStep()) {
    out.names.insert(q.getColumn(0).getString());
    out.uuids.insert(q.getColumn(1).getString());
  }
  return out;
}

std::size_t Store::guest_count() {
  return static_cast<std::size_t>(m_db->execAndGet("SELECT count(*) FROM guests").getInt64());
}

int Store::next_vm_number() {
  return m_db->execAndGet("SELECT coalesce(max(vm_number), 0) + 1 FROM guests").getInt();
}

std::vector<Store::MacHolder> Store::mac_suffix_holders(avio::MacAddress mac) {
  std::vector<MacHolder> out;
  // The mask is written out so SQLite uses the index network_devices_mac_suffix.
  static_assert(avio::MacAddress::k_suffix_mask == 1099511627775ULL);
  SQLite::Statement q(*m_db, "SELECT g.name, n.bus, n.slot, n.mac FROM network_devices n JOIN "
                             "guests g ON g.id = n.guest_id WHERE (n.mac & 1099511627775) = ? "
                             "ORDER BY g.vm_number, n.bus, n.slot");
  q.bind(1, static_cast<std::int64_t>(mac.suffix()));
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getString(),
                   {q.getColumn(1).getInt(), q.getColumn(2).getInt()},
                   avio::MacAddress(static_cast<std::uint64_t>(q.getColumn(3).getInt64()))});
  }
  return out;
}

void Store::insert_guest(Guest& g, const std::vector<std::string>& storage_identities) {
  SQLite::Statement q(*m_db,
                      "INSERT INTO guests (name, vm_number, uuid, os_type, os_version, vcpus, "
                      "entitlement_cycles, entitlement_min, entitlement_max, memory_mb, label, "
                      "start_auto, runnable, modifiable, visible) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  q.bind(1, g.name);
  q.bind(2, g.vm_number);
  q.bind(3, g.uuid);
  q.bind(4, g.os_type);
  q.bind(5, g.os_version);
  q.bind(6, g.vcpus);
  q.bind(7, g.entitlement.cycles ? 1 : 0);
  q.bind(8, g.entitlement.minimum);
  q.bind(9, g.entitlement.maximum);
  q.bind(10, static_cast<std::int64_t>(g.memory_mb));
  q.bind(11, g.label);
  q.bind(12, g.start == StartAttr::automatic ? 1 : 0);
  q.bind(13, g.runnable ? 1 : 0);
  q.bind(14, g.modifiable ? 1 : 0);
  q.bind(15, g.visible ? 1 : 0);
  q.exec();
  g.id = m_db->getLastInsertRowid();
  insert_guest_details(g, storage_identities);
}

void Store::insert_guest_details(const Guest& g,
                                 const std::vector<std::string>& storage_identities) {
  for (std::size_t i = 0; i < g.storage.size(); ++i) {
    insert_storage_device(g, g.storage[i],
                          i < storage_identities.size() ? storage_identities[i] : std::string());
  }
  insert_networks(g);
  insert_extended(g);
  insert_access(g);
}

void Store::insert_storage_device(const Guest& g, const StorageDevice& d,
                                  const std::string& identity) {
  auto s = statement("INSERT INTO storage_devices (guest_id, device_type, adapter_type, bus, "
                     "slot, target, storage_type, location, identity) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s->bind(1, g.id);
  s->bind(2, std::string(to_string(d.device)));
  s->bind(3, std::string(to_string(d.adapter)));
  s->bind(4, d.address.bus);
  s->bind(5, d.address.slot);
  s->bind(6, d.address.target);
  s->bind(7, std::string(to_string(d.storage)));
  s->bind(8, d.location);
  s->bind(9, identity);
  s->exec();
}

void Store::insert_networks(const Guest& g) {
  auto n = statement("INSERT INTO network_devices (guest_id, adapter_type, bus, slot, mac, "
                     "vswitch, port) VALUES (?, ?, ?, ?, ?, ?, ?)");
  for (const auto& d : g.networks) {
    n->reset();
    n->bind(1, g.id);
    n->bind(2, std::string(to_string(d.adapter)));
    n->bind(3, d.address.bus);
    n->bind(4, d.address.slot);
    n->bind(5, static_cast<std::int64_t>(d.mac.value()));
    n->bind(6, d.vswitch);
    if (d.port) {
      n->bind(7, *d.port);
    } else {
      n->bind(7);
    }
    n->exec();
  }
}

void Store::insert_extended(const Guest& g) {
  auto x = statement("INSERT INTO guest_extended (guest_id, keyword, value) VALUES (?, ?, ?)");
  for (const auto& [key, value] : g.extended) {
    x->reset();
    x->bind(1, g.id);
    x->bind(2, key);
    x->bind(3, value);
    x->exec();
  }
}

void Store::insert_access(const Guest& g) {
  auto a = statement("INSERT INTO guest_access (guest_id, seq, is_group, name, admin) "
                     "VALUES (?, ?, ?, ?, ?)");
  int seq = 0;
  for (const auto& acc : g.access) {
    a->reset();
    a->bind(1, g.id);
    a->bind(2, seq++);
    a->bind(3, acc.kind == ConsoleAccess::Kind::group ? 1 : 0);
    a->bind(4, acc.name);
    a->bind(5, acc.admin ? 1 : 0);
    a->exec();
  }
}

void Store::delete_guest(const Guest& g) {
  SQLite::Statement q(*m_db, "DELETE FROM guests WHERE id = ?");
  q.bind(1, g.id);
  q.exec();
}

} // namespace vmconfig
