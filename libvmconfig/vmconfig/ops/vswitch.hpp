// hpvmnet's operations: virtual switches (Linux bridges named by
// avio::bridge_name) and their ports. Each mutating operation runs in one
// write transaction; host changes (bridges, taps) are made inside it, before
// the commit, so a host failure leaves the database as it was.
#pragma once

#include "vmconfig/model/report.hpp"
#include "vmconfig/store/store_vswitch.hpp"

#include <avio/vswitch.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace vmconfig {

// The vswitch `name`; throws hpvm::Error for an invalid or unknown name.
Vswitch require_vswitch(Store& store, const std::string& name);

// -c -S name [-n nic]: records a vswitch (not booted); vNICs already
// configured on that name get their ports.
Report create_vswitch(Store& store, const std::string& name,
                      const std::optional<std::string>& uplink);
// -b -S name: boots one vswitch and re-attaches its running guests' ports.
// With no name: boots every vswitch recorded Up (after a host reboot).
Report boot_vswitch(Store& store, const std::optional<std::string>& name);
// -h -S name: halts it (the bridge is deleted; it is recorded Down).
Report halt_vswitch(Store& store, const std::string& name);
// -d -S name: deletes it; refused while guests are configured on it unless
// `force` (their vNICs keep the name and lose unpinned ports).
Report delete_vswitch(Store& store, const std::string& name, bool force);
// -S name -u portid:N:vlanid:V|none; on a booted vswitch the VLANs' bridges
// and the port's tap follow at once, and are put back when a step fails.
Report set_port_vlan(Store& store, const std::string& name, const std::string& spec);
// -r: re-creates and re-attaches the taps of running guests on every booted
// vswitch (or on `name` only); removes what killed commands left: taps no
// vNIC uses, the bridge of a vswitch recorded down.
Report reattach_ports(Store& store, const std::optional<std::string>& name);

// A parsed -u value.
struct PortVlanSpec {
  int port = 0;
  std::optional<int> vlan; // nullopt: none
};
// Throws hpvm::UsageError naming what is wrong.
PortVlanSpec parse_port_vlan(const std::string& spec);

// The VLANs a vswitch's ports are on (port -> VLAN, as
// VswitchStore::port_vlans gives them): while the vswitch is booted each has
// its bridge (avio::port_bridge), and no other VLAN has one.
std::set<int> configured_vlans(const std::map<int, int>& port_vlans);

enum class NetView : unsigned char { list, ports, statistics };
// hpvmnet (list), -S name (ports), -A [-S name] (statistics): what the store
// and the host say of each vswitch, as render/render_vswitch.hpp shows it;
// `warnings` gets what disagrees (a bridge a killed hpvmnet -b left). With
// `json`, -J's form of the same view (list and ports alike: the ports).
std::string vswitch_report(Store& store, const std::optional<std::string>& name, NetView view,
                           std::vector<std::string>& warnings, bool json = false);

// The vswitch port a new vNIC gets (DevicePlanner): the pinned one if free,
// else the lowest free one; nothing while the vswitch does not exist (a
// warning), or an error.
struct PortPlan {
  std::optional<int> port;
  std::optional<std::string> error;
  std::optional<std::string> warning;
};
// `taken` holds the ports of `vswitch` this command already gave out.
PortPlan plan_vswitch_port(Store& store, const std::string& vswitch, std::optional<int> pinned,
                           const std::set<int>& taken);

// For the runtime: what to create for a guest's vNIC when it starts or is
// hot-added (bridge, tap, MAC, VLAN), or nullopt when its vswitch does not
// exist. The vswitch being down is the caller's to report (the bridge is
// missing: avio::create_port_tap throws).
std::optional<avio::PortRequest> port_request(Store& store, const Guest& guest,
                                              const NetworkDevice& nic);
// Before a port of `vswitch` is attached: a local vswitch recorded Up
// (localnet from the start) has its bridge created here when it is missing,
// so it needs no hpvmnet -b. Throws hpvm::Error when the bridge cannot be made.
void prepare_port_bridge(Store& store, const std::string& vswitch);
// Same as port_request, for every vNIC of the guest whose vswitch exists.
std::vector<avio::PortRequest> port_requests(Store& store, const Guest& guest);

} // namespace vmconfig
