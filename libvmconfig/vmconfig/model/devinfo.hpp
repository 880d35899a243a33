// hpvmdevinfo: each configured device of a guest beside what the guest
// itself calls it (as its guest agent says).
#pragma once

#include "vmconfig/model/run_state.hpp"

#include <optional>
#include <string>
#include <vector>

namespace vmconfig {

struct MappedDevice {
  std::string device;  // disk, dvd, ..., network
  std::string adapter; // avio_stor, scsi, avio_lan, lan
  int bus = 0;
  int slot = 0;
  std::optional<int> target; // none for a vNIC
  std::string storage;       // file, disk, lv, null, ...; vswitch for a vNIC
  std::string host_device;   // the backing store's path; the vswitch's name
  // What the guest says; nullopt: unknown (no agent answer, or it did not
  // name this device).
  std::optional<std::string> guest_device;  // /dev/sda, eth0
  std::optional<std::string> guest_address; // channel.target.lun; a vNIC's IPv4/prefix
};

enum class AgentState : unsigned char { answered, silent, not_running };

struct GuestDeviceMap {
  std::string guest;
  RunState state;
  AgentState agent = AgentState::not_running;
  std::string agent_problem; // why the agent did not answer
  std::vector<MappedDevice> devices;
};

} // namespace vmconfig
