// The host paths no guest may be given, whatever the device database says
// (hpvmhostrdev's rdev entries are not needed for these):
//   * the suite's own files: anything in $HPVM_ROOT (the database, its WAL,
//     backups, run directories, logs), however it is reached: symlinks and
//     bind mounts are seen through by comparing directories' device and
//     inode numbers, hard links by comparing the file's;
//   * host storage in use: a block device that is mounted, swapped or held
//     (md, device-mapper, an active LVM volume built on it), or one of whose
//     partitions is; a swap file;
//   * the host's system files (under /etc, /boot, /usr, /var/lib, ...):
//     these only unless forced (-F), with a warning.
// Every command that gives a backing store to a guest, writes one (hpvmclone
// -b, hpvmdevmgmt -S) or starts a guest on one asks guarded_storage().
#pragma once

#include "avio/backing.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace avio {

struct Guarded {
  // "Backing store 'PATH' is ...", without an ending.
  std::string reason;
  bool forceable = false; // a system file: -F gives it anyway
  // The error: the reason and why it stands ("no guest may have it", or
  // that -F overrides it).
  std::string refusal() const;
  // The warning when forced.
  std::string forced() const;
};

// Why `path` (probed as `entity`) may not be a guest's backing store, or be
// written by the suite; `suite_root` is $HPVM_ROOT. nullopt: it may.
std::optional<Guarded> guarded_storage(const std::string& path, const HostEntity& entity,
                                       const std::filesystem::path& suite_root);

} // namespace avio
