#include "avio/layout.hpp"

#include <cstdlib>

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
