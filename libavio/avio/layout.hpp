// Every path under $HPVM_ROOT, in one place: nothing else spells them.
//
//   $HPVM_ROOT                    default /var/opt/hpvm
//     hpvm.db, hpvm.db-wal        the configuration database (SQLite, WAL)
//     common/command.log          the command log
//     common/hpvmhostrdev.backup  the rdev entries before hpvmhostrdev's last run
//     common/hpvmhostrdev.auto    present: hpvmhostrdev -u runs when HPVM starts
//     uuids/<uuid>/               a guest's run directory (RunDir below)
//     guests/<name>               symlink to ../uuids/<uuid>, as on HPVM
//     running/<uuid>              one empty file per guest whose QEMU may run
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace avio {

// The files of one guest's run directory ($HPVM_ROOT/uuids/<uuid>).
struct RunDir {
  std::filesystem::path dir;
  std::filesystem::path pid_file() const { return dir / "qemu.pid"; }
  std::filesystem::path qmp_socket() const { return dir / "qmp.sock"; }
  std::filesystem::path console_socket() const { return dir / "console.sock"; }
  // The host end of the guest agent's virtio-serial port (qemu-ga).
  std::filesystem::path agent_socket() const { return dir / "agent.sock"; }
  std::filesystem::path log_file() const { return dir / "qemu.log"; }
  // Everything the guest wrote to its serial console (HPVM's console log).
  std::filesystem::path console_log() const { return dir / "console.log"; }
  // Ids of PCI devices whose hot-removal the guest has not completed.
  std::filesystem::path pending_removals_file() const { return dir / "pending-removals"; }
};

namespace layout {

using Path = std::filesystem::path;

// $HPVM_ROOT, or /var/opt/hpvm when it is not set (or empty).
Path root_from_environment();

Path database(const Path& root);
// SQLite's write-ahead log beside the database.
Path database_wal(const Path& root);

Path common_dir(const Path& root);
Path command_log(const Path& root);
Path host_rdev_backup(const Path& root);
Path host_rdev_autorun(const Path& root);

RunDir run_dir(const Path& root, const std::string& uuid);
// guests/<name>, and what it points to (relative: the tree can move).
Path guest_link(const Path& root, const std::string& name);
Path guest_link_target(const std::string& uuid);

Path running_index(const Path& root);
Path running_entry(const Path& root, const std::string& uuid);

} // namespace layout

// The run tree itself (libvmconfig's ops/runtime.* wraps these).
// Creates `run`'s directory and its parents (std::filesystem errors throw);
// run_dir_exists says whether it is there.
void create_run_dir(const RunDir& run);
bool run_dir_exists(const RunDir& run);
// Creates uuids/<uuid> (0700) and its guests/<name> link.
void make_run_dir(const layout::Path& root, const std::string& name, const std::string& uuid);
// Removes guests/<name>, uuids/<uuid> and running/<uuid>; errors are ignored.
void remove_run_dir(const layout::Path& root, const std::string& name, const std::string& uuid);
// Points guests/<name> at uuids/<uuid> (replacing any link there);
// unlink_guest removes guests/<name>, ignoring errors.
void link_guest(const layout::Path& root, const std::string& name, const std::string& uuid);
void unlink_guest(const layout::Path& root, const std::string& name);
// Creates (mark) or removes (unmark, ignoring errors) running/<uuid>.
void mark_running(const layout::Path& root, const std::string& uuid);
void unmark_running(const layout::Path& root, const std::string& uuid);
// The names in running/ (none when it cannot be read).
std::vector<std::string> running_entries(const layout::Path& root);

} // namespace avio
