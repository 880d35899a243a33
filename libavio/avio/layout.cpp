#include "avio/layout.hpp"

#include "avio/error.hpp"
#include "avio/host.hpp"
#include "avio/text.hpp"

#include <fmt/format.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string_view>

namespace avio::layout {

Path root_from_environment() {
  const char* env = std::getenv("HPVM_ROOT");
  return env != nullptr && *env != '\0' ? Path(env) : Path("/var/opt/hpvm");
}

Path database(const Path& root) {
  return root / "hpvm.db";
}

Path database_wal(const Path& root) {
  return root / "hpvm.db-wal";
}

Path database_draft(const Path& root, int pid) {
  return root / ("hpvm.db.new." + std::to_string(pid));
}

Path database_before_upgrade(const Path& root, const std::string& schema) {
  return common_dir(root) / ("hpvm.db.schema" + schema);
}

Path common_dir(const Path& root) {
  return root / "common";
}

Path command_log(const Path& root) {
  return common_dir(root) / "command.log";
}

Path runtime_events(const Path& root) {
  return common_dir(root) / "runtime_events.log";
}

Path runtime_events_old(const Path& root) {
  return common_dir(root) / "runtime_events.log.old";
}

Path write_lock_holder(const Path& root) {
  return common_dir(root) / "write-lock.holder";
}

Path host_rdev_backup(const Path& root) {
  return common_dir(root) / "hpvmhostrdev.backup";
}

Path host_rdev_autorun(const Path& root) {
  return common_dir(root) / "hpvmhostrdev.auto";
}

RunDir run_dir(const Path& root, const std::string& uuid) {
  return RunDir{root / "uuids" / uuid};
}

Path guest_link(const Path& root, const std::string& name) {
  return root / "guests" / name;
}

Path guest_link_target(const std::string& uuid) {
  return Path("..") / "uuids" / uuid;
}

std::optional<std::string> guest_link_uuid(const Path& root, const std::string& name) {
  std::error_code ec;
  const Path target = std::filesystem::read_symlink(guest_link(root, name), ec);
  // Only the link link_guest() makes: ../uuids/<uuid>.
  if (ec || target.filename().empty() || target != guest_link_target(target.filename().string())) {
    return std::nullopt;
  }
  return target.filename().string();
}

Path running_index(const Path& root) {
  return root / "running";
}

Path running_entry(const Path& root, const std::string& uuid) {
  return running_index(root) / uuid;
}

namespace {

constexpr std::string_view k_created_prefix = "created.";

Path created_files_record(const Path& root, int pid) {
  return common_dir(root) / (std::string(k_created_prefix) + std::to_string(pid));
}

} // namespace

} // namespace avio::layout

namespace avio {

namespace fs = std::filesystem;

DatabaseFile database_file(const layout::Path& root) {
  DatabaseFile out;
  struct stat root_st {};
  if (::stat(root.c_str(), &root_st) == 0) {
    out.root_owned_by_other = root_st.st_uid != ::geteuid();
  }
  struct statvfs vfs {};
  out.read_only = ::statvfs(root.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0;
  struct stat st {};
  if (::stat(layout::database(root).c_str(), &st) != 0) {
    out.state = errno == EACCES ? DatabaseFile::State::denied : DatabaseFile::State::missing;
    return out;
  }
  out.owner = st.st_uid;
  out.owned_by_other = st.st_uid != ::geteuid();
  if (::access(layout::database(root).c_str(), R_OK) != 0) {
    out.state = DatabaseFile::State::denied;
  } else {
    out.state = st.st_size == 0 ? DatabaseFile::State::empty : DatabaseFile::State::present;
  }
  return out;
}

void make_private_dirs(const layout::Path& dir) {
  layout::Path at;
  for (const auto& part : dir) {
    at /= part;
    if (::mkdir(at.c_str(), 0700) == 0) {
      ::chmod(at.c_str(), 0700); // a umask may have taken the owner's bits too
    } else if (errno != EEXIST) {
      throw hpvm::Error(
          fmt::format("Cannot create the directory '{}': {}.", at.string(), std::strerror(errno)));
    }
  }
}

void create_root(const layout::Path& root) {
  make_private_dirs(layout::common_dir(root));
}

void publish_database_draft(const layout::Path& draft, const layout::Path& database) {
  if (::renameat2(AT_FDCWD, draft.c_str(), AT_FDCWD, database.c_str(), RENAME_NOREPLACE) == 0) {
    return;
  }
  const int error = errno;
  remove_database_draft(draft);
  if (error != EEXIST) {
    throw hpvm::Error(fmt::format("Cannot create the configuration database '{}': {}.",
                                  database.string(), std::strerror(error)));
  }
}

void remove_database_draft(const layout::Path& draft) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    ::unlink((draft.string() + suffix).c_str());
  }
}

int process_id() {
  return static_cast<int>(::getpid());
}

void create_run_dir(const RunDir& run) {
  make_private_dirs(run.dir);
}

bool run_dir_exists(const RunDir& run) {
  return fs::exists(run.dir);
}

bool has_config_file(const RunDir& run) {
  std::error_code ec;
  return fs::is_regular_file(run.config_file(), ec);
}

void remove_config_file(const RunDir& run) {
  std::error_code ec;
  fs::remove(run.config_file(), ec);
}

void make_run_dir(const layout::Path& root, const std::string& name, const std::string& uuid) {
  const RunDir run = layout::run_dir(root, uuid);
  create_run_dir(run);
  link_guest(root, name, uuid);
}

void remove_run_dir(const layout::Path& root, const std::string& name, const std::string& uuid) {
  unlink_guest(root, name, uuid);
  std::error_code ec;
  fs::remove_all(layout::run_dir(root, uuid).dir, ec);
  unmark_running(root, uuid);
}

void link_guest(const layout::Path& root, const std::string& name, const std::string& uuid) {
  const fs::path link = layout::guest_link(root, name);
  make_private_dirs(link.parent_path());
  std::error_code ec;
  fs::remove(link, ec);
  fs::create_directory_symlink(layout::guest_link_target(uuid), link);
}

void unlink_guest(const layout::Path& root, const std::string& name, const std::string& uuid) {
  if (layout::guest_link_uuid(root, name) == uuid) {
    remove_guest_link(root, name);
  }
}

void remove_guest_link(const layout::Path& root, const std::string& name) {
  std::error_code ec;
  fs::remove(layout::guest_link(root, name), ec);
}

void mark_running(const layout::Path& root, const std::string& uuid) {
  make_private_dirs(layout::running_index(root));
  std::ofstream(layout::running_entry(root, uuid)).flush();
}

void unmark_running(const layout::Path& root, const std::string& uuid) {
  std::error_code ec;
  fs::remove(layout::running_entry(root, uuid), ec);
}

namespace {

// The names in `dir` (none when it cannot be read). readdir(3), not
// std::filesystem::directory_iterator, which builds a path per entry: at
// 1,000 guests that was a third of an hpvmcreate's CPU time.
std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return out;
  }
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name != "." && name != "..") {
      out.emplace_back(name);
    }
  }
  ::closedir(d);
  return out;
}

bool process_exists(int pid) {
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

} // namespace

void remove_dead_config_drafts(const RunDir& run) {
  const std::string prefix = std::string(RunDir::k_config_name) + ".tmp.";
  for (const auto& name : entries(run.dir)) {
    int pid = 0;
    const std::string_view digits =
        std::string_view(name).substr(name.starts_with(prefix) ? prefix.size() : name.size());
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    if (!digits.empty() && ec == std::errc() && end == digits.data() + digits.size() && pid > 0 &&
        !process_exists(pid)) {
      std::error_code ignored;
      fs::remove(run.dir / name, ignored);
    }
  }
}

std::vector<std::string> running_entries(const layout::Path& root) {
  return entries(layout::running_index(root));
}

std::vector<std::string> run_dir_uuids(const layout::Path& root) {
  return entries(root / "uuids");
}

std::optional<std::size_t> run_dir_count(const layout::Path& root) {
  struct stat st {};
  if (::stat((root / "uuids").c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_nlink < 2) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(st.st_nlink) - 2; // its own "." and its name in the root
}

std::vector<std::string> guest_link_names(const layout::Path& root) {
  return entries(root / "guests");
}

// One "identity NUL path NUL" pair per file: a path may hold any byte but NUL.
void record_created_files(const layout::Path& root, const std::vector<CreatedFile>& files) {
  std::string text;
  for (const auto& f : files) {
    text += f.identity;
    text += '\0';
    text += f.path;
    text += '\0';
  }
  fs::create_directories(layout::common_dir(root));
  write_file_atomically(layout::created_files_record(root, ::getpid()), text);
}

void forget_created_files(const layout::Path& root) {
  std::error_code ec;
  fs::remove(layout::created_files_record(root, ::getpid()), ec);
}

void forget_created_files(const DeadRunFiles& dead) {
  std::error_code ec;
  fs::remove(dead.record, ec);
}

std::vector<DeadRunFiles> created_files_of_dead_runs(const layout::Path& root) {
  std::vector<DeadRunFiles> out;
  for (const auto& name : entries(layout::common_dir(root))) {
    if (!name.starts_with(layout::k_created_prefix)) {
      continue;
    }
    const std::string_view digits = std::string_view(name).substr(layout::k_created_prefix.size());
    int pid = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    if (ec != std::errc() || end != digits.data() + digits.size() || pid <= 0 ||
        process_exists(pid)) {
      continue;
    }
    DeadRunFiles dead{pid, layout::common_dir(root) / name, {}};
    const auto fields = split(read_file(dead.record).value_or(""), '\0');
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
      dead.files.push_back({fields[i + 1], fields[i]});
    }
    out.push_back(std::move(dead));
  }
  return out;
}

} // namespace avio
