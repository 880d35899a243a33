// hpvmstatus -r -s -S -m -e -A -C -v: the host, and what the guests' QEMU
// processes take of it.
#pragma once

#include "vmconfig/render/render_host.hpp"
#include "vmconfig/store/store.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace vmconfig {

enum class HostView : unsigned char {
  resources, // -r
  system,    // -s
  scheduler, // -S
  servers,   // -m
  events,    // -e
  admins,    // -A
  memory,    // -C
  version,   // -v
};

struct HostStatusRequest {
  HostView view = HostView::resources;
  HostFormat format = HostFormat::text;
  std::optional<std::string> name; // -P
  std::optional<int> number;       // -p
  std::string version;             // what -v prints
};

// The text hpvmstatus prints for `request`.
std::string host_status_report(Store& store, const HostStatusRequest& request);

// A command-log record ("<UTC time> <user> <outcome> <command line>") or a
// runtime event ("<UTC time> - STARTED|STOPPED <text>") as an event; nullopt
// for a line that is neither. Tested by unit tests.
std::optional<StatusEvent> parse_command_record(std::string_view line);
// The VM Host a successful hpvmmigrate record names: {true, target} for the
// source's "hpvmmigrate ... -h target" (not -s), {false, source} for the
// target's "hpvmmigrate --receive # from source"; nullopt for any other
// command line. Tested by unit tests.
std::optional<std::pair<bool, std::string>> migration_peer(std::string_view command_line);
// Whether the command line of a record names guest `name` with -P.
bool record_names_guest(std::string_view command_line, const std::string& name);
// Whether an event is about guest `name`: a command naming it, or its QEMU.
bool record_names_guest(const StatusEvent& event, const std::string& name);

} // namespace vmconfig
