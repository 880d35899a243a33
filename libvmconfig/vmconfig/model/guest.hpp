// A guest's configuration: characteristics and devices.
#pragma once

#include "vmconfig/model/resource.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vmconfig {

enum class StartAttr : std::uint8_t { automatic, manual };

// CPU entitlement as a percentage (-e) or in CPU cycles, MHz (-E).
struct Entitlement {
  bool cycles = false;
  double minimum = 10.0;
  double maximum = 100.0;
  friend bool operator==(const Entitlement&, const Entitlement&) = default;
};

// A user or group allowed on the guest's virtual console (-u / -g).
struct ConsoleAccess {
  enum class Kind : std::uint8_t { user, group };
  Kind kind = Kind::user;
  std::string name;
  bool admin = false; // admin or oper
  friend bool operator==(const ConsoleAccess&, const ConsoleAccess&) = default;
};

// The extended key a guest migrated away keeps (with runnable, modifiable and
// visible disabled, as HPVM leaves the source's copy): the VM Host it went to.
// Not a -x keyword: only hpvmmigrate sets it.
inline constexpr const char* k_migrated_to = "migrated_to";
// The extended key of a guest an online migration is bringing in (not
// runnable until the source hands it over): the source VM Host. A guest that
// still has it once no migration runs is what a killed one left.
inline constexpr const char* k_incoming = "migrating_from";
// Set with k_incoming when the guest coming in replaces a runnable copy of
// its own that this host kept Off (it ran here before a failover started it
// elsewhere): a failed migration leaves that copy runnable again.
inline constexpr const char* k_replaces_runnable = "replaces_runnable";

inline constexpr std::uint64_t k_reserved_memory_mb = 64; // shown as Reserved Memory

struct Guest {
  std::int64_t id = 0; // database row id; 0 before it is stored
  std::string name;
  int vm_number = 0;
  std::string uuid;
  std::string os_type = "UNKNOWN";
  std::string os_version;
  int vcpus = 1;
  Entitlement entitlement;
  std::uint64_t memory_mb = 2048;
  std::string label;
  StartAttr start = StartAttr::automatic;
  bool runnable = true;
  bool modifiable = true;
  bool visible = true;
  std::map<std::string, std::string> extended; // other -x keyword=value pairs
  std::vector<ConsoleAccess> access;
  std::vector<StorageDevice> storage;
  std::vector<NetworkDevice> networks;
};

// One row of the hpvmstatus summary table.
struct GuestSummary {
  std::string name;
  std::string uuid;
  int vm_number = 0;
  std::string os_type;
  int vcpus = 0;
  int storage_devices = 0;
  int network_devices = 0;
  std::uint64_t memory_mb = 0;
};

} // namespace vmconfig
