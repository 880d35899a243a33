// Creating and pre-extending backing files (hpvmdevmgmt -S, hpvmclone -b).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace avio {

// Progress of a long write: bytes written so far, bytes to write in all.
using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

// Makes the regular file `path` `bytes` long, creating it (0600) if needed.
// The new part is written with zeros (so the blocks are really allocated)
// unless `sparse`, then only the length changes. Never shrinks a file;
// throws hpvm::Error for a file already larger, a path that is not a
// regular file, or a failed write (a file it created is removed again).
// A new file is written as `path`.hpvm-partial.<pid> and renamed to `path`
// when complete; partial files of killed runs are removed first.
void extend_file(const std::string& path, std::uint64_t bytes, bool sparse,
                 const Progress& progress = {});

// Creates the regular file `path` (0600), which must not exist yet, `bytes`
// long and sparse: the target of a copy. It is made as
// `path`.hpvm-partial.<pid> (partial files of killed runs are removed first)
// and renamed to `path` after `before_rename` ran on it, so a caller can record
// the file (its inode survives the rename) before it appears under its name.
// Throws hpvm::Error when it cannot (nothing is left behind).
void create_sparse_file(const std::string& path, std::uint64_t bytes,
                        const std::function<void(const std::string& partial)>& before_rename = {});

// Removes a file create_sparse_file() made, ignoring errors.
void remove_created_file(const std::string& path) noexcept;

} // namespace avio
