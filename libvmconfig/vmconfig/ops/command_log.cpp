#include "vmconfig/ops/command_log.hpp"

#include "vmconfig/store/store.hpp"

#include <avio/error.hpp>
#include <avio/host.hpp>
#include <avio/layout.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

namespace vmconfig {

std::string append_command_log(const std::vector<std::string>& argv, std::string_view outcome,
                               std::string_view note) {
  const std::filesystem::path root = avio::layout::root_from_environment();
  const std::string user = avio::effective_user_name();
  // UTC, as the Z says: fmt 9 formats a system_clock time point in local time.
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  const std::string line =
      fmt::format("{:%Y-%m-%dT%H:%M:%SZ} {} {} {}{}\n", utc, user, outcome,
                  quote_command_line(argv), note.empty() ? "" : " # " + printable(note));
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

} // namespace vmconfig
