#include "vmconfig/ops/live.hpp"

#include "vmconfig/model/characteristics.hpp"
#include "vmconfig/model/grammar.hpp"
#include "vmconfig/ops/guests.hpp"
#include "vmconfig/ops/modify.hpp"
#include "vmconfig/ops/runtime.hpp"
#include "vmconfig/ops/runtime_devices.hpp"
#include "vmconfig/ops/vswitch.hpp"

#include <avio/balloon.hpp>
#include <avio/error.hpp>
#include <avio/guest_process.hpp>
#include <avio/qmp.hpp>
#include <avio/vswitch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <set>

using namespace std::chrono_literals;

namespace vmconfig {

namespace {

// Ends each difference only a restart removes (hpvmmodify -R lists them).
constexpr std::string_view k_next_start = "(at the next start)";

// The guest's taps on the host that no vNIC of its configuration or of the
// running guest (`live`) has: made for a hot-add that a killed command
// never finished.
std::vector<std::string> leftover_taps(const Guest& g, const avio::LiveDevices& live) {
  std::vector<std::string> out;
  for (const auto& [tap, address] : avio::guest_taps(g.vm_number)) {
    const bool configured =
        std::any_of(g.networks.begin(), g.networks.end(),
                    [&](const NetworkDevice& n) { return n.address == address; });
    const bool in_qemu = live.ids.contains(avio::nic_id(address)) ||
                         live.orphan_netdevs.contains(avio::netdev_id(address));
    if (!configured && !in_qemu) {
      out.push_back(tap);
    }
  }
  return out;
}

// Marks `state` unknown: QEMU could not be asked (`problem`, said in a few
// words by `reason`).
void set_unknown(LiveState& state, std::string problem, std::string reason) {
  state.qemu_status = "unknown";
  state.problem = std::move(problem);
  state.unknown = std::move(reason);
}

// A stopped QEMU cannot answer: said at once instead of waiting for it.
bool stopped(const avio::RunDir& run, const std::string& guest, LiveState& state) {
  if (const auto pid = avio::stopped_qemu(run)) {
    set_unknown(state, avio::stopped_qemu_problem(*pid, guest),
                fmt::format("QEMU stopped, pid {}", *pid));
    return true;
  }
  return false;
}

// A QEMU that sent its guest away (status postmigrate) while no command
// works on the guest: an hpvmmigrate -o killed after the stream, before it
// marked this copy. Without the hand-over marker the target was never told
// to take the guest over (it dropped its copy when its source went away):
// the guest runs nowhere and can be resumed here. With it, the target may
// run the guest: Invalid, with what to check.
bool interrupted_migration(const avio::RunDir& run, const std::string& guest,
                           const std::string& status, LiveState& state) {
  if (status != "postmigrate" || avio::runtime_lock_held(run)) {
    return false;
  }
  if (const auto target = avio::handover_target(run)) {
    set_unknown(state, handed_over_problem(guest, *target, true),
                fmt::format("interrupted after handing over to {}", *target));
    return true;
  }
  set_unknown(state,
              fmt::format("QEMU sent the guest to another VM Host and is paused (postmigrate), "
                          "but no hpvmmigrate runs: a migration was interrupted after its stream, "
                          "before the target was told to take the guest over. The guest runs "
                          "nowhere: 'hpvmstart -P {}' resumes it here",
                          guest),
              "paused after an interrupted migration");
  return true;
}

// QEMU did not answer. Its state is unknown (Invalid) when its monitor is
// busy or does not respond; a QEMU with no monitor to ask (no socket, as
// the test suites' stand-ins) runs on as far as anyone can tell.
void unanswered(const hpvm::Error& e, LiveState& state) {
  const auto* monitor = dynamic_cast<const avio::MonitorUnavailable*>(&e);
  set_unknown(state, e.what(), monitor ? monitor->reason() : "");
}

// Whether the tap of the running guest's vNIC `n` is gone or held by no one:
// QEMU opens a vNIC's tap only when it plugs the vNIC, so no other tap
// reaches it.
bool cut_off(const Guest& g, const NetworkDevice& n) {
  const auto tap = avio::link_state(avio::tap_name(g.vm_number, n.address.bus, n.address.slot));
  return !tap.exists || !tap.carrier;
}

} // namespace

// What to check and do about a copy an interrupted migration had told
// `target` to take over (the hand-over marker): its QEMU paused here
// (`paused`) or the guest Off (offline, or stopped since).
std::string handed_over_problem(const std::string& guest, const std::string& target, bool paused) {
  return fmt::format(
      "{} migration was interrupted after it told the VM Host '{}' to take the "
      "guest over, and '{}' may run it. Check '{}': if the guest runs there, "
      "{}'hpvmremove -P {}' {} this copy (hpvmmigrate on '{}' can bring the guest "
      "back); if not, 'hpvmstart -P {} -F' {} here",
      paused ? "QEMU sent the guest away and is paused (postmigrate): a" : "A", target, target,
      target, paused ? fmt::format("'hpvmstop -P {} -F' and ", guest) : "", guest,
      paused ? "remove" : "removes", target, guest, paused ? "resumes it" : "starts it");
}

std::vector<std::string> resync_running_guest(Store& store, const Guest& configured,
                                              std::chrono::milliseconds removal_timeout) {
  const avio::RunDir run = run_dir(store.root(), configured.uuid);
  avio::RuntimeLock lock(run, avio::k_runtime_lock_wait, configured.name);
  avio::QmpClient qmp(run.qmp_socket());
  const avio::LiveDevices live = avio::live_devices(qmp, run.pending_removals_file());
  // Removals the guest completed since they were reported pending leave the
  // configuration first, so they are not added back.
  auto recorded = avio::recorded_removals(run.pending_removals_file());
  std::set<std::string> released;
  std::set_difference(recorded.begin(), recorded.end(), live.ids.begin(), live.ids.end(),
                      std::inserter(released, released.end()));
  std::vector<std::string> done;
  for (const auto& nic : drop_released_nics(store, configured, released)) {
    done.push_back(fmt::format("remove {} from the configuration: the guest released it", nic));
  }
  avio::record_removals(run.pending_removals_file(), live.removal_pending);
  const Guest guest = done.empty() ? configured : find_guest(store, configured.name);
  const auto orphans = avio::remove_orphans(qmp, live);
  done.insert(done.end(), orphans.begin(), orphans.end());
  // The tap the dead command made for such a netdev, unless a configured
  // vNIC (re-added below) owns it.
  for (const auto& netdev : live.orphan_netdevs) {
    const auto address = avio::netdev_address_of(netdev);
    const bool owned =
        !address || std::any_of(guest.networks.begin(), guest.networks.end(),
                                [&](const NetworkDevice& n) { return n.address == *address; });
    if (!owned) {
      avio::remove_port_tap(avio::tap_name(guest.vm_number, address->bus, address->slot));
    }
  }

  for (const auto& tap : leftover_taps(guest, live)) {
    avio::remove_port_tap(tap);
    done.push_back(fmt::format("remove the unused tap '{}'", tap));
  }

  // vNICs whose tap was deleted on the host: a new tap, and QEMU's file of
  // the old one attached to it.
  for (const auto& n : guest.networks) {
    const std::string id = avio::nic_id(n.address);
    if (!live.ids.contains(id) || live.removal_pending.contains(id) || !cut_off(guest, n)) {
      continue;
    }
    const auto request = port_request(store, guest, n);
    const auto pid = avio::running_qemu(run);
    if (!request || !pid) {
      continue; // no vswitch to put it on: hpvmstatus keeps saying so
    }
    try {
      avio::reconnect_tap(qmp, *pid, runtime_nic(guest, n), *request);
      done.push_back(fmt::format("reconnect {} {},{} through a new tap {} on {}",
                                 to_string(n.adapter), n.address.bus, n.address.slot, request->tap,
                                 avio::port_bridge(request->bridge, request->untagged_vlan)));
    } catch (const hpvm::Error& e) {
      done.push_back(fmt::format("{} : cut off and not reconnected: {}; a restart reconnects it",
                                 format(n), e.what()));
    }
  }

  std::vector<avio::HotChange> changes;
  std::set<std::string> configured_ids;
  for (const auto& d : guest.storage) {
    const auto disk = runtime_disk(d);
    const std::string id = avio::target_id(d.address);
    configured_ids.insert(id);
    configured_ids.insert(avio::adapter_id(d.address.bus, d.address.slot));
    if (!live.ids.contains(id)) {
      changes.emplace_back(avio::AddStorage{disk});
      continue;
    }
    const auto it = live.backing.find(id);
    const std::string running = it == live.backing.end() ? "" : it->second;
    if (running != disk.location) {
      auto from = disk;
      from.location = running;
      changes.emplace_back(avio::ReplaceBacking{from, disk});
    }
  }
  for (const auto& n : guest.networks) {
    const auto nic = runtime_nic(guest, n);
    configured_ids.insert(avio::nic_id(n.address));
    if (!live.ids.contains(avio::nic_id(n.address))) {
      // Its tap on the vswitch first, as at a start.
      if (const auto request = port_request(store, guest, n)) {
        avio::create_port_tap(*request);
      }
      changes.emplace_back(avio::AddNic{nic});
    }
  }
  std::vector<std::pair<std::string, avio::HotChange>> adapters;
  for (const auto& id : live.ids) {
    if (configured_ids.contains(id) || id.rfind("hpvm.bus", 0) == 0) {
      continue;
    }
    if (const auto target = avio::target_address_of(id)) {
      const auto it = live.backing.find(id);
      avio::GuestDisk disk{DeviceType::disk, StorageAdapter::avio_stor, *target, StorageType::file,
                           it == live.backing.end() ? "" : it->second};
      changes.emplace_back(avio::RemoveStorage{disk});
    } else if (const auto nic = avio::nic_address_of(id);
               nic && !live.removal_pending.contains(id)) {
      const auto type = live.types.find(id);
      const NetAdapter adapter =
          type != live.types.end() && type->second == avio::nic_model(NetAdapter::lan)
              ? NetAdapter::lan
              : NetAdapter::avio_lan;
      changes.emplace_back(avio::RemoveNic{avio::GuestNic{adapter, *nic, {}, {}}});
    } else if (const auto hba = avio::adapter_address_of(id);
               hba && !live.removal_pending.contains(id)) {
      // An adapter with no configured target (a killed hot-add plugged it):
      // removed once its targets, above, are.
      const auto type = live.types.find(id);
      const StorageAdapter adapter =
          type != live.types.end() && type->second == avio::adapter_model(StorageAdapter::scsi)
              ? StorageAdapter::scsi
              : StorageAdapter::avio_stor;
      adapters.push_back(
          {fmt::format("remove the {} adapter {},{}", to_string(adapter), hba->bus, hba->slot),
           avio::RemoveStorage{avio::GuestDisk{
               DeviceType::disk, adapter, {hba->bus, hba->slot, 0}, StorageType::file, ""}}});
    }
  }
  std::vector<std::string> descriptions;
  for (const auto& c : changes) {
    descriptions.push_back(avio::describe(c));
  }
  for (auto& [description, change] : adapters) {
    descriptions.push_back(std::move(description));
    changes.push_back(std::move(change));
  }
  avio::BatchOptions options;
  options.removal_timeout = removal_timeout;
  options.pending_file = run.pending_removals_file();
  const auto result = avio::apply_batch(qmp, changes, options);
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const bool removed = result.outcomes[i] == avio::Outcome::done;
    done.push_back(descriptions[i] + (removed ? "" : ": removal pending"));
    // The tap the dead command made for a vNIC that is not configured.
    if (const auto* nic = std::get_if<avio::RemoveNic>(&changes[i]); nic && removed) {
      avio::remove_port_tap(
          avio::tap_name(guest.vm_number, nic->nic.address.bus, nic->nic.address.slot));
    }
  }
  return done;
}

std::vector<std::string> resync_guest(Store& store, const std::string& name) {
  const Guest guest = find_guest(store, name);
  if (!run_state(store.root(), guest.uuid).on) {
    throw hpvm::Error(
        fmt::format("The guest '{}' is not running: there is nothing to bring in line "
                    "(hpvmstop -P {} removes stale run files).",
                    name, name),
        name);
  }
  avio::refuse_stopped_qemu(run_dir(store.root(), guest.uuid), name);
  auto done = resync_running_guest(store, guest, k_removal_timeout);
  // What only a restart can change is said, not done; asked once the
  // monitor is free again (QEMU lets one client in at a time).
  for (const auto& line : live_state(store, find_guest(store, name)).differences) {
    if (line.ends_with(k_next_start)) {
      done.push_back(line);
    }
  }
  return done;
}

namespace {

const char* adapter_kind(const std::string& model) {
  return model == avio::adapter_model(StorageAdapter::avio_stor) ? "avio_stor" : "scsi";
}

const char* nic_kind(const std::string& model) {
  return model == avio::nic_model(NetAdapter::avio_lan) ? "avio_lan" : "lan";
}

// What differs between a configured vNIC and the one QEMU runs: its model,
// MAC and vswitch (the bridge its tap is a port of). Only a start changes them.
void compare_nic(Store& store, const Guest& g, const NetworkDevice& n,
                 const avio::LiveDevices& live, std::vector<std::string>& differences) {
  const std::string id = avio::nic_id(n.address);
  const auto next = [&](const std::string& what) {
    differences.push_back(fmt::format("{} : running {} {}", format(n), what, k_next_start));
  };
  if (const auto type = live.types.find(id);
      type != live.types.end() && type->second != avio::nic_model(n.adapter)) {
    next(fmt::format("as {}", nic_kind(type->second)));
  }
  if (const auto mac = live.macs.find(id); mac != live.macs.end() && mac->second != n.mac.colon()) {
    next(fmt::format("with MAC {}", mac->second));
  }
  const auto request = port_request(store, g, n);
  const std::string tap_name = avio::tap_name(g.vm_number, n.address.bus, n.address.slot);
  const auto tap = avio::link_state(tap_name);
  if (cut_off(g, n)) {
    differences.push_back(
        fmt::format("{} : cut off, QEMU no longer holds its tap {} (deleted on the host)",
                    format(n), tap_name));
    return;
  }
  if (!request) {
    return;
  }
  // The vswitch's bridge, or its port VLAN's.
  const std::string bridge = avio::port_bridge(request->bridge, request->untagged_vlan);
  if (!tap.master.empty() && tap.master != bridge) {
    next(fmt::format("on the bridge {}, not on vswitch '{}' ({})", tap.master, n.vswitch, bridge));
  }
}

} // namespace

LiveState live_state(Store& store, const Guest& g) {
  LiveState state;
  const avio::RunDir run = run_dir(store.root(), g.uuid);
  // Known without QEMU: the target this suite last asked of it.
  state.balloon_target_mb = avio::recorded_balloon_target(run);
  avio::LiveDevices live;
  std::set<std::string> recorded;
  if (stopped(run, g.name, state)) {
    return state;
  }
  try {
    avio::QmpClient qmp(run.qmp_socket(), 2000ms);
    state.qemu_status = avio::json_text(qmp.execute("query-status"), "status", "unknown");
    if (interrupted_migration(run, g.name, state.qemu_status, state)) {
      return state;
    }
    live = avio::live_devices(qmp, run.pending_removals_file());
    recorded = avio::recorded_removals(run.pending_removals_file());
    // vCPUs and memory change only at a start: a difference is a pending change.
    const auto cpus = qmp.execute("query-cpus-fast").size();
    if (cpus != static_cast<std::size_t>(g.vcpus)) {
      state.differences.push_back(
          fmt::format("vCPUs : {} configured, {} running {}", g.vcpus, cpus, k_next_start));
    }
    const avio::Json summary = qmp.execute("query-memory-size-summary");
    const avio::Json& base = avio::json_member(summary, "base-memory");
    const auto memory_mb = (base.is_number_unsigned() ? base.get<std::uint64_t>() : 0U) >> 20U;
    if (memory_mb != g.memory_mb) {
      state.differences.push_back(fmt::format("Memory : {} MB configured, {} MB running {}",
                                              g.memory_mb, memory_mb, k_next_start));
    }
    // The balloon is plugged at a start only.
    const bool configured = dynamic_memory(g).has_value();
    const bool balloon = live.ids.contains(avio::k_balloon_id);
    if (balloon) {
      state.balloon_mb = avio::balloon_size_mb(qmp);
      try {
        const auto stats = avio::balloon_stats(qmp);
        state.guest_free_mb = stats.free_mb;
        state.guest_available_mb = stats.available_mb;
      } catch (const avio::QmpError&) {
        // A QEMU without guest-stats: the figures stay unknown.
      }
    }
    if (configured != balloon) {
      state.differences.push_back(
          fmt::format("Dynamic memory : {} {}",
                      configured ? "configured, the running guest has no balloon device"
                                 : "off, the running guest has a balloon device",
                      k_next_start));
    }
  } catch (const hpvm::Error& e) {
    unanswered(e, state);
    return state;
  }
  // Every id the configuration expects, with the backing store it names.
  std::map<std::string, std::string> expected; // id -> what it is
  for (const auto& d : g.storage) {
    const auto disk = runtime_disk(d);
    const std::string adapter = avio::adapter_id(d.address.bus, d.address.slot);
    const std::string adapter_text =
        fmt::format("{} adapter {},{}", to_string(d.adapter), d.address.bus, d.address.slot);
    if (expected.emplace(adapter, adapter_text).second) {
      const auto type = live.types.find(adapter);
      if (type != live.types.end() && type->second != avio::adapter_model(d.adapter)) {
        state.differences.push_back(fmt::format("{} : running as {} {}", adapter_text,
                                                adapter_kind(type->second), k_next_start));
      }
    }
    const std::string id = avio::target_id(d.address);
    expected.emplace(id, format(d));
    if (live.ids.contains(id)) {
      const auto it = live.backing.find(id);
      const std::string running = it == live.backing.end() ? "" : it->second;
      if (running != disk.location) {
        state.differences.push_back(fmt::format("{} : running with '{}'", format(d),
                                                running.empty() ? "no medium" : running));
      }
    }
  }
  for (const auto& n : g.networks) {
    const std::string id = avio::nic_id(n.address);
    expected.emplace(id, format(n));
    if (recorded.contains(id) && !live.ids.contains(id)) {
      state.pending.push_back(format(n) +
                              " : released by the guest; hpvmmodify -R or hpvmstop removes it "
                              "from the configuration");
    } else if (live.ids.contains(id)) {
      compare_nic(store, g, n, live, state.differences);
    }
  }
  for (const auto& [id, what] : expected) {
    if (!live.ids.contains(id) && !recorded.contains(id)) {
      state.differences.push_back(what + " : configured, not in the running guest");
    }
  }
  for (const auto& id : live.ids) {
    if (!avio::fixed_device_id(id) && !expected.contains(id) &&
        !live.removal_pending.contains(id)) {
      const auto it = live.backing.find(id);
      state.differences.push_back(
          fmt::format("{}{} : in the running guest, not configured", id,
                      it == live.backing.end() ? "" : fmt::format(" ({})", it->second)));
    }
  }
  for (const auto& node : live.orphan_nodes) {
    state.differences.push_back(
        fmt::format("block node {} : left by an interrupted command, used by no device", node));
  }
  for (const auto& netdev : live.orphan_netdevs) {
    state.differences.push_back(
        fmt::format("netdev {} : left by an interrupted command, used by no vNIC", netdev));
  }
  for (const auto& tap : leftover_taps(g, live)) {
    state.differences.push_back(
        fmt::format("tap {} : left by an interrupted command, used by no vNIC", tap));
  }
  for (const auto& id : live.removal_pending) {
    const auto it = expected.find(id);
    std::string what = it == expected.end() ? id : it->second;
    const auto type = live.types.find(id);
    const std::string model = type == live.types.end() ? "" : type->second;
    if (it == expected.end()) { // no longer configured: named by type and address
      if (const auto adapter = avio::adapter_address_of(id)) {
        what = fmt::format("{} adapter {},{}", adapter_kind(model), adapter->bus, adapter->slot);
      } else if (const auto nic = avio::nic_address_of(id)) {
        what = fmt::format("{} vNIC {},{}", nic_kind(model), nic->bus, nic->slot);
      }
    }
    state.pending.push_back(what + " : removal pending");
  }
  if (std::any_of(state.differences.begin(), state.differences.end(),
                  [](const std::string& d) { return !d.ends_with(k_next_start); })) {
    state.repair = fmt::format("hpvmmodify -P {} -R", g.name);
  }
  return state;
}

std::optional<LiveState> unknown_runtime(const std::filesystem::path& root, const std::string& uuid,
                                         const std::string& name) {
  const avio::RunDir run = run_dir(root, uuid);
  LiveState state;
  if (stopped(run, name, state)) {
    return state;
  }
  try {
    avio::QmpClient qmp(run.qmp_socket(), 2000ms);
    const std::string status = avio::json_text(qmp.execute("query-status"), "status", "unknown");
    interrupted_migration(run, name, status, state);
  } catch (const hpvm::Error& e) {
    unanswered(e, state);
  }
  return state.unknown.empty() ? std::nullopt : std::optional<LiveState>(std::move(state));
}

std::optional<LiveState> runtime_report(Store& store, const Guest& guest, RunState state) {
  if (state.on) {
    return live_state(store, guest);
  }
  const avio::RunDir run = run_dir(store.root(), guest.uuid);
  if (const auto target = avio::handover_target(run); target && guest.runnable) {
    LiveState handed;
    handed.qemu_status = "not running";
    handed.problem = handed_over_problem(guest.name, *target, false);
    return handed;
  }
  if (avio::stale_files(run).empty()) {
    return std::nullopt;
  }
  LiveState stale;
  stale.qemu_status = "not running";
  stale.problem = "QEMU exited without cleaning up; run 'hpvmstop -P " + guest.name +
                  "' to remove its stale run files";
  return stale;
}

std::optional<LiveState> balloon_report(Store& store, const Guest& guest, RunState state) {
  if (!state.on || !dynamic_memory(guest)) {
    return std::nullopt;
  }
  const avio::RunDir run = run_dir(store.root(), guest.uuid);
  LiveState live;
  live.balloon_target_mb = avio::recorded_balloon_target(run);
  // A stopped QEMU cannot answer: its size is unknown at once.
  if (const auto pid = avio::running_qemu(run); !pid || avio::process_stopped(*pid)) {
    return live;
  }
  try {
    avio::QmpClient qmp(run.qmp_socket(), 2000ms);
    live.balloon_mb = avio::balloon_size_mb(qmp);
  } catch (const hpvm::Error&) {
    // Busy or gone: the size stays unknown.
  }
  return live;
}

} // namespace vmconfig
