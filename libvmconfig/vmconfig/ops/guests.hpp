// Guests as a whole: creating, removing and finding them. Each change runs in
// one write transaction: it either commits everything or leaves the database
// as it was.
#pragma once

#include "vmconfig/model/characteristics.hpp"
#include "vmconfig/model/report.hpp"
#include "vmconfig/store/store.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace vmconfig {

struct CreateRequest {
  std::string name;
  CharacteristicsRequest characteristics;
  std::vector<std::string> resources; // -a statements
  bool check_only = false;            // -s
  bool force = false;                 // -F
  // Where each of `resources` came from, put before the problems found with
  // it (hpvmimport: the HP-UX statement and its mapped path); "" or missing:
  // the problem names the statement itself.
  std::vector<std::string> origins;
};

// Creates a guest, or with check_only checks everything and changes nothing.
// Throws hpvm::Refused listing every problem.
Report create_guest(Store& store, const CreateRequest& request);

// Removes a stopped guest, its run directory and its device-database
// dependencies. Throws hpvm::Error for an unknown or running guest.
Report remove_guest(Store& store, const std::string& name);
// The checks remove_guest makes first, for asking only about a guest that can go.
Guest check_removable(Store& store, const std::string& name);

// Removes what a killed hpvmcreate, hpvmclone or hpvmremove left under
// $HPVM_ROOT: run directories of no guest (whose QEMU does not run) and
// guests/ links of no guest. Called inside a write transaction, so no other
// command is making its own meanwhile.
void remove_leftover_run_dirs(Store& store);

// Finds a guest by name or number; throws hpvm::Error naming what was not found.
Guest find_guest(Store& store, const std::string& name);
Guest find_guest(Store& store, int vm_number);

// Two guests of one name: this host's (`own_uuid`) and the configuration
// copied from another host (`copy_file`, in the directory of `copy_uuid`)
// guests/<name> leads to; the problem says how the administrator chooses.
std::string two_guests_problem(const std::string& name, const std::string& own_uuid,
                               const std::filesystem::path& copy_file,
                               const std::string& copy_uuid);
// Throws that problem as hpvm::Refused (with `summary`) while guests/<name>
// leads to such a copy: a change by the name would change this host's
// `guest` while the name means the copy (hpvmstart and hpvmstatus -P refuse
// the name the same way, ops/copied_guests).
void refuse_shadowed_guest(Store& store, const Guest& guest, const std::string& summary);

} // namespace vmconfig
