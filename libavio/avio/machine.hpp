// How a configured guest becomes a QEMU machine: the one fixed rule mapping
// HPVM's virtual PCI addresses to QEMU's, the QEMU device behind each HPVM
// adapter and backing store, and the device descriptions (QMP JSON) used
// both on QEMU's command line and for hot-plug.
//
// Topology rule (documented in hpvmstart(1M)):
//  * machine type "pc" (i440FX; ACPI PCI hot-plug, also behind bridges);
//  * HPVM bus b (0-7) is a pci-bridge with id "hpvm.bus<b>", chassis_nr b+1,
//    in slot 0x10+b of QEMU's root bus pci.0; all eight exist in every guest
//    so that any address can be hot-plugged later;
//  * HPVM slot s (0-7) on bus b is slot s of that bridge, function 0;
//  * a storage adapter's target t is the SCSI device with scsi-id t, lun 0.
#pragma once

#include "avio/address.hpp"
#include "avio/mac.hpp"
#include "avio/types.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace avio {

using Json = nlohmann::json;

// One configured storage device, as the runtime needs it.
struct GuestDisk {
  DeviceType device = DeviceType::disk;
  StorageAdapter adapter = StorageAdapter::avio_stor;
  StorageAddress address;
  StorageType storage = StorageType::file;
  std::string location; // empty for a null DVD
};

// One configured vNIC; `tap` is the host tap interface QEMU opens.
struct GuestNic {
  NetAdapter adapter = NetAdapter::avio_lan;
  NicAddress address;
  MacAddress mac;
  std::string tap;
};

struct MachineSpec {
  std::string name; // a validated guest name
  std::string uuid;
  int vcpus = 1;
  std::uint64_t memory_mb = 2048;
  std::string host_name; // carried in SMBIOS type 11 for hpvminfo inside the guest
  std::vector<GuestDisk> storage;
  std::vector<GuestNic> networks;
  bool balloon = false; // dynamic memory: a virtio balloon device
  // hpvmmigrate -o's target: QEMU starts paused (-S) and waits for the
  // migration stream (-incoming defer, then QMP migrate-incoming).
  bool incoming = false;
};

inline constexpr int k_bridge_root_slot = 0x10;
// The guest agent's channel: a virtio-serial adapter on the root bus, outside
// HPVM's buses, with one port named as qemu-ga looks for it.
inline constexpr int k_agent_root_slot = 0x08;
inline constexpr const char* k_agent_chardev = "hpvm.agent";
inline constexpr const char* k_agent_port_name = "org.qemu.guest_agent.0";
inline constexpr const char* k_agent_serial_id = "hpvm.serial";
inline constexpr const char* k_agent_port_id = "hpvm.agent.port";
// Dynamic memory's balloon: a virtio-balloon-pci device on the root bus, in
// the slot after the agent's, outside HPVM's buses.
inline constexpr int k_balloon_root_slot = 0x09;
inline constexpr const char* k_balloon_id = "hpvm.balloon";

// QEMU ids. They contain only numbers and fixed text, never user input.
std::string bridge_id(int bus);
std::string adapter_id(int bus, int slot);
std::string target_id(const StorageAddress& address);
std::string node_name(const StorageAddress& address);
std::string nic_id(const NicAddress& address);
std::string netdev_id(const NicAddress& address);
// Devices the runtime adds whatever the devices configured (the bridges of
// buses 0-7, the guest agent's channel, the balloon): never a device
// difference from the configuration.
bool fixed_device_id(const std::string& id);
// Their inverses: the address an id of ours names (nullopt for any other id).
std::optional<NicAddress> adapter_address_of(const std::string& id); // bus, slot of hpvm.hba.*
std::optional<StorageAddress> target_address_of(const std::string& id);
std::optional<NicAddress> nic_address_of(const std::string& id);
std::optional<NicAddress> netdev_address_of(const std::string& id);
// The address in a disk's SCSI serial number (target_device() sets it to the
// node name), wherever it appears in `serial`.
std::optional<StorageAddress> serial_address_of(const std::string& serial);

// QEMU device models.
const char* adapter_model(StorageAdapter adapter); // virtio-scsi-pci, megasas
const char* nic_model(NetAdapter adapter);         // virtio-net-pci, e1000
const char* target_model(const GuestDisk& disk);   // scsi-hd, scsi-cd, scsi-generic

// device_add / -device arguments.
Json bridge_device(int bus);
Json adapter_device(StorageAdapter adapter, int bus, int slot);
Json target_device(const GuestDisk& disk);
Json nic_device(const GuestNic& nic);
// blockdev-add / -blockdev arguments; nullopt for a device with no medium.
std::optional<Json> blockdev(const GuestDisk& disk);
// netdev_add / -netdev arguments: a tap QEMU opens by name, no scripts.
Json tap_netdev(const GuestNic& nic);
// The virtio-serial adapter and its port for the guest agent.
Json agent_serial_device();
Json agent_port_device();
// The balloon of a guest with dynamic memory.
Json balloon_device();

// The HPVM PCI address of a QEMU PCI location, when it is one of ours.
struct PciLocation {
  int root_slot = 0;   // slot on pci.0
  int bridge_slot = 0; // slot on the bridge
};
PciLocation pci_location(int bus, int slot);

// QemuOpts escaping for option values QEMU does not take as JSON (",," for ",").
std::string qemu_opt_escape(const std::string& value);

} // namespace avio
