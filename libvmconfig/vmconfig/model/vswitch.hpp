// Virtual switches: the record the store keeps, and what hpvmnet shows of one
// (the record with what the host says about its bridge and ports).
#pragma once

#include "vmconfig/model/resource.hpp"

#include <avio/mac.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vmconfig {

struct Vswitch {
  std::int64_t id = 0;
  std::string name;
  int number = 0;
  std::string uplink; // host interface; "" for a local vswitch
  bool up = false;    // booted (recorded: `hpvmnet -b` with no -S boots these again)
  std::string mode = "Shared";
};

// One port of hpvmnet -S name's [Port Configuration Details].
struct VswitchPortStatus {
  int port = 0;
  // The guest whose vNIC holds the port, and that vNIC's adapter; no guest:
  // the port is only configured (a VLAN), so available.
  std::optional<std::string> guest;
  NetAdapter adapter = NetAdapter::lan;
  std::optional<int> vlan; // the untagged VLAN; none when unset
  bool active = false;     // the guest runs and its tap is a port of the bridge
};

// One interface attached to the bridge, in hpvmnet -A's [Port Statistics].
struct VswitchPortCounters {
  int port = 0; // the uplink is port 512, as on HPVM
  std::string interface;
  std::string guest; // the running guest whose tap it is; "" for the uplink
  std::uint64_t frames_in = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t frames_out = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t dropped = 0;
};

// A vswitch as hpvmnet shows it.
struct VswitchStatus {
  Vswitch vswitch;
  bool up = false; // the State column: ports can be attached now
  // The uplink's MAC and first IPv4 address (on the uplink or, moved there,
  // on the bridge; "" when it has none). Both N/A for a local vswitch.
  std::optional<avio::MacAddress> uplink_mac;
  std::string ip;
  std::vector<VswitchPortStatus> ports;        // filled for -S name
  std::vector<VswitchPortCounters> statistics; // filled for -A
};

} // namespace vmconfig
