#include "avio/balloon.hpp"

#include "avio/host.hpp"
#include "avio/machine.hpp"
#include "avio/text.hpp"

#include <charconv>
#include <cstdint>
#include <thread>

namespace avio {

namespace {

constexpr std::uint64_t k_mib = 1024 * 1024;

// QEMU's QOM path of the balloon device (virtio-balloon-pci passes its
// guest-stats properties on to the virtio device).
std::string balloon_path() {
  return std::string("/machine/peripheral/") + k_balloon_id;
}

// One figure of guest-stats in MB; QEMU gives all bits set for a figure the
// driver did not report.
std::optional<std::uint64_t> stat_mb(const Json& stats, const char* name) {
  const Json& value = json_member(stats, name);
  if (!value.is_number_unsigned() || value.get<std::uint64_t>() == UINT64_MAX) {
    return std::nullopt;
  }
  return value.get<std::uint64_t>() / k_mib;
}

} // namespace

void enable_balloon_stats(QmpClient& qmp) {
  qmp.execute("qom-set", {{"path", balloon_path()},
                          {"property", "guest-stats-polling-interval"},
                          {"value", k_balloon_stats_interval_s}});
}

BalloonStats balloon_stats(QmpClient& qmp) {
  const Json answer =
      qmp.execute("qom-get", {{"path", balloon_path()}, {"property", "guest-stats"}});
  const Json& updated = json_member(answer, "last-update");
  if (!updated.is_number() || updated.get<double>() <= 0) { // never reported
    return {};
  }
  const Json& stats = json_member(answer, "stats");
  return {stat_mb(stats, "stat-free-memory"), stat_mb(stats, "stat-available-memory")};
}

std::optional<std::uint64_t> balloon_size_mb(QmpClient& qmp) {
  try {
    const Json answer = qmp.execute("query-balloon");
    const Json& actual = json_member(answer, "actual");
    if (!actual.is_number_unsigned()) {
      throw hpvm::Error("QEMU's query-balloon answer has no size.");
    }
    return actual.get<std::uint64_t>() / k_mib;
  } catch (const QmpError& e) {
    if (e.error_class() == "DeviceNotActive") { // no balloon device
      return std::nullopt;
    }
    throw;
  }
}

void set_balloon_target(QmpClient& qmp, const RunDir& run, std::uint64_t target_mb) {
  // Recorded first: a record that cannot be written leaves the guest as it was.
  const auto previous = read_file(run.balloon_target_file());
  write_file_atomically(run.balloon_target_file(), std::to_string(target_mb) + "\n");
  try {
    qmp.execute("balloon", {{"value", target_mb * k_mib}});
  } catch (...) {
    std::error_code ec;
    if (previous) {
      try {
        write_file_atomically(run.balloon_target_file(), *previous);
      } catch (const hpvm::Error&) {
        std::filesystem::remove(run.balloon_target_file(), ec);
      }
    } else {
      std::filesystem::remove(run.balloon_target_file(), ec);
    }
    throw;
  }
}

std::optional<std::uint64_t> recorded_balloon_target(const RunDir& run) {
  const auto text = read_file(run.balloon_target_file());
  if (!text) {
    return std::nullopt;
  }
  const std::string number(trim(*text, " \t\n"));
  std::uint64_t mb = 0;
  const auto* end = number.data() + number.size();
  const auto [ptr, ec] = std::from_chars(number.data(), end, mb);
  if (number.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return mb;
}

std::uint64_t wait_balloon(QmpClient& qmp, std::uint64_t target_mb, Millis wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    const std::uint64_t now = balloon_size_mb(qmp).value_or(0);
    if (now == target_mb || std::chrono::steady_clock::now() >= deadline) {
      return now;
    }
    std::this_thread::sleep_for(Millis{100});
  }
}

} // namespace avio
