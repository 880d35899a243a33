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

// "4G", "512M", "2048" (MB), "1T" as -r and the -x memory keywords take them;
// nullopt for anything else.
std::optional<std::uint64_t> parse_memory_mb(std::string text);

// Dynamic memory (HPVM's -x ram_dyn_* keywords), on a virtio balloon: a
// running guest's memory moves between the minimum and the maximum, which
// is at most its memory (-r), since a balloon only takes memory back.
struct DynamicMemory {
  std::string type; // any or driver (none: no dynamic memory)
  std::uint64_t minimum_mb = 0;
  std::uint64_t target_start_mb = 0;
  std::uint64_t maximum_mb = 0;
  friend bool operator==(const DynamicMemory&, const DynamicMemory&) = default;
};
// The guest's dynamic memory, with the defaults for the values not given
// (minimum: a quarter of the memory, at least 32 MB; maximum: the memory; start target: the
// maximum); nullopt when ram_dyn_type is none or not set.
std::optional<DynamicMemory> dynamic_memory(const Guest& guest);
// What is wrong with the guest's ram_dyn_* values together and against its
// memory (minimum <= start target <= maximum <= memory), one line each.
std::vector<std::string> dynamic_memory_problems(const Guest& guest);
// The amount `-x ram_target=value` asks of a running guest: an amount of
// memory, or "start" for ram_dyn_target_start; nullopt with `problem` set
// when it is malformed or outside the minimum-maximum range.
std::optional<std::uint64_t> ram_target_mb(const DynamicMemory& memory, const std::string& value,
                                           std::string& problem);

// "2GB" / "1536MB" as hpvmstatus -M prints memory; "2 GB" as the tables do.
std::string memory_compact(std::uint64_t mb);
std::string memory_spaced(std::uint64_t mb);
// "10.0%" or "1000MHz".
std::string entitlement_text(const Entitlement& e, bool maximum);

} // namespace vmconfig
