// Tests for libavio/avio/lock_holder.cpp: the record of the command holding
// the database's write lock.
#include "temp_dir.hpp"

#include <avio/lock_holder.hpp>

#include <doctest/doctest.h>

#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

TEST_CASE("LockRecord: names this process while it lives, and nothing once cleared") {
  const hpvm_test::TempDir tmp("unit-lock-holder");
  const fs::path file = tmp.path() / "write-lock.holder";
  const std::time_t before = std::time(nullptr);
  {
    avio::LockRecord record(file);
    const auto holder = avio::recorded_lock_holder(file);
    REQUIRE(holder);
    CHECK(holder->process.pid == ::getpid());
    CHECK(holder->alive);
    CHECK(holder->since >= before);
    CHECK(holder->since <= std::time(nullptr));
    CHECK_FALSE(holder->process.name.empty());
    CHECK(holder->process.command_line.starts_with(holder->process.name));
    record.clear();
    CHECK_FALSE(avio::recorded_lock_holder(file));
    CHECK(fs::file_size(file) == 0);
  }
  {
    const avio::LockRecord record(file);
    CHECK(avio::recorded_lock_holder(file));
  } // the destructor empties it
  CHECK_FALSE(avio::recorded_lock_holder(file));
}

TEST_CASE(
    "recorded_lock_holder: a record whose process is gone is not alive; a broken one is none") {
  const hpvm_test::TempDir tmp("unit-lock-holder-stale");
  const fs::path file = tmp.path() / "write-lock.holder";
  // pid 1 runs, but did not start at that tick: another process than recorded.
  std::ofstream(file) << "1 99999999999 1700000000 root\nhpvmmodify\nhpvmmodify -P g1 -l x\n";
  const auto holder = avio::recorded_lock_holder(file);
  REQUIRE(holder);
  CHECK(holder->process.pid == 1);
  CHECK_FALSE(holder->alive);
  CHECK(holder->since == 1700000000);
  CHECK(holder->process.user == "root");
  CHECK(holder->process.name == "hpvmmodify");
  CHECK(holder->process.command_line == "hpvmmodify -P g1 -l x");
  std::ofstream(file) << "x y z\nhpvmmodify\n";
  CHECK_FALSE(avio::recorded_lock_holder(file));
  CHECK_FALSE(avio::recorded_lock_holder(tmp.path() / "missing"));
}
