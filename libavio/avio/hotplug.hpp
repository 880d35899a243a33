// Changes to a running guest through QMP: storage targets and whole storage
// adapters, vNICs, DVD media and backing stores. A batch is atomic: when one
// change fails, the changes already made are undone in reverse order.
//
// PCI devices (adapters, vNICs) leave only when the guest OS releases them
// (ACPI eject): removal waits for DEVICE_DELETED up to a timeout and else
// reports the removal as pending; the device stays until the guest lets go.
// SCSI targets leave at once.
#pragma once

#include "avio/error.hpp"
#include "avio/machine.hpp"
#include "avio/qmp.hpp"
#include "avio/vswitch.hpp"

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace avio {

// Adds a storage device; its adapter is added first when the guest has none
// at that bus,slot yet.
struct AddStorage {
  GuestDisk disk;
};
// Removes a storage device; when it was the adapter's last one, the adapter
// is removed too.
struct RemoveStorage {
  GuestDisk disk;
};
struct AddNic {
  GuestNic nic;
};
struct RemoveNic {
  GuestNic nic;
};
// Same device, new backing store: a DVD changes media (an empty `to.location`
// ejects it) and keeps its drive; any other device is replaced by a new
// target on the new backing store at the same address.
struct ReplaceBacking {
  GuestDisk from;
  GuestDisk to;
};

using HotChange = std::variant<AddStorage, RemoveStorage, AddNic, RemoveNic, ReplaceBacking>;

// "add disk 0,1,3", "remove avio_lan 0,2": what a change does, for messages.
std::string describe(const HotChange& change);

enum class Outcome : unsigned char { done, removal_pending };

struct BatchOptions {
  // How long the batch's PCI removals, together, wait for the guest to
  // release the devices (the caller may hold a database lock meanwhile).
  std::chrono::milliseconds removal_timeout{5000};
  // Where the ids of PCI devices whose removal is pending are recorded (QEMU
  // does not report them); normally RunDir::pending_removals_file().
  std::filesystem::path pending_file;
};

struct BatchResult {
  std::vector<Outcome> outcomes; // one per change, in order
  bool any_pending() const;
};

// A change of a batch failed. Every change before it was undone, except
// problems listed in rollback_problems (for example a hot-added PCI device the
// guest has not released).
class BatchFailed : public hpvm::Error {
public:
  BatchFailed(std::size_t index, std::string change, const std::string& reason,
              std::vector<std::string> rollback_problems, bool refused = true);
  std::size_t index() const { return m_index; }
  // true: QEMU answered with an error; false: it did not answer at all (a
  // busy, stopped or vanished monitor).
  bool refused() const { return m_refused; }
  const std::string& change() const { return m_change; }
  const std::string& reason() const { return m_reason; }
  const std::vector<std::string>& rollback_problems() const { return m_rollback_problems; }

private:
  std::size_t m_index;
  std::string m_change;
  std::string m_reason;
  std::vector<std::string> m_rollback_problems;
  bool m_refused;
};

// The caller's step after a batch (committing the configuration that
// matches it) failed: the batch was undone, except rollback_problems. what()
// is the step's own error.
class CommitFailed : public hpvm::Error {
public:
  CommitFailed(const std::string& reason, std::vector<std::string> rollback_problems, bool no_space)
      : hpvm::Error(reason), m_rollback_problems(std::move(rollback_problems)),
        m_no_space(no_space) {}
  const std::vector<std::string>& rollback_problems() const { return m_rollback_problems; }
  // The step failed as an hpvm::NoSpace (whose message already says nothing
  // was changed).
  bool no_space() const { return m_no_space; }

private:
  std::vector<std::string> m_rollback_problems;
  bool m_no_space;
};

// Applies `changes` in order, undoing them all when one fails. `commit`, when
// given, runs once they are all made, while they can still be undone: when it
// throws, the batch is undone and CommitFailed thrown, so the guest never
// keeps a change its configuration did not get.
BatchResult apply_batch(QmpClient& qmp, const std::vector<HotChange>& changes,
                        const BatchOptions& options = {},
                        const std::function<void(const BatchResult&)>& commit = {});

// What the running guest has, by QEMU id (see machine.hpp).
struct LiveDevices {
  std::set<std::string> ids;                  // /machine/peripheral children
  std::map<std::string, std::string> types;   // id -> QEMU device model (megasas, e1000, ...)
  std::map<std::string, std::string> backing; // target id -> file QEMU has open
  std::map<std::string, std::string> macs;    // vNIC id -> MAC, "aa:bb:cc:dd:ee:ff"
  std::set<std::string> removal_pending;      // PCI devices asked to leave, still present
  // Our block nodes and tap netdevs that no device uses: what a command killed
  // between blockdev-add (netdev_add) and device_add leaves behind.
  std::set<std::string> orphan_nodes;
  std::set<std::string> orphan_netdevs;
};
// The ids of the devices the guest has (children of /machine/peripheral).
std::set<std::string> peripheral_ids(QmpClient& qmp);
// `pending_file` as in BatchOptions; "" when not wanted.
LiveDevices live_devices(QmpClient& qmp, const std::filesystem::path& pending_file = {});
// Deletes the orphans `live` lists; returns one line per object removed.
std::vector<std::string> remove_orphans(QmpClient& qmp, const LiveDevices& live);
// The ids recorded in `pending_file` (removals asked of the guest).
std::set<std::string> recorded_removals(const std::filesystem::path& pending_file);
// Rewrites `pending_file` to hold only `ids` (deletes it when empty).
void record_removals(const std::filesystem::path& pending_file, const std::set<std::string>& ids);

// The descriptors of `qemu`'s tap files whose tap was deleted on the host:
// the kernel leaves such a file detached (its fdinfo's "iff:" names no tap).
std::vector<int> detached_tap_files(pid_t qemu);

// Puts a vNIC whose tap was deleted on the host back on the wire, with
// nothing changed in the guest (a PCI re-plug needs the guest OS to release
// the device, which a guest at its firmware never does). The kernel leaves
// QEMU's open file of a deleted tap detached; the tap is made again
// (create_port_tap(port)) and that file, taken from QEMU (`qemu`, with
// pidfd_getfd), attached to it with the header length QEMU had set on the
// old one. Throws hpvm::Error, with no tap left made, when QEMU holds no
// detached tap file or more than one (whose is which cannot be told).
void reconnect_tap(QmpClient& qmp, pid_t qemu, const GuestNic& nic, const PortRequest& port);

} // namespace avio
