// Tests for libvmconfig/vmconfig/store/store.cpp: the connection settings every
// command relies on (WAL, foreign keys, busy timeout), the forward
// migrations from a schema version 1 database, the refusal of a newer
// schema, and the modes of what the store creates.
#include "temp_dir.hpp"

#include <avio/error.hpp>
#include <avio/layout.hpp>
#include <vmconfig/store/store.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace vmconfig;
namespace fs = std::filesystem;

namespace {

struct TempRoot : hpvm_test::TempDir {
  TempRoot() : TempDir("test_store") {}
};

// Sets an environment variable for one scope.
struct ScopedEnv {
  std::string name;
  ScopedEnv(const char* n, const char* value) : name(n) { ::setenv(n, value, 1); }
  ~ScopedEnv() { ::unsetenv(name.c_str()); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

} // namespace

TEST_CASE("store: WAL, foreign keys and the busy timeout are set on every connection") {
  TempRoot t;
  const fs::path root = t.path() / "root";
  {
    Store store(root);
    CHECK(store.database().execAndGet("PRAGMA journal_mode").getString() == "wal");
    CHECK(store.database().execAndGet("PRAGMA foreign_keys").getInt() == 1);
    CHECK(store.database().execAndGet("PRAGMA busy_timeout").getInt() == 10000);
    CHECK(store.database().execAndGet("PRAGMA synchronous").getInt() == 1); // NORMAL
    CHECK(store.database().execAndGet("PRAGMA journal_size_limit").getInt() == 4 * 1024 * 1024);
    CHECK(store.schema_version() == Store::k_schema_version);
  }
  {
    // The second opener finds WAL already set (it is persistent).
    ScopedEnv env("HPVM_BUSY_TIMEOUT_MS", "250");
    Store store(root);
    CHECK(store.database().execAndGet("PRAGMA journal_mode").getString() == "wal");
    CHECK(store.database().execAndGet("PRAGMA busy_timeout").getInt() == 250);
  }
  {
    // A malformed override is ignored.
    ScopedEnv env("HPVM_BUSY_TIMEOUT_MS", "soon");
    Store store(root);
    CHECK(store.database().execAndGet("PRAGMA busy_timeout").getInt() == 10000);
  }
}

TEST_CASE("store: a writer closing last checkpoints the WAL once it holds enough") {
  TempRoot t;
  const fs::path root = t.path() / "root";
  const fs::path wal = avio::layout::database_wal(root);
  Store{root}; // creates the database (its migration checkpoints on close)
  REQUIRE_FALSE(fs::exists(wal));
  {
    Store store(root);
    Store::WriteTransaction tx(store);
    store.database().exec("CREATE TABLE scratch (x BLOB)");
    tx.commit();
  }
  // A small write leaves its frames for the next command: no checkpoint.
  REQUIRE(fs::exists(wal));
  CHECK(fs::file_size(wal) > 0);
  CHECK(fs::file_size(wal) < Store::k_checkpoint_wal_bytes);
  {
    Store store(root);
    CHECK(store.database().tableExists("scratch")); // read back from the WAL
    Store::WriteTransaction tx(store);
    SQLite::Statement insert(store.database(), "INSERT INTO scratch VALUES (randomblob(?))");
    insert.bind(1, static_cast<std::int64_t>(Store::k_checkpoint_wal_bytes));
    insert.exec();
    tx.commit();
  }
  // Past the threshold, the last writer to close copies it into the database.
  CHECK_FALSE(fs::exists(wal));
  Store store(root);
  CHECK(store.database().execAndGet("SELECT length(x) FROM scratch").getInt64() ==
        static_cast<std::int64_t>(Store::k_checkpoint_wal_bytes));
}

TEST_CASE("store: foreign keys cascade a guest's rows away") {
  TempRoot t;
  Store store(t.path() / "root");
  auto& db = store.database();
  db.exec("INSERT INTO guests (name, vm_number, uuid, os_type, vcpus, entitlement_min, "
          "entitlement_max, memory_mb, start_auto) VALUES ('g1', 1, 'u1', 'LINUX', 1, 10, 100, "
          "2048, 1)");
  db.exec("INSERT INTO storage_devices (guest_id, device_type, adapter_type, bus, slot, target, "
          "storage_type, location) VALUES (1, 'disk', 'scsi', 0, 0, 0, 'file', '/a.img')");
  CHECK_THROWS(db.exec("INSERT INTO guest_extended (guest_id, keyword, value) VALUES (99, 'k', "
                       "'v')"));
  db.exec("DELETE FROM guests WHERE name = 'g1'");
  CHECK(db.execAndGet("SELECT count(*) FROM storage_devices").getInt() == 0);
}

TEST_CASE("store: a schema version 1 database is migrated forward, its rows kept") {
  TempRoot t;
  const fs::path root = t.path() / "root";
  fs::create_directories(root);
  {
    SQLite::Database v1((root / "hpvm.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    v1.exec(read_text(fs::path(HPVM_UNIT_FIXTURES) / "store_v1.sql"));
    REQUIRE(v1.execAndGet("PRAGMA user_version").getInt() == 1);
  }
  Store store(root);
  CHECK(store.schema_version() == Store::k_schema_version);
  auto& db = store.database();
  // 1 -> 2: vswitches with localnet, each pinned port held once per vswitch.
  CHECK(db.execAndGet("SELECT name || ':' || number || ':' || up FROM vswitches").getString() ==
        "localnet:1:1");
  CHECK(db.execAndGet("SELECT group_concat(ifnull(vswitch_port, '-'), ',') FROM (SELECT "
                      "vswitch_port FROM network_devices ORDER BY id)")
            .getString() == "4,-,-");
  // 2 -> 3 and 3 -> 4: the new tables and column exist.
  CHECK(db.execAndGet("SELECT count(*) FROM devdb_aliases").getInt() == 0);
  CHECK(db.execAndGet("SELECT unique_id FROM devdb_entries").getString().empty());
  CHECK(db.execAndGet("SELECT count(*) FROM avio_conversion_undo").getInt() == 0);
  // The rows the guests had.
  const auto g = store.load_guest("old1");
  REQUIRE(g.has_value());
  CHECK(g->vm_number == 1);
  CHECK(g->vcpus == 2);
  REQUIRE(g->storage.size() == 1);
  CHECK(g->storage[0].location == "/vm/old1.img");
  REQUIRE(g->networks.size() == 1);
  CHECK(g->networks[0].port == 4);
  CHECK(g->extended.at("ram_dyn_type") == "driver");
  CHECK(store.guest_names() == std::vector<std::string>{"old1", "old2"});
  // Opening again changes nothing.
  Store again(root);
  CHECK(again.schema_version() == Store::k_schema_version);
}

TEST_CASE("store: a database newer than the program is refused and left alone") {
  TempRoot t;
  const fs::path root = t.path() / "root";
  { Store store(root); }
  {
    SQLite::Database db((root / "hpvm.db").string(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version=99");
  }
  const std::string newer = "The configuration database has schema version 99, newer than this "
                            "program's " +
                            std::to_string(Store::k_schema_version) + ".";
  CHECK_THROWS_WITH_AS(Store{root}, newer.c_str(), hpvm::Error);
  CHECK_THROWS_AS(Store(root, Store::Access::if_exists), hpvm::Error);
  SQLite::Database db((root / "hpvm.db").string(), SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == 99);
}

TEST_CASE("store: modes: a root it creates is 0700, an existing one keeps its mode") {
  TempRoot t;
  {
    const fs::path root = t.path() / "new" / "root";
    Store store(root);
    CHECK(mode_of(root) == 0700);
    CHECK(mode_of(root / "hpvm.db") == 0600);
  }
  {
    // HPVM_ROOT=/tmp must not lock /tmp down.
    const fs::path root = t.path() / "shared";
    fs::create_directory(root);
    ::chmod(root.c_str(), 01777);
    Store store(root);
    CHECK(mode_of(root) == 01777);
    CHECK(mode_of(root / "hpvm.db") == 0600);
  }
}

TEST_CASE("store: a database file readable by others is made 0600 when opened") {
  TempRoot t;
  const fs::path root = t.path() / "root";
  { Store store(root); }
  ::chmod((root / "hpvm.db").c_str(), 0644);
  SUBCASE("by a command that writes") {
    Store store(root);
    CHECK(mode_of(root / "hpvm.db") == 0600);
  }
  SUBCASE("by a command that reads") {
    Store store(root, Store::Access::if_exists);
    CHECK(mode_of(root / "hpvm.db") == 0600);
  }
}
