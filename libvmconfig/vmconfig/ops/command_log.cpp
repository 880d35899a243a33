#include "vmconfig/ops/command_log.hpp"

#include "vmconfig/store/store.hpp"

#include <avio/error.hpp>
#include <avio/host.hpp>
#include <avio/layout.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

namespace vmconfig {

std::string utc_text(std::int64_t seconds) {
  // UTC, as the Z says: fmt 9 formats a system_clock time point in local time.
  const std::time_t time = static_cast<std::time_t>(seconds);
  std::tm utc{};
  ::gmtime_r(&time, &utc);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", utc);
}

namespace {

std::string utc_now() {
  return utc_text(std::time(nullptr));
}

} // namespace

std::string append_command_log(const std::vector<std::string>& argv, std::string_view outcome,
                               std::string_view note) {
  const std::filesystem::path root = avio::layout::root_from_environment();
  const std::string user = avio::effective_user_name();
  const std::string line =
      fmt::format("{} {} {} {}{}\n", utc_now(), user, outcome, quote_command_line(argv),
                  note.empty() ? "" : " # " + printable(note));
  std::error_code ec;
  // Only root changes anything: another user's commands were refused before
  // they touched anything, and could not write root's log anyway.
  if (!avio::effective_user_is_root() || !std::filesystem::exists(root, ec)) {
    return {};
  }
  // A database without common/ beside it was refused before anything was
  // made (truncated, another user's): the log does not make common/ either.
  if (!std::filesystem::exists(avio::layout::common_dir(root), ec) &&
      std::filesystem::exists(avio::layout::database(root), ec)) {
    return {};
  }
  const auto log = avio::layout::command_log(root);
  try {
    avio::append_record(log, line);
  } catch (const hpvm::NoSpace& e) {
    return file_system_full(log, e.error()) + ".";
  } catch (const hpvm::Error& e) {
    return e.what();
  }
  return {};
}

std::string append_runtime_event(const std::filesystem::path& root, std::string_view what,
                                 std::string_view text, std::optional<std::int64_t> at) {
  const std::string time = at ? utc_text(*at) : utc_now();
  try {
    avio::append_bounded_record(
        avio::layout::runtime_events(root), avio::layout::runtime_events_old(root),
        fmt::format("{} - {} {}\n", time, what, printable(text)), k_runtime_events_bytes);
  } catch (const hpvm::Error& e) {
    return e.what();
  }
  return {};
}

} // namespace vmconfig
