// Resource statements (what -a/-d/-m carry) and the devices they become once
// every address part is known.
#pragma once

#include <avio/address.hpp>
#include <avio/mac.hpp>
#include <avio/types.hpp>

#include <optional>
#include <string>
#include <variant>

namespace vmconfig {

using avio::DeviceType;
using avio::NetAdapter;
using avio::StorageAdapter;
using avio::StorageType;

// devicetype:adaptertype:bus,device,target:storage:location
struct StorageStatement {
  DeviceType device = DeviceType::disk;
  StorageAdapter adapter = StorageAdapter::scsi;
  avio::AddressRequest address;
  StorageType storage = StorageType::file;
  std::string location;
};

// network:adaptertype:bus,device,mac:vswitch:name[:portid:N]
struct NetworkStatement {
  NetAdapter adapter = NetAdapter::lan;
  avio::AddressRequest address; // bus and slot only
  std::optional<avio::MacAddress> mac;
  std::string vswitch;
  std::optional<int> port;
};

// hba:adaptertype:bus,slot (only with -m: switch a whole adapter's type)
struct HbaStatement {
  StorageAdapter adapter = StorageAdapter::scsi;
  int bus = 0;
  int slot = 0;
};

using ResourceStatement = std::variant<StorageStatement, NetworkStatement, HbaStatement>;

// A configured storage device: every address part is known.
struct StorageDevice {
  DeviceType device = DeviceType::disk;
  StorageAdapter adapter = StorageAdapter::scsi;
  avio::StorageAddress address;
  StorageType storage = StorageType::file;
  std::string location;
  friend bool operator==(const StorageDevice&, const StorageDevice&) = default;
};

// A configured vNIC. `port` is set when the statement pinned it.
struct NetworkDevice {
  NetAdapter adapter = NetAdapter::lan;
  avio::NicAddress address;
  avio::MacAddress mac;
  std::string vswitch;
  std::optional<int> port;
  friend bool operator==(const NetworkDevice&, const NetworkDevice&) = default;
};

} // namespace vmconfig
