// What a running guest calls its own devices: QEMU's guest agent (qemu-ga)
// answers on the virtio-serial port the runtime gives every guest
// (org.qemu.guest_agent.0, the run directory's agent.sock on the host). A
// disk is matched to its configured address by the SCSI serial number the
// runtime gives it (machine.hpp's target_device), an interface by its MAC.
#pragma once

#include "avio/address.hpp"
#include "avio/layout.hpp"
#include "avio/mac.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace avio {

// How long a guest whose agent is silent (not installed, not started yet,
// or the guest is hung) may take: the whole exchange, connect included.
inline constexpr std::chrono::milliseconds k_agent_timeout{2000};

// A disk the guest has at one of our SCSI targets.
struct GuestDiskName {
  StorageAddress address;    // the configured bus,slot,target
  std::string device;        // the guest's device file: /dev/sda
  bool scsi_address = false; // the agent gave it a SCSI address (it is on a SCSI bus)
};

// A network interface of the guest, by its MAC.
struct GuestNicName {
  MacAddress mac;
  std::string name; // eth0
  std::string ipv4; // the first IPv4 address with its prefix ("" when none)
};

struct GuestDeviceNames {
  bool answered = false; // the agent answered; the lists are what it said
  std::string problem;   // why not, when it did not
  std::vector<GuestDiskName> disks;
  std::vector<GuestNicName> nics;
};

// Asks the agent of the guest running in `run` (guest-sync-delimited, then
// guest-get-disks, each disk's VPD page 0x80 through guest-file-read, and
// guest-network-get-interfaces), all within `timeout`. Never throws for a silent or missing agent:
// the answer says why it has no names.
GuestDeviceNames guest_device_names(const RunDir& run,
                                    std::chrono::milliseconds timeout = k_agent_timeout);

} // namespace avio
