// hpvmmodify: changing a guest's characteristics, name and devices. Checking
// (plan_modification) is kept apart from writing (apply_modification) so the
// runtime can put a running guest's live changes between the two.
#pragma once

#include "vmconfig/model/characteristics.hpp"
#include "vmconfig/ops/guests.hpp"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace vmconfig {

// One -a, -d or -m statement.
struct DeviceChange {
  enum class Kind : std::uint8_t { add, remove, modify };
  Kind kind = Kind::add;
  std::string statement;
  friend bool operator==(const DeviceChange&, const DeviceChange&) = default;
};

struct ModifyRequest {
  std::string name;                    // -P
  std::optional<std::string> new_name; // -N
  CharacteristicsRequest characteristics;
  std::vector<DeviceChange> changes; // -a -d -m, in command-line order
  bool check_only = false;           // -s
  bool force = false;                // -F
};

class DevicePlanner;
// Feeds -a/-d/-m statements to the planner, in order.
void plan_device_changes(DevicePlanner& planner, const std::vector<DeviceChange>& changes);

// A checked modification: the guest as stored and as it will be.
struct ModifyPlan {
  Guest before;
  Guest after;
  std::vector<std::string> storage_identities;   // of after.storage
  std::vector<std::optional<int>> vswitch_ports; // of after.networks
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  std::vector<std::optional<int>> before_ports; // of before.networks
};

// Checks `request` against `guest` (as stored) and the host; writes nothing.
// Call it inside the Store::WriteTransaction that will apply it.
ModifyPlan plan_modification(Store& store, const Guest& guest, const ModifyRequest& request);

// Writes a plan without errors: what changed from plan.before (which must be
// what the database holds) to plan.after in the guest row and its devices,
// their device-database dependencies, and a renamed guests/<name> link.
// Inside the caller's transaction; the link is put back if the caller does
// not commit.
void apply_modification(Store& store, const ModifyPlan& plan);

// Checks and applies `request` in one write transaction, or with check_only
// only checks. Throws hpvm::Refused listing every problem, hpvm::UsageError
// when the request changes nothing.
Report modify_guest(Store& store, const ModifyRequest& request);

// Removes from the configuration the vNICs with these QEMU ids: PCI removals
// the guest has completed since hpvmmodify reported them pending (or a stop
// completed). Returns the statements removed; its own transaction.
std::vector<std::string> drop_released_nics(Store& store, const Guest& guest,
                                            const std::set<std::string>& released);

// Brings the device database's record of which backing stores the guest
// (formerly called `old_name`) depends on in line with its storage devices;
// `before` as for sync_guest_dependents. The one place hpvmmodify and
// hpvmclone maintain gdev dependents.
void update_device_dependents(Store& store, const std::string& old_name, const Guest& guest,
                              const Guest* before);

} // namespace vmconfig
