// Every path under $HPVM_ROOT, in one place: nothing else spells them.
//
//   $HPVM_ROOT                    default /var/opt/hpvm
//     hpvm.db, hpvm.db-wal        the configuration database (SQLite, WAL)
//     common/command.log          the command log
//     common/write-lock.holder    the command holding the database's write lock
//     common/hpvmhostrdev.backup  the rdev entries before hpvmhostrdev's last run
//     common/hpvmhostrdev.auto    present: hpvmhostrdev -u runs when HPVM starts
//     uuids/<uuid>/               a guest's run directory (RunDir below)
//     uuids/<uuid>/vmm_config.current  the guest's configuration, exported
//     uuids/<uuid>/migration.commit    the target of a hand-over not yet settled
//     guests/<name>               symlink to ../uuids/<uuid>, as on HPVM
//     running/<uuid>              one empty file per guest whose QEMU may run
//     common/created.<pid>        the files a running hpvmclone -b made (CreatedFile)
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace avio {

// The files of one guest's run directory ($HPVM_ROOT/uuids/<uuid>).
struct RunDir {
  std::filesystem::path dir;
  std::filesystem::path pid_file() const { return dir / "qemu.pid"; }
  // The QEMU process's start time (/proc/<pid>/stat), written at launch: a
  // pid the kernel later gives another process does not match it.
  std::filesystem::path start_file() const { return dir / "qemu.start"; }
  std::filesystem::path qmp_socket() const { return dir / "qmp.sock"; }
  std::filesystem::path console_socket() const { return dir / "console.sock"; }
  // Locked by the hpvmconsole relaying the console, and naming it.
  std::filesystem::path console_holder() const { return dir / "console.holder"; }
  // The host end of the guest agent's virtio-serial port (qemu-ga).
  std::filesystem::path agent_socket() const { return dir / "agent.sock"; }
  std::filesystem::path log_file() const { return dir / "qemu.log"; }
  // Everything the guest wrote to its serial console (HPVM's console log).
  std::filesystem::path console_log() const { return dir / "console.log"; }
  // Ids of PCI devices whose hot-removal the guest has not completed.
  std::filesystem::path pending_removals_file() const { return dir / "pending-removals"; }
  // The balloon target last asked of QEMU, in MB (QEMU reports only where
  // the guest is, not where it was asked to go).
  std::filesystem::path balloon_target_file() const { return dir / "balloon-target"; }
  // The guest's configuration as of its last committed change (HPVM's name
  // for it), which a copy of this directory takes to another host.
  std::filesystem::path config_file() const { return dir / k_config_name; }
  // Where a process writes it before moving it into place (one per process:
  // two commands may publish the same guest's at once).
  std::filesystem::path config_draft(int pid) const {
    return dir / (std::string(k_config_name) + ".tmp." + std::to_string(pid));
  }
  static constexpr const char* k_config_name = "vmm_config.current";
  // The VM Host an online or offline hpvmmigrate was about to tell to take
  // the guest over: written just before its "commit", removed once the guest
  // is known to be in one place. Not one of QEMU's run files: it outlives
  // the QEMU, so that a copy the target may run is not started here before
  // someone has looked (guest_process.hpp, record_handover).
  std::filesystem::path handover_file() const { return dir / "migration.commit"; }
};

namespace layout {

using Path = std::filesystem::path;

// $HPVM_ROOT, or /var/opt/hpvm when it is not set (or empty).
Path root_from_environment();

Path database(const Path& root);
// SQLite's write-ahead log beside the database.
Path database_wal(const Path& root);
// A new database is made under this name (one per process) and linked to
// hpvm.db once it holds its schema: hpvm.db is never a half-made file.
Path database_draft(const Path& root, int pid);
// The copy of the database a schema upgrade from version `schema` keeps
// (common/hpvm.db.schema<schema>).
Path database_before_upgrade(const Path& root, const std::string& schema);

Path common_dir(const Path& root);
Path command_log(const Path& root);
// Runtime events (a guest's QEMU started or stopped), hpvmstatus -e's other
// source, and the older half kept when it grew past its bound.
Path runtime_events(const Path& root);
Path runtime_events_old(const Path& root);
// Names the command holding the database's write lock (avio/lock_holder.hpp).
Path write_lock_holder(const Path& root);
Path host_rdev_backup(const Path& root);
Path host_rdev_autorun(const Path& root);

RunDir run_dir(const Path& root, const std::string& uuid);
// guests/<name>, and what it points to (relative: the tree can move).
Path guest_link(const Path& root, const std::string& name);
Path guest_link_target(const std::string& uuid);
// The uuid of the run directory guests/<name> points to (../uuids/<uuid>),
// or nullopt when it is no such link.
std::optional<std::string> guest_link_uuid(const Path& root, const std::string& name);

Path running_index(const Path& root);
Path running_entry(const Path& root, const std::string& uuid);

} // namespace layout

// hpvm.db as this process finds it.
struct DatabaseFile {
  enum class State : unsigned char {
    missing, // no such file (nor an unreadable root)
    present,
    empty,  // 0 bytes: truncated (a database is never published empty)
    denied, // the root or the file cannot be read by this user
  };
  State state = State::missing;
  unsigned owner = 0;               // the file's owner (present, empty)
  bool owned_by_other = false;      // the file belongs to another user than this process's
  bool root_owned_by_other = false; // $HPVM_ROOT belongs to another user
  bool read_only = false;           // on a read-only file system
};
DatabaseFile database_file(const layout::Path& root);

// Creates `dir` and its missing parents with mode 0700, whatever the umask:
// nothing under $HPVM_ROOT is for other users. Existing directories keep
// their mode. Throws hpvm::Error naming the directory.
void make_private_dirs(const layout::Path& dir);
// Creates $HPVM_ROOT and common/ (make_private_dirs).
void create_root(const layout::Path& root);
// Moves a complete new database (layout::database_draft) to `database`
// unless one is there already (another command made it first): then the
// draft is removed. Throws hpvm::Error when neither happens.
void publish_database_draft(const layout::Path& draft, const layout::Path& database);
// Removes a draft and what SQLite left beside it (-wal, -shm); no errors.
void remove_database_draft(const layout::Path& draft);
// This process's id (drafts are named by it).
int process_id();

// The run tree itself (libvmconfig's ops/runtime.* wraps these).
// Creates `run`'s directory and its parents (make_private_dirs);
// run_dir_exists says whether it is there.
void create_run_dir(const RunDir& run);
bool run_dir_exists(const RunDir& run);
// Whether the run directory holds a configuration file (RunDir::config_file).
bool has_config_file(const RunDir& run);
// Removes it, ignoring errors.
void remove_config_file(const RunDir& run);
// Creates uuids/<uuid> (0700) and its guests/<name> link.
void make_run_dir(const layout::Path& root, const std::string& name, const std::string& uuid);
// Removes guests/<name>, uuids/<uuid> and running/<uuid>; errors are ignored.
void remove_run_dir(const layout::Path& root, const std::string& name, const std::string& uuid);
// Points guests/<name> at uuids/<uuid> (replacing any link there).
void link_guest(const layout::Path& root, const std::string& name, const std::string& uuid);
// Removes guests/<name> when it leads to uuids/<uuid>, ignoring errors: a
// link leading elsewhere is another guest's (one copied from another host
// over this host's name) and stays.
void unlink_guest(const layout::Path& root, const std::string& name, const std::string& uuid);
// Removes guests/<name> whatever it leads to, ignoring errors.
void remove_guest_link(const layout::Path& root, const std::string& name);
// Creates (mark) or removes (unmark, ignoring errors) running/<uuid>.
void mark_running(const layout::Path& root, const std::string& uuid);
void unmark_running(const layout::Path& root, const std::string& uuid);
// Removes the configuration drafts (RunDir::config_draft) that processes no
// longer running left in `run` (killed between writing and publishing one).
void remove_dead_config_drafts(const RunDir& run);
// The names in running/ (none when it cannot be read).
std::vector<std::string> running_entries(const layout::Path& root);

// What is under uuids/ and guests/ (none when unreadable), so that what a
// killed hpvmcreate or hpvmclone left can be told from the guests' own.
std::vector<std::string> run_dir_uuids(const layout::Path& root);
// How many directories uuids/ holds, from its link count (one stat, where
// run_dir_uuids reads every entry); nullopt where the file system does not
// count subdirectories in a directory's links (btrfs, ext4 past 65,000).
std::optional<std::size_t> run_dir_count(const layout::Path& root);
std::vector<std::string> guest_link_names(const layout::Path& root);

// A file a command made and removes if it fails (hpvmclone -b's new target
// files), recorded with its identity (HostEntity::identity) while the command
// runs, so that the next run can tell what a killed one left behind from a
// file of the same name it did not make.
struct CreatedFile {
  std::string path;
  std::string identity;
};
// Records `files` for this process (replacing its record); forget_created_files
// drops the record.
void record_created_files(const layout::Path& root, const std::vector<CreatedFile>& files);
void forget_created_files(const layout::Path& root);
// The records of processes that no longer exist.
struct DeadRunFiles {
  int pid = 0;
  layout::Path record;
  std::vector<CreatedFile> files;
};
std::vector<DeadRunFiles> created_files_of_dead_runs(const layout::Path& root);
// Drops a dead run's record once its files are dealt with.
void forget_created_files(const DeadRunFiles& dead);

} // namespace avio
