// Host backing stores: what a path on this Linux host really is, and whether
// it may back a given virtual device.
#pragma once

#include "avio/types.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace avio {

enum class HostKind : std::uint8_t {
  missing,
  regular_file,
  directory,
  whole_disk,     // a block device that is not a partition (sd*, vd*, nvme*n*, loop*, md*)
  partition,      // a block device with a parent disk
  logical_volume, // a device-mapper device that LVM owns
  device_mapper,  // any other device-mapper device (multipath, crypt, ...)
  optical_drive,  // a CD/DVD drive (sr*)
  scsi_generic,   // a SCSI generic character device (sg*, bsg)
  other_block,
  other_char,
  other,
};

const char* describe(HostKind kind);

// What probe() found at a path.
struct HostEntity {
  std::string path; // as given
  HostKind kind = HostKind::missing;
  std::uint64_t size = 0; // bytes; 0 for directories and character devices
  // Why a block device's size is unknown ("" when it is known).
  std::string size_problem;
  // One key per host storage entity: every path that reaches the same
  // file or device (symlinks, /dev/disk/by-* names) yields the same key, and
  // so do several paths to one disk (the same WWID).
  std::string identity;
  std::string block_name; // kernel name (sda, dm-0, loop3) of a block device, else ""
};

HostEntity probe(const std::string& path);

// Whether `identity` (from probe()) names a file or device that existed,
// rather than a path with nothing at it: only such identities can be
// compared later to find that a path now leads elsewhere.
bool names_host_object(const std::string& identity);

// The size in bytes /sys/dev/block/MAJ:MIN/size gives, if it can be read.
// probe() falls back on it when the device cannot be opened.
std::optional<std::uint64_t> sysfs_block_size(unsigned maj, unsigned min);

// Whether something exists at `path` on this host (symlinks followed).
bool path_exists(const std::string& path);

// `path` with symlinks, "." and ".." resolved as far as it exists (the rest
// appended); only lexically normalised when it cannot be resolved.
std::filesystem::path resolved_path(const std::string& path);

// The file system (st_dev) `path` is on, or its nearest existing parent is;
// nullopt when none can be examined.
std::optional<std::uint64_t> file_system_of(std::filesystem::path path);

// HP-UX agile lunpaths look like 0/7/1/1.0x500104f00048b29e.0x0: hardware
// path, then target WWN and LUN in hex. HPVM's attach_path takes them; a
// Linux host needs the SCSI generic node of the same device instead.
bool is_hpux_lunpath(std::string_view location);

// The identity probe() gives the block device `kernel_name` (as in /sys/class/block).
std::string block_identity(const std::string& kernel_name);

// What names a backing store the same way on every host that reaches it,
// where this host's identity (device numbers) does not: hpvmmigrate's target
// compares the source's with its own. "" when nothing does.
std::string shared_identity(const HostEntity& e);

// A file on shared storage: its inode number (each host numbers the file
// system itself its own way) and its size, "file:<inode>:<size>".
std::string shared_file_identity(std::uint64_t inode, std::int64_t size);

// The block device `kernel_name`'s: its WWID, its device-mapper UUID, a
// partition of a disk that has one of these, its serial number (virtio), or
// a loop device's backing file (shared_file_identity) and offset; "" when it
// has none (a RAM disk, a DRBD or nbd device). The sysfs root is a parameter
// for tests.
std::string shared_block_identity(const std::string& kernel_name,
                                  const std::filesystem::path& sys_block = "/sys/class/block");

// The character device `major_minor` ("21:3")'s: a SCSI generic node's
// device WWID; "" otherwise.
std::string shared_char_identity(const std::string& major_minor,
                                 const std::filesystem::path& sys_dev_char = "/sys/dev/char");

// The block devices stacked with a block device: those it is built on
// (device-mapper/md slaves, the disk of a partition, recursively) and those
// built on it (holders, partitions, recursively), by kernel name. Empty for
// anything but a block device. Two entities overlap when one is in the
// other's stack.
std::vector<std::string> stacked_block_devices(const std::string& kernel_name);
// Only those it is built on.
std::vector<std::string> block_devices_below(const std::string& kernel_name);
// Only those built on it.
std::vector<std::string> block_devices_above(const std::string& kernel_name);

// The unique id HPVM shows for a device: the disk's WWID (from /sys, else
// its /dev/disk/by-id name), or "" when it has none (files, loop devices).
std::string unique_id(const HostEntity& entity);

struct BackingProblems {
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

// Checks that `entity` may back a `device` of storage type `storage`. With
// `force`, a missing backing store is only a warning (as HPVM's -F allows).
BackingProblems check_backing(DeviceType device, StorageType storage, const HostEntity& entity,
                              bool force);

} // namespace avio
