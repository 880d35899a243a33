// Where libvmconfig finds a guest's runtime files and live state.
#pragma once

#include "vmconfig/model/guest.hpp"
#include "vmconfig/model/run_state.hpp"

#include <avio/runstate.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace vmconfig {

// $HPVM_ROOT/uuids/<uuid>; $HPVM_ROOT/guests/<name> is a symlink to it, as on
// HPVM (avio/layout.hpp spells every path).
avio::RunDir run_dir(const std::filesystem::path& root, const std::string& uuid);
std::filesystem::path guest_link(const std::filesystem::path& root, const std::string& name);

// A new random UUID (from the kernel); throws hpvm::Error when there is none.
std::string new_uuid();
// Creates the guest's run directory (0700) and its guests/<name> link.
void make_run_dir(const std::filesystem::path& root, const Guest& guest);
// Removes both; errors are ignored.
void remove_run_dir(const std::filesystem::path& root, const Guest& guest);
// Points guests/<name> at the guest's run directory (replacing any link
// there); unlink_guest removes guests/<name> when it leads to the guest
// `uuid` (avio/layout.hpp), ignoring errors.
void link_guest(const std::filesystem::path& root, const std::string& name,
                const std::string& uuid);
void unlink_guest(const std::filesystem::path& root, const std::string& name,
                  const std::string& uuid);

RunState run_state(const std::filesystem::path& root, const std::string& uuid);

// $HPVM_ROOT/running/<uuid>: one empty file per guest whose QEMU may be
// running. The runtime makes it before QEMU starts and removes it once QEMU
// is gone, so listing every guest's state reads one small directory instead
// of 10,000 run directories. An entry is only a hint: the pid is checked.
std::filesystem::path running_index(const std::filesystem::path& root);
void mark_running(const std::filesystem::path& root, const std::string& uuid);
void unmark_running(const std::filesystem::path& root, const std::string& uuid);
// The uuids of the guests whose QEMU runs now.
std::set<std::string> running_uuids(const std::filesystem::path& root);

} // namespace vmconfig
