#include "avio/layout.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

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

Path common_dir(const Path& root) {
  return root / "common";
}

Path command_log(const Path& root) {
  return common_dir(root) / "command.log";
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

Path running_index(const Path& root) {
  return root / "running";
}

Path running_entry(const Path& root, const std::string& uuid) {
  return running_index(root) / uuid;
}

} // namespace avio::layout

namespace avio {

namespace fs = std::filesystem;

void create_run_dir(const RunDir& run) {
  fs::create_directories(run.dir);
}

bool run_dir_exists(const RunDir& run) {
  return fs::exists(run.dir);
}

void make_run_dir(const layout::Path& root, const std::string& name, const std::string& uuid) {
  const RunDir run = layout::run_dir(root, uuid);
  create_run_dir(run);
  ::chmod(run.dir.c_str(), 0700);
  link_guest(root, name, uuid);
}

void remove_run_dir(const layout::Path& root, const std::string& name, const std::string& uuid) {
  unlink_guest(root, name);
  std::error_code ec;
  fs::remove_all(layout::run_dir(root, uuid).dir, ec);
  unmark_running(root, uuid);
}

void link_guest(const layout::Path& root, const std::string& name, const std::string& uuid) {
  const fs::path link = layout::guest_link(root, name);
  fs::create_directories(link.parent_path());
  std::error_code ec;
  fs::remove(link, ec);
  fs::create_directory_symlink(layout::guest_link_target(uuid), link);
}

void unlink_guest(const layout::Path& root, const std::string& name) {
  std::error_code ec;
  fs::remove(layout::guest_link(root, name), ec);
}

void mark_running(const layout::Path& root, const std::string& uuid) {
  fs::create_directories(layout::running_index(root));
  std::ofstream(layout::running_entry(root, uuid)).flush();
}

void unmark_running(const layout::Path& root, const std::string& uuid) {
  std::error_code ec;
  fs::remove(layout::running_entry(root, uuid), ec);
}

std::vector<std::string> running_entries(const layout::Path& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(layout::running_index(root), ec)) {
    out.push_back(entry.path().filename().string());
  }
  return out;
}

} // namespace avio
