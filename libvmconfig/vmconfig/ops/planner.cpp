// Long (~540 lines) for one job: DevicePlanner's methods, one group per
// statement kind (add, remove, modify of storage, vNICs and adapters).
#include "vmconfig/ops/planner.hpp"

#include "vmconfig/model/grammar.hpp"
#include "vmconfig/ops/vswitch.hpp"
#include "vmconfig/store/store.hpp"
#include "vmconfig/store/store_vswitch.hpp"

#include <avio/vswitch.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace vmconfig {

namespace {

bool is_attached(DeviceType d) {
  return d == DeviceType::tape || d == DeviceType::changer || d == DeviceType::burner;
}

bool file_backed(const StorageDevice& d) {
  return d.storage == StorageType::file;
}

std::string where(const avio::StorageAddress& a) {
  return fmt::format("bus {} device {} target {}", a.bus, a.slot, a.target);
}

std::string where(const avio::NicAddress& a) {
  return fmt::format("bus {} device {}", a.bus, a.slot);
}

} // namespace

DevicePlanner::DevicePlanner(Store& store, const Guest& guest, bool force)
    : m_store(store), m_guest_name(guest.name), m_vm_number(guest.vm_number), m_force(force),
      m_rules(store, guest.name), m_rng(std::random_device{}()) {
  for (const auto& d : guest.storage) {
    m_topology.place_storage(d.adapter, {d.address.bus, d.address.slot, d.address.target},
                             file_backed(d));
    m_storage.push_back(d);
    if (d.location.empty()) {
      m_identities.emplace_back();
      continue;
    }
    const auto entity = avio::probe(d.location);
    m_identities.push_back(entity.identity);
    m_rules.note(d.location, entity);
  }
  VswitchStore vswitches(store);
  for (const auto& n : guest.networks) {
    m_topology.place_nic(n.adapter, {n.address.bus, n.address.slot, std::nullopt});
    m_networks.push_back(n);
    m_vswitch_ports.push_back(vswitches.nic_port(guest.name, n.address));
  }
}

std::optional<ResourceStatement> DevicePlanner::parse(const std::string& text) {
  try {
    return parse_resource(text);
  } catch (const StatementError& e) {
    m_errors.emplace_back(e.what());
    return std::nullopt;
  }
}

void DevicePlanner::add(const std::string& text) {
  const auto parsed = parse(text);
  if (!parsed) {
    return;
  }
  const ResourceStatement& statement = *parsed;
  if (const auto* st = std::get_if<StorageStatement>(&statement)) {
    add_storage(text, *st);
  } else if (const auto* nw = std::get_if<NetworkStatement>(&statement)) {
    add_network(text, *nw);
  } else {
    m_errors.push_back(fmt::format(
        "'{}' switches an adapter's type; that is done with hpvmmodify -m, not added.", text));
  }
}

namespace {

// 0: the statement gives its whole address (or is not a statement: its error
// is all it yields), 1: bus and device, 2: less.
int placement_group(const std::string& text) {
  try {
    const ResourceStatement statement = parse_resource(text);
    if (const auto* st = std::get_if<StorageStatement>(&statement)) {
      const auto& a = st->address;
      return a.bus && a.slot ? (a.target ? 0 : 1) : 2;
    }
    if (const auto* nw = std::get_if<NetworkStatement>(&statement)) {
      return nw->address.bus && nw->address.slot ? 0 : 2;
    }
  } catch (const StatementError&) {
  }
  return 0;
}

} // namespace

void DevicePlanner::add_all(const std::vector<std::string>& statements,
                            const std::vector<std::string>& origins) {
  // The errors of each statement, kept apart to be reported in order.
  // Warnings stay as they come: a repeated one is given once.
  std::vector<std::vector<std::string>> errors(statements.size());
  std::vector<int> groups;
  groups.reserve(statements.size());
  for (const auto& text : statements) {
    groups.push_back(placement_group(text));
  }
  for (int group = 0; group <= 2; ++group) {
    for (std::size_t i = 0; i < statements.size(); ++i) {
      if (groups[i] != group) {
        continue;
      }
      const auto e = m_errors.size();
      add(statements[i]);
      errors[i].assign(m_errors.begin() + static_cast<std::ptrdiff_t>(e), m_errors.end());
      m_errors.resize(e);
    }
  }
  for (std::size_t i = 0; i < errors.size(); ++i) {
    const bool named = i < origins.size() && !origins[i].empty();
    for (const auto& e : errors[i]) {
      m_errors.push_back(named ? fmt::format("{}: {}", origins[i], e) : e);
    }
  }
}

void DevicePlanner::remove(const std::string& text) {
  const auto parsed = parse(text);
  if (!parsed) {
    return;
  }
  const ResourceStatement& statement = *parsed;
  if (const auto* st = std::get_if<StorageStatement>(&statement)) {
    remove_storage(text, *st);
  } else if (const auto* nw = std::get_if<NetworkStatement>(&statement)) {
    remove_network(text, *nw);
  } else {
    m_errors.push_back(fmt::format(
        "'{}' names an adapter, which cannot be deleted: it goes away with the last device on it.",
        text));
  }
}

void DevicePlanner::modify(const std::string& text) {
  const auto parsed = parse(text);
  if (!parsed) {
    return;
  }
  const ResourceStatement& statement = *parsed;
  if (const auto* st = std::get_if<StorageStatement>(&statement)) {
    modify_storage(text, *st);
  } else if (const auto* nw = std::get_if<NetworkStatement>(&statement)) {
    modify_network(text, *nw);
  } else {
    switch_adapter(text, std::get<HbaStatement>(statement));
  }
}

bool DevicePlanner::admit_backing(const StorageStatement& st, const avio::HostEntity& entity,
                                  std::optional<std::size_t> replacing) {
  // What no guest may have whatever its kind or the device database says
  // (the suite's files, host storage in use, system files) comes first.
  if (!admit_guarded(m_store, st.location, entity, m_force, m_errors, m_warnings)) {
    return false;
  }
  const auto checked = avio::check_backing(st.device, st.storage, entity, m_force);
  m_warnings.insert(m_warnings.end(), checked.warnings.begin(), checked.warnings.end());
  if (!checked.errors.empty()) {
    m_errors.insert(m_errors.end(), checked.errors.begin(), checked.errors.end());
    return false;
  }
  if (st.location.empty()) {
    return true; // an empty drive uses no backing store
  }
  for (std::size_t i = 0; i < m_identities.size(); ++i) {
    if (i != replacing && m_identities[i] == entity.identity) {
      m_errors.push_back(fmt::format(
          "Backing store '{}' is already given to this guest (directly or by another path).",
          st.location));
      return false;
    }
  }
  // The device database's rules: restricted, shared, one type, overlaps.
  auto problems = m_rules.check(st.device, st.location, entity);
  m_errors.insert(m_errors.end(), problems.begin(), problems.end());
  return problems.empty();
}

void DevicePlanner::add_storage(const std::string& text, const StorageStatement& st) {
  const avio::HostEntity entity = avio::probe(st.location);
  if (!admit_backing(st, entity, std::nullopt)) {
    return;
  }
  auto placed = m_topology.place_storage(st.adapter, st.address, st.storage == StorageType::file);
  if (!placed) {
    m_errors.push_back(fmt::format("Unable to place '{}': {}.", text, placed.problem));
    return;
  }
  if (!st.location.empty()) {
    m_rules.note(st.location, entity);
  }
  m_storage.push_back({st.device, st.adapter, *placed.address, st.storage, st.location});
  m_identities.push_back(st.location.empty() ? std::string() : entity.identity);
}

std::optional<std::size_t> DevicePlanner::find_storage(const std::string& text,
                                                       const StorageStatement& st,
                                                       const char* option) {
  if (!st.address.target) {
    m_errors.push_back(fmt::format(
        "'{}' does not give the device's address: {} needs bus,device,target as hpvmstatus -d "
        "prints them.",
        text, option));
    return std::nullopt;
  }
  const avio::StorageAddress at{*st.address.bus, *st.address.slot, *st.address.target};
  for (std::size_t i = 0; i < m_storage.size(); ++i) {
    if (m_storage[i].address == at) {
      return i;
    }
  }
  m_errors.push_back(fmt::format("No storage device is at {} ('{}').", where(at), text));
  return std::nullopt;
}

std::optional<std::size_t> DevicePlanner::find_network(const std::string& text,
                                                       const NetworkStatement& nw,
                                                       const char* option) {
  if (!nw.address.slot) {
    m_errors.push_back(fmt::format(
        "'{}' does not give the vNIC's address: {} needs bus,device as hpvmstatus -d prints them.",
        text, option));
    return std::nullopt;
  }
  const avio::NicAddress at{*nw.address.bus, *nw.address.slot};
  for (std::size_t i = 0; i < m_networks.size(); ++i) {
    if (m_networks[i].address == at) {
      return i;
    }
  }
  m_errors.push_back(fmt::format("No vNIC is at {} ('{}').", where(at), text));
  return std::nullopt;
}

void DevicePlanner::remove_storage(const std::string& text, const StorageStatement& st) {
  const auto i = find_storage(text, st, "-d");
  if (!i) {
    return;
  }
  const StorageDevice& d = m_storage[*i];
  const bool same_backing =
      d.location == st.location || (!st.location.empty() && !m_identities[*i].empty() &&
                                    avio::probe(st.location).identity == m_identities[*i]);
  if (d.device != st.device || d.adapter != st.adapter || d.storage != st.storage ||
      !same_backing) {
    m_errors.push_back(fmt::format("'{}' does not match the device at {}: {}.", text,
                                   where(d.address), format(d)));
    return;
  }
  m_topology.remove_storage(d.address, file_backed(d));
  m_storage.erase(m_storage.begin() + static_cast<std::ptrdiff_t>(*i));
  m_identities.erase(m_identities.begin() + static_cast<std::ptrdiff_t>(*i));
}

void DevicePlanner::remove_network(const std::string& text, const NetworkStatement& nw) {
  const auto i = find_network(text, nw, "-d");
  if (!i) {
    return;
  }
  const NetworkDevice& n = m_networks[*i];
  if (n.adapter != nw.adapter || n.vswitch != nw.vswitch || (nw.mac && *nw.mac != n.mac) ||
      (nw.port && nw.port != n.port)) {
    m_errors.push_back(
        fmt::format("'{}' does not match the vNIC at {}: {}.", text, where(n.address), format(n)));
    return;
  }
  m_topology.remove_nic(n.address);
  m_networks.erase(m_networks.begin() + static_cast<std::ptrdiff_t>(*i));
  m_vswitch_ports.erase(m_vswitch_ports.begin() + static_cast<std::ptrdiff_t>(*i));
}

void DevicePlanner::modify_storage(const std::string& text, const StorageStatement& st) {
  const auto i = find_storage(text, st, "-m");
  if (!i) {
    return;
  }
  const StorageDevice old = m_storage[*i];
  if (old.device != st.device) {
    m_errors.push_back(fmt::format(
        "'{}' cannot turn the {} at {} into a {}: delete it (-d) and add a new device (-a).", text,
        to_string(old.device), where(old.address), to_string(st.device)));
    return;
  }
  if (old.adapter != st.adapter) {
    m_errors.push_back(fmt::format(
        "'{}' names a {} adapter, but the device at {} is on a {} adapter; switch the adapter "
        "with -m hba:{}:{},{}.",
        text, to_string(st.adapter), where(old.address), to_string(old.adapter),
        to_string(st.adapter), old.address.bus, old.address.slot));
    return;
  }
  if (old.storage == st.storage && old.location == st.location) {
    return; // already so
  }
  const avio::HostEntity entity = avio::probe(st.location);
  if (!admit_backing(st, entity, *i)) {
    return;
  }
  // The file-backing count may change: take the device out and put it back.
  m_topology.remove_storage(old.address, file_backed(old));
  const bool file = st.storage == StorageType::file;
  auto placed = m_topology.place_storage(
      old.adapter, {old.address.bus, old.address.slot, old.address.target}, file);
  if (!placed) {
    m_topology.place_storage(old.adapter, {old.address.bus, old.address.slot, old.address.target},
                             file_backed(old));
    m_errors.push_back(fmt::format("Unable to change '{}': {}.", text, placed.problem));
    return;
  }
  m_storage[*i].storage = st.storage;
  m_storage[*i].location = st.location;
  m_identities[*i] = st.location.empty() ? std::string() : entity.identity;
}

void DevicePlanner::modify_network(const std::string& text, const NetworkStatement& nw) {
  const auto i = find_network(text, nw, "-m");
  if (!i) {
    return;
  }
  NetworkDevice changed = m_networks[*i];
  if (nw.mac && *nw.mac != changed.mac) {
    if (auto problem = mac_problem(*nw.mac, *i)) {
      m_errors.push_back(fmt::format("Unable to change '{}': {}.", text, *problem));
      return;
    }
    changed.mac = *nw.mac;
  }
  if (nw.port) {
    changed.port = nw.port;
  } else if (nw.vswitch != changed.vswitch) {
    changed.port.reset(); // ports belong to a vswitch: the new one assigns one
  }
  // A new vswitch, or a pin to another port, takes a port again; otherwise
  // the vNIC keeps the one it holds.
  if (nw.vswitch != changed.vswitch || (nw.port && nw.port != m_vswitch_ports[*i])) {
    auto port = vswitch_port(fmt::format("Unable to change '{}'", text), nw.vswitch, nw.port);
    if (!port) {
      return;
    }
    m_vswitch_ports[*i] = *port;
  }
  changed.vswitch = nw.vswitch;
  if (changed.adapter != nw.adapter) {
    // Same slot, MAC, vswitch and port; only the emulated hardware changes.
    m_topology.remove_nic(changed.address);
    m_topology.place_nic(nw.adapter, {changed.address.bus, changed.address.slot, std::nullopt});
    changed.adapter = nw.adapter;
  }
  m_networks[*i] = changed;
}

void DevicePlanner::switch_adapter(const std::string& text, const HbaStatement& hba) {
  const auto current = m_topology.storage_adapter_at(hba.bus, hba.slot);
  if (!current) {
    m_errors.push_back(
        fmt::format("Unable to switch '{}': bus {} device {} holds no storage adapter.", text,
                    hba.bus, hba.slot));
    return;
  }
  if (*current == hba.adapter) {
    m_errors.push_back(fmt::format("Unable to switch '{}': the adapter at bus {} device {} is "
                                   "already {}.",
                                   text, hba.bus, hba.slot, to_string(hba.adapter)));
    return;
  }
  bool blocked = false;
  for (const auto& d : m_storage) {
    if (d.address.bus != hba.bus || d.address.slot != hba.slot) {
      continue;
    }
    if (is_attached(d.device)) {
      m_errors.push_back(fmt::format(
          "Unable to switch '{}': the attached {} {} sits on the adapter; delete it first.", text,
          to_string(d.device), format(d)));
      blocked = true;
    } else if (d.address.target > avio::max_target(hba.adapter)) {
      m_errors.push_back(fmt::format(
          "Unable to switch '{}': {} has target {}, and a {} adapter has only targets 0-{}.", text,
          format(d), d.address.target, to_string(hba.adapter), avio::max_target(hba.adapter)));
      blocked = true;
    }
  }
  if (blocked) {
    return;
  }
  if (auto problem = m_topology.retype_storage_adapter(hba.bus, hba.slot, hba.adapter)) {
    m_errors.push_back(fmt::format("Unable to switch '{}': {}.", text, *problem));
    return;
  }
  for (auto& d : m_storage) {
    if (d.address.bus == hba.bus && d.address.slot == hba.slot) {
      d.adapter = hba.adapter;
    }
  }
}

std::optional<std::string> DevicePlanner::mac_problem(avio::MacAddress mac,
                                                      std::optional<std::size_t> except) {
  if (auto rule = mac.rule_violation()) {
    return fmt::format("MAC address {} {}", mac.canonical(), *rule);
  }
  // A guest's tap has the guest's MAC with first octet FE (avio::tap_mac):
  // MACs that differ only in the first octet would give two taps one MAC.
  const auto tap = avio::tap_mac(mac);
  auto same_tap = [&](avio::MacAddress other, const std::string& whose) {
    return fmt::format("MAC address {} differs from {} of {} only in the first octet (both "
                       "taps would have the MAC {})",
                       mac.canonical(), other.canonical(), whose, tap.colon());
  };
  for (std::size_t i = 0; i < m_networks.size(); ++i) {
    if (i == except || m_networks[i].mac.suffix() != mac.suffix()) {
      continue;
    }
    if (m_networks[i].mac == mac) {
      return fmt::format("MAC address {} is already used by this guest", mac.canonical());
    }
    return same_tap(m_networks[i].mac, "this guest");
  }
  // The stored holder may be this very guest (a vNIC this command removes):
  // this guest's own vNICs are the ones above.
  for (const auto& holder : m_store.mac_suffix_holders(mac)) {
    if (holder.guest == m_guest_name) {
      continue;
    }
    if (holder.mac == mac) {
      return fmt::format("MAC address {} is already used by guest '{}'", mac.canonical(),
                         holder.guest);
    }
    return same_tap(holder.mac, fmt::format("guest '{}'", holder.guest));
  }
  if (!m_host_macs) {
    m_host_macs = avio::host_interface_macs();
  }
  for (const auto& [name, host_mac] : *m_host_macs) {
    if (host_mac == mac) {
      return fmt::format("MAC address {} belongs to the host interface '{}'", mac.canonical(),
                         name);
    }
    // This guest's own taps (a vNIC this command moves) have it already.
    if (host_mac == tap && !own_tap(name)) {
      return fmt::format("MAC address {} would give its tap the MAC {}, which belongs to the host "
                         "interface '{}'",
                         mac.canonical(), tap.colon(), name);
    }
  }
  return std::nullopt;
}

bool DevicePlanner::own_tap(const std::string& ifname) const {
  if (m_vm_number <= 0) {
    return false; // a new guest has no taps yet
  }
  for (int bus = 0; bus <= avio::k_max_bus; ++bus) {
    for (int slot = 0; slot <= avio::k_max_slot; ++slot) {
      if (ifname == avio::tap_name(m_vm_number, bus, slot)) {
        return true;
      }
    }
  }
  return false;
}

avio::MacAddress DevicePlanner::generate_mac() {
  avio::MacAddress mac;
  do {
    mac = avio::MacAddress::generate(m_rng);
  } while (mac_problem(mac));
  return mac;
}

void DevicePlanner::add_network(const std::string& text, const NetworkStatement& nw) {
  avio::MacAddress mac;
  if (nw.mac) {
    if (auto problem = mac_problem(*nw.mac)) {
      m_errors.push_back(fmt::format("Unable to add '{}': {}.", text, *problem));
      return;
    }
    mac = *nw.mac;
  } else {
    mac = generate_mac();
  }
  auto placed = m_topology.place_nic(nw.adapter, nw.address);
  if (!placed) {
    m_errors.push_back(fmt::format("Unable to place '{}': {}.", text, placed.problem));
    return;
  }
  const auto port = vswitch_port(fmt::format("Unable to add '{}'", text), nw.vswitch, nw.port);
  if (!port) {
    return;
  }
  m_networks.push_back({nw.adapter, *placed.address, mac, nw.vswitch, nw.port});
  m_vswitch_ports.push_back(*port);
}

std::optional<std::optional<int>> DevicePlanner::vswitch_port(const std::string& what,
                                                              const std::string& vswitch,
                                                              std::optional<int> pinned) {
  auto& given = m_new_ports[vswitch];
  const PortPlan port = plan_vswitch_port(m_store, vswitch, pinned, given);
  if (port.error) {
    m_errors.push_back(fmt::format("{}: {}.", what, *port.error));
    return std::nullopt;
  }
  if (port.warning &&
      std::find(m_warnings.begin(), m_warnings.end(), *port.warning) == m_warnings.end()) {
    m_warnings.push_back(*port.warning);
  }
  if (port.port) {
    given.insert(*port.port);
  }
  return port.port;
}

void DevicePlanner::renew_network_identities() {
  for (std::size_t i = 0; i < m_networks.size(); ++i) {
    auto& n = m_networks[i];
    n.mac = generate_mac();
    n.port.reset();
    if (auto port = vswitch_port(fmt::format("Unable to give '{}' a port", format(n)), n.vswitch,
                                 std::nullopt)) {
      m_vswitch_ports[i] = *port;
    }
  }
}

} // namespace vmconfig
