#include "avio/machine.hpp"

#include <fmt/format.h>

#include <sys/stat.h>

namespace avio {

std::string bridge_id(int bus) {
  return fmt::format("hpvm.bus{}", bus);
}
std::string adapter_id(int bus, int slot) {
  return fmt::format("hpvm.hba.b{}s{}", bus, slot);
}
std::string target_id(const StorageAddress& a) {
  return fmt::format("hpvm.tgt.b{}s{}t{}", a.bus, a.slot, a.target);
}
std::string node_name(const StorageAddress& a) {
  return fmt::format("hpvm-b{}s{}t{}", a.bus, a.slot, a.target);
}
std::string nic_id(const NicAddress& a) {
  return fmt::format("hpvm.nic.b{}s{}", a.bus, a.slot);
}
std::string netdev_id(const NicAddress& a) {
  return fmt::format("hpvm.net.b{}s{}", a.bus, a.slot);
}

namespace {

// The numbers in an id ("hpvm.tgt.b0s2t5": 0, 2, 5). Each inverse below
// rebuilds the id from them and compares, so the formats above stay the
// only statement of what our ids look like.
std::vector<int> id_numbers(const std::string& id) {
  std::vector<int> numbers;
  for (std::size_t i = 0; i < id.size();) {
    if (id[i] < '0' || id[i] > '9') {
      ++i;
      continue;
    }
    int n = 0;
    for (; i < id.size() && id[i] >= '0' && id[i] <= '9' && n < 100000; ++i) {
      n = n * 10 + (id[i] - '0');
    }
    numbers.push_back(n);
  }
  return numbers;
}

std::optional<NicAddress> two_numbers(const std::string& id,
                                      std::string (*make)(const NicAddress&)) {
  const auto n = id_numbers(id);
  if (n.size() != 2) {
    return std::nullopt;
  }
  const NicAddress a{n[0], n[1]};
  return make(a) == id ? std::optional(a) : std::nullopt;
}

} // namespace

std::optional<NicAddress> adapter_address_of(const std::string& id) {
  return two_numbers(id, [](const NicAddress& a) { return adapter_id(a.bus, a.slot); });
}

std::optional<StorageAddress> target_address_of(const std::string& id) {
  const auto n = id_numbers(id);
  if (n.size() != 3) {
    return std::nullopt;
  }
  const StorageAddress a{n[0], n[1], n[2]};
  return target_id(a) == id ? std::optional(a) : std::nullopt;
}

std::optional<NicAddress> nic_address_of(const std::string& id) {
  return two_numbers(id, nic_id);
}

std::optional<NicAddress> netdev_address_of(const std::string& id) {
  return two_numbers(id, netdev_id);
}

bool fixed_device_id(const std::string& id) {
  return id.rfind("hpvm.bus", 0) == 0 || id == k_agent_serial_id || id == k_agent_port_id ||
         id == k_balloon_id;
}

std::optional<StorageAddress> serial_address_of(const std::string& serial) {
  const auto at = serial.find("hpvm-b");
  if (at == std::string::npos) {
    return std::nullopt;
  }
  std::string name = serial.substr(at);
  name = name.substr(0, name.find_first_not_of("hpvm-bst0123456789"));
  const auto n = id_numbers(name);
  if (n.size() != 3) {
    return std::nullopt;
  }
  const StorageAddress a{n[0], n[1], n[2]};
  return node_name(a) == name ? std::optional(a) : std::nullopt;
}

const char* adapter_model(StorageAdapter adapter) {
  // megasas honours SCSI ids 0-14 and hot-plug of targets; lsi53c895a and
  // mptsas1068 stop at id 7.
  return adapter == StorageAdapter::avio_stor ? "virtio-scsi-pci" : "megasas";
}

const char* nic_model(NetAdapter adapter) {
  return adapter == NetAdapter::avio_lan ? "virtio-net-pci" : "e1000";
}

const char* target_model(const GuestDisk& disk) {
  if (disk.storage == StorageType::attach || disk.storage == StorageType::attach_path) {
    return "scsi-generic";
  }
  return disk.device == DeviceType::dvd ? "scsi-cd" : "scsi-hd";
}

PciLocation pci_location(int bus, int slot) {
  return {k_bridge_root_slot + bus, slot};
}

Json bridge_device(int bus) {
  return {{"driver", "pci-bridge"},
          {"id", bridge_id(bus)},
          {"bus", "pci.0"},
          {"addr", fmt::format("{:#x}", pci_location(bus, 0).root_slot)},
          {"chassis_nr", bus + 1}};
}

Json adapter_device(StorageAdapter adapter, int bus, int slot) {
  return {{"driver", adapter_model(adapter)},
          {"id", adapter_id(bus, slot)},
          {"bus", bridge_id(bus)},
          {"addr", fmt::format("{:#x}", pci_location(bus, slot).bridge_slot)}};
}

Json target_device(const GuestDisk& disk) {
  Json device{{"driver", target_model(disk)},
              {"id", target_id(disk.address)},
              {"bus", adapter_id(disk.address.bus, disk.address.slot) + ".0"},
              {"channel", 0},
              {"scsi-id", disk.address.target},
              {"lun", 0}};
  if (!disk.location.empty()) {
    device["drive"] = node_name(disk.address);
  }
  if (device["driver"] != "scsi-generic") {
    // The guest reads it back (VPD page 0x80, hpvmdevinfo): which target a disk is.
    device["serial"] = node_name(disk.address);
  }
  return device;
}

Json nic_device(const GuestNic& nic) {
  return {
      {"driver", nic_model(nic.adapter)},
      {"id", nic_id(nic.address)},
      {"bus", bridge_id(nic.address.bus)},
      {"addr", fmt::format("{:#x}", pci_location(nic.address.bus, nic.address.slot).bridge_slot)},
      {"netdev", netdev_id(nic.address)},
      {"mac", nic.mac.colon()}};
}

std::optional<Json> blockdev(const GuestDisk& disk) {
  if (disk.location.empty()) {
    return std::nullopt;
  }
  struct stat st {};
  const bool device_node =
      ::stat(disk.location.c_str(), &st) == 0 && (S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode));
  Json file{{"driver", device_node ? "host_device" : "file"}, {"filename", disk.location}};
  const bool read_only = disk.device == DeviceType::dvd;
  if (std::string(target_model(disk)) == "scsi-generic") {
    // SG_IO needs the host device itself, with no format layer above it.
    file["node-name"] = node_name(disk.address);
    return file;
  }
  return Json{{"driver", "raw"},
              {"node-name", node_name(disk.address)},
              {"read-only", read_only},
              {"file", file}};
}

Json tap_netdev(const GuestNic& nic) {
  return {{"type", "tap"},
          {"id", netdev_id(nic.address)},
          {"ifname", nic.tap},
          {"script", "no"},
          {"downscript", "no"}};
}

Json agent_serial_device() {
  return {{"driver", "virtio-serial-pci"},
          {"id", k_agent_serial_id},
          {"bus", "pci.0"},
          {"addr", fmt::format("{:#x}", k_agent_root_slot)}};
}

Json agent_port_device() {
  return {{"driver", "virtserialport"},
          {"id", k_agent_port_id},
          {"bus", std::string(k_agent_serial_id) + ".0"},
          {"chardev", k_agent_chardev},
          {"name", k_agent_port_name}};
}

Json balloon_device() {
  return {{"driver", "virtio-balloon-pci"},
          {"id", k_balloon_id},
          {"bus", "pci.0"},
          {"addr", fmt::format("{:#x}", k_balloon_root_slot)}};
}

std::string qemu_opt_escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    out += c;
    if (c == ',') {
      out += ',';
    }
  }
  return out;
}

} // namespace avio
