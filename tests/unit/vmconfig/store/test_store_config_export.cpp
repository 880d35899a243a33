// Tests for libvmconfig/vmconfig/store/store_config_export.cpp: a committed
// change writes the changed guest's vmm_config.current (0600), a change that
// is not committed or that touches only the host's own columns does not, and
// the change number grows only with the configuration.
#include "temp_dir.hpp"

#include <avio/error.hpp>
#include <avio/layout.hpp>
#include <vmconfig/model/guest_config.hpp>
#include <vmconfig/store/store.hpp>

#include <SQLiteCpp/Statement.h>
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace vmconfig;
namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Guest sample(const std::string& name, const std::string& uuid, int number) {
  Guest g;
  g.name = name;
  g.uuid = uuid;
  g.vm_number = number;
  g.memory_mb = 512;
  g.storage = {{DeviceType::dvd, StorageAdapter::avio_stor, {0, 1, 0}, StorageType::null, ""}};
  return g;
}

void exec(Store& store, const std::string& sql) {
  store.database().exec(sql);
}

} // namespace

TEST_CASE("store config export: each commit writes the changed guests' files") {
  hpvm_test::TempDir t("test_store_config_export");
  const fs::path root = t.path() / "root";
  Store store(root);
  Guest g = sample("g1", "2b3b1198-2062-11df-9e06-001a4b07f002", 1);
  const fs::path file = avio::layout::run_dir(root, g.uuid).config_file();
  {
    Store::WriteTransaction tx(store);
    store.insert_guest(g, {""});
    // Not committed: nothing is written.
  }
  CHECK_FALSE(fs::exists(file));
  {
    Store::WriteTransaction tx(store);
    store.insert_guest(g, {""});
    tx.commit();
  }
  REQUIRE(fs::exists(file));
  CHECK(read_text(file) == guest_config_file(guest_config_body(g), 1));
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(store.config_export(g.id)->change == 1);

  SUBCASE("the host's own columns make no new change") {
    Store::WriteTransaction tx(store);
    exec(store, "UPDATE guests SET runnable = 0, modifiable = 0");
    exec(store, "UPDATE storage_devices SET identity = 'ino:1:2'");
    tx.commit();
    CHECK(store.config_export(g.id)->change == 1);
    CHECK(read_text(file) == guest_config_file(guest_config_body(g), 1));
  }
  SUBCASE("a change of the configuration is change 2, in the file once committed") {
    {
      Store::WriteTransaction tx(store);
      exec(store, "UPDATE guests SET label = 'web'");
      CHECK(read_text(file).find("change 1\n") != std::string::npos);
      tx.commit();
    }
    g.label = "web";
    CHECK(store.config_export(g.id)->change == 2);
    CHECK(read_text(file) == guest_config_file(guest_config_body(g), 2));
    // Changed and changed back: a new change number, the same body.
    Store::WriteTransaction tx(store);
    exec(store, "INSERT INTO guest_extended (guest_id, keyword, value) SELECT id, 'amr_enable', "
                "'1' FROM guests");
    exec(store, "DELETE FROM guest_extended");
    tx.commit();
    CHECK(store.config_export(g.id)->change == 2);
  }
  SUBCASE("a file that went missing is written again at the guest's next change") {
    fs::remove(file);
    {
      Store::WriteTransaction tx(store);
      exec(store, "UPDATE guests SET vcpus = 2");
      tx.commit();
    }
    g.vcpus = 2;
    CHECK(read_text(file) == guest_config_file(guest_config_body(g), 2));
  }
  SUBCASE("change 0 (the upgrade's) is written at the next commit of any kind") {
    Guest h = sample("g2", "3b3b1198-2062-11df-9e06-001a4b07f002", 2);
    {
      Store::WriteTransaction tx(store);
      store.insert_guest(h, {""});
      tx.commit();
    }
    const fs::path file2 = avio::layout::run_dir(root, h.uuid).config_file();
    fs::remove(file);
    fs::remove(file2);
    exec(store, "UPDATE guest_config_exports SET change = 0, body = ''");
    {
      Store::WriteTransaction tx(store);
      exec(store, "CREATE TABLE scratch (x)");
      tx.commit();
    }
    CHECK(read_text(file) == guest_config_file(guest_config_body(g), 1));
    CHECK(read_text(file2) == guest_config_file(guest_config_body(h), 1));
  }
  SUBCASE("an older file is written over from the database's record") {
    std::ofstream(file) << "format 1\nchange 1\n";
    store.rewrite_config_file(*store.load_guest("g1"));
    CHECK(read_text(file) == guest_config_file(guest_config_body(g), 1));
  }
}

TEST_CASE("store config export: a change to any of a guest's rows marks that guest only") {
  // The pre-update hook reads each table's guest_id at a fixed place in the
  // row: a schema that moved it would mark another guest (or none).
  hpvm_test::TempDir t("test_store_config_export_rows");
  const fs::path root = t.path() / "root";
  Store store(root);
  // Row ids of guests and devices differ from the guest ids on purpose.
  Guest a = sample("ga", "4b3b1198-2062-11df-9e06-001a4b07f002", 1);
  a.storage.push_back(
      {DeviceType::dvd, StorageAdapter::avio_stor, {0, 1, 1}, StorageType::null, ""});
  Guest b = sample("gb", "5b3b1198-2062-11df-9e06-001a4b07f002", 2);
  {
    Store::WriteTransaction tx(store);
    store.insert_guest(a, {"", ""});
    store.insert_guest(b, {""});
    tx.commit();
  }
  const auto change = [&](const Guest& g) { return store.config_export(g.id)->change; };
  const auto commit = [&](const std::string& sql) {
    Store::WriteTransaction tx(store);
    exec(store, sql);
    tx.commit();
  };
  const std::string b_id = std::to_string(b.id);
  commit("UPDATE storage_devices SET target = 2 WHERE guest_id = " + b_id);
  CHECK(change(a) == 1);
  CHECK(change(b) == 2);
  commit("INSERT INTO network_devices (guest_id, adapter_type, bus, slot, mac, vswitch) "
         "VALUES (" +
         b_id + ", 'avio_lan', 0, 2, 1234, 'sw')");
  CHECK(change(a) == 1);
  CHECK(change(b) == 3);
  commit("INSERT INTO guest_extended (guest_id, keyword, value) VALUES (" + b_id +
         ", 'amr_enable', '1')");
  CHECK(change(b) == 4);
  commit("INSERT INTO guest_access (guest_id, seq, is_group, name, admin) VALUES (" + b_id +
         ", 0, 0, 'root', 1)");
  CHECK(change(b) == 5);
  commit("DELETE FROM network_devices");
  CHECK(change(a) == 1);
  CHECK(change(b) == 6);
  const fs::path file = avio::layout::run_dir(root, b.uuid).config_file();
  CHECK(read_text(file) == guest_config_file(guest_config_body(*store.load_guest("gb")), 6));
}

TEST_CASE("store config export: a draft that cannot be written refuses the commit") {
  hpvm_test::TempDir t("test_store_config_export");
  const fs::path root = t.path() / "root";
  Store store(root);
  Guest g = sample("g1", "2b3b1198-2062-11df-9e06-001a4b07f002", 1);
  // A directory where the draft would go: it cannot be created as a file.
  const avio::RunDir run = avio::layout::run_dir(root, g.uuid);
  fs::create_directories(run.config_draft(::getpid()));
  {
    Store::WriteTransaction tx(store);
    store.insert_guest(g, {""});
    CHECK_THROWS_AS(tx.commit(), hpvm::Error);
  }
  CHECK_FALSE(store.load_guest("g1").has_value());
  CHECK_FALSE(fs::exists(run.config_file()));
}
