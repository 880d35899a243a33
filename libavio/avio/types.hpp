// The kinds of virtual devices and host backing stores, as HPVM names them.
#pragma once

#include <cstdint>

namespace avio {

enum class DeviceType : std::uint8_t { disk, dvd, tape, changer, burner };
enum class StorageAdapter : std::uint8_t { scsi, avio_stor };
enum class StorageType : std::uint8_t { disk, lv, file, null, attach, attach_path };
enum class NetAdapter : std::uint8_t { lan, avio_lan };

// HPVM address limits (hpvmresources(5)); function and LUN are always 0.
inline constexpr int k_max_bus = 7;
inline constexpr int k_max_slot = 7;
inline constexpr int k_max_scsi_target = 14;
inline constexpr int k_max_avio_target = 127;
inline constexpr int k_max_port = 511;

// Per-guest limits (white paper section 2).
inline constexpr int k_max_adapters = 63;
inline constexpr int k_max_vio_devices = 30;
inline constexpr int k_max_avio_devices = 128;
inline constexpr int k_max_file_backings = 30;
inline constexpr std::uint64_t k_min_disk_bytes = 512;
inline constexpr std::uint64_t k_min_dvd_bytes = 2048;

constexpr int max_target(StorageAdapter a) {
  return a == StorageAdapter::scsi ? k_max_scsi_target : k_max_avio_target;
}

} // namespace avio
