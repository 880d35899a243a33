// Whether a guest's QEMU process runs (its run directory: avio/layout.hpp), and
// how a guest of this suite knows it is one.
#pragma once

#include "avio/layout.hpp"

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace avio {

// The pid of the guest's live QEMU process, or nullopt when none runs (no pid
// file, a dead pid, or a pid that now belongs to another process).
std::optional<pid_t> running_qemu(const RunDir& run);

// Whether `pid` is the QEMU of `run`: a live qemu-system process whose
// command line carries `-uuid <the run directory's name>` and, when the
// launch recorded one, whose start time is the one in run.start_file().
// Anything else (a pid reused by another program, or by another guest's
// QEMU) is not the guest's, and nothing signals it.
bool is_guest_qemu(const RunDir& run, pid_t pid);
// When `pid` started (clock ticks since boot, /proc/<pid>/stat field 22),
// nullopt when there is no such process.
std::optional<unsigned long long> process_start_time(pid_t pid);
// Records `pid`'s start time in run.start_file() (launch does, once QEMU runs).
void record_qemu_start(const RunDir& run, pid_t pid);

// SMBIOS strings a guest of this suite carries (type 1 manufacturer/product),
// and the check hpvminfo makes inside a guest.
inline constexpr const char* k_guest_smbios_manufacturer = "HPVM";
inline constexpr const char* k_guest_smbios_product = "HPVM Guest";
bool running_inside_guest(const std::filesystem::path& dmi_dir = "/sys/class/dmi/id");

// The guest's SMBIOS type 11 (OEM strings) carries "hpvm.host=<VM Host name>".
inline constexpr const char* k_guest_smbios_host_prefix = "hpvm.host=";
// That host name, read inside the guest, or "" when there is none (or the
// tables are not readable: they are root-only on Linux).
std::string guest_host_name(const std::filesystem::path& dmi_entries = "/sys/firmware/dmi/entries");

} // namespace avio
