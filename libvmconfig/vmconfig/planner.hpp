// Turns resource statements into placed, validated devices for one guest:
// grammar, address allocation, count limits, MAC rules and host backing-store
// checks. hpvmcreate uses it for a new guest; hpvmmodify and hpvmclone use it
// on an existing one. It collects every problem instead of stopping at one.
#pragma once

#include "vmconfig/devdb_rules.hpp"
#include "vmconfig/guest.hpp"

#include <avio/address.hpp>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace vmconfig {

class Store;

class DevicePlanner {
public:
  // `guest` holds the devices already configured; new ones are placed around them.
  DevicePlanner(Store& store, const Guest& guest, bool force);

  // Adds one -a statement. Problems go to errors()/warnings().
  void add(const std::string& statement);

  const std::vector<StorageDevice>& storage() const { return m_storage; }
  // Host identities of storage(), in the same order.
  const std::vector<std::string>& storage_identities() const { return m_identities; }
  const std::vector<NetworkDevice>& networks() const { return m_networks; }
  // The vswitch port each of networks() holds (nullopt: its vswitch does not
  // exist yet), in the same order; stored with VswitchStore::set_nic_port.
  const std::vector<std::optional<int>>& vswitch_ports() const { return m_vswitch_ports; }
  const std::vector<std::string>& errors() const { return m_errors; }
  const std::vector<std::string>& warnings() const { return m_warnings; }

private:
  void add_storage(const std::string& text, const StorageStatement& st);
  void add_network(const std::string& text, const NetworkStatement& nw);
  std::optional<std::string> mac_problem(avio::MacAddress mac);

  Store& m_store;
  bool m_force;
  DeviceRules m_rules; // the device database's rules (devdb_rules.hpp)
  avio::Topology m_topology;
  std::set<std::string> m_entities;     // host identities this guest uses
  std::set<std::uint64_t> m_guest_macs; // MACs this guest's vNICs use
  std::vector<std::pair<std::string, avio::MacAddress>> m_host_macs;
  std::mt19937_64 m_rng;
  std::vector<StorageDevice> m_storage;
  std::vector<std::string> m_identities;
  std::vector<NetworkDevice> m_networks;
  std::vector<std::optional<int>> m_vswitch_ports;
  std::map<std::string, std::set<int>> m_new_ports; // vswitch ports given out by this plan
  std::vector<std::string> m_errors;
  std::vector<std::string> m_warnings;
};

// The gdev DEVTYPE attribute for a storage type.
std::string devtype_of(StorageType storage);

} // namespace vmconfig
