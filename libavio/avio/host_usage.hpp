// The storage the Linux host itself uses (what hpvmhostrdev restricts):
// mounted file systems, swap, and every block device under them (partition
// disks, device-mapper and md slaves, the LVM physical volumes behind a used
// LV). A volume group the host uses nothing of is not the host's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace avio {

struct HostStorageUse {
  std::string path;                 // /dev/vda, /dev/mapper/vg-root, /swapfile
  std::vector<std::string> aliases; // other names of it (/dev/dm-0)
  std::string reason;               // "mounted on /", "swap", "holds /dev/vda1", ...
};

// A mounted file system backed by a block device.
struct BlockMount {
  unsigned major = 0;
  unsigned minor = 0;
  std::string mount_point;
};

// The block-backed mounts of /proc/self/mountinfo text (major 0 is not a device).
std::vector<BlockMount> parse_mountinfo(std::string_view text);
// The swap areas of /proc/swaps text.
std::vector<std::string> parse_swaps(std::string_view text);

// The /dev path (and aliases) of a block device by kernel name: dm devices
// by their /dev/mapper name.
HostStorageUse block_device_paths(const std::string& kernel_name);

// Everything the host uses now, each device once (the first reason found).
std::vector<HostStorageUse> host_storage_in_use();

// Why the host uses the block device `kernel_name` now, as "<device> is
// mounted on <dir>" (or "is a swap area", "is held by <device>"), looking at
// the device and at what is built on it (its partitions, md and
// device-mapper devices, active LVM volumes); nullopt when it is free. These
// need no rdev entry. What this mount namespace cannot see (a mount in
// another namespace) the kernel still reports: the device cannot be opened
// exclusively through `path` (a path to it).
std::optional<std::string> block_device_in_use(const std::string& kernel_name,
                                               const std::string& path);

// The loop device backed by the file (device and inode numbers) that the
// host uses, and why: "/dev/loop3, and /dev/loop3 is mounted on /mnt";
// nullopt when no loop device in use reads the file.
std::optional<std::string> loop_backing_in_use(std::uint64_t dev, std::uint64_t ino);

// The swap areas that are regular files, as device and inode numbers.
std::vector<std::pair<std::uint64_t, std::uint64_t>> swap_file_inodes();

// Asks every SCSI host adapter to rescan its bus (what a full hpvmhostrdev
// run does first, so newly attached LUNs are seen).
void rescan_scsi_hosts();

} // namespace avio
