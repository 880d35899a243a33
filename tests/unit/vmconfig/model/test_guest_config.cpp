// Tests for libvmconfig/vmconfig/model/guest_config.cpp: a guest as the text
// of its vmm_config.current file, and that text read back.
#include <vmconfig/model/grammar.hpp>
#include <vmconfig/model/guest_config.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace vmconfig;

namespace {

Guest sample() {
  Guest g;
  g.name = "g1";
  g.uuid = "2b3b1198-2062-11df-9e06-001a4b07f002";
  g.os_type = "HPUX";
  g.os_version = "11.31";
  g.vcpus = 2;
  g.entitlement = {true, 1200.5, 0.0};
  g.memory_mb = 1536;
  g.label = "web tier";
  g.start = StartAttr::manual;
  g.runnable = false; // the host's own: not in the file
  g.vm_number = 7;
  g.extended = {{"graceful_stop_timeout", "30"}, {"amr_enable", "1"}};
  g.access = {{ConsoleAccess::Kind::group, "adm", false},
              {ConsoleAccess::Kind::user, "root", true},
              {ConsoleAccess::Kind::user, "op\\er", false}};
  g.storage = {
      {DeviceType::disk, StorageAdapter::avio_stor, {0, 1, 0}, StorageType::file, "/vm/a\\b.img"},
      {DeviceType::dvd, StorageAdapter::scsi, {1, 2, 3}, StorageType::null, ""}};
  g.networks = {{NetAdapter::avio_lan, {0, 5}, avio::MacAddress(0x02AABBCC0001ULL), "vsw1", 3}};
  return g;
}

} // namespace

TEST_CASE("guest_config: the body, in the order hpvmcreate applies it") {
  CHECK(guest_config_body(sample()) == "name g1\n"
                                       "uuid 2b3b1198-2062-11df-9e06-001a4b07f002\n"
                                       "os HPUX:11.31\n"
                                       "vcpus 2\n"
                                       "cycles 1200.5:0\n"
                                       "memory 1536M\n"
                                       "label web tier\n"
                                       "start manual\n"
                                       "user root:admin\n"
                                       "user op\\\\er:oper\n"
                                       "group adm:oper\n"
                                       "x amr_enable=1\n"
                                       "x graceful_stop_timeout=30\n"
                                       "device disk:avio_stor:0,1,0:file:/vm/a\\\\b.img\n"
                                       "device dvd:scsi:1,2,3:null:\n"
                                       "device network:avio_lan:0,5,0x02AABBCC0001:vswitch:vsw1:"
                                       "portid:3\n");
  Guest local = sample();
  local.runnable = true;
  local.modifiable = false;
  local.vm_number = 1;
  CHECK(guest_config_body(local) == guest_config_body(sample()));
}

TEST_CASE("guest_config: the file reads back to the same body and values") {
  const std::string body = guest_config_body(sample());
  const std::string file = guest_config_file(body, 42);
  CHECK(file.starts_with("# The configuration of an HPVM guest"));
  CHECK(file.find("\nformat 1\nchange 42\nname g1\n") != std::string::npos);
  std::vector<std::string> errors;
  const GuestConfig c = read_guest_config(file, errors);
  CHECK(errors.empty());
  CHECK(c.change == 42);
  CHECK(c.name == "g1");
  CHECK(c.uuid == "2b3b1198-2062-11df-9e06-001a4b07f002");
  CHECK(c.body == body);
  CHECK(c.characteristics.os_type == "HPUX:11.31");
  CHECK(c.characteristics.cycles == "1200.5:0");
  CHECK_FALSE(c.characteristics.entitlement.has_value());
  CHECK(c.characteristics.memory == "1536M");
  CHECK(c.characteristics.label == "web tier");
  CHECK(c.characteristics.users == std::vector<std::string>{"root:admin", "op\\er:oper"});
  CHECK(c.characteristics.groups == std::vector<std::string>{"adm:oper"});
  CHECK(c.characteristics.extended ==
        std::vector<std::string>{"amr_enable=1", "graceful_stop_timeout=30"});
  REQUIRE(c.devices.size() == 3);
  CHECK(c.devices[0] == "disk:avio_stor:0,1,0:file:/vm/a\\b.img");
  CHECK(c.devices[2] == "network:avio_lan:0,5,0x02AABBCC0001:vswitch:vsw1:portid:3");
}

TEST_CASE("guest_config: control characters are escaped, never a line break") {
  Guest g = sample();
  g.label = "a\nb\x7f";
  const std::string body = guest_config_body(g);
  CHECK(body.find("label a\\x0ab\\x7f\n") != std::string::npos);
  std::vector<std::string> errors;
  const GuestConfig c = read_guest_config(guest_config_file(body, 1), errors);
  CHECK(errors.empty());
  CHECK(c.characteristics.label == "a\nb\x7f");
}

TEST_CASE("guest_config: problems name their line") {
  auto problems = [](const std::string& text) {
    std::vector<std::string> errors;
    read_guest_config(text, errors);
    return errors;
  };
  using V = std::vector<std::string>;
  CHECK(problems("") == V{"the file is empty"});
  CHECK(problems("# only\nchange 1\n") ==
        V{"line 2: the file does not start with its format line"});
  CHECK(problems("format 2\n") ==
        V{"line 1: format '2' is not format 1, the one this version of the suite reads (a newer "
          "version wrote it?)"});
  CHECK(problems("format 1\nchange 0\n") ==
        V{"line 2: the format line is not followed by 'change N' (N a positive number)"});
  CHECK(problems("format 1\n") ==
        V{"the format line is not followed by 'change N' (N a positive number)"});
  CHECK(problems("format 1\nchange 3\n") ==
        V{"the file names no guest (its name and uuid lines are missing)"});
  const std::string head =
      "format 1\nchange 3\nname g\nuuid 2b3b1198-2062-11df-9e06-001a4b07f002\n";
  CHECK(problems(head).empty());
  CHECK(problems(head + "name h\n") == V{"line 5: 'name' is given twice"});
  CHECK(problems(head + "colour red\n") == V{"line 5: unknown key 'colour'"});
  CHECK(problems(head + "label a\\q\n") ==
        V{"line 5: the value of 'label' has a bad escape sequence"});
  CHECK(problems(head + "label a\\x4\n") ==
        V{"line 5: the value of 'label' has a bad escape sequence"});
  CHECK(problems("format 1\nchange 3\nname g\nuuid ../../etc\n") ==
        V{"line 4: '../../etc' is not a UUID"});
}

TEST_CASE("guest_config: UUIDs as the kernel gives them") {
  CHECK(is_uuid("2b3b1198-2062-11df-9e06-001a4b07f002"));
  CHECK_FALSE(is_uuid("2B3B1198-2062-11df-9e06-001a4b07f002"));
  CHECK_FALSE(is_uuid("2b3b1198-2062-11df-9e06-001a4b07f00"));
  CHECK_FALSE(is_uuid("2b3b1198x2062-11df-9e06-001a4b07f002"));
  CHECK_FALSE(is_uuid(""));
}
