#include "avio/balloon.hpp"

#include "avio/host.hpp"
#include "avio/text.hpp"

#include <charconv>
#include <thread>

namespace avio {

namespace {

constexpr std::uint64_t k_mib = 1024 * 1024;

} // namespace

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
