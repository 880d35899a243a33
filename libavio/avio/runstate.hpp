// Where a guest's runtime files live, and whether its QEMU process runs.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace avio {

// The files of one guest's run directory ($HPVM_ROOT/uuids/<uuid>).
struct RunDir {
  std::filesystem::path dir;
  std::filesystem::path pid_file() const { return dir / "qemu.pid"; }
  std::filesystem::path qmp_socket() const { return dir / "qmp.sock"; }
  std::filesystem::path console_socket() const { return dir / "console.sock"; }
  std::filesystem::path log_file() const { return dir / "qemu.log"; }
  // Everything the guest wrote to its serial console (HPVM's console log).
  std::filesystem::path console_log() const { return dir / "console.log"; }
  // Ids of PCI devices whose hot-removal the guest has not completed.
  std::filesystem::path pending_removals_file() const { return dir / "pending-removals"; }
};

// The pid of the guest's live QEMU process, or nullopt when none runs (no pid
// file, a dead pid, or a pid that now belongs to another program).
std::optional<pid_t> running_qemu(const RunDir& run);

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
