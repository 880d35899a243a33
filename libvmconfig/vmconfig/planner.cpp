#include "vmconfig/planner.hpp"

#include "vmconfig/grammar.hpp"
#include "vmconfig/store.hpp"
#include "vmconfig/vswitch.hpp"

#include <avio/backing.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace vmconfig {

DevicePlanner::DevicePlanner(Store& store, const Guest& guest, bool force)
    : m_store(store), m_force(force), m_rules(store, guest.name),
      m_host_macs(avio::host_interface_macs()),
      m_rng(std::random_device{}()) {
  for (const auto& d : guest.storage) {
    m_topology.place_storage(d.adapter, {d.address.bus, d.address.slot, d.address.target},
                             d.storage == StorageType::file);
    if (!d.location.empty()) {
      const auto entity = avio::probe(d.location);
      m_entities.insert(entity.identity);
      m_rules.note(d.location, entity);
    }
  }
  for (const auto& n : guest.networks) {
    m_topology.place_nic(n.adapter, {n.address.bus, n.address.slot, std::nullopt});
    m_guest_macs.insert(n.mac.value());
  }
}

void DevicePlanner::add(const std::string& text) {
  ResourceStatement statement;
  try {
    statement = parse_resource(text);
  } catch (const StatementError& e) {
    m_errors.emplace_back(e.what());
    return;
  }
  if (const auto* st = std::get_if<StorageStatement>(&statement)) {
    add_storage(text, *st);
  } else if (const auto* nw = std::get_if<NetworkStatement>(&statement)) {
    add_network(text, *nw);
  } else {
    m_errors.push_back(fmt::format(
        "'{}' switches an adapter's type; that is done with hpvmmodify -m, not added.", text));
  }
}

void DevicePlanner::add_storage(const std::string& text, const StorageStatement& st) {
  avio::HostEntity entity = avio::probe(st.location);
  const auto checked = avio::check_backing(st.device, st.storage, entity, m_force);
  for (const auto& w : checked.warnings) {
    m_warnings.push_back(w);
  }
  if (!checked.errors.empty()) {
    m_errors.insert(m_errors.end(), checked.errors.begin(), checked.errors.end());
    return;
  }
  if (!st.location.empty() && !m_entities.insert(entity.identity).second) {
    m_errors.push_back(fmt::format(
        "Backing store '{}' is already given to this guest (directly or by another path).",
        st.location));
    return;
  }
  if (!st.location.empty()) {
    auto problems = m_rules.check(st.device, st.location, entity);
    if (!problems.empty()) {
      m_errors.insert(m_errors.end(), problems.begin(), problems.end());
      return;
    }
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

std::optional<std::string> DevicePlanner::mac_problem(avio::MacAddress mac) {
  if (auto rule = mac.rule_violation()) {
    return fmt::format("MAC address {} {}", mac.canonical(), *rule);
  }
  if (m_guest_macs.count(mac.value()) != 0) {
    return fmt::format("MAC address {} is already used by this guest", mac.canonical());
  }
  if (auto owner = m_store.mac_owner(mac)) {
    return fmt::format("MAC address {} is already used by guest '{}'", mac.canonical(), *owner);
  }
  for (const auto& [name, host_mac] : m_host_macs) {
    if (host_mac == mac) {
      return fmt::format("MAC address {} belongs to the host interface '{}'", mac.canonical(), name);
    }
  }
  return std::nullopt;
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
    do {
      mac = avio::MacAddress::generate(m_rng);
    } while (mac_problem(mac));
  }
  auto placed = m_topology.place_nic(nw.adapter, nw.address);
  if (!placed) {
    m_errors.push_back(fmt::format("Unable to place '{}': {}.", text, placed.problem));
    return;
  }
  auto& vswitch_ports = m_new_ports[nw.vswitch];
  const PortPlan port = plan_vswitch_port(m_store, nw.vswitch, nw.port, vswitch_ports);
  if (port.error) {
    m_errors.push_back(fmt::format("Unable to add '{}': {}.", text, *port.error));
    return;
  }
  if (port.warning &&
      std::find(m_warnings.begin(), m_warnings.end(), *port.warning) == m_warnings.end()) {
    m_warnings.push_back(*port.warning);
  }
  if (port.port) {
    vswitch_ports.insert(*port.port);
  }
  m_guest_macs.insert(mac.value());
  m_networks.push_back({nw.adapter, *placed.address, mac, nw.vswitch, nw.port});
  m_vswitch_ports.push_back(port.port);
}

std::string devtype_of(StorageType storage) {
  switch (storage) {
  case StorageType::disk: return "DISK";
  case StorageType::lv: return "LV";
  case StorageType::file: return "FILE";
  case StorageType::null: return "DIR";
  case StorageType::attach:
  case StorageType::attach_path: return "ATTACH";
  }
  return "DISK";
}

} // namespace vmconfig
