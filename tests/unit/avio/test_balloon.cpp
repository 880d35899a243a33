// Tests for libavio/avio/balloon.cpp: dynamic memory through QEMU's balloon,
// against a fake QEMU (qmp_peer.hpp) whose guest moves towards the target a
// step per query-balloon, or has no balloon device at all.
#include "qmp_peer.hpp"
#include "temp_dir.hpp"

#include <avio/balloon.hpp>
#include <avio/host.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <string>

using namespace std::chrono_literals;
using avio::Json;

namespace {

constexpr std::uint64_t k_mib = 1024 * 1024;

std::string ok(const Json& value = Json::object()) {
  return Json{{"return", value}}.dump() + "\n";
}

std::string error(const std::string& error_class, const std::string& desc) {
  return Json{{"error", {{"class", error_class}, {"desc", desc}}}}.dump() + "\n";
}

// A guest of 1024 MB whose balloon driver moves `step` MB per query (0: no driver).
struct FakeBalloon {
  std::uint64_t actual_mb = 1024;
  std::uint64_t target_mb = 1024;
  std::uint64_t step = 0;
  bool device = true;
  bool refuse = false; // the balloon command fails

  std::string answer(const std::string& line) {
    const Json request = Json::parse(line);
    const std::string command = request["execute"];
    if (command == "qmp_capabilities") {
      return ok();
    }
    if (!device) {
      return error("DeviceNotActive", "No balloon device has been activated");
    }
    if (command == "balloon") {
      if (refuse) {
        return error("GenericError", "Parameter 'value' expects a size");
      }
      target_mb = request["arguments"]["value"].get<std::uint64_t>() / k_mib;
      return ok();
    }
    if (command == "query-balloon") {
      if (actual_mb < target_mb) {
        actual_mb = std::min(target_mb, actual_mb + step);
      } else if (actual_mb > target_mb) {
        actual_mb = actual_mb - std::min(actual_mb - target_mb, step);
      }
      return ok({{"actual", actual_mb * k_mib}});
    }
    if (command == "qom-set" &&
        request["arguments"]["path"] == "/machine/peripheral/hpvm.balloon" &&
        request["arguments"]["property"] == "guest-stats-polling-interval") {
      polling_s = request["arguments"]["value"].get<int>();
      return ok();
    }
    if (command == "qom-get" &&
        request["arguments"]["path"] == "/machine/peripheral/hpvm.balloon" &&
        request["arguments"]["property"] == "guest-stats") {
      return ok(stats);
    }
    return error("CommandNotFound", "The command " + command + " has not been found");
  }
  int polling_s = 0;
  // What qom-get guest-stats answers: QEMU's shape before the driver reported.
  Json stats = {
      {"stats", {{"stat-free-memory", UINT64_MAX}, {"stat-available-memory", UINT64_MAX}}},
      {"last-update", 0}};
};

hpvm_test::QmpPeer serve(FakeBalloon& guest) {
  return hpvm_test::QmpPeer([&guest](const std::string& line) -> std::optional<std::string> {
    return guest.answer(line);
  });
}

} // namespace

TEST_CASE("balloon: the guest's size, and none without a balloon device") {
  FakeBalloon guest;
  guest.actual_mb = 768;
  guest.target_mb = 768;
  {
    auto peer = serve(guest);
    avio::QmpClient qmp(peer.path(), 2000ms);
    CHECK(avio::balloon_size_mb(qmp) == 768U);
  }
  guest.device = false;
  auto peer = serve(guest);
  avio::QmpClient qmp(peer.path(), 2000ms);
  CHECK_FALSE(avio::balloon_size_mb(qmp).has_value());
}

TEST_CASE("balloon: a target is asked in bytes, recorded, and waited for") {
  hpvm_test::TempDir dir("balloon");
  const avio::RunDir run{dir.path()};
  CHECK_FALSE(avio::recorded_balloon_target(run).has_value());
  FakeBalloon guest;
  guest.step = 128;
  auto peer = serve(guest);
  avio::QmpClient qmp(peer.path(), 2000ms);
  avio::set_balloon_target(qmp, run, 512);
  CHECK(guest.target_mb == 512);
  CHECK(avio::recorded_balloon_target(run) == 512U);
  CHECK(avio::read_file(run.balloon_target_file()) == "512\n");
  // 1024 -> 896 -> 768 -> 640 -> 512: reached within the bound.
  CHECK(avio::wait_balloon(qmp, 512, 5000ms) == 512);
  // Back up again, as hpvmmodify -x ram_target=start would ask.
  avio::set_balloon_target(qmp, run, 1024);
  CHECK(avio::wait_balloon(qmp, 1024, 5000ms) == 1024);
  CHECK(avio::recorded_balloon_target(run) == 1024U);
}

TEST_CASE("balloon: a guest without a driver never gets there: the wait ends at its bound") {
  hpvm_test::TempDir dir("balloon");
  const avio::RunDir run{dir.path()};
  FakeBalloon guest; // step 0
  auto peer = serve(guest);
  avio::QmpClient qmp(peer.path(), 2000ms);
  avio::set_balloon_target(qmp, run, 256);
  const auto start = std::chrono::steady_clock::now();
  CHECK(avio::wait_balloon(qmp, 256, 300ms) == 1024);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 300ms);
  CHECK(took < 2000ms);
}

TEST_CASE("balloon: a target QEMU refuses leaves the record as it was") {
  hpvm_test::TempDir dir("balloon");
  const avio::RunDir run{dir.path()};
  avio::write_file_atomically(run.balloon_target_file(), "768\n");
  FakeBalloon guest;
  guest.refuse = true;
  {
    auto peer = serve(guest);
    avio::QmpClient qmp(peer.path(), 2000ms);
    CHECK_THROWS_AS(avio::set_balloon_target(qmp, run, 256), avio::QmpError);
  }
  CHECK(avio::recorded_balloon_target(run) == 768U);
  // No record before: none after.
  std::filesystem::remove(run.balloon_target_file());
  auto peer = serve(guest);
  avio::QmpClient qmp(peer.path(), 2000ms);
  CHECK_THROWS_AS(avio::set_balloon_target(qmp, run, 256), avio::QmpError);
  CHECK_FALSE(std::filesystem::exists(run.balloon_target_file()));
}

TEST_CASE("balloon: a record that is no number is no target") {
  hpvm_test::TempDir dir("balloon");
  const avio::RunDir run{dir.path()};
  avio::write_file_atomically(run.balloon_target_file(), "lots\n");
  CHECK_FALSE(avio::recorded_balloon_target(run).has_value());
  avio::write_file_atomically(run.balloon_target_file(), "");
  CHECK_FALSE(avio::recorded_balloon_target(run).has_value());
}

TEST_CASE("balloon: the guest's own figures, once its driver reported them") {
  FakeBalloon guest;
  auto peer = serve(guest);
  avio::QmpClient qmp(peer.path(), 2000ms);
  avio::enable_balloon_stats(qmp);
  CHECK(guest.polling_s == avio::k_balloon_stats_interval_s);
  auto stats = avio::balloon_stats(qmp);
  CHECK_FALSE(stats.free_mb);
  CHECK_FALSE(stats.available_mb);
  // Reported, but a driver without MemAvailable (all bits set).
  guest.stats = {
      {"stats", {{"stat-free-memory", 300 * k_mib}, {"stat-available-memory", UINT64_MAX}}},
      {"last-update", 1765000000}};
  stats = avio::balloon_stats(qmp);
  CHECK(stats.free_mb == std::uint64_t{300});
  CHECK_FALSE(stats.available_mb);
  guest.stats["stats"]["stat-available-memory"] = 512 * k_mib + 5;
  stats = avio::balloon_stats(qmp);
  CHECK(stats.available_mb == std::uint64_t{512});
}

TEST_CASE("balloon: guest-stats refused by QEMU is an error for the caller") {
  FakeBalloon guest;
  guest.device = false;
  auto peer = serve(guest);
  avio::QmpClient qmp(peer.path(), 2000ms);
  CHECK_THROWS_AS(avio::balloon_stats(qmp), avio::QmpError);
  CHECK_THROWS_AS(avio::enable_balloon_stats(qmp), avio::QmpError);
}
