// The host-wide command log, $HPVM_ROOT/common/command.log: one line per
// mutating command, "<UTC time> <user> <outcome> <command line>".
#pragma once

#include <avio/text.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vmconfig {

// libavio's (avio/text.hpp), for the commands, which do not include libavio.
using avio::printable;
using avio::quote_command_line;

// A time in seconds since the epoch as the logs write it: UTC,
// 2026-12-05T16:00:00Z.
std::string utc_text(std::int64_t seconds);

// Appends one record with a single write(2) on an O_APPEND file, so records of
// concurrent commands never interleave. The log is the one under the HPVM root
// the commands use ($HPVM_ROOT, default /var/opt/hpvm). A record that cannot
// be written (a full file system) never changes the command's outcome: the
// reason is returned for a warning; "" when it was written, or not written on
// purpose: the root does not exist (a command that failed on a host never set
// up leaves no trace), or the user is not root (whose commands change nothing).
// `note`, when given, follows the command line after " # " (hpvmmigrate -o:
// the downtime and total time).
std::string append_command_log(const std::vector<std::string>& argv, std::string_view outcome,
                               std::string_view note = {});

// The runtime events beside it ($HPVM_ROOT/common/runtime_events.log, the
// newest k_runtime_events_bytes or so kept): "<UTC time> - <what> <text>",
// what being STARTED, STOPPED or RESUMED (a QEMU paused after an
// interrupted migration let run again) and the text "<guest>: QEMU (pid N) ...", so
// hpvmstatus -e still shows a guest's runs after it stopped. Best effort as
// the command log: returns why a record was not written, "" when it was.
// `at`: when it happened (seconds since the epoch), if not now.
inline constexpr std::uintmax_t k_runtime_events_bytes = 256 * 1024;
std::string append_runtime_event(const std::filesystem::path& root, std::string_view what,
                                 std::string_view text, std::optional<std::int64_t> at = {});

} // namespace vmconfig
