// Tests for libavio/avio/backing.cpp: probe() on real files, directories,
// symlinks and special files in a temporary directory, and check_backing().
#include "temp_dir.hpp"

#include <avio/backing.hpp>
#include <avio/sysfs.hpp>

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

namespace fs = std::filesystem;
using namespace avio;

namespace {

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir : public hpvm_test::TempDir {
public:
  TempDir() : hpvm_test::TempDir("unit-backing") {}

  std::string operator/(const std::string& name) const { return (path() / name).string(); }

  // A regular file of `bytes` bytes.
  std::string file(const std::string& name, std::size_t bytes) const {
    const std::string p = *this / name;
    std::ofstream out(p, std::ios::binary);
    out << std::string(bytes, 'x');
    out.close();
    REQUIRE(fs::file_size(p) == bytes);
    return p;
  }
  std::string dir(const std::string& name) const {
    const std::string p = *this / name;
    REQUIRE(fs::create_directory(p));
    return p;
  }
};

std::string ino_identity(const std::string& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return "ino:" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

} // namespace

// ------------------------------------------------------------ probe

TEST_CASE("backing: probe a regular file") {
  TempDir tmp;
  const std::string p = tmp.file("disk.img", 4096);
  const HostEntity e = probe(p);
  CHECK(e.path == p);
  CHECK(e.kind == HostKind::regular_file);
  CHECK(e.size == 4096);
  CHECK(e.identity == ino_identity(p));
  const HostEntity empty = probe(tmp.file("empty.img", 0));
  CHECK(empty.kind == HostKind::regular_file);
  CHECK(empty.size == 0);
}

TEST_CASE("backing: probe a directory") {
  TempDir tmp;
  const std::string d = tmp.dir("iso");
  const HostEntity e = probe(d);
  CHECK(e.path == d);
  CHECK(e.kind == HostKind::directory);
  CHECK(e.size == 0);
  CHECK(e.identity == ino_identity(d));
  // A trailing slash names the same directory.
  CHECK(probe(d + "/").identity == e.identity);
  CHECK(probe(d + "/").path == d + "/");
}

TEST_CASE("backing: probe a missing path") {
  TempDir tmp;
  const std::string p = tmp / "missing.img";
  const HostEntity e = probe(p);
  CHECK(e.path == p);
  CHECK(e.kind == HostKind::missing);
  CHECK(e.size == 0);
  const std::string canonical = fs::weakly_canonical(p).string();
  CHECK(e.identity == "path:" + canonical);
  // Two spellings of one missing path are one entity.
  CHECK(probe(tmp / "sub/../missing.img").identity == e.identity);
  CHECK(probe(tmp / "./missing.img").identity == e.identity);
  CHECK(probe(tmp / "other.img").identity != e.identity);
  // Missing below a missing directory.
  CHECK(probe(tmp / "no/such/dir/x.img").kind == HostKind::missing);
}

TEST_CASE("backing: every path to one file or directory has one identity") {
  TempDir tmp;
  const std::string file = tmp.file("disk.img", 1024);
  const std::string dir = tmp.dir("iso");
  fs::create_symlink(file, tmp / "link.img");
  fs::create_symlink("disk.img", tmp / "relative-link.img");
  fs::create_symlink(tmp / "link.img", tmp / "link-to-link.img");
  fs::create_hard_link(file, tmp / "hard.img");
  fs::create_directory_symlink(dir, tmp / "iso-link");
  const HostEntity f = probe(file);
  for (const char* alias : {"link.img", "relative-link.img", "link-to-link.img", "hard.img",
                            "iso/../disk.img", "./disk.img"}) {
    CAPTURE(alias);
    const HostEntity a = probe(tmp / alias);
    CHECK(a.path == tmp / alias); // the path stays as given
    CHECK(a.kind == HostKind::regular_file);
    CHECK(a.size == 1024);
    CHECK(a.identity == f.identity);
  }
  CHECK(probe(tmp / "iso-link").kind == HostKind::directory);
  CHECK(probe(tmp / "iso-link").identity == probe(dir).identity);
  // A copy is another entity.
  const std::string copy = tmp.file("copy.img", 1024);
  CHECK(probe(copy).identity != f.identity);
  CHECK(probe(dir).identity != f.identity);
}

TEST_CASE("backing: a dangling symlink is missing") {
  TempDir tmp;
  fs::create_symlink(tmp / "gone.img", tmp / "dangling.img");
  const HostEntity e = probe(tmp / "dangling.img");
  CHECK(e.kind == HostKind::missing);
  CHECK(e.identity.rfind("path:", 0) == 0);
}

TEST_CASE("backing: special files") {
  TempDir tmp;
  const std::string fifo = tmp / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const HostEntity f = probe(fifo);
  CHECK(f.kind == HostKind::other);
  CHECK(f.size == 0);
  CHECK(f.identity == ino_identity(fifo));

  std::error_code ec;
  if (fs::is_character_file("/dev/null", ec)) {
    const HostEntity n = probe("/dev/null");
    CHECK(n.kind == HostKind::other_char);
    CHECK(n.size == 0);
    CHECK(n.identity == "chr:1:3");
    const BackingProblems p = check_backing(DeviceType::tape, StorageType::attach, n, false);
    REQUIRE(p.errors.size() == 1);
    CHECK(p.errors[0] == "Backing store '/dev/null' is a character device; storage type 'attach' "
                         "needs a SCSI generic device (/dev/sg*).");
  }
}

TEST_CASE("backing: every kind has a description") {
  const std::array<std::pair<HostKind, const char*>, 12> kinds{{
      {HostKind::missing, "missing"},
      {HostKind::regular_file, "a regular file"},
      {HostKind::directory, "a directory"},
      {HostKind::whole_disk, "a whole-disk block device"},
      {HostKind::partition, "a disk partition"},
      {HostKind::logical_volume, "an LVM logical volume"},
      {HostKind::device_mapper, "a device-mapper device"},
      {HostKind::optical_drive, "an optical drive"},
      {HostKind::scsi_generic, "a SCSI generic device"},
      {HostKind::other_block, "a block device"},
      {HostKind::other_char, "a character device"},
      {HostKind::other, "a special file"},
  }};
  for (const auto& [kind, text] : kinds) {
    CHECK(std::string(describe(kind)) == text);
  }
}

// ------------------------------------------------------------ check_backing

TEST_CASE("backing: file-backed disks and DVDs") {
  TempDir tmp;
  const std::string disk = tmp.file("disk.img", 512);
  const std::string iso = tmp.file("dvd.iso", 2048);
  for (auto [device, path] : {std::pair{DeviceType::disk, disk}, std::pair{DeviceType::dvd, iso}}) {
    const BackingProblems p = check_backing(device, StorageType::file, probe(path), false);
    CHECK(p.errors.empty());
    CHECK(p.warnings.empty());
  }
}

TEST_CASE("backing: a file that is too small") {
  TempDir tmp;
  struct Case {
    DeviceType device;
    std::size_t bytes;
    const char* what;
    int minimum;
  };
  for (const auto& c : std::array<Case, 5>{{
           {DeviceType::disk, 0, "disk", 512},
           {DeviceType::disk, 100, "disk", 512},
           {DeviceType::disk, 511, "disk", 512},
           {DeviceType::dvd, 512, "DVD", 2048},
           {DeviceType::dvd, 2047, "DVD", 2048},
       }}) {
    const std::string p = tmp.file("small-" + std::to_string(c.bytes) + ".img", c.bytes);
    CAPTURE(p);
    const BackingProblems r = check_backing(c.device, StorageType::file, probe(p), false);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == "Backing store '" + p + "' is " + std::to_string(c.bytes) +
                             " bytes; a virtual " + c.what + " needs at least " +
                             std::to_string(c.minimum) + " bytes.");
    CHECK(r.warnings.empty());
    // -F does not excuse a small file.
    CHECK(check_backing(c.device, StorageType::file, probe(p), true).errors == r.errors);
  }
}

TEST_CASE("backing: a missing backing store is an error, or a warning with -F") {
  TempDir tmp;
  const std::string p = tmp / "missing.img";
  const std::string message = "Backing store '" + p + "' does not exist.";
  for (auto [device, storage] :
       {std::pair{DeviceType::disk, StorageType::file},
        std::pair{DeviceType::disk, StorageType::disk},
        std::pair{DeviceType::disk, StorageType::lv}, std::pair{DeviceType::dvd, StorageType::null},
        std::pair{DeviceType::tape, StorageType::attach}}) {
    const BackingProblems strict = check_backing(device, storage, probe(p), false);
    REQUIRE(strict.errors.size() == 1);
    CHECK(strict.errors[0] == message);
    CHECK(strict.warnings.empty());
    const BackingProblems forced = check_backing(device, storage, probe(p), true);
    CHECK(forced.errors.empty());
    REQUIRE(forced.warnings.size() == 1);
    CHECK(forced.warnings[0] == message);
  }
}

TEST_CASE("backing: an HP-UX lunpath is refused for attach_path, or a warning with -F") {
  const std::string lunpath = "0/7/1/1.0x500104f00048b29e.0x0";
  CHECK(is_hpux_lunpath(lunpath));
  CHECK(is_hpux_lunpath("0/1/1/0.0x50060b0000332253.0x0"));
  CHECK_FALSE(is_hpux_lunpath("/dev/sg3"));
  CHECK_FALSE(is_hpux_lunpath("/0/7/1/1.0x5"));
  CHECK_FALSE(is_hpux_lunpath("0/7/a/1.0x5"));
  CHECK_FALSE(is_hpux_lunpath(""));
  const HostEntity e = probe(lunpath);
  CHECK(e.kind == HostKind::missing);
  CHECK(e.identity == "lunpath:" + lunpath);
  const std::string message =
      "Backing store '" + lunpath +
      "' is an HP-UX lunpath; on Linux attach_path needs the SCSI generic device of the same "
      "tape, changer or burner (/dev/sg* or /dev/bsg/...).";
  for (auto device : {DeviceType::tape, DeviceType::changer, DeviceType::burner}) {
    const BackingProblems strict = check_backing(device, StorageType::attach_path, e, false);
    REQUIRE(strict.errors.size() == 1);
    CHECK(strict.errors[0] == message);
    CHECK(strict.warnings.empty());
    const BackingProblems forced = check_backing(device, StorageType::attach_path, e, true);
    CHECK(forced.errors.empty());
    REQUIRE(forced.warnings.size() == 1);
    CHECK(forced.warnings[0] == message);
  }
}

TEST_CASE("backing: null storage: an empty drive or a directory") {
  TempDir tmp;
  // No location at all: an empty DVD drive.
  const BackingProblems none = check_backing(DeviceType::dvd, StorageType::null, probe(""), false);
  CHECK(none.errors.empty());
  CHECK(none.warnings.empty());
  const BackingProblems dir =
      check_backing(DeviceType::dvd, StorageType::null, probe(tmp.dir("iso")), false);
  CHECK(dir.errors.empty());
  CHECK(dir.warnings.empty());
  const std::string file = tmp.file("a.iso", 4096);
  const BackingProblems wrong =
      check_backing(DeviceType::dvd, StorageType::null, probe(file), false);
  REQUIRE(wrong.errors.size() == 1);
  CHECK(wrong.errors[0] == "Backing store '" + file +
                               "' is a regular file; storage type 'null' needs a directory or an "
                               "optical drive.");
}

TEST_CASE("backing: the storage type must match what the path is") {
  TempDir tmp;
  const std::string file = tmp.file("disk.img", 1 << 20);
  const std::string dir = tmp.dir("dir");
  struct Case {
    DeviceType device;
    StorageType storage;
    std::string path;
    std::string is;
    const char* storage_name;
    const char* needs;
  };
  const std::array<Case, 10> cases{{
      {DeviceType::disk, StorageType::file, dir, "a directory", "file", "a regular file"},
      {DeviceType::dvd, StorageType::file, dir, "a directory", "file", "a regular file"},
      {DeviceType::disk, StorageType::disk, file, "a regular file", "disk",
       "a whole-disk block device"},
      {DeviceType::disk, StorageType::disk, dir, "a directory", "disk",
       "a whole-disk block device"},
      {DeviceType::dvd, StorageType::disk, file, "a regular file", "disk", "an optical drive"},
      {DeviceType::disk, StorageType::lv, file, "a regular file", "lv", "an LVM logical volume"},
      {DeviceType::tape, StorageType::attach, file, "a regular file", "attach",
       "a SCSI generic device (/dev/sg*)"},
      {DeviceType::changer, StorageType::attach_path, dir, "a directory", "attach_path",
       "a SCSI generic device (/dev/sg*)"},
      {DeviceType::burner, StorageType::attach, dir, "a directory", "attach",
       "a SCSI generic device (/dev/sg*)"},
      {DeviceType::dvd, StorageType::null, tmp.file("not-a-dir.iso", 10), "a regular file", "null",
       "a directory or an optical drive"},
  }};
  for (const auto& c : cases) {
    CAPTURE(c.path);
    CAPTURE(c.storage_name);
    const BackingProblems p = check_backing(c.device, c.storage, probe(c.path), false);
    REQUIRE(p.errors.size() == 1);
    CHECK(p.errors[0] == "Backing store '" + c.path + "' is " + c.is + "; storage type '" +
                             c.storage_name + "' needs " + c.needs + ".");
    CHECK(p.warnings.empty());
    // -F only excuses a missing store, not a wrong one.
    CHECK(check_backing(c.device, c.storage, probe(c.path), true).errors == p.errors);
  }
}

TEST_CASE("backing: a symlink to a file is checked as the file") {
  TempDir tmp;
  const std::string file = tmp.file("disk.img", 512);
  fs::create_symlink(file, tmp / "link.img");
  const std::string link = tmp / "link.img";
  CHECK(check_backing(DeviceType::disk, StorageType::file, probe(link), false).errors.empty());
  const std::string small = tmp.file("small.img", 10);
  fs::create_symlink(small, tmp / "small-link.img");
  const std::string small_link = tmp / "small-link.img";
  const BackingProblems p =
      check_backing(DeviceType::disk, StorageType::file, probe(small_link), false);
  REQUIRE(p.errors.size() == 1);
  // The message names the path as the user gave it.
  CHECK(p.errors[0] ==
        "Backing store '" + small_link + "' is 10 bytes; a virtual disk needs at least 512 bytes.");
}

TEST_CASE("backing: the temporary directory is cleaned up") {
  fs::path where;
  {
    TempDir tmp;
    where = tmp.path();
    tmp.file("a.img", 1);
    tmp.dir("d");
    fs::create_symlink(tmp / "a.img", tmp / "l");
    CHECK(fs::exists(where));
  }
  CHECK_FALSE(fs::exists(where));
}

TEST_CASE("backing: block devices: kernel name, identity, stack, unique id") {
  TempDir tmp;
  const std::string file = tmp.file("disk.img", 512);
  // Files and character devices are no block device: no kernel name, no stack, no WWID.
  CHECK(probe(file).block_name.empty());
  CHECK(unique_id(probe(file)).empty());
  CHECK(probe("/dev/null").block_name.empty());
  CHECK(stacked_block_devices("").empty());
  CHECK(block_devices_below("").empty());
  // A loop device node always exists in /sys; without a WWID its identity is
  // its device number, as probe() gives it.
  const std::string dev = read_first_line("/sys/class/block/loop0/dev");
  if (dev.empty()) {
    MESSAGE("no /sys/class/block/loop0: the block-device checks are skipped");
    return;
  }
  CHECK(block_identity("loop0") == "blk:" + dev);
  if (fs::exists("/dev/loop0")) {
    const HostEntity e = probe("/dev/loop0");
    CHECK(e.block_name == "loop0");
    CHECK(e.identity == "blk:" + dev);
    CHECK(unique_id(e).empty()); // loop devices have no WWID
  }
}

TEST_CASE("backing: what names a block device on every host") {
  // A sysfs of its own: /sys/class/block's entries are links into the
  // device tree, where a partition's directory sits in its disk's.
  TempDir tmp;
  const fs::path devices = tmp.dir("devices");
  const fs::path block = tmp.dir("block");
  const auto device = [&](const std::string& where, const std::string& name,
                          std::initializer_list<std::pair<const char*, std::string>> files) {
    const fs::path dir = devices / where;
    fs::create_directories(dir);
    for (const auto& [file, text] : files) {
      fs::create_directories((dir / file).parent_path());
      std::ofstream(dir / file) << text << "\n";
    }
    fs::create_directory_symlink(dir, block / name);
  };
  const std::string backing = tmp.file("loop.img", 512);
  struct stat st {};
  REQUIRE(::stat(backing.c_str(), &st) == 0);
  device("sda", "sda", {{"device/wwid", "naa.600508b1001c4d1e  "}, {"dev", "8:0"}});
  device("sda/sda2", "sda2", {{"partition", "2"}, {"dev", "8:2"}});
  device("dm-0", "dm-0", {{"dm/uuid", "LVM-aaaabbbb"}});
  device("vda", "vda", {{"serial", "disk-7"}});
  device("vda/vda1", "vda1", {{"partition", "1"}});
  device("sdb", "sdb", {{"dev", "8:16"}});
  device("sdb/sdb1", "sdb1", {{"partition", "1"}});
  device("loop3", "loop3", {{"loop/backing_file", backing}, {"loop/offset", "4096"}});
  device("loop4", "loop4", {{"loop/backing_file", backing + " (deleted)"}});
  device("drbd0", "drbd0", {{"dev", "147:0"}});

  CHECK(shared_block_identity("sda", block) == "wwid:naa.600508b1001c4d1e");
  CHECK(shared_block_identity("sda2", block) == "wwid:naa.600508b1001c4d1e:part2");
  CHECK(shared_block_identity("dm-0", block) == "dm:LVM-aaaabbbb");
  CHECK(shared_block_identity("vda", block) == "serial:disk-7");
  CHECK(shared_block_identity("vda1", block) == "serial:disk-7:part1");
  // A loop device is its file's: inode and size, as a file on shared storage.
  const std::string file_id = "file:" + std::to_string(st.st_ino) + ":512";
  CHECK(shared_block_identity("loop3", block) == "loop:" + file_id + ":4096");
  // Nothing that another host would see the same: no answer, rather than the
  // device number, which every host gives its own disks alike.
  CHECK(shared_block_identity("sdb", block).empty());
  CHECK(shared_block_identity("sdb1", block).empty());
  CHECK(shared_block_identity("loop4", block).empty());
  CHECK(shared_block_identity("drbd0", block).empty());
  CHECK(shared_block_identity("nothing", block).empty());
  // A file is its inode and size, whatever path reaches it.
  CHECK(shared_identity(probe(backing)) == file_id);
  CHECK(shared_file_identity(st.st_ino, 512) == file_id);
  CHECK(shared_identity(probe(tmp / "nothing")).empty());
  // A SCSI generic node (a tape, a changer) is its SCSI device's WWID.
  const fs::path chars = tmp.dir("char");
  fs::create_directories(chars / "21:3" / "device");
  std::ofstream(chars / "21:3" / "device" / "wwid") << "naa.5000e11156304802\n";
  fs::create_directories(chars / "21:4");
  CHECK(shared_char_identity("21:3", chars) == "wwid:naa.5000e11156304802");
  CHECK(shared_char_identity("21:4", chars).empty());
  CHECK(shared_identity(probe("/dev/null")).empty()); // no SCSI device behind it
}

TEST_CASE("backing: a block device's size from /sys when it cannot be opened") {
  CHECK_FALSE(sysfs_block_size(0, 0).has_value()); // no such block device
  // Every block device in /sys: its size there matches what probe() gives
  // (BLKGETSIZE64 when the node can be opened, /sys otherwise).
  std::error_code ec;
  int compared = 0;
  for (const auto& entry : fs::directory_iterator("/sys/class/block", ec)) {
    const std::string name = entry.path().filename().string();
    const std::string dev = read_first_line(entry.path() / "dev");
    const auto colon = dev.find(':');
    if (colon == std::string::npos || !fs::exists("/dev/" + name)) {
      continue;
    }
    const auto maj = static_cast<unsigned>(std::stoul(dev.substr(0, colon)));
    const auto min = static_cast<unsigned>(std::stoul(dev.substr(colon + 1)));
    const auto bytes = sysfs_block_size(maj, min);
    REQUIRE(bytes.has_value());
    const HostEntity e = probe("/dev/" + name);
    CAPTURE(name);
    CHECK(e.size_problem.empty());
    CHECK(e.size == *bytes);
    if (++compared == 8) {
      break;
    }
  }
  if (compared == 0) {
    MESSAGE("no block devices in /sys/class/block with a /dev node: not compared");
  }
}

TEST_CASE("backing: a block device of unknown size is refused with the reason") {
  HostEntity e;
  e.path = "/dev/vdz";
  e.kind = HostKind::whole_disk;
  e.size_problem =
      "it cannot be opened (Permission denied) and /sys/dev/block/254:0/size cannot be read";
  const BackingProblems p = check_backing(DeviceType::disk, StorageType::disk, e, false);
  REQUIRE(p.errors.size() == 1);
  CHECK(p.errors[0] == "Backing store '/dev/vdz' has no known size: it cannot be opened "
                       "(Permission denied) and /sys/dev/block/254:0/size cannot be read.");
}
