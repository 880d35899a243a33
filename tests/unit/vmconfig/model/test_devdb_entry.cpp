// Tests for libvmconfig/vmconfig/model/devdb_entry.cpp: the hpvmdevmgmt -l line format
// and the parsing of every hpvmdevmgmt argument.
#include <avio/error.hpp>
#include <vmconfig/model/devdb_entry.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace vmconfig;

TEST_CASE("devdb: -l line, HPVM's format") {
  DevEntry e;
  e.type = EntryType::rdev;
  e.name = "/dev/rdsk/c10t0d4";
  e.attributes = {{"DEVTYPE", "DISK"}, {"SHARE", "NO"}};
  e.unique_id = "6005-08b4-0001-15d0-0001-2000-003a-0000";
  CHECK(format_entry(e, true) == "/dev/rdsk/c10t0d4:CONFIG=rdev,EXIST=YES,DEVTYPE=DISK,SHARE=NO::"
                                 "6005-08b4-0001-15d0-0001-2000-003a-0000");
  e.type = EntryType::gdev;
  e.aliases = {"/dev/disk/by-id/x", "/dev/sdb"};
  e.dependents = {"g1", "g2"};
  e.unique_id.clear();
  CHECK(format_entry(e, false) == "/dev/rdsk/c10t0d4,/dev/disk/by-id/x,/dev/sdb:CONFIG=gdev,"
                                  "EXIST=NO,DEVTYPE=DISK,SHARE=NO:g1,g2:");
}

TEST_CASE("devdb: a -l line reads back (CONFIG and EXIST are computed)") {
  const DevEntry e = parse_entry_line(
      "/dev/rtape/tape6_BESTn:CONFIG=gdev,EXIST=YES,SHARE=NO,DEVTYPE=ATTACH,SHARE_LUNPATHS=YES:"
      "lunpath3,lunpath6:0x01.0x00.0x03.0x500104f0004732d8");
  CHECK(e.type == EntryType::gdev);
  CHECK(e.name == "/dev/rtape/tape6_BESTn");
  CHECK(e.aliases.empty());
  CHECK(e.attributes ==
        std::vector<Attribute>{{"SHARE", "NO"}, {"DEVTYPE", "ATTACH"}, {"SHARE_LUNPATHS", "YES"}});
  CHECK(e.dependents == std::vector<std::string>{"lunpath3", "lunpath6"});
  CHECK(e.unique_id == "0x01.0x00.0x03.0x500104f0004732d8");
  CHECK(format_entry(e, true) ==
        "/dev/rtape/tape6_BESTn:CONFIG=gdev,EXIST=YES,SHARE=NO,DEVTYPE=ATTACH,SHARE_LUNPATHS=YES:"
        "lunpath3,lunpath6:0x01.0x00.0x03.0x500104f0004732d8");
  const DevEntry a = parse_entry_line("/dev/mapper/vg-root,/dev/dm-0:CONFIG=rdev,EXIST=YES,"
                                      "AUTORDEV=YES::");
  CHECK(a.type == EntryType::rdev);
  CHECK(a.aliases == std::vector<std::string>{"/dev/dm-0"});
  CHECK(a.dependents.empty());
  CHECK(a.attribute("AUTORDEV") != nullptr);
  CHECK(a.attribute_is("AUTORDEV", "YES"));
  CHECK(a.named("/dev/dm-0"));
  CHECK_FALSE(a.named("/dev/dm-1"));
  CHECK_THROWS_AS(parse_entry_line("/x:SHARE=NO:"), hpvm::Error);
  CHECK_THROWS_AS(parse_entry_line("/x:SHARE=NO::"), hpvm::Error); // no CONFIG
}

TEST_CASE("devdb: -l arguments") {
  auto all = parse_list_spec("all");
  CHECK_FALSE(all.type.has_value());
  CHECK_FALSE(all.entry.has_value());
  auto one = parse_list_spec("gdev:/dev/sdb");
  CHECK(one.type == EntryType::gdev);
  CHECK(one.entry == "/dev/sdb");
  auto dep = parse_list_spec("rdev:depend:g1");
  CHECK(dep.type == EntryType::rdev);
  CHECK(dep.dependent == "g1");
  auto attr = parse_list_spec("all:share=YES");
  CHECK(attr.attribute == Attribute{"SHARE", "YES"});
  // A path holding '=' is an entry name, not a filter.
  CHECK(parse_list_spec("gdev:/vm/a=b.img").entry == "/vm/a=b.img");
  CHECK(parse_list_spec("server:myhost").type == EntryType::server);
  CHECK(parse_list_spec("env").type == EntryType::env);
  for (const char* bad : {"bogus", "gdev:", "gdev:depend:", "disk:/x"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_list_spec(bad), hpvm::UsageError);
  }
}

TEST_CASE("devdb: -a -d -m -n arguments") {
  auto a = parse_add_spec("rdev:/some-directory:attr:RECURSIVE=FS");
  CHECK(a.type == EntryType::rdev);
  CHECK(a.name == "/some-directory");
  CHECK(a.attribute == Attribute{"RECURSIVE", "FS"});
  auto aliases = parse_add_spec("gdev:/a.iso,/b.iso");
  CHECK(aliases.name == "/a.iso");
  CHECK(aliases.aliases == std::vector<std::string>{"/b.iso"});
  CHECK_FALSE(aliases.attribute.has_value());
  CHECK_THROWS_AS(parse_add_spec("gdev:/a.iso,"), hpvm::UsageError);
  CHECK(parse_add_spec("gdev:/a:b").name == "/a:b"); // paths may hold ':'
  CHECK_THROWS_AS(parse_add_spec("gdev:/a:attr:SHARE"), hpvm::UsageError);
  CHECK_THROWS_AS(parse_add_spec("gdev"), hpvm::UsageError);

  auto d = parse_delete_spec("gdev:all:depend:g1");
  CHECK(d.name == "all");
  CHECK(d.dependent == "g1");
  auto da = parse_delete_spec("gdev:/x.img:attr:share");
  CHECK(da.attribute == Attribute{"SHARE", ""});
  auto dw = parse_delete_spec("rdev:/dev/sdc:IGNOREWWID");
  CHECK(dw.name == "/dev/sdc");
  CHECK(dw.attribute == Attribute{"IGNOREWWID", ""});
  auto alias = parse_delete_spec("gdev_alias:/dev/rdisk/disk12");
  CHECK(alias.alias_only);
  CHECK(alias.name == "/dev/rdisk/disk12");
  CHECK(parse_delete_spec("env:site").type == EntryType::env);
  CHECK_THROWS_AS(parse_delete_spec("rdev:/x:depend:g1"), hpvm::UsageError);
  CHECK_THROWS_AS(parse_delete_spec("gdev:/x:attr:A=B"), hpvm::UsageError);

  auto m = parse_modify_spec("gdev:/dev/rdsk/c0t0d0:attr:SHARE=YES");
  CHECK(m.name == "/dev/rdsk/c0t0d0");
  CHECK(m.attribute == Attribute{"SHARE", "YES"});
  auto mw = parse_modify_spec("gdev:/dev/sdc:IGNOREWWID=YES");
  CHECK(mw.attribute == Attribute{"IGNOREWWID", "YES"});
  CHECK_THROWS_AS(parse_modify_spec("gdev:/x:SHARE=YES"), hpvm::UsageError);

  auto n = parse_replace_spec("gdev:/dev/sdb:/dev/sdc,/dev/disk/by-id/wwn-1");
  CHECK(n.old_name == "/dev/sdb");
  CHECK(n.new_names == std::vector<std::string>{"/dev/sdc", "/dev/disk/by-id/wwn-1"});
  CHECK_THROWS_AS(parse_replace_spec("server:a:b"), hpvm::UsageError);
  CHECK_THROWS_AS(parse_replace_spec("gdev:/dev/sdb"), hpvm::UsageError);
}

TEST_CASE("devdb: -S sizes") {
  CHECK(parse_file_size("512K") == 512ULL << 10);
  CHECK(parse_file_size("3M") == 3ULL << 20);
  CHECK(parse_file_size("3") == 3ULL << 20); // no unit: megabytes
  CHECK(parse_file_size("20g") == 20ULL << 30);
  CHECK(parse_file_size("2TB") == 2ULL << 40);
  for (const char* bad : {"", "0", "M", "12X", "1.5G", "-1M", "99999999999T"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_file_size(bad), hpvm::UsageError);
  }
}

TEST_CASE("devdb: attributes users may set") {
  CHECK(checked_user_attribute(EntryType::gdev, {"share", "yes"}) == Attribute{"SHARE", "YES"});
  CHECK(checked_user_attribute(EntryType::gdev, {"USAGE", "dvd"}) == Attribute{"USAGE", "DVD"});
  CHECK(checked_user_attribute(EntryType::rdev, {"RECURSIVE", "dir"}) ==
        Attribute{"RECURSIVE", "DIR"});
  CHECK_THROWS_AS(checked_user_attribute(EntryType::gdev, {"RECURSIVE", "FS"}), hpvm::Error);
  CHECK_THROWS_AS(checked_user_attribute(EntryType::rdev, {"AUTORDEV", "YES"}), hpvm::Error);
  CHECK_THROWS_AS(checked_user_attribute(EntryType::gdev, {"EXIST", "NO"}), hpvm::Error);
  CHECK_THROWS_AS(checked_user_attribute(EntryType::gdev, {"SHARE", "MAYBE"}), hpvm::Error);
  CHECK_THROWS_AS(checked_user_attribute(EntryType::gdev, {"COLOUR", "RED"}), hpvm::Error);
}

// Found by the hostile input corpus (tests/cli/hostile/hpvmdevmgmt.tsv).
TEST_CASE("devdb: a name given twice in -a or -n is refused") {
  CHECK_THROWS_WITH_AS(parse_add_spec("gdev:/a.iso,/a.iso"),
                       "'/a.iso' is given twice: an entry's names and aliases must all differ.",
                       hpvm::Error);
  CHECK_THROWS_WITH_AS(parse_add_spec("gdev:/a.iso,/b.iso,/b.iso"),
                       "'/b.iso' is given twice: an entry's names and aliases must all differ.",
                       hpvm::Error);
  CHECK_THROWS_WITH_AS(parse_replace_spec("gdev:/a:/b,/b"),
                       "'/b' is given twice: an entry's names and aliases must all differ.",
                       hpvm::Error);
}

TEST_CASE("devdb: -n new names follow the rules of new entries") {
  CHECK_THROWS_WITH_AS(parse_replace_spec("gdev:/a:relative"),
                       "'relative' is not an absolute path: gdev entries name host paths.",
                       hpvm::Error);
  CHECK_THROWS_WITH_AS(parse_replace_spec("rdev:/a:/x\ny"),
                       "An entry name may not contain control characters.", hpvm::Error);
  CHECK(parse_replace_spec("gdev:/a:/b,/c").new_names == std::vector<std::string>{"/b", "/c"});
}

TEST_CASE("devdb: the file -S makes is an absolute path without control characters") {
  CHECK_FALSE(size_file_problem("/vm/new.img"));
  CHECK(size_file_problem("new.img") ==
        "'new.img' is not an absolute path: -S makes a backing store, which statements name by "
        "its absolute path.");
  CHECK(size_file_problem("/vm/a\nb.img") ==
        "The file name for -S may not contain control characters.");
  CHECK(size_file_problem("/" + std::string(5000, 'x')) ==
        "The path is 5001 characters long; the host takes at most 4095.");
}
