// What hpvmdevmgmt does. Each change runs in one write transaction: it
// commits everything or leaves the database as it was.
#pragma once

#include "vmconfig/model/devdb_entry.hpp"
#include "vmconfig/ops/guests.hpp"

#include <avio/backing.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace vmconfig {

// -l: the matching entries, one line each. An entry named but not found is
// an hpvm::Error.
std::string list_entries(Store& store, const ListSpec& spec);

// -a, -d, -m, -n. Errors and refusals throw; `Report::warnings` says what
// the user should know (a restricted device a guest still uses, ...).
Report add_entry(Store& store, const EntrySpec& spec);
Report delete_entry(Store& store, const EntrySpec& spec);
Report modify_entry(Store& store, const EntrySpec& spec);
// Points every dependent guest's devices from the old backing store to the
// new one (checked like any device given to a guest) and renames the entry.
Report replace_entry(Store& store, const ReplaceSpec& spec);

// -I: re-probes every guest backing store and entry on the host and rebuilds
// every guest's gdev dependencies from its configuration.
Report rebuild_entries(Store& store);

// -r: a shell script that repairs each inconsistency between the database
// and the host (commands where the fix is certain, comments where a person
// must choose).
std::string repair_script(Store& store);

// The DEVTYPE the host says a path is ("" when it does not exist).
std::string devtype_of(avio::HostKind kind);

// Progress of the zeros -S writes: bytes written so far, bytes to write in all.
using FileProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;

// -S: the length a backing file is given, creating it if needed.
struct FileSizeRequest {
  std::string file;
  std::uint64_t bytes = 0;
  bool sparse = false; // -A: only the length; no blocks are written
  FileProgress progress;
};

// One hpvmdevmgmt action as its command line gives it: exactly one is set.
struct DevmgmtRequest {
  std::string list;                    // -l spec
  std::string add;                     // -a spec
  std::string remove;                  // -d spec
  std::string modify;                  // -m spec
  std::string replace;                 // -n spec
  std::optional<FileSizeRequest> size; // -S
  bool repair = false;                 // -r
  bool rebuild = false;                // -I
};

struct DevmgmtResult {
  std::string output; // what -l and -r print
  Report report;      // what a change warns of
  std::string done;   // what a change did, for -V; "" for -l and -r
};

// Parses the action's spec and performs it. The database is
// opened (the default root) for every action but -S (which touches only its
// file).
DevmgmtResult run_devmgmt(const DevmgmtRequest& request);

} // namespace vmconfig
