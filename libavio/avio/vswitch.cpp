#include "avio/vswitch.hpp"

#include "avio/error.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/vlan.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstring>
#include <functional>
#include <memory>
#include <string_view>

namespace avio {

namespace {

// Owners of libnl objects.
struct SocketFree {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct LinkPut {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
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

private:
  std::unique_ptr<nl_sock, SocketFree> m_sock;
};

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

// The link's kind ("bridge", "vlan", "tun", ...), or "" for a plain device.
const char* kind_of(rtnl_link* link) {
  const char* kind = rtnl_link_get_type(link);
  return kind ? kind : "";
}

// Sets `link` up, enslaved to the bridge `master`; `what` names the change.
void attach(const Rtnl& rtnl, rtnl_link* link, rtnl_link* master, const std::string& what) {
  Link changes(rtnl_link_alloc());
  rtnl_link_set_master(changes.get(), rtnl_link_get_ifindex(master));
  rtnl_link_set_flags(changes.get(), IFF_UP);
  rtnl.change(link, changes.get(), what);
}

// The bridge `name`, created when missing, and up.
Link up_bridge(const Rtnl& rtnl, const std::string& name) {
  Link bridge = rtnl.find(name);
  if (!bridge) {
    if (int err = rtnl_link_bridge_add(rtnl.get(), name.c_str()); err < 0) {
      throw hpvm::Error(fmt::format("Cannot create the bridge '{}': {}.", name, nl_geterror(err)));
    }
    bridge = rtnl.require(name);
  }
  if (!rtnl_link_is_bridge(bridge.get())) {
    throw hpvm::Error(fmt::format("The interface '{}' exists and is not a bridge.", name));
  }
  Link up(rtnl_link_alloc());
  rtnl_link_set_flags(up.get(), IFF_UP);
  rtnl.change(bridge.get(), up.get(), fmt::format("set the bridge '{}' up", name));
  return bridge;
}

// The bridge of VLAN `vlan` of the vswitch bridge `bridge`, up, and joined
// to the uplink's 802.1Q interface for the VLAN. Returns false when the
// uplink cannot carry the VLAN: the kernel refuses the 802.1Q interface as
// unsupported (no 8021q, or an interface that cannot tag).
bool make_vlan_bridge(const Rtnl& rtnl, const std::string& bridge, int vlan,
                      const std::optional<std::string>& uplink) {
  const std::string name = port_bridge(bridge, vlan);
  if (!valid_ifname(name)) {
    throw hpvm::Error(fmt::format("Cannot make the bridge of VLAN {}: its name '{}' is longer than "
                                  "{} characters (vswitches numbered above 99999 have no port "
                                  "VLANs).",
                                  vlan, name, k_max_ifname));
  }
  Link vlan_bridge = up_bridge(rtnl, name);
  if (!uplink) {
    return true;
  }
  const std::string interface = uplink_vlan_interface(bridge, vlan);
  Link link = rtnl.find(interface);
  if (!link) {
    Link parent = rtnl.require(*uplink);
    Link wanted(rtnl_link_vlan_alloc());
    if (!wanted) {
      throw hpvm::Error("Cannot allocate a netlink link.");
    }
    rtnl_link_set_name(wanted.get(), interface.c_str());
    rtnl_link_set_link(wanted.get(), rtnl_link_get_ifindex(parent.get()));
    rtnl_link_vlan_set_id(wanted.get(), static_cast<std::uint16_t>(vlan));
    const int err = rtnl_link_add(rtnl.get(), wanted.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err == -NLE_OPNOTSUPP) {
      return false;
    }
    if (err < 0) {
      throw hpvm::Error(fmt::format("Cannot create the VLAN interface '{}' on '{}': {}.", interface,
                                    *uplink, nl_geterror(err)));
    }
    link = rtnl.require(interface);
  }
  if (std::string_view(kind_of(link.get())) != "vlan") {
    throw hpvm::Error(
        fmt::format("The interface '{}' exists and is not a VLAN interface.", interface));
  }
  attach(rtnl, link.get(), vlan_bridge.get(),
         fmt::format("attach '{}' to the bridge '{}'", interface, name));
  return true;
}

// The VLANs of the vswitch bridge `bridge` that have a bridge or an uplink
// 802.1Q interface on the host, found by their names (port_bridge,
// uplink_vlan_interface): what a killed command left is found too.
std::set<int> host_vlans(const std::string& bridge) {
  std::set<int> out;
  for_each_link([&](rtnl_link* link) {
    const std::string_view name = rtnl_link_get_name(link);
    if (name.size() < bridge.size() + 2 || !name.starts_with(bridge)) {
      return;
    }
    const std::string_view digits = name.substr(bridge.size() + 1);
    int vlan = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), vlan);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.front() == '0') {
      return;
    }
    const std::string_view kind = kind_of(link);
    const char separator = name[bridge.size()];
    if ((separator == 'v' && kind == "bridge") || (separator == '.' && kind == "vlan")) {
      out.insert(vlan);
    }
  });
  return out;
}

void delete_link(const Rtnl& rtnl, rtnl_link* link, const std::string& name) {
  if (int err = rtnl_link_delete(rtnl.get(), link); err < 0) {
    throw hpvm::Error(fmt::format("Cannot delete '{}': {}.", name, nl_geterror(err)));
  }
}

// Deletes VLAN `vlan`'s bridge (its taps are released) and the uplink's
// 802.1Q interface for it.
void remove_vlan_bridge(const Rtnl& rtnl, const std::string& bridge, int vlan) {
  const std::string interface = uplink_vlan_interface(bridge, vlan);
  if (Link link = rtnl.find(interface); link && std::string_view(kind_of(link.get())) == "vlan") {
    delete_link(rtnl, link.get(), interface);
  }
  const std::string name = port_bridge(bridge, vlan);
  if (Link link = rtnl.find(name); link && rtnl_link_is_bridge(link.get())) {
    delete_link(rtnl, link.get(), name);
  }
}

} // namespace

std::string bridge_name(int vswitch_number) {
  return fmt::format("hpvsw{}", vswitch_number);
}

std::string port_bridge(const std::string& vswitch_bridge, std::optional<int> untagged_vlan) {
  return untagged_vlan ? fmt::format("{}v{}", vswitch_bridge, *untagged_vlan) : vswitch_bridge;
}

std::string uplink_vlan_interface(const std::string& vswitch_bridge, int vlan) {
  return fmt::format("{}.{}", vswitch_bridge, vlan);
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

BridgeResult boot_bridge(const BridgeRequest& request) {
  Rtnl rtnl;
  Link bridge = up_bridge(rtnl, request.bridge);
  if (request.uplink) {
    Link uplink = rtnl.require(*request.uplink);
    attach(rtnl, uplink.get(), bridge.get(),
           fmt::format("attach '{}' to the bridge '{}'", *request.uplink, request.bridge));
  }
  // Stale VLANs go first: their taps are released, for the caller to move.
  for (int vlan : host_vlans(request.bridge)) {
    if (request.vlans.count(vlan) == 0) {
      remove_vlan_bridge(rtnl, request.bridge, vlan);
    }
  }
  BridgeResult result;
  for (int vlan : request.vlans) {
    if (!make_vlan_bridge(rtnl, request.bridge, vlan, request.uplink)) {
      result.local_vlans.insert(vlan);
    }
  }
  return result;
}

void halt_bridge(const std::string& bridge) {
  Rtnl rtnl;
  Link link = rtnl.find(bridge);
  if (link && !rtnl_link_is_bridge(link.get())) {
    throw hpvm::Error(fmt::format("The interface '{}' is not a bridge.", bridge));
  }
  for (int vlan : host_vlans(bridge)) {
    remove_vlan_bridge(rtnl, bridge, vlan);
  }
  if (link) {
    if (int err = rtnl_link_delete(rtnl.get(), link.get()); err < 0) {
      throw hpvm::Error(
          fmt::format("Cannot delete the bridge '{}': {}.", bridge, nl_geterror(err)));
    }
  }
}

std::vector<std::string> vlan_bridges(const std::string& bridge) {
  std::vector<std::string> out;
  for (int vlan : host_vlans(bridge)) {
    const std::string name = port_bridge(bridge, vlan);
    if (link_state(name).kind == "bridge") {
      out.push_back(name);
    }
  }
  return out;
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
  const std::string target = port_bridge(request.bridge, request.untagged_vlan);
  if (request.untagged_vlan) {
    // Made here when missing (after a reboot, localnet's first port); a VLAN
    // the uplink cannot carry is hpvmnet's to report (-b, -u).
    make_vlan_bridge(rtnl, request.bridge, *request.untagged_vlan, request.uplink);
    bridge = rtnl.require(target);
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
              fmt::format("attach the tap '{}' to the bridge '{}'", request.tap, target));
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
