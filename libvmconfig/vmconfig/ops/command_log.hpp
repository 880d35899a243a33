// The host-wide command log, $HPVM_ROOT/common/command.log: one line per
// mutating command, "<UTC time> <user> <outcome> <command line>".
#pragma once

#include <avio/text.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace vmconfig {

// libavio's (avio/text.hpp), for the commands, which do not include libavio.
using avio::printable;
using avio::quote_command_line;

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

} // namespace vmconfig
