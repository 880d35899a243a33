#include "avio/vswitch.hpp"

#include "avio/error.hpp"
#include "avio/sysfs.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <functional>
#include <memory>

namespace avio {

namespace {

// Owners of libnl objects.
struct SocketFree {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct LinkPut {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct MsgFree {
  void operator()(nl_msg* m) const { nlmsg_free(m); }
};
struct CacheFree {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};
struct AddrPut {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
using Link = std::unique_ptr<rtnl_link, LinkPut>;

// The link's Ethernet address, if it has one.
std::optional<MacAddress> mac_of(rtnl_link* link) {
  nl_addr* addr = rtnl_link_get_addr(link);
  if (addr == nullptr || nl_addr_get_len(addr) != 6) {
    return std::nullopt;
  }
  const auto* bytes = static_cast<const unsigned char*>(nl_addr_get_binary_addr(addr));
  std::uint64_t value = 0;
  for (unsigned i = 0; i < 6; ++i) {
    value = (value << 8U) | bytes[i];
  }
  return MacAddress(value);
}

constexpr int k_netlink_timeout_s = 5;

// A connected NETLINK_ROUTE socket.
class Rtnl {
public:
  Rtnl() : m_sock(nl_socket_alloc()) {
    if (!m_sock) {
      throw hpvm::Error("Cannot allocate a netlink socket.");
    }
    if (int err = nl_connect(m_sock.get(), NETLINK_ROUTE); err < 0) {
      throw hpvm::Error(fmt::format("Cannot open a netlink socket: {}.", nl_geterror(err)));
    }
    // The kernel answers at once; a reply that never comes fails the request
    // instead of hanging the command (docs/WAITS.md).
    const timeval bound{k_netlink_timeout_s, 0};
    ::setsockopt(nl_socket_get_fd(m_sock.get()), SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
  }
  nl_sock* get() const { return m_sock.get(); }

  // The interface `name`, or nullptr when it does not exist.
  Link find(const std::string& name) const {
    rtnl_link* link = nullptr;
    if (rtnl_link_get_kernel(m_sock.get(), 0, name.c_str(), &link) < 0) {
      return nullptr;
    }
    return Link(link);
  }
  Link find(int ifindex) const {
    rtnl_link* link = nullptr;
    if (ifindex <= 0 || rtnl_link_get_kernel(m_sock.get(), ifindex, nullptr, &link) < 0) {
      return nullptr;
    }
    return Link(link);
  }
  Link require(const std::string& name) const {
    Link link = find(name);
    if (!link) {
      throw hpvm::Error(fmt::format("The host interface '{}' does not exist.", name));
    }
    return link;
  }

  // Applies `changes` to `link`; `what` names the change for the error message.
  void change(rtnl_link* link, rtnl_link* changes, const std::string& what) const {
    if (int err = rtnl_link_change(m_sock.get(), link, changes, 0); err < 0) {
      throw hpvm::Error(fmt::format("Cannot {}: {}.", what, nl_geterror(err)));
    }
  }

  // Sends a request built by hand (for what libnl-route has no call for) and
  // waits for the kernel's answer; returns libnl's error code (0 on success).
  int request(nl_msg* msg) const {
    int err = nl_send_auto(m_sock.get(), msg);
    if (err < 0) {
      return err;
    }
    return nl_wait_for_ack(m_sock.get());
  }

private:
  std::unique_ptr<nl_sock, SocketFree> m_sock;
};

std::unique_ptr<nl_msg, MsgFree> link_message(int type, int flags, unsigned char family,
                                              int ifindex) {
  std::unique_ptr<nl_msg, MsgFree> msg(nlmsg_alloc_simple(type, flags | NLM_F_REQUEST | NLM_F_ACK));
  if (!msg) {
    throw hpvm::Error("Cannot allocate a netlink message.");
  }
  ifinfomsg ifi{};
  ifi.ifi_family = family;
  ifi.ifi_index = ifindex;
  if (nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0) {
    throw hpvm::Error("Cannot build a netlink message.");
  }
  return msg;
}

// Turns VLAN filtering on for a bridge (IFLA_BR_VLAN_FILTERING). Returns
// false when the kernel's bridge has no VLAN filtering.
bool enable_vlan_filtering(const Rtnl& rtnl, int bridge_index) {
  auto msg = link_message(RTM_NEWLINK, 0, AF_UNSPEC, bridge_index);
  nlattr* info = nla_nest_start(msg.get(), IFLA_LINKINFO);
  nla_put_string(msg.get(), IFLA_INFO_KIND, "bridge");
  nlattr* data = nla_nest_start(msg.get(), IFLA_INFO_DATA);
  nla_put_u8(msg.get(), IFLA_BR_VLAN_FILTERING, 1);
  nla_nest_end(msg.get(), data);
  nla_nest_end(msg.get(), info);
  const int err = rtnl.request(msg.get());
  if (err == -NLE_OPNOTSUPP) {
    return false;
  }
  if (err < 0) {
    throw hpvm::Error(fmt::format("Cannot turn on VLAN filtering: {}.", nl_geterror(err)));
  }
  return true;
}

// Adds (RTM_SETLINK) or removes (RTM_DELLINK) one VLAN of a bridge port,
// as `bridge vlan add|del dev <port> vid <vid> [pvid untagged]` does.
int port_vlan_request(const Rtnl& rtnl, int type, int port_index, int vid, std::uint16_t flags) {
  auto msg = link_message(type, 0, AF_BRIDGE, port_index);
  nlattr* spec = nla_nest_start(msg.get(), IFLA_AF_SPEC);
  bridge_vlan_info info{};
  info.flags = flags;
  info.vid = static_cast<std::uint16_t>(vid);
  nla_put(msg.get(), IFLA_BRIDGE_VLAN_INFO, sizeof info, &info);
  nla_nest_end(msg.get(), spec);
  return rtnl.request(msg.get());
}

constexpr int k_untagged_vid = 1; // a Linux bridge's default PVID

void add_port_vlan(const Rtnl& rtnl, int port_index, const std::string& port, int vid,
                   bool untagged) {
  const auto flags =
      untagged ? static_cast<std::uint16_t>(BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED)
               : std::uint16_t{0};
  if (int err = port_vlan_request(rtnl, RTM_SETLINK, port_index, vid, flags); err < 0) {
    throw hpvm::Error(
        fmt::format("Cannot put port '{}' on VLAN {}: {}.", port, vid, nl_geterror(err)));
  }
}

std::string master_name(const Rtnl& rtnl, rtnl_link* link) {
  Link master = rtnl.find(rtnl_link_get_master(link));
  return master ? rtnl_link_get_name(master.get()) : "";
}

std::unique_ptr<nl_addr, AddrPut> mac_addr(MacAddress mac) {
  unsigned char bytes[6];
  for (int i = 0; i < 6; ++i) {
    bytes[i] = static_cast<unsigned char>((mac.value() >> (8 * (5 - i))) & 0xFFU);
  }
  return std::unique_ptr<nl_addr, AddrPut>(nl_addr_build(AF_LLC, bytes, sizeof bytes));
}

bool valid_ifname(const std::string& name) {
  if (name.empty() || name.size() > k_max_ifname || name == "." || name == "..") {
    return false;
  }
  for (char c : name) {
    if (c == '/' || c == ':' || c <= ' ' || c == 0x7F) {
      return false;
    }
  }
  return true;
}

} // namespace

std::string bridge_name(int vswitch_number) {
  return fmt::format("hpvsw{}", vswitch_number);
}

std::string tap_name(int vm_number, int bus, int slot) {
  return fmt::format("hpv{}n{}{}", vm_number, bus, slot);
}

MacAddress tap_mac(MacAddress guest_mac) {
  return MacAddress(guest_mac.suffix() | (std::uint64_t{MacAddress::k_tap_octet} << 40U));
}

LinkState link_state(const std::string& name) {
  LinkState state;
  if (!valid_ifname(name)) {
    return state;
  }
  Rtnl rtnl;
  Link link = rtnl.find(name);
  if (!link) {
    return state;
  }
  state.exists = true;
  state.up = (rtnl_link_get_flags(link.get()) & IFF_UP) != 0;
  state.loopback = rtnl_link_get_arptype(link.get()) == ARPHRD_LOOPBACK;
  if (const auto mac = mac_of(link.get())) {
    state.mac = *mac;
  }
  state.master = master_name(rtnl, link.get());
  if (const char* kind = rtnl_link_get_type(link.get())) {
    state.kind = kind;
  }
  state.carrier = rtnl_link_get_carrier(link.get()) != 0;
  return state;
}

std::vector<std::string> ipv4_addresses(const std::string& name) {
  std::vector<std::string> out;
  Rtnl rtnl;
  Link link = rtnl.find(name);
  if (!link) {
    return out;
  }
  const int ifindex = rtnl_link_get_ifindex(link.get());
  nl_cache* raw = nullptr;
  if (rtnl_addr_alloc_cache(rtnl.get(), &raw) < 0) {
    return out;
  }
  std::unique_ptr<nl_cache, CacheFree> cache(raw);
  for (nl_object* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
    auto* addr = reinterpret_cast<rtnl_addr*>(obj);
    if (rtnl_addr_get_ifindex(addr) != ifindex || rtnl_addr_get_family(addr) != AF_INET) {
      continue;
    }
    nl_addr* local = rtnl_addr_get_local(addr);
    char text[INET_ADDRSTRLEN] = {};
    if (local && ::inet_ntop(AF_INET, nl_addr_get_binary_addr(local), text, sizeof text)) {
      out.emplace_back(text);
    }
  }
  return out;
}

std::optional<std::string> uplink_problem(const std::string& name, const std::string& bridge) {
  if (!valid_ifname(name)) {
    return fmt::format("'{}' is not a valid Linux interface name", name);
  }
  const LinkState s = link_state(name);
  if (!s.exists) {
    return fmt::format("the host interface '{}' does not exist", name);
  }
  if (s.loopback) {
    return fmt::format("'{}' is the loopback interface", name);
  }
  if (s.kind == "bridge") {
    return fmt::format("'{}' is a bridge, not a network interface", name);
  }
  if (s.kind == "vlan") {
    return fmt::format("'{}' is a VLAN interface; a vswitch on it would nest VLANs", name);
  }
  if (!s.mac) {
    return fmt::format("'{}' is not an Ethernet interface", name);
  }
  if (!s.master.empty() && s.master != bridge) {
    return fmt::format("'{}' is already a port of the bridge '{}'", name, s.master);
  }
  return std::nullopt;
}

bool bridge_vlan_filtering(const std::string& bridge) {
  return valid_ifname(bridge) && read_first_line(std::filesystem::path("/sys/class/net") / bridge /
                                                 "bridge" / "vlan_filtering") == "1";
}

void boot_bridge(const BridgeRequest& request) {
  Rtnl rtnl;
  Link bridge = rtnl.find(request.bridge);
  if (!bridge) {
    if (int err = rtnl_link_bridge_add(rtnl.get(), request.bridge.c_str()); err < 0) {
      throw hpvm::Error(
          fmt::format("Cannot create the bridge '{}': {}.", request.bridge, nl_geterror(err)));
    }
    bridge = rtnl.require(request.bridge);
    enable_vlan_filtering(rtnl, rtnl_link_get_ifindex(bridge.get()));
  }
  if (!rtnl_link_is_bridge(bridge.get())) {
    throw hpvm::Error(
        fmt::format("The interface '{}' exists and is not a bridge.", request.bridge));
  }
  const int bridge_index = rtnl_link_get_ifindex(bridge.get());
  Link up(rtnl_link_alloc());
  rtnl_link_set_flags(up.get(), IFF_UP);
  rtnl.change(bridge.get(), up.get(), fmt::format("set the bridge '{}' up", request.bridge));
  if (!request.uplink) {
    return;
  }
  Link uplink = rtnl.require(*request.uplink);
  Link changes(rtnl_link_alloc());
  rtnl_link_set_master(changes.get(), bridge_index);
  rtnl_link_set_flags(changes.get(), IFF_UP);
  rtnl.change(uplink.get(), changes.get(),
              fmt::format("attach '{}' to the bridge '{}'", *request.uplink, request.bridge));
  if (bridge_vlan_filtering(request.bridge)) {
    const int uplink_index = rtnl_link_get_ifindex(uplink.get());
    for (int vid : request.uplink_vlans) {
      add_port_vlan(rtnl, uplink_index, *request.uplink, vid, false);
    }
    for (int vid : request.stale_uplink_vlans) {
      if (request.uplink_vlans.count(vid) == 0 && vid != k_untagged_vid) {
        port_vlan_request(rtnl, RTM_DELLINK, uplink_index, vid, 0); // absent is fine
      }
    }
  }
}

void halt_bridge(const std::string& bridge) {
  Rtnl rtnl;
  Link link = rtnl.find(bridge);
  if (!link) {
    return;
  }
  if (!rtnl_link_is_bridge(link.get())) {
    throw hpvm::Error(fmt::format("The interface '{}' is not a bridge.", bridge));
  }
  if (int err = rtnl_link_delete(rtnl.get(), link.get()); err < 0) {
    throw hpvm::Error(fmt::format("Cannot delete the bridge '{}': {}.", bridge, nl_geterror(err)));
  }
}

void set_port_vlan(const std::string& port_interface, std::optional<int> untagged_vlan,
                   std::optional<int> previous_vlan) {
  Rtnl rtnl;
  Link port = rtnl.require(port_interface);
  const std::string bridge = master_name(rtnl, port.get());
  if (bridge.empty()) {
    throw hpvm::Error(fmt::format("The interface '{}' is not a bridge port.", port_interface));
  }
  const int index = rtnl_link_get_ifindex(port.get());
  if (!bridge_vlan_filtering(bridge)) {
    if (!untagged_vlan) {
      return; // no filtering: every port is on the untagged network already
    }
    throw hpvm::Error(fmt::format(
        "Cannot put port '{}' on VLAN {}: the bridge '{}' has no VLAN filtering (this kernel "
        "lacks CONFIG_BRIDGE_VLAN_FILTERING).",
        port_interface, *untagged_vlan, bridge));
  }
  if (untagged_vlan) {
    add_port_vlan(rtnl, index, port_interface, *untagged_vlan, true);
    port_vlan_request(rtnl, RTM_DELLINK, index, k_untagged_vid, 0); // absent is fine
  } else {
    add_port_vlan(rtnl, index, port_interface, k_untagged_vid, true);
  }
  if (previous_vlan && previous_vlan != untagged_vlan) {
    port_vlan_request(rtnl, RTM_DELLINK, index, *previous_vlan, 0); // absent is fine
  }
}

void create_port_tap(const PortRequest& request) {
  if (!valid_ifname(request.tap)) {
    throw hpvm::Error(fmt::format("'{}' is not a valid tap name.", request.tap));
  }
  Rtnl rtnl;
  Link bridge = rtnl.find(request.bridge);
  if (!bridge || !rtnl_link_is_bridge(bridge.get())) {
    throw hpvm::Error(
        fmt::format("The bridge '{}' does not exist: boot the vswitch first.", request.bridge));
  }
  if (!rtnl.find(request.tap)) {
    const int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      throw hpvm::Error(fmt::format("Cannot open /dev/net/tun: {}.", std::strerror(errno)));
    }
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    std::memcpy(ifr.ifr_name, request.tap.c_str(), request.tap.size());
    int rc = ::ioctl(fd, TUNSETIFF, &ifr);
    if (rc == 0) {
      rc = ::ioctl(fd, TUNSETPERSIST, 1);
    }
    const int saved = errno;
    ::close(fd);
    if (rc != 0) {
      throw hpvm::Error(
          fmt::format("Cannot create the tap '{}': {}.", request.tap, std::strerror(saved)));
    }
  }
  Link tap = rtnl.require(request.tap);
  Link changes(rtnl_link_alloc());
  auto mac = mac_addr(tap_mac(request.guest_mac));
  rtnl_link_set_addr(changes.get(), mac.get());
  rtnl_link_set_master(changes.get(), rtnl_link_get_ifindex(bridge.get()));
  rtnl_link_set_flags(changes.get(), IFF_UP);
  rtnl.change(tap.get(), changes.get(),
              fmt::format("attach the tap '{}' to the bridge '{}'", request.tap, request.bridge));
  set_port_vlan(request.tap, request.untagged_vlan);
}

void remove_port_tap(const std::string& tap) {
  if (!valid_ifname(tap)) {
    return;
  }
  Rtnl rtnl;
  Link link = rtnl.find(tap);
  if (!link) {
    return;
  }
  if (int err = rtnl_link_delete(rtnl.get(), link.get()); err < 0) {
    throw hpvm::Error(fmt::format("Cannot delete the tap '{}': {}.", tap, nl_geterror(err)));
  }
}

std::optional<PortCounters> port_counters(const std::string& name) {
  if (!valid_ifname(name)) {
    return std::nullopt;
  }
  Rtnl rtnl;
  Link link = rtnl.find(name);
  if (!link) {
    return std::nullopt;
  }
  const auto stat = [&link](rtnl_link_stat_id_t id) { return rtnl_link_get_stat(link.get(), id); };
  PortCounters c;
  c.rx_packets = stat(RTNL_LINK_RX_PACKETS);
  c.rx_bytes = stat(RTNL_LINK_RX_BYTES);
  c.tx_packets = stat(RTNL_LINK_TX_PACKETS);
  c.tx_bytes = stat(RTNL_LINK_TX_BYTES);
  c.rx_dropped = stat(RTNL_LINK_RX_DROPPED);
  c.tx_dropped = stat(RTNL_LINK_TX_DROPPED);
  return c;
}

namespace {

// Calls `each` for every interface of the network namespace.
void for_each_link(const std::function<void(rtnl_link*)>& each) {
  Rtnl rtnl;
  nl_cache* raw = nullptr;
  if (int err = rtnl_link_alloc_cache(rtnl.get(), AF_UNSPEC, &raw); err < 0) {
    throw hpvm::Error(fmt::format("Cannot list the host's interfaces: {}.", nl_geterror(err)));
  }
  std::unique_ptr<nl_cache, CacheFree> cache(raw);
  for (nl_object* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
    each(reinterpret_cast<rtnl_link*>(obj));
  }
}

} // namespace

std::vector<std::pair<std::string, MacAddress>> host_interface_macs() {
  std::vector<std::pair<std::string, MacAddress>> out;
  for_each_link([&](rtnl_link* link) {
    if (const auto mac = mac_of(link); mac && mac->value() != 0) {
      out.emplace_back(rtnl_link_get_name(link), *mac);
    }
  });
  return out;
}

std::vector<std::pair<std::string, NicAddress>> guest_taps(int vm_number) {
  // tap_name() writes bus and slot as one digit each.
  const std::string prefix = fmt::format("hpv{}n", vm_number);
  std::vector<std::pair<std::string, NicAddress>> out;
  for_each_link([&](rtnl_link* link) {
    const std::string name = rtnl_link_get_name(link);
    if (name.size() == prefix.size() + 2 && name.starts_with(prefix) &&
        std::isdigit(static_cast<unsigned char>(name[prefix.size()])) != 0 &&
        std::isdigit(static_cast<unsigned char>(name[prefix.size() + 1])) != 0) {
      out.emplace_back(name, NicAddress{name[prefix.size()] - '0', name[prefix.size() + 1] - '0'});
    }
  });
  return out;
}

} // namespace avio
