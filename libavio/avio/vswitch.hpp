// Virtual switches on the host: a vswitch is a Linux bridge, its uplink a
// host interface enslaved to it, a guest's vNIC port a persistent tap on it.
// A port's untagged VLAN is a bridge of its own beside the vswitch's, so
// VLANs keep guests apart on any kernel (no bridge VLAN filtering needed);
// the uplink joins it through an 802.1Q interface where the kernel has 8021q. Everything goes
// through netlink (libnl) and the tun ioctls; no shell command is run.
#pragma once

#include "avio/address.hpp"
#include "avio/mac.hpp"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace avio {

// Linux interface names are at most 15 characters (IFNAMSIZ - 1).
inline constexpr std::size_t k_max_ifname = 15;
// HPVM's VLAN ID range; VLAN 1 is left to the untagged network (most
// switches' native VLAN), so ports may be given 2-4094 (see hpvmnet(1M),
// DIFFERENCES FROM HPVM).
inline constexpr int k_min_port_vlan = 2;
inline constexpr int k_max_port_vlan = 4094;

// The bridge of the vswitch numbered `vswitch_number`: "hpvsw<number>".
// Vswitch numbers are unique, so bridge names are too.
std::string bridge_name(int vswitch_number);

// The one rule for where a port's tap goes: the vswitch's bridge for a port
// on no VLAN, else that VLAN's own bridge "<bridge>v<vlan>" (hpvsw2v120).
// Names fit IFNAMSIZ up to vswitch number 99999; past it a VLAN bridge
// cannot be made (an error says so).
std::string port_bridge(const std::string& vswitch_bridge, std::optional<int> untagged_vlan);
// The 802.1Q interface on the uplink through which VLAN `vlan`'s bridge
// reaches the wire: "<bridge>.<vlan>" (hpvsw2.120, a VLAN of the uplink).
std::string uplink_vlan_interface(const std::string& vswitch_bridge, int vlan);

// Linux name of a guest's tap for the vNIC at bus,slot (<= 15 chars,
// collision-free): "hpv<vm>n<bus><slot>", e.g. hpv12n02.
std::string tap_name(int vm_number, int bus, int slot);

// The MAC of a guest port's tap: the guest's MAC with the first octet 0xFE
// (as libvirt does), so the bridge never treats the guest's own address as
// one of its local ports. Taps do not collide with each other or with guests
// because vNIC MACs never start with FE and their suffixes are unique
// (MacAddress::rule_violation, the planner).
MacAddress tap_mac(MacAddress guest_mac);

// The taps on the host named for the guest numbered `vm_number` (tap_name),
// each with the vNIC address its name gives: what a start, hpvmstatus and
// hpvmmodify -R compare with the guest's vNICs.
std::vector<std::pair<std::string, NicAddress>> guest_taps(int vm_number);

// What the host says about one interface.
struct LinkState {
  bool exists = false;
  bool up = false; // administratively up (IFF_UP)
  std::optional<MacAddress> mac;
  std::string master; // the bridge it is enslaved to, or ""
  std::string kind;   // "bridge", "vlan", "tun", "veth", ... or "" for a plain device
  bool loopback = false;
  // A tap has carrier while a process (QEMU) has it open.
  bool carrier = false;
};
LinkState link_state(const std::string& name);

// The IPv4 addresses of an interface, in the kernel's order ("10.1.1.99").
std::vector<std::string> ipv4_addresses(const std::string& name);

// Why `name` may not be a vswitch uplink, or nullopt: it must exist, be an
// Ethernet device, not loopback, not a bridge, not a VLAN interface (HPVM's
// "nested VLAN" restriction) and not already enslaved to a bridge other than
// `bridge`.
std::optional<std::string> uplink_problem(const std::string& name, const std::string& bridge);

struct BridgeRequest {
  std::string bridge;
  std::optional<std::string> uplink;
  // The VLANs the vswitch's ports are on: each has its bridge.
  std::set<int> vlans;
};

struct BridgeResult {
  // VLANs the uplink does not carry: no 802.1Q interface can be made on it
  // (a kernel without 8021q, or an interface that cannot tag). They stay on
  // this host.
  std::set<int> local_vlans;
};

// Makes the host match the request: the bridge, up, the uplink enslaved and
// up, a bridge for each VLAN (joined to the uplink's 802.1Q interface for
// it) and none for any other VLAN. Idempotent.
BridgeResult boot_bridge(const BridgeRequest& request);
// Deletes the bridge, its VLANs' bridges and the uplink's 802.1Q interfaces
// for them: the uplink and every tap are released (persistent taps stay,
// detached, for the next boot to re-attach). A missing bridge is fine.
void halt_bridge(const std::string& bridge);
// The VLAN bridges of the vswitch bridge `bridge` on the host (port_bridge
// names, by VLAN), whatever made them: what a killed command left too.
std::vector<std::string> vlan_bridges(const std::string& bridge);

struct PortRequest {
  std::string bridge; // the vswitch's (port_bridge gives the tap's)
  std::string tap;
  MacAddress guest_mac;
  std::optional<int> untagged_vlan;
  std::optional<std::string> uplink; // the vswitch's, for a VLAN bridge made here
};

// Persistent tap, up, enslaved to port_bridge() (a VLAN's bridge is made
// when missing). Idempotent: an existing tap (for example one QEMU holds
// open) is re-attached, moved to another VLAN's bridge, and updated.
// Throws hpvm::Error when the vswitch's bridge is missing or the VLAN's
// bridge cannot be made.
void create_port_tap(const PortRequest& request);
// Deletes the tap; a missing tap is fine.
void remove_port_tap(const std::string& tap);

// The MAC addresses of the host's network interfaces (name, address), in the
// network namespace the command runs in (asked over netlink: /sys/class/net
// shows the namespace sysfs was mounted in): a vNIC may never take one.
std::vector<std::pair<std::string, MacAddress>> host_interface_macs();

// Counters of one interface (its netlink link statistics, the numbers
// /sys/class/net/<if>/statistics shows).
struct PortCounters {
  std::uint64_t rx_packets = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_packets = 0;
  std::uint64_t tx_bytes = 0;
  std::uint64_t rx_dropped = 0;
  std::uint64_t tx_dropped = 0;
};
std::optional<PortCounters> port_counters(const std::string& name);

} // namespace avio
