// Tests for libavio/avio/storage_guard.cpp: guarded_storage() on files in a
// temporary "suite root" (reached directly, through symlinks, dangling
// symlinks and hard links), on host system files, and on ordinary files.
// Host storage in use (mounts, holders) is tested by
// tests/cli/test_storage_guard.sh on loop devices.
#include "temp_dir.hpp"

#include <avio/storage_guard.hpp>

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using namespace avio;

namespace {

struct Dirs {
  hpvm_test::TempDir root{"unit-guard-root"};
  hpvm_test::TempDir other{"unit-guard-other"};
};

std::string touch(const fs::path& p) {
  std::ofstream(p) << "data";
  return p.string();
}

std::optional<Guarded> guard(const std::string& path, const fs::path& root) {
  return guarded_storage(path, probe(path), root);
}

} // namespace

TEST_CASE("storage_guard: the suite's own files, by any path") {
  Dirs d;
  const fs::path& root = d.root.path();
  const std::string db = touch(root / "hpvm.db");
  const std::string in_root = "is in " + root.string() + ", the HPVM suite's own directory";

  SUBCASE("directly, and a file not made yet") {
    auto g = guard(db, root);
    REQUIRE(g);
    CHECK(g->refusal() == "Backing store '" + db + "' " + in_root + "; no guest may have it.");
    CHECK_FALSE(g->forceable);
    g = guard((root / "new.img").string(), root);
    REQUIRE(g);
    CHECK(g->reason == "Backing store '" + (root / "new.img").string() + "' " + in_root);
    REQUIRE(guard(root.string(), root));
  }
  SUBCASE("through a symlink, dangling or not") {
    const fs::path link = d.other.path() / "link";
    fs::create_symlink(db, link);
    auto g = guard(link.string(), root);
    REQUIRE(g);
    CHECK(g->reason ==
          "Backing store '" + link.string() + "' " + in_root + " (it leads to '" + db + "')");
    const fs::path later = d.other.path() / "later";
    fs::create_symlink(root / "later.img", later);
    g = guard(later.string(), root);
    REQUIRE(g);
    CHECK(g->reason == "Backing store '" + later.string() + "' " + in_root + " (it leads to '" +
                           (root / "later.img").string() + "')");
  }
  SUBCASE("through a hard link") {
    const fs::path hard = d.other.path() / "hard";
    std::error_code ec;
    fs::create_hard_link(db, hard, ec);
    if (ec) {
      MESSAGE("the two temporary directories are on different file systems: no hard link");
      return;
    }
    const auto g = guard(hard.string(), root);
    REQUIRE(g);
    CHECK(g->reason == "Backing store '" + hard.string() + "' is a hard link to '" + db +
                           "', a file of the HPVM suite");
  }
  SUBCASE("an ordinary file is not guarded; nor is anything when the root is missing") {
    const std::string img = touch(d.other.path() / "disk.img");
    CHECK_FALSE(guard(img, root));
    CHECK_FALSE(guard(db, root / "missing"));
    CHECK_FALSE(guard("", root));
    CHECK_FALSE(guard("0/7/1/1.0x500104f00048b29e.0x0", root));
  }
}

TEST_CASE("storage_guard: host system files need -F") {
  hpvm_test::TempDir root{"unit-guard-root"};
  REQUIRE(fs::exists("/etc"));
  const auto g = guard("/etc/hostname-hpvm-nothere", root.path());
  REQUIRE(g);
  CHECK(g->forceable);
  CHECK(g->refusal() == "Backing store '/etc/hostname-hpvm-nothere' is a host system file "
                        "(under /etc); a guest gets it only with -F.");
  CHECK(g->forced() == "Backing store '/etc/hostname-hpvm-nothere' is a host system file "
                       "(under /etc); given to the guest anyway (-F).");
  hpvm_test::TempDir other{"unit-guard-other"};
  const fs::path link = other.path() / "passwd";
  fs::create_symlink("/etc/passwd", link);
  const auto l = guard(link.string(), root.path());
  REQUIRE(l);
  CHECK(l->reason == "Backing store '" + link.string() +
                         "' is a host system file (under /etc) (it leads to '/etc/passwd')");
}
