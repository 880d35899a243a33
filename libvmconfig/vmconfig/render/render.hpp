// Presentation of guests: every hpvmstatus output format. Pure functions of
// the model; nothing here reads the database or the host.
#pragma once

#include "vmconfig/model/characteristics.hpp"
#include "vmconfig/model/guest.hpp"
#include "vmconfig/model/run_state.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vmconfig {

struct GuestStatus {
  Guest guest;
  RunState state;
  // Set for a running guest in the -P and -P -V reports.
  std::optional<LiveState> live;
  // hpvmstatus -M over every guest loads no devices, only how many each has
  // (storage, vNICs); unset: the sizes of guest.storage and guest.networks.
  std::optional<std::pair<int, int>> device_counts;
};

// The dynamic memory target hpvmstatus shows: the one last asked of the
// running guest, else ram_dyn_target_start.
std::uint64_t shown_target_mb(const GuestStatus& g, const DynamicMemory& memory);

struct SummaryStatus {
  GuestSummary summary;
  RunState state;
};

// hpvmstatus: the [Virtual Machines] table.
std::string render_summary(const std::vector<SummaryStatus>& guests);
// hpvmstatus -P: the per-guest sections.
std::string render_details(const GuestStatus& g);
// hpvmstatus -P -V: the same facts as "key : value" lines.
std::string render_verbose(const GuestStatus& g);
// hpvmstatus -P -d: every device as a canonical resource statement.
std::string render_devices(const Guest& g);
// hpvmstatus -M: one colon-separated line (fields in hpvmstatus(1M)).
std::string render_machine(const GuestStatus& g);
// hpvmstatus -X: <hpvm><pman><virtual_machine name="...">... (schema hpvmstatus.xsd).
std::string render_xml(const std::vector<GuestStatus>& guests);
// hpvmstatus -J: {"guests": [...]}.
std::string render_json(const std::vector<GuestStatus>& guests);

} // namespace vmconfig
