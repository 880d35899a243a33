// The vswitch tables: vswitches, their port configuration (untagged VLANs),
// and the vswitch ports vNICs hold (network_devices.vswitch_port). All SQL
// for them is in store_vswitch.cpp; callers hold the Store's transaction.
#pragma once

#include "vmconfig/model/vswitch.hpp"
#include "vmconfig/store/store.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace vmconfig {

inline constexpr const char* k_localnet = "localnet";

// A vNIC that holds a port of a vswitch.
struct PortHolder {
  std::string guest;
  int vm_number = 0;
  std::string uuid;
  NetworkDevice nic;
  std::optional<int> port; // the vswitch port it holds
};

class VswitchStore {
public:
  explicit VswitchStore(Store& store) : m_store(store) {}

  std::vector<Vswitch> list();
  std::optional<Vswitch> find(const std::string& name);
  // One more than the highest number ever given (numbers of deleted
  // vswitches are not given again).
  int next_number();
  void insert(Vswitch& vswitch); // sets id
  void set_up(std::int64_t id, bool up);
  void remove(const Vswitch& vswitch);

  // Ports held by vNICs on the vswitch `name` (known or not), by port number.
  std::map<int, PortHolder> holders(const std::string& name);
  // Port number -> untagged VLAN, for the ports given one with -u.
  std::map<int, int> port_vlans(std::int64_t vswitch_id);
  void set_port_vlan(std::int64_t vswitch_id, int port, std::optional<int> vlan);
  // Every port number of `name` a vNIC holds or a VLAN is configured on.
  std::set<int> used_ports(const std::string& name);
  // Number of guests with a vNIC on the vswitch `name`.
  int guest_count(const std::string& name);
  // Every vNIC on `name`, with a port or not, by guest and address.
  std::vector<PortHolder> nics_on(const std::string& name);
  // vNICs on `name` that hold no port yet (their vswitch did not exist).
  std::vector<PortHolder> unplaced(const std::string& name);
  void set_nic_port(const std::string& guest, avio::NicAddress address, std::optional<int> port);
  std::optional<int> nic_port(const std::string& guest, avio::NicAddress address);
  // set_nic_port for each of `networks`, `ports` in the same order.
  void set_nic_ports(const std::string& guest, const std::vector<NetworkDevice>& networks,
                     const std::vector<std::optional<int>>& ports);
  // Frees the ports of unpinned vNICs on `name` (the vswitch is deleted).
  void release_unpinned(const std::string& name);

private:
  Store& m_store;
};

} // namespace vmconfig
