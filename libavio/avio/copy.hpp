// Copying a guest's storage to a new backing store (hpvmclone -b): sparse
// aware, in the kernel where it can (copy_file_range), with progress.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace avio {

// Called after each chunk with the bytes done so far and the total.
using CopyProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;

// The size in bytes of a regular file or block device; throws hpvm::Error.
std::uint64_t storage_size(const std::string& path);

// Copies every byte of `from` (a regular file or block device) into `to`,
// which must already exist. A regular-file target is resized to the
// source's size and keeps its holes where the source has holes or zeros; a
// block-device target must be at least as large, and its bytes past the
// source's size are left alone. Throws hpvm::Error naming both paths.
void copy_storage(const std::string& from, const std::string& to, const CopyProgress& progress);

} // namespace avio
