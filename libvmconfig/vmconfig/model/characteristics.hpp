// The characteristic options hpvmcreate, hpvmmodify and hpvmclone share
// (-O -c -e -E -r -l -B -u -g -x), parsed from their text and applied to a
// guest. Every problem is collected, not just the first.
#pragma once

#include "vmconfig/model/guest.hpp"

#include <optional>
#include <string>
#include <vector>

namespace vmconfig {

struct CharacteristicsRequest {
  std::optional<std::string> os_type;     // -O os_type[:version]
  std::optional<std::string> vcpus;       // -c
  std::optional<std::string> entitlement; // -e percent[:max]
  std::optional<std::string> cycles;      // -E cycles[:max]
  std::optional<std::string> memory;      // -r amount[M|G]
  std::optional<std::string> label;       // -l
  std::optional<std::string> start;       // -B auto|manual
  std::vector<std::string> users;         // -u user[:admin|oper]
  std::vector<std::string> groups;        // -g group[:admin|oper]
  std::vector<std::string> extended;      // -x keyword=value
};

// Applies `request` to `guest`. Problems go to `errors`; things -F lets pass
// (unknown console users or groups) go to `warnings` when `force` is set.
void apply_characteristics(const CharacteristicsRequest& request, bool force, Guest& guest,
                           std::vector<std::string>& errors, std::vector<std::string>& warnings);

// "2GB" / "1536MB" as hpvmstatus -M prints memory; "2 GB" as the tables do.
std::string memory_compact(std::uint64_t mb);
std::string memory_spaced(std::uint64_t mb);
// "10.0%" or "1000MHz".
std::string entitlement_text(const Entitlement& e, bool maximum);

} // namespace vmconfig
