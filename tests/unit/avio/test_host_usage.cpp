// Tests for libavio/avio/host_usage.cpp and lvm.cpp: reading what the host
// uses from /proc/self/mountinfo, /proc/swaps and LVM's reports.
#include <avio/host_usage.hpp>
#include <avio/lvm.hpp>

#include <doctest/doctest.h>

using namespace avio;

TEST_CASE("host usage: block-backed mounts from mountinfo") {
  const auto mounts = parse_mountinfo("22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
                                      "23 22 0:21 / /proc rw - proc proc rw\n"
                                      "40 22 7:3 / /mnt/with\\040space rw - ext4 /dev/loop3 rw\n"
                                      "41 22 253:1 /sub /srv rw - xfs /dev/mapper/vg-srv rw\n");
  REQUIRE(mounts.size() == 3);
  CHECK(mounts[0].major == 254);
  CHECK(mounts[0].minor == 0);
  CHECK(mounts[0].mount_point == "/");
  CHECK(mounts[1].mount_point == "/mnt/with space");
  CHECK(mounts[2].major == 253);
  CHECK(parse_mountinfo("").empty());
}

TEST_CASE("host usage: swap areas") {
  const auto swaps =
      parse_swaps("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
                  "/dev/dm-1                               partition\t1003516\t\t0\t\t-2\n"
                  "/swap\\040file                               file\t\t1024\t\t0\t\t-3\n");
  CHECK(swaps == std::vector<std::string>{"/dev/dm-1", "/swap file"});
  CHECK(parse_swaps("Filename Type Size Used Priority\n").empty());
}

TEST_CASE("lvm: reports") {
  const auto t = parse_lvm_reports("  /dev/loop0|vg1\n  /dev/loop1|vg1\n  /dev/sdc|\n",
                                   "  vg1|lv1|/dev/vg1/lv1|/dev/mapper/vg1-lv1\n"
                                   "  vg1|lv-2|/dev/vg1/lv-2|/dev/mapper/vg1-lv--2\n");
  REQUIRE(t.pvs.size() == 3);
  CHECK(t.pvs[2].path == "/dev/sdc");
  CHECK(t.pvs[2].vg.empty());
  REQUIRE(t.lvs.size() == 2);
  CHECK(t.lvs[1].dm_path == "/dev/mapper/vg1-lv--2");
  CHECK(t.physical_volumes_of("vg1").size() == 2);
  CHECK(t.physical_volumes_of("").empty()); // a PV in no VG belongs to no group
  CHECK(t.logical_volumes_of("vg1").size() == 2);
  const auto* lv = t.logical_volume("/dev/mapper/vg1-lv--2");
  REQUIRE(lv != nullptr);
  CHECK(lv->name == "lv-2");
  CHECK(t.logical_volume("/dev/vg1/lv1") == &t.lvs[0]);
  CHECK(t.logical_volume("/dev/vg1/none") == nullptr);
  CHECK(parse_lvm_reports("", "").pvs.empty());
}
