// hpvmmigrate: a guest moves to another VM Host. The source checks what it
// can, then runs the target's own hpvmmigrate over key-based root SSH
// (avio/remote.hpp) with the guest's definition on its standard input; the
// target checks the definition against itself and creates the guest, with
// its own VM number and the same UUID, MACs, addresses and vswitch ports,
// not runnable until the source says "commit". The source checks and sends
// without its database's write lock (the target may take minutes; other
// commands here go on), holding only the guest's runtime lock; it takes the
// write lock to check that the guest's definition is still the one sent (its
// change number), tells the target to commit, and marks its own copy not
// runnable, not modifiable and not visible (as HPVM leaves it, so
// hpvmmigrate from the target can bring the guest back), its device-database
// entries released, in that one transaction.
#pragma once

#include "vmconfig/model/characteristics.hpp"
#include "vmconfig/model/guest.hpp"
#include "vmconfig/model/report.hpp"
#include "vmconfig/store/store.hpp"

#include <avio/error.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace vmconfig {

// How long the target's side may take (it probes every backing store).
inline constexpr std::chrono::seconds k_migrate_remote_timeout{120};
// -o: the longest a live migration may run before it is cancelled, how long
// the target may take to confirm it has the guest, and how often the source
// asks QEMU how far it is.
inline constexpr std::chrono::minutes k_live_migration_timeout{30};
inline constexpr std::chrono::seconds k_handover_timeout{60};
inline constexpr std::chrono::milliseconds k_migration_poll{200};

// Where a live migration stands (QEMU's query-migrate, RAM part).
struct MigrationProgress {
  std::uint64_t total = 0;       // bytes of guest memory
  std::uint64_t transferred = 0; // bytes sent so far
  std::uint64_t remaining = 0;   // bytes still to send
  std::uint64_t dirty_rate = 0;  // bytes dirtied per second
};

struct MigrateRequest {
  std::optional<std::string> name;     // -P
  std::optional<int> vm_number;        // -p
  std::string target;                  // -h
  std::optional<std::string> new_name; // -N: the guest's name on the target
  bool check_only = false;             // -s
  bool force = false;                  // -F
  bool online = false;                 // -o: the running guest moves (QEMU live migration)
  bool boot = false;                   // -b: started on the target after an offline migration
  bool remove_source = false;          // -D: this host's copy removed, not kept not runnable
  // -d: a running guest is stopped (as hpvmstop -P stops it) once both
  // hosts' checks passed, then migrated offline.
  bool stop = false;
  // -l, and offline -c -e -E -r: the guest's characteristics on the target
  // (this host's copy keeps its own).
  CharacteristicsRequest changes;
  std::function<void(const MigrationProgress&)> progress; // -o, every k_migration_poll
};

struct MigrateResult {
  std::string name;        // on the source
  std::string target_name; // on the target
  int target_vm_number = 0;
  std::string target_host; // the target's own host name, when it said it
  Report report;           // warnings of both hosts
  // -o: how long the guest was paused, and the whole migration (QEMU's
  // downtime and total-time), in milliseconds.
  std::uint64_t downtime_ms = 0;
  std::uint64_t total_ms = 0;
  // -b: why the guest, migrated all the same, did not start on the target.
  std::optional<std::string> boot_failure;
};

// Migrates a guest that is Off or, with request.online, a running guest
// (live; a failure at any step leaves it running here as it was and nothing
// on the target), or with request.stop a running guest stopped first, once
// the target accepted it (a refusal leaves it running); with check_only
// checks everything on both hosts and changes neither. Throws hpvm::Refused listing every problem
// (both databases unchanged) or hpvm::Error.
MigrateResult migrate_guest(Store& store, const MigrateRequest& request);

// The definition the source sends: the guest's characteristics as the
// options that set them, its devices as full resource statements with the
// host identity of each backing store, each vNIC's vswitch port, and the
// request's flags. Tested by unit tests.
std::string export_definition(const Guest& guest, const std::vector<std::string>& identities,
                              const std::vector<std::optional<int>>& ports, const std::string& name,
                              bool check_only, bool force, bool online = false);

// The target's side (hpvmmigrate --receive, run there by migrate_guest).
struct ReceiveResult {
  std::string name;
  int vm_number = 0; // 0 for a check
  Report report;
  std::string source; // the source's host name, as it sent it
  bool check_only = true;
};
// The target's conversation with its source: one line each way at a time
// (the source's lines: the definition, then "commit" or "abort";
// nullopt when its side ended; hpvm::Error when none came in time).
struct ReceiveChannel {
  std::function<void(const std::string&)> send;
  std::function<std::optional<std::string>(std::chrono::milliseconds)> next;
};
// The channel over standard input and output (hpvmmigrate --receive).
ReceiveChannel stdio_channel();

// Reads the definition from `channel`, checks it against this host and
// creates the guest, in one write transaction; a copy this host kept of the
// same guest when it migrated away (same UUID, not runnable) is replaced.
// The guest is created marked incoming (not runnable) and, for -o, started
// paused, waiting for the stream; the source's "commit" makes it runnable
// (lets it run), anything else removes it again.
// Throws hpvm::Refused listing every problem.
ReceiveResult receive_guest(Store& store, const ReceiveChannel& channel);

// hpvmmigrate --receive-abort: what a live migration killed midway left on
// this host (the incoming guest with the UUID read from `channel`, and its
// QEMU) is removed. Returns its name ("" for nothing). Throws hpvm::Error
// when this host has the guest runnable (a commit got here): the source
// must not take it back.
std::string abort_incoming(Store& store, const ReceiveChannel& channel);
std::string abort_incoming(Store& store, const std::string& uuid);

// What the target prints for the source: one JSON object, the result or the
// problems of a failure.
std::string receive_reply(const ReceiveResult& result);
std::string receive_reply(const hpvm::Error& error);

} // namespace vmconfig
