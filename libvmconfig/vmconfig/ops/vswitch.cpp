// Long (~600 lines) for one job: hpvmnet's operations (-c -b -h -d -u -r) and
// the host queries that fill its tables; the tables themselves are in
// render/render_vswitch.*.
#include "vmconfig/ops/vswitch.hpp"

#include "vmconfig/model/grammar.hpp"
#include "vmconfig/model/names.hpp"
#include "vmconfig/ops/runtime.hpp"
#include "vmconfig/render/render_vswitch.hpp"
#include "vmconfig/store/errors.hpp"

#include <avio/error.hpp>
#include <avio/hotplug.hpp>
#include <avio/text.hpp>
#include <avio/types.hpp>

#include <fmt/format.h>

#include <charconv>
#include <functional>
#include <limits>

namespace vmconfig {

namespace {

// hpvmnet names the vswitch where hpvmcreate names the guest.
[[noreturn]] void fail(const std::string& vswitch, const std::string& message) {
  throw hpvm::Error(message, vswitch);
}

// Runs `body`; a host error (from libavio, which knows no vswitch names) is
// re-thrown naming the vswitch.
template <typename Body> Report tagged(const std::string& vswitch, Body body) {
  try {
    return body();
  } catch (const hpvm::Refused&) {
    throw;
  } catch (const hpvm::UsageError&) {
    throw;
  } catch (const hpvm::Error& e) {
    if (!e.guest().empty()) {
      throw;
    }
    throw hpvm::Error(e.what(), vswitch);
  }
}

Vswitch find_vswitch(VswitchStore& vs, const std::string& name) {
  // Looked up first (a bound parameter): a vswitch recorded under a name
  // longer than today's limit can still be shown and deleted.
  if (auto v = vs.find(name)) {
    return *v;
  }
  if (auto problem = vswitch_name_problem(name)) {
    fail(name, fmt::format("Invalid {}.", *problem));
  }
  fail(name, fmt::format("The vswitch '{}' does not exist.", name));
}

std::string bridge_of(const Vswitch& v) {
  return avio::bridge_name(v.number);
}

bool booted(const Vswitch& v) {
  const auto s = avio::link_state(bridge_of(v));
  return s.exists && s.up && s.kind == "bridge";
}

// A local vswitch recorded Up needs nothing from the host: it is Up, and
// its bridge is created when a port is attached (localnet on a fresh host,
// any local vswitch after a host reboot).
bool up_on_demand(const Vswitch& v) {
  return v.up && v.uplink.empty();
}

// What the State column says: ports can be attached now (not to the
// bridge a killed hpvmnet -b left: leftover_bridge).
bool shown_up(const Vswitch& v) {
  return up_on_demand(v) || (v.up && booted(v));
}

std::optional<int> lowest_free_port(const std::set<int>& used) {
  for (int p = 0; p <= avio::k_max_port; ++p) {
    if (used.count(p) == 0) {
      return p;
    }
  }
  return std::nullopt;
}

// Gives ports to the vNICs on `v` that have none (configured before it existed).
void place_unplaced(VswitchStore& vs, const Vswitch& v, std::vector<std::string>& warnings) {
  std::set<int> used = vs.used_ports(v.name);
  for (const auto& h : vs.unplaced(v.name)) {
    auto port = lowest_free_port(used);
    if (!port) {
      warnings.push_back(fmt::format("The vswitch '{}' has no free port (0-{}) for guest '{}'.",
                                     v.name, avio::k_max_port, h.guest));
      return;
    }
    used.insert(*port);
    vs.set_nic_port(h.guest, h.nic.address, port);
  }
}

avio::PortRequest request_for(const Vswitch& v, const PortHolder& h,
                              const std::map<int, int>& vlans) {
  std::optional<int> vlan;
  if (h.port) {
    if (auto it = vlans.find(*h.port); it != vlans.end()) {
      vlan = it->second;
    }
  }
  std::optional<std::string> uplink;
  if (!v.uplink.empty()) {
    uplink = v.uplink;
  }
  return {bridge_of(v), avio::tap_name(h.vm_number, h.nic.address.bus, h.nic.address.slot),
          h.nic.mac, vlan, uplink};
}

// Whether the tap of `request` is where it belongs (avio::port_bridge).
bool attached(const avio::PortRequest& request) {
  return avio::link_state(request.tap).master ==
         avio::port_bridge(request.bridge, request.untagged_vlan);
}

// The host side of `v` with its ports on `port_vlans` (port -> VLAN).
avio::BridgeRequest bridge_request(const Vswitch& v, const std::map<int, int>& port_vlans) {
  avio::BridgeRequest r;
  r.bridge = bridge_of(v);
  if (!v.uplink.empty()) {
    r.uplink = v.uplink;
  }
  r.vlans = configured_vlans(port_vlans);
  return r;
}

// The warning for VLANs whose bridge the uplink cannot join: they work
// between this host's guests only.
void report_local_vlans(const Vswitch& v, const std::set<int>& vlans,
                        std::vector<std::string>& warnings) {
  if (vlans.empty()) {
    return;
  }
  std::vector<std::string> ids;
  for (int vlan : vlans) {
    ids.push_back(std::to_string(vlan));
  }
  const bool one = vlans.size() == 1;
  // Named in full: hpvmnet -b without -S prints it with no vswitch name.
  warnings.push_back(fmt::format(
      "{} {} of the vswitch '{}' {} local to this host: its uplink '{}' does not carry {} (no "
      "802.1Q VLAN interface can be made on it: this kernel has no 8021q, or the interface "
      "cannot carry VLANs).",
      one ? "VLAN" : "VLANs", avio::join(ids, ", "), v.name, one ? "is" : "are", v.uplink,
      one ? "it" : "them"));
}

// A bridge of a vswitch recorded Down: only an hpvmnet -b killed before its
// commit leaves one (-h deletes it, and no port attaches to such a vswitch),
// with the VLAN bridges it made after it (avio::vlan_bridges; halt_bridge
// deletes them before the bridge, so none outlives it).
bool leftover_bridge(const Vswitch& v) {
  return !v.up && avio::link_state(bridge_of(v)).exists;
}

// "hpvsw3", or "hpvsw3 (and its VLAN bridges hpvsw3v10, hpvsw3v20)".
std::string leftover_bridges(const Vswitch& v) {
  const auto vlans = avio::vlan_bridges(bridge_of(v));
  if (vlans.empty()) {
    return bridge_of(v);
  }
  return fmt::format("{} (and its VLAN {} {})", bridge_of(v),
                     vlans.size() == 1 ? "bridge" : "bridges", avio::join(vlans, ", "));
}

// Called under the write lock.
void remove_leftover_bridge(const Vswitch& v, std::vector<std::string>& warnings) {
  if (leftover_bridge(v)) {
    const std::string what = leftover_bridges(v);
    avio::halt_bridge(bridge_of(v)); // its VLAN bridges too
    warnings.push_back(fmt::format("Removed the bridge {} of the vswitch '{}', which is recorded "
                                   "down: an interrupted hpvmnet -b left it.",
                                   what, v.name));
  }
}

std::string leftover_bridge_note(const Vswitch& v) {
  return fmt::format("The bridge {} of the vswitch '{}' exists, but the vswitch is recorded down: "
                     "an interrupted hpvmnet -b left it. hpvmnet -b -S {} boots the vswitch, "
                     "hpvmnet -r removes the bridge.",
                     leftover_bridges(v), v.name, v.name);
}

// Makes a booted vswitch's ports match the running guests: their taps are
// (re-)created and attached; taps left behind by guests no longer running
// are removed. A tap deleted on the host under a running QEMU (which still
// holds the file the kernel detached from it) is not made again: QEMU would
// not hold the new one (hpvmmodify -R reconnects the vNIC).
void reattach(Store& store, VswitchStore& vs, const Vswitch& v,
              std::vector<std::string>& warnings) {
  const auto vlans = vs.port_vlans(v.id);
  for (const auto& [port, h] : vs.holders(v.name)) {
    try {
      const std::string tap = avio::tap_name(h.vm_number, h.nic.address.bus, h.nic.address.slot);
      if (!run_state(store.root(), h.uuid).on) {
        avio::remove_port_tap(tap);
        continue;
      }
      const auto qemu = avio::running_qemu(run_dir(store.root(), h.uuid));
      if (!avio::link_state(tap).exists && qemu && !avio::detached_tap_files(*qemu).empty()) {
        warnings.push_back(fmt::format(
            "The tap {} of the running guest '{}' (vNIC at bus {} device {}) was deleted on the "
            "host: its vNIC is cut off; hpvmmodify -P {} -R reconnects it.",
            tap, h.guest, h.nic.address.bus, h.nic.address.slot, h.guest));
        continue;
      }
      avio::create_port_tap(request_for(v, h, vlans));
    } catch (const hpvm::Error& e) {
      warnings.push_back(fmt::format("Port {} of guest '{}': {}", port, h.guest, e.what()));
    }
  }
}

// Removes the taps a killed command left: every tap of a guest that is not
// running, and a running guest's taps that no vNIC is configured on and QEMU
// does not hold (a hot-add killed before QEMU opened its tap).
void remove_leftover_taps(Store& store, std::vector<std::string>& warnings) {
  for (const auto& g : store.load_guests()) {
    const bool on = run_state(store.root(), g.uuid).on;
    for (const auto& [tap, address] : avio::guest_taps(g.vm_number)) {
      const bool configured =
          std::any_of(g.networks.begin(), g.networks.end(),
                      [&](const NetworkDevice& n) { return n.address == address; });
      if (on && (configured || avio::link_state(tap).carrier)) {
        continue;
      }
      avio::remove_port_tap(tap);
      if (configured) {
        continue; // a stopped guest's port, as reattach() removes them
      }
      warnings.push_back(fmt::format("Removed the tap {} of guest '{}', left by an interrupted "
                                     "command (no vNIC of the guest uses it).",
                                     tap, g.name));
    }
  }
}

// The running guests' taps on a booted vswitch's bridge, to be attached
// again if the command that detaches them cannot commit.
struct AttachedPorts {
  avio::BridgeRequest bridge;
  std::vector<avio::PortRequest> ports;
};

AttachedPorts attached_ports(VswitchStore& vs, const Vswitch& v) {
  const auto vlans = vs.port_vlans(v.id);
  AttachedPorts out{bridge_request(v, vlans), {}};
  for (const auto& [port, h] : vs.holders(v.name)) {
    auto request = request_for(v, h, vlans);
    if (attached(request)) {
      out.ports.push_back(std::move(request));
    }
  }
  return out;
}

void attach_again(const AttachedPorts& attached) {
  avio::boot_bridge(attached.bridge);
  for (const auto& p : attached.ports) {
    avio::create_port_tap(p);
  }
}

// Commits `tx`; when the commit fails, `undo` puts the host back as it was
// before this command, and the error says whether it could.
void commit_or_undo(Store::WriteTransaction& tx, const std::function<void()>& undo) {
  try {
    tx.commit();
    return;
  } catch (...) {
    std::string reason;
    bool no_space = false; // its message says itself that nothing was changed
    try {
      rethrow_as_project_error();
    } catch (const hpvm::NoSpace& e) {
      reason = e.what();
      no_space = true;
    } catch (const std::exception& e) {
      reason = e.what();
    }
    if (!reason.ends_with('.')) {
      reason += '.';
    }
    try {
      undo();
    } catch (const hpvm::Error& e) {
      throw hpvm::Error(fmt::format("{} The host could not be put back as it was ({}); hpvmnet "
                                    "-b or -r brings it in line with the configuration.",
                                    reason, e.what()));
    }
    throw hpvm::Error(reason + (no_space
                                    ? " The host was put back as it was."
                                    : " The host was put back as it was: nothing was changed."));
  }
}

// Makes the host changes `change`, then commits `tx`; when either fails,
// `undo` puts the host back as it was before this command (a step that
// failed halfway may have left some changes made), and the error says
// whether it could.
void change_host_and_commit(Store::WriteTransaction& tx, const std::function<void()>& change,
                            const std::function<void()>& undo) {
  try {
    change();
  } catch (const hpvm::Error& e) {
    try {
      undo();
    } catch (const hpvm::Error& u) {
      throw hpvm::Error(fmt::format("{} The host could not be put back as it was ({}); hpvmnet "
                                    "-b or -r brings it in line with the configuration.",
                                    e.what(), u.what()));
    }
    throw;
  }
  commit_or_undo(tx, undo);
}

// Why the host interface `uplink` may not be a vswitch's uplink because of
// the database: a vNIC has its MAC (or, for an uplink MAC starting with FE,
// that vNIC's tap would), so a guest would share its uplink's address.
std::optional<std::string> uplink_mac_problem(Store& store, const std::string& uplink) {
  const auto mac = avio::link_state(uplink).mac;
  if (!mac) {
    return std::nullopt;
  }
  for (const auto& h : store.mac_suffix_holders(*mac)) {
    if (h.mac == *mac) {
      return fmt::format("'{}' has the MAC address {} of guest '{}' (vNIC at bus {} device {})",
                         uplink, mac->canonical(), h.guest, h.address.bus, h.address.slot);
    }
    if (avio::tap_mac(h.mac) == *mac) {
      return fmt::format("'{}' has the MAC address {} of the tap of guest '{}' (vNIC at bus {} "
                         "device {})",
                         uplink, mac->canonical(), h.guest, h.address.bus, h.address.slot);
    }
  }
  return std::nullopt;
}

// Every reason `uplink` may not be the uplink of the bridge `bridge`.
std::optional<std::string> any_uplink_problem(Store& store, const std::string& uplink,
                                              const std::string& bridge) {
  if (auto problem = avio::uplink_problem(uplink, bridge)) {
    return problem;
  }
  return uplink_mac_problem(store, uplink);
}

bool any_running(Store& store, VswitchStore& vs, const Vswitch& v) {
  for (const auto& [port, h] : vs.holders(v.name)) {
    if (run_state(store.root(), h.uuid).on) {
      return true;
    }
  }
  return false;
}

void boot_one(Store& store, VswitchStore& vs, const Vswitch& v, Report& report) {
  if (!v.uplink.empty()) {
    if (auto problem = any_uplink_problem(store, v.uplink, bridge_of(v))) {
      fail(v.name, fmt::format("Cannot boot the vswitch '{}': {}.", v.name, *problem));
    }
  }
  const auto result = avio::boot_bridge(bridge_request(v, vs.port_vlans(v.id)));
  report_local_vlans(v, result.local_vlans, report.warnings);
  vs.set_up(v.id, true);
  place_unplaced(vs, v, report.warnings);
  reattach(store, vs, v, report.warnings);
}

// The uplink's MAC and first IPv4 address (unset and "" for a local vswitch).
void read_uplink(const Vswitch& v, VswitchStatus& out) {
  if (v.uplink.empty()) {
    return;
  }
  out.uplink_mac = avio::link_state(v.uplink).mac;
  // The host's address may sit on the uplink or, moved there, on the bridge.
  for (const auto& ifname : {v.uplink, bridge_of(v)}) {
    if (auto addresses = avio::ipv4_addresses(ifname); !addresses.empty()) {
      out.ip = addresses.front();
      return;
    }
  }
}

// Every port a vNIC holds or a VLAN is configured on, and whether it is active.
std::vector<VswitchPortStatus> port_statuses(Store& store, VswitchStore& vs, const Vswitch& v) {
  const auto holders = vs.holders(v.name);
  const auto vlans = vs.port_vlans(v.id);
  std::set<int> ports;
  for (const auto& [p, h] : holders) {
    ports.insert(p);
  }
  for (const auto& [p, vlan] : vlans) {
    ports.insert(p);
  }
  std::vector<VswitchPortStatus> out;
  for (int p : ports) {
    VswitchPortStatus status;
    status.port = p;
    if (const auto vlan = vlans.find(p); vlan != vlans.end()) {
      status.vlan = vlan->second;
    }
    if (const auto h = holders.find(p); h != holders.end()) {
      status.guest = h->second.guest;
      status.adapter = h->second.nic.adapter;
      // Active: the guest runs and its tap is on its bridge (not after -h,
      // which detaches it).
      status.active =
          run_state(store.root(), h->second.uuid).on && attached(request_for(v, h->second, vlans));
    }
    out.push_back(std::move(status));
  }
  return out;
}

// The counters of the uplink and of the guests' taps attached to the bridge.
std::vector<VswitchPortCounters> port_statistics(Store& store, VswitchStore& vs, const Vswitch& v) {
  std::vector<VswitchPortCounters> out;
  auto add = [&out](int port, const std::string& ifname, const std::string& guest) {
    const auto c = avio::port_counters(ifname);
    if (!c) {
      return;
    }
    out.push_back({port, ifname, guest, c->rx_packets, c->rx_bytes, c->tx_packets, c->tx_bytes,
                   c->rx_dropped + c->tx_dropped});
  };
  const std::string bridge = bridge_of(v);
  if (!v.uplink.empty() && avio::link_state(v.uplink).master == bridge) {
    add(avio::k_max_port + 1, v.uplink, ""); // HPVM calls the uplink port 512
  }
  const auto vlans = vs.port_vlans(v.id);
  for (const auto& [p, h] : vs.holders(v.name)) {
    const auto request = request_for(v, h, vlans);
    if (!attached(request)) {
      continue;
    }
    add(p, request.tap, run_state(store.root(), h.uuid).on ? h.guest : "");
  }
  return out;
}

int parse_int(std::string_view text, std::string_view what, const std::string& spec) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range && end == text.data() + text.size()) {
    // A number all the same: the caller's range check names the range.
    return text.front() == '-' ? std::numeric_limits<int>::min() : std::numeric_limits<int>::max();
  }
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw hpvm::UsageError(
        fmt::format("Invalid port setting '{}': {} '{}' is not a number.", spec, what, text));
  }
  return value;
}

} // namespace

std::set<int> configured_vlans(const std::map<int, int>& port_vlans) {
  std::set<int> out;
  for (const auto& [port, vlan] : port_vlans) {
    out.insert(vlan);
  }
  return out;
}

Vswitch require_vswitch(Store& store, const std::string& name) {
  VswitchStore vs(store);
  return find_vswitch(vs, name);
}

PortVlanSpec parse_port_vlan(const std::string& spec) {
  // portid:N:vlanid:V|none
  const auto fields = avio::split_view(spec, ':');
  if (fields.size() != 4 || fields[0] != "portid" || fields[2] != "vlanid") {
    throw hpvm::UsageError(fmt::format(
        "Invalid port setting '{}': expected portid:N:vlanid:V or portid:N:vlanid:none.", spec));
  }
  PortVlanSpec out;
  out.port = parse_int(fields[1], "port number", spec);
  if (out.port < 0 || out.port > avio::k_max_port) {
    throw hpvm::UsageError(fmt::format("Invalid port setting '{}': port number {} is out of range "
                                       "(0-{}).",
                                       spec, fields[1], avio::k_max_port));
  }
  if (fields[3] != "none") {
    const int vlan = parse_int(fields[3], "VLAN ID", spec);
    if (vlan < avio::k_min_port_vlan || vlan > avio::k_max_port_vlan) {
      throw hpvm::UsageError(fmt::format(
          "Invalid port setting '{}': VLAN ID {} is out of range ({}-{}; VLAN 1 carries the "
          "untagged network).",
          spec, fields[3], avio::k_min_port_vlan, avio::k_max_port_vlan));
    }
    out.vlan = vlan;
  }
  return out;
}

Report create_vswitch(Store& store, const std::string& name,
                      const std::optional<std::string>& uplink) {
  return tagged(name, [&]() -> Report {
    if (auto problem = vswitch_name_problem(name)) {
      fail(name, fmt::format("Invalid {}.", *problem));
    }
    Report report;
    Store::WriteTransaction tx(store);
    VswitchStore vs(store);
    if (vs.find(name)) {
      fail(name, fmt::format("The vswitch '{}' already exists.", name));
    }
    Vswitch v;
    v.name = name;
    v.number = vs.next_number();
    if (uplink) {
      for (const auto& other : vs.list()) {
        // A local vswitch's uplink is empty: an empty -n is no interface,
        // which the host check below says.
        if (!uplink->empty() && other.uplink == *uplink) {
          fail(name,
               fmt::format("The host interface '{}' is already the uplink of the vswitch '{}'.",
                           *uplink, other.name));
        }
      }
      if (auto problem = any_uplink_problem(store, *uplink, avio::bridge_name(v.number))) {
        fail(name, fmt::format("Cannot use '{}' as the uplink: {}.", *uplink, *problem));
      }
      v.uplink = *uplink;
    }
    vs.insert(v);
    place_unplaced(vs, v, report.warnings);
    tx.commit();
    return report;
  });
}

Report boot_vswitch(Store& store, const std::optional<std::string>& name) {
  Report report;
  Store::WriteTransaction tx(store);
  VswitchStore vs(store);
  std::vector<std::string> new_bridges; // deleted again when the commit fails
  const auto halt_new = [&] {
    for (const auto& bridge : new_bridges) {
      avio::halt_bridge(bridge);
    }
  };
  if (name) {
    return tagged(*name, [&] {
      const Vswitch v = find_vswitch(vs, *name);
      if (!avio::link_state(bridge_of(v)).exists) {
        new_bridges.push_back(bridge_of(v));
      }
      change_host_and_commit(
          tx, [&] { boot_one(store, vs, v, report); }, halt_new);
      return report;
    });
  }
  std::vector<std::string> problems;
  for (const auto& v : vs.list()) {
    if (!v.up) {
      continue;
    }
    try {
      if (!avio::link_state(bridge_of(v)).exists) {
        new_bridges.push_back(bridge_of(v));
      }
      boot_one(store, vs, v, report);
    } catch (const hpvm::Error& e) {
      problems.emplace_back(e.what());
    }
  }
  commit_or_undo(tx, halt_new);
  if (!problems.empty()) {
    throw hpvm::Refused(std::move(problems), "Not every vswitch was booted.", "");
  }
  return report;
}

Report halt_vswitch(Store& store, const std::string& name) {
  return tagged(name, [&]() -> Report {
    Store::WriteTransaction tx(store);
    VswitchStore vs(store);
    const Vswitch v = find_vswitch(vs, name);
    const bool was_booted = booted(v);
    const AttachedPorts ports = attached_ports(vs, v);
    vs.set_up(v.id, false);
    change_host_and_commit(
        tx, [&] { avio::halt_bridge(bridge_of(v)); },
        [&] {
          if (was_booted) {
            attach_again(ports);
          }
        });
    return {};
  });
}

Report delete_vswitch(Store& store, const std::string& name, bool force) {
  return tagged(name, [&]() -> Report {
    Store::WriteTransaction tx(store);
    VswitchStore vs(store);
    const Vswitch v = find_vswitch(vs, name);
    if (v.name == k_localnet) {
      fail(name, "The vswitch 'localnet' always exists; it cannot be deleted.");
    }
    Report report;
    if (const int guests = vs.guest_count(name); guests > 0) {
      if (!force) {
        fail(name, fmt::format("The vswitch '{}' is configured on {} guest(s); remove their vNICs "
                               "first, or use -F.",
                               name, guests));
      }
      report.warnings.push_back(
          fmt::format("{} guest(s) keep vNICs on the deleted vswitch '{}'.", guests, name));
    }
    const auto nics = vs.nics_on(name);
    vs.release_unpinned(name);
    vs.remove(v);
    // Committed first: a running guest's deleted tap cannot be given back.
    tx.commit();
    // The guests' taps go with the vswitch (a running guest's vNIC is left
    // unconnected, as on a vswitch that does not exist).
    for (const auto& h : nics) {
      avio::remove_port_tap(avio::tap_name(h.vm_number, h.nic.address.bus, h.nic.address.slot));
      if (run_state(store.root(), h.uuid).on) {
        report.warnings.push_back(fmt::format(
            "The running guest '{}' is no longer connected: its vNIC at bus {} device {} was on "
            "the vswitch '{}'.",
            h.guest, h.nic.address.bus, h.nic.address.slot, name));
      }
    }
    avio::halt_bridge(bridge_of(v));
    return report;
  });
}

Report set_port_vlan(Store& store, const std::string& name, const std::string& spec) {
  return tagged(name, [&]() -> Report {
    const PortVlanSpec want = parse_port_vlan(spec);
    Report report;
    Store::WriteTransaction tx(store);
    VswitchStore vs(store);
    const Vswitch v = find_vswitch(vs, name);
    remove_leftover_bridge(v, report.warnings);
    const auto before = vs.port_vlans(v.id);
    vs.set_port_vlan(v.id, want.port, want.vlan);
    if (!booted(v)) {
      tx.commit(); // the bridges follow when the vswitch boots
      return report;
    }
    // A booted vswitch takes the change at once: the new VLAN gets its bridge,
    // the old one loses it when no port is left on it, and the port's tap, if
    // attached, moves.
    const auto after = vs.port_vlans(v.id);
    std::optional<avio::PortRequest> tap_before;
    std::optional<avio::PortRequest> tap_after;
    const auto holders = vs.holders(v.name);
    if (auto h = holders.find(want.port); h != holders.end()) {
      if (auto request = request_for(v, h->second, before); attached(request)) {
        tap_before = std::move(request);
        tap_after = request_for(v, h->second, after);
      }
    }
    const auto apply = [&](const std::map<int, int>& vlans,
                           const std::optional<avio::PortRequest>& tap) {
      const auto result = avio::boot_bridge(bridge_request(v, vlans));
      if (tap) {
        avio::create_port_tap(*tap);
      }
      return result;
    };
    change_host_and_commit(
        tx,
        [&] {
          const auto result = apply(after, tap_after);
          if (want.vlan && result.local_vlans.count(*want.vlan) != 0) {
            report_local_vlans(v, {*want.vlan}, report.warnings);
          }
        },
        [&] { apply(before, tap_before); });
    return report;
  });
}

// Deletes the bridges a killed hpvmnet -b left (leftover_bridge), under the
// write lock: no -b is between its bridge and its commit meanwhile.
void remove_leftover_bridges(Store& store, const std::vector<Vswitch>& targets,
                             std::vector<std::string>& warnings) {
  const Store::WriteTransaction lock(store);
  VswitchStore vs(store);
  for (const auto& target : targets) {
    if (const auto v = vs.find(target.name)) {
      remove_leftover_bridge(*v, warnings);
    }
  }
}

Report reattach_ports(Store& store, const std::optional<std::string>& name) {
  Report report;
  VswitchStore vs(store);
  std::vector<Vswitch> targets;
  if (name) {
    targets.push_back(find_vswitch(vs, *name));
  } else {
    targets = vs.list();
  }
  if (std::any_of(targets.begin(), targets.end(), leftover_bridge)) {
    remove_leftover_bridges(store, targets, report.warnings);
  }
  for (const auto& v : targets) {
    if (up_on_demand(v) && !booted(v) && any_running(store, vs, v)) {
      avio::boot_bridge(bridge_request(v, vs.port_vlans(v.id)));
    }
    if (booted(v)) {
      reattach(store, vs, v, report.warnings);
    } else if (up_on_demand(v)) {
      continue; // no guest on it runs: its bridge waits for the first port
    } else if (name) {
      fail(v.name, fmt::format("The vswitch '{}' is down; boot it with hpvmnet -b.", v.name));
    }
  }
  remove_leftover_taps(store, report.warnings);
  return report;
}

std::string vswitch_report(Store& store, const std::optional<std::string>& name, NetView view,
                           std::vector<std::string>& warnings, bool json) {
  if (json && view == NetView::list) {
    view = NetView::ports;
  }
  VswitchStore vs(store);
  std::vector<Vswitch> shown;
  if (name) {
    shown.push_back(find_vswitch(vs, *name));
  } else {
    shown = vs.list();
  }
  std::vector<VswitchStatus> statuses;
  for (const auto& v : shown) {
    VswitchStatus status;
    status.vswitch = v;
    status.up = shown_up(v);
    if (leftover_bridge(v)) {
      warnings.push_back(leftover_bridge_note(v));
    }
    read_uplink(v, status);
    if (view == NetView::ports) {
      status.ports = port_statuses(store, vs, v);
    } else if (view == NetView::statistics) {
      status.statistics = port_statistics(store, vs, v);
    }
    statuses.push_back(std::move(status));
  }
  if (json) {
    return render_vswitch_json(statuses, view == NetView::statistics);
  }
  if (view == NetView::list) {
    return render_vswitch_list(statuses);
  }
  return view == NetView::ports ? render_vswitch_ports(statuses)
                                : render_vswitch_statistics(statuses);
}

PortPlan plan_vswitch_port(Store& store, const std::string& vswitch, std::optional<int> pinned,
                           const std::set<int>& taken) {
  PortPlan plan;
  VswitchStore vs(store);
  const auto v = vs.find(vswitch);
  if (pinned) {
    const auto holders = vs.holders(vswitch);
    if (auto h = holders.find(*pinned); h != holders.end()) {
      plan.error = fmt::format("port {} of vswitch '{}' is already reserved by guest '{}'", *pinned,
                               vswitch, h->second.guest);
    } else if (taken.count(*pinned) != 0) {
      plan.error =
          fmt::format("port {} of vswitch '{}' is already given to another vNIC", *pinned, vswitch);
    } else {
      plan.port = pinned;
    }
  } else if (v) {
    std::set<int> used = vs.used_ports(vswitch);
    used.insert(taken.begin(), taken.end());
    plan.port = lowest_free_port(used);
    if (!plan.port) {
      plan.error =
          fmt::format("the vswitch '{}' has no free port (0-{})", vswitch, avio::k_max_port);
    }
  }
  if (!v && !plan.error) {
    plan.warning = fmt::format("The vswitch '{}' does not exist; create it with hpvmnet -c before "
                               "the guest starts.",
                               vswitch);
  }
  return plan;
}

std::optional<avio::PortRequest> port_request(Store& store, const Guest& guest,
                                              const NetworkDevice& nic) {
  VswitchStore vs(store);
  const auto v = vs.find(nic.vswitch);
  if (!v) {
    return std::nullopt;
  }
  PortHolder h{guest.name, guest.vm_number, guest.uuid, nic, vs.nic_port(guest.name, nic.address)};
  return request_for(*v, h, vs.port_vlans(v->id));
}

void prepare_port_bridge(Store& store, const std::string& vswitch) {
  VswitchStore vs(store);
  const auto v = vs.find(vswitch);
  if (v && up_on_demand(*v) && !booted(*v)) {
    avio::boot_bridge(bridge_request(*v, vs.port_vlans(v->id))); // local: no VLAN leaves the host
  }
}

std::vector<avio::PortRequest> port_requests(Store& store, const Guest& guest) {
  std::vector<avio::PortRequest> out;
  for (const auto& nic : guest.networks) {
    if (auto r = port_request(store, guest, nic)) {
      out.push_back(std::move(*r));
    }
  }
  return out;
}

} // namespace vmconfig
