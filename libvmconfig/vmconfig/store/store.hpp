// The configuration database: $HPVM_ROOT/hpvm.db (SQLite, WAL, foreign keys,
// busy timeout, schema version with forward migrations). All SQL lives in
// store/ (this class and the store_*.cpp files) and every statement binds
// its parameters.
#pragma once

#include "vmconfig/model/guest.hpp"
#include "vmconfig/store/migrations.hpp"

#include <avio/error.hpp>
#include <avio/host.hpp>
#include <avio/layout.hpp>
#include <avio/lock_holder.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace vmconfig {

// What to do about a damaged (truncated, corrupt) database under `root`:
// the end of every message that reports one.
std::string damaged_database_advice(const std::filesystem::path& root);

// "The file system holding '<path>' is full (<why>)": how every message
// names a full file system under the suite's own files.
std::string file_system_full(const std::filesystem::path& path, int error);
// A change that a full file system under `root` kept from being written
// (SQLITE_FULL, ENOSPC writing a guest's vmm_config.current): that
// sentence, then that nothing was changed.
hpvm::NoSpace full_root_error(const std::filesystem::path& root, int error);

class Store {
public:
  static constexpr int k_schema_version = k_migration_count; // one per migration
  // A writer closing last checkpoints the WAL (fsyncs) once it holds
  // this much; below it the WAL stays for the next command to append to.
  static constexpr std::uintmax_t k_checkpoint_wal_bytes = 512 * 1024;

  // Whether a database exists under `root`.
  static bool exists(const std::filesystem::path& root);
  // The HPVM root the commands use ($HPVM_ROOT, default /var/opt/hpvm) and
  // whether a database exists there (hpvminfo reports both).
  struct Location {
    std::filesystem::path root;
    bool exists = false;
  };
  static Location location();

  enum class Access : unsigned char {
    // Creates the directory (0700) and the database (0600) if needed.
    create,
    // Opens an existing database; when there is none, an empty in-memory one.
    // Commands that read (hpvmstatus, -s checks, removing a guest) must not
    // set a host up as a side effect.
    if_exists,
  };

  // Opens the database under `root` and migrates the schema forward.
  explicit Store(std::filesystem::path root, Access access = Access::create);
  // The same under the HPVM root the commands use ($HPVM_ROOT, default /var/opt/hpvm).
  explicit Store(Access access = Access::create);
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  const std::filesystem::path& root() const { return m_root; }
  // For the repositories in store_*.cpp (device database, vswitches, runtime
  // state) that keep their SQL next to this file. Nothing outside
  // libvmconfig's store_*.cpp files runs SQL.
  SQLite::Database& database() { return *m_db; }
  int schema_version();

  // A statement prepared once per store and reused: preparing is most of the
  // cost of a small indexed query, and one hot-add runs the device database's
  // lookups once per backing store. The handle gives it back reset (its read
  // ended, its bindings cleared) when it goes out of scope; asked for again
  // while a handle to it is alive, the SQL gets a statement of its own.
  class Statement {
  public:
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();
    SQLite::Statement& operator*() { return *m_statement; }
    SQLite::Statement* operator->() { return m_statement; }

  private:
    friend class Store;
    Statement(SQLite::Statement* cached, bool* busy, std::unique_ptr<SQLite::Statement> own);
    SQLite::Statement* m_statement;
    bool* m_busy; // the cache entry's, or nullptr for a statement of its own
    std::unique_ptr<SQLite::Statement> m_own;
  };
  Statement statement(const std::string& sql);

  // A write transaction (BEGIN IMMEDIATE): it takes the database's write lock
  // at once, so checks made inside it stay true until commit. Destroying it
  // uncommitted rolls everything back. Once one has committed and the WAL
  // holds k_checkpoint_wal_bytes, closing the store checkpoints the WAL into
  // the database and deletes it, if no other command has the database open.
  // commit() also writes the configuration file (vmm_config.current) of
  // every guest whose configuration the transaction changed: drafted before
  // the commit (a draft that cannot be written refuses the change), moved
  // into place after it (store_config_export.cpp).
  // It records this command as the lock's holder while it holds it (avio/lock_holder.hpp),
  // so a command that gives up waiting can say which one it waited for.
  class WriteTransaction {
  public:
    explicit WriteTransaction(Store& store);
    void commit();

  private:
    Store& m_store;
    SQLite::Transaction m_tx;
    avio::LockRecord m_holder; // after m_tx: emptied before the rollback lets go
  };

  std::optional<Guest> load_guest(const std::string& name);
  std::optional<Guest> load_guest(int vm_number);
  std::optional<Guest> load_guest_by_uuid(const std::string& uuid);
  enum class Devices : unsigned char { with, without };
  // Every guest; Devices::without leaves storage and networks empty.
  std::vector<Guest> load_guests(Devices devices = Devices::with);
  // Guest id -> (storage devices, vNICs), for guests that have any.
  std::unordered_map<std::int64_t, std::pair<int, int>> device_counts();
  std::vector<GuestSummary> summaries();
  std::vector<std::string> guest_names();
  // Every guest's name and UUID, and nothing else: what a scan of the run
  // directories compares with.
  struct GuestNames {
    std::unordered_set<std::string> names, uuids;
  };
  GuestNames guest_names_and_uuids();
  std::size_t guest_count();

  int next_vm_number();
  // The vNICs in the database whose MAC has the suffix (low five octets) of
  // `mac`, so whose taps would have the same MAC; an equal MAC is one of them.
  struct MacHolder {
    std::string guest;
    avio::NicAddress address;
    avio::MacAddress mac;
  };
  std::vector<MacHolder> mac_suffix_holders(avio::MacAddress mac);
  // Inserts the guest and all its devices; sets guest.id.
  void insert_guest(Guest& guest, const std::vector<std::string>& storage_identities);
  // Inserts the rows that hang off a stored guest (guest.id): devices, -x
  // keywords, console access. insert_guest() calls it.
  void insert_guest_details(const Guest& guest, const std::vector<std::string>& storage_identities);
  // Its parts, for an update that writes only what changed (update_guest()):
  // one storage device, and all of the guest's vNICs, -x keywords or
  // console access rows (whose old rows are gone).
  void insert_storage_device(const Guest& guest, const StorageDevice& device,
                             const std::string& identity);
  void insert_networks(const Guest& guest);
  void insert_extended(const Guest& guest);
  void insert_access(const Guest& guest);
  void delete_guest(const Guest& guest);

  // The device database's SQL is in store_devdb.cpp.

  // What the guest's configuration file was last written with
  // (model/guest_config.hpp): change 0 is a file not written yet.
  struct ConfigExport {
    std::int64_t change = 0;
    std::string body;
  };
  std::optional<ConfigExport> config_export(std::int64_t guest_id);
  // Records `record` as the guest's (a guest registered from a copied
  // file: the copy's change number and body), inside a write transaction.
  void set_config_export(std::int64_t guest_id, const ConfigExport& record);
  // Writes the guest's configuration file again from the database's record
  // when it holds something else (an older copy came over it); needs no
  // transaction. Throws hpvm::Error when it cannot be written.
  void rewrite_config_file(const Guest& guest);

private:
  void migrate();
  // Connection settings and the schema (migrate) of an open database.
  void configure();
  // Creates hpvm.db, complete, under the root (m_db is closed after).
  void create_database();
  // Opens hpvm.db read-only where it cannot be written (m_unwritable says why).
  void open_read_only();
  // `store`, once this user may change it there (WriteTransaction).
  static Store& writable(Store& store);
  // Copies the database to common/ before migrate() upgrades it.
  void keep_copy_before_upgrade(int schema);
  Guest read_guest_row(SQLite::Statement& q);
  void load_devices(Guest& guest);
  // `column` is one of our own column names, never user text.
  template <typename Key> std::optional<Guest> load_guest_where(const char* column, const Key& key);
  std::optional<Guest> load_guest_by_id(std::int64_t id);

  // The configuration files of a transaction (store_config_export.cpp).
  struct StagedConfig {
    std::int64_t guest_id = 0;
    std::int64_t change = 0;
    avio::RunDir run;
    avio::StagedFile file;
  };
  // Records which guests a write transaction changes (a pre-update hook,
  // set once per connection, filling m_changed_guests).
  void track_config_changes();
  // The hook (sqlite3_preupdate_hook's callback; long long is sqlite3_int64).
  static void note_changed_row(void* store, sqlite3* db, int op, const char* db_name,
                               const char* table, long long old_rowid, long long new_rowid);
  // Inside the transaction: the changed guests' new records and drafts.
  std::vector<StagedConfig> stage_config_files();
  // After the commit: moves the drafts into place, each checked against the
  // newest record afterwards. Never throws: the change is committed.
  void publish_config_files(std::vector<StagedConfig>& staged) noexcept;
  bool m_tracking_config_changes = false;
  std::set<std::int64_t> m_changed_guests;

  struct CachedStatement {
    std::unique_ptr<SQLite::Statement> statement;
    bool busy = false;
  };

  std::filesystem::path m_root;
  // Why no change can be written, when so: the file system holding the root
  // "is read-only" or "is full (...)", and what to do about it.
  struct Unwritable {
    std::string state;
    std::string advice;
  };
  std::optional<Unwritable> m_unwritable;
  std::unique_ptr<SQLite::Database> m_db;
  // Declared after m_db: finalized before the database closes.
  std::unordered_map<std::string, CachedStatement> m_statements;
};

} // namespace vmconfig
