// Turns resource statements into placed, validated devices for one guest:
// grammar, address allocation, count limits, MAC rules and host backing-store
// checks. hpvmcreate uses it for a new guest; hpvmmodify and hpvmclone use it
// on an existing one (-a adds, -d removes, -m replaces a device or switches an
// adapter's type). It collects every problem instead of stopping at one.
#pragma once

#include "vmconfig/devdb/devdb_rules.hpp"
#include "vmconfig/model/guest.hpp"

#include <avio/address.hpp>
#include <avio/backing.hpp>

#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace vmconfig {

class Store;

class DevicePlanner {
public:
  // `guest` holds the devices already configured; they are the starting
  // point of storage() and networks(), and new ones are placed around them.
  // MACs the database gives to the guest named guest.name count as its own.
  DevicePlanner(Store& store, const Guest& guest, bool force);

  // One -a statement: a new device. Problems go to errors()/warnings().
  void add(const std::string& statement);
  // Several -a statements of one command (hpvmcreate): the addresses they
  // give are reserved before any is allocated, so the result does not depend
  // on their order. Statements with a full address (bus,device,target;
  // bus,device for a vNIC) are placed first, then those giving bus,device,
  // then the rest, each group in command-line order. Problems are reported
  // in command-line order, each prefixed with "origins[i]: " when given
  // (hpvmimport names the HP-UX statement a problem comes from).
  void add_all(const std::vector<std::string>& statements,
               const std::vector<std::string>& origins = {});
  // One -d statement: removes the device at the statement's address; the
  // rest of the statement must describe that device.
  void remove(const std::string& statement);
  // One -m statement: the statement's address names a device, the rest is
  // its new value (backing store, DVD media, vswitch, port, lan <-> avio_lan);
  // hba:type:bus,slot switches a whole storage adapter's type.
  void modify(const std::string& statement);
  // hpvmclone: every vNIC gets a new generated MAC and no pinned port.
  void renew_network_identities();

  // The guest's devices after the changes, in the order first configured.
  const std::vector<StorageDevice>& storage() const { return m_storage; }
  // Host identities of storage(), in the same order ("" for an empty drive).
  const std::vector<std::string>& storage_identities() const { return m_identities; }
  const std::vector<NetworkDevice>& networks() const { return m_networks; }
  // The vswitch port each of networks() holds (nullopt: its vswitch does not
  // exist yet), in the same order; stored with VswitchStore::set_nic_port.
  const std::vector<std::optional<int>>& vswitch_ports() const { return m_vswitch_ports; }
  const std::vector<std::string>& errors() const { return m_errors; }
  const std::vector<std::string>& warnings() const { return m_warnings; }

private:
  // The statement, or nullopt after recording the grammar's message.
  std::optional<ResourceStatement> parse(const std::string& text);
  void add_storage(const std::string& text, const StorageStatement& st);
  void add_network(const std::string& text, const NetworkStatement& nw);
  void remove_storage(const std::string& text, const StorageStatement& st);
  void remove_network(const std::string& text, const NetworkStatement& nw);
  void modify_storage(const std::string& text, const StorageStatement& st);
  void modify_network(const std::string& text, const NetworkStatement& nw);
  void switch_adapter(const std::string& text, const HbaStatement& hba);
  // Host checks of a backing store for a new or replaced device; `replacing`
  // is the index of the device it replaces. Returns false after recording
  // the problems.
  bool admit_backing(const StorageStatement& st, const avio::HostEntity& entity,
                     std::optional<std::size_t> replacing);
  // The device at the statement's full address; records a problem and
  // returns nullopt when the address is incomplete or nothing is there.
  std::optional<std::size_t> find_storage(const std::string& text, const StorageStatement& st,
                                          const char* option);
  std::optional<std::size_t> find_network(const std::string& text, const NetworkStatement& nw,
                                          const char* option);
  // Why `mac` may not be given to a vNIC of this guest; `except` is the index
  // of a vNIC whose own MAC does not count.
  std::optional<std::string> mac_problem(avio::MacAddress mac,
                                         std::optional<std::size_t> except = std::nullopt);
  avio::MacAddress generate_mac();
  // Whether the host interface `ifname` is one of this guest's taps.
  bool own_tap(const std::string& ifname) const;
  // The port a vNIC gets on `vswitch` (pinned, or the lowest free one; unset
  // while the vswitch does not exist), or nullopt after recording why not.
  std::optional<std::optional<int>>
  vswitch_port(const std::string& what, const std::string& vswitch, std::optional<int> pinned);

  Store& m_store;
  std::string m_guest_name; // whose vNICs' MACs in the database count as our own
  int m_vm_number;          // 0 for a guest not created yet
  bool m_force;
  DeviceRules m_rules; // the device database's rules (devdb_rules.hpp)
  avio::Topology m_topology;
  // The host interfaces' MACs, asked of the kernel when a vNIC is first checked.
  std::optional<std::vector<std::pair<std::string, avio::MacAddress>>> m_host_macs;
  std::mt19937_64 m_rng;
  std::vector<StorageDevice> m_storage;
  std::vector<std::string> m_identities;
  std::vector<NetworkDevice> m_networks;
  std::vector<std::optional<int>> m_vswitch_ports;
  std::map<std::string, std::set<int>> m_new_ports; // vswitch ports given out by this plan
  std::vector<std::string> m_errors;
  std::vector<std::string> m_warnings;
};

} // namespace vmconfig
