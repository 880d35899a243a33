// Tests for libvmconfig/vmconfig/model/characteristics.cpp: the -O -c -e -E -r -l
// -B -u -g -x options, their defaults, and how memory and entitlement print.
#include <vmconfig/model/characteristics.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace vmconfig;

namespace {

struct Outcome {
  Guest guest;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

Outcome apply(const CharacteristicsRequest& r, bool force = false) {
  Outcome o;
  apply_characteristics(r, force, o.guest, o.errors, o.warnings);
  return o;
}

// Applies one option and expects exactly one error with this text.
void check_error(const CharacteristicsRequest& r, const std::string& message) {
  const Outcome o = apply(r);
  REQUIRE(o.errors.size() == 1);
  CHECK(o.errors.front() == message);
}

// A user and a group that cannot exist on the test host.
const char* const k_nobody = "hpvm_unit_no_such_account";

} // namespace

// ------------------------------------------------------------ defaults

TEST_CASE("characteristics: a new guest has HPVM's defaults") {
  const Guest g;
  CHECK(g.vcpus == 1);
  CHECK_FALSE(g.entitlement.cycles);
  CHECK(g.entitlement.minimum == 10.0);
  CHECK(g.entitlement.maximum == 100.0);
  CHECK(g.memory_mb == 2048);
  CHECK(g.start == StartAttr::automatic);
  CHECK(g.os_type == "UNKNOWN");
  CHECK(g.os_version.empty());
  CHECK(g.label.empty());
  CHECK(g.runnable);
  CHECK(g.modifiable);
  CHECK(g.visible);
  CHECK(g.extended.empty());
  CHECK(g.access.empty());
  CHECK(entitlement_text(g.entitlement, false) == "10.0%");
  CHECK(entitlement_text(g.entitlement, true) == "100.0%");
  CHECK(memory_compact(g.memory_mb) == "2GB");
  CHECK(memory_spaced(g.memory_mb) == "2 GB");
}

TEST_CASE("characteristics: an empty request changes nothing") {
  const Outcome o = apply({});
  CHECK(o.errors.empty());
  CHECK(o.warnings.empty());
  const Guest g;
  CHECK(o.guest.vcpus == g.vcpus);
  CHECK(o.guest.entitlement == g.entitlement);
  CHECK(o.guest.memory_mb == g.memory_mb);
  CHECK(o.guest.start == g.start);
  CHECK(o.guest.os_type == g.os_type);
  CHECK(o.guest.runnable == g.runnable);
  CHECK(o.guest.modifiable == g.modifiable);
  CHECK(o.guest.visible == g.visible);
}

// ------------------------------------------------------------ -O

TEST_CASE("characteristics: -O os_type[:version]") {
  struct Valid {
    const char* in;
    const char* type;
    const char* version;
  };
  const std::array<Valid, 11> valid{{
      {"hpux", "HPUX", ""},
      {"HPUX", "HPUX", ""},
      {"HpUx", "HPUX", ""},
      {"hpux:11.31", "HPUX", "11.31"},
      {"hpux:", "HPUX", ""},
      {"linux", "LINUX", ""},
      {"Linux:rhel-9_2", "LINUX", "rhel-9_2"},
      {"windows", "WINDOWS", ""},
      {"windows:2008R2", "WINDOWS", "2008R2"},
      {"openvms", "OPENVMS", ""},
      {"unknown", "UNKNOWN", ""},
  }};
  for (const auto& v : valid) {
    CAPTURE(v.in);
    CharacteristicsRequest r;
    r.os_type = v.in;
    const Outcome o = apply(r);
    CHECK(o.errors.empty());
    CHECK(o.guest.os_type == v.type);
    CHECK(o.guest.os_version == v.version);
  }
  for (const char* bad : {"solaris", "", "hp-ux", "linux2", ":5.10", " linux", "vms"}) {
    CAPTURE(bad);
    CharacteristicsRequest r;
    r.os_type = bad;
    check_error(r, std::string("Invalid OS type '") + bad +
                       "': expected hpux, linux, windows, openvms or unknown.");
    CHECK(apply(r).guest.os_type == "UNKNOWN");
  }
  struct BadVersion {
    const char* in;
    const char* version;
  };
  const std::array<BadVersion, 5> bad_versions{{
      {"linux:5.10 lts", "5.10 lts"},
      {"hpux:11:31", "11:31"},
      {"linux:a/b", "a/b"},
      {"linux:v\"1\"", "v\"1\""},
      {"hpux:B.11.31+", "B.11.31+"},
  }};
  for (const auto& b : bad_versions) {
    CAPTURE(b.in);
    CharacteristicsRequest r;
    r.os_type = b.in;
    check_error(r, std::string("Invalid OS version '") + b.version +
                       "': use only letters, digits, '.', '_' and '-'.");
    CHECK(apply(r).guest.os_version.empty());
  }
}

// ------------------------------------------------------------ -c

TEST_CASE("characteristics: -c vCPUs") {
  for (const auto& [in, n] : std::array<std::pair<const char*, int>, 5>{
           {{"1", 1}, {"2", 2}, {"4", 4}, {"0002", 2}, {"256", 256}}}) {
    CAPTURE(in);
    CharacteristicsRequest r;
    r.vcpus = in;
    const Outcome o = apply(r);
    CHECK(o.errors.empty());
    CHECK(o.guest.vcpus == n);
  }
  for (const char* bad : {"0", "257", "1000", "-1", "abc", "", "2.5", " 2", "2 ", "+2", "1e2",
                          "0x2", "99999999999999999999999"}) {
    CAPTURE(bad);
    CharacteristicsRequest r;
    r.vcpus = bad;
    check_error(r, std::string("Invalid number of vCPUs '") + bad + "': expected 1-256.");
    CHECK(apply(r).guest.vcpus == 1);
  }
}

TEST_CASE("characteristics: -c above the host's CPU count is only a warning") {
  const unsigned host = std::thread::hardware_concurrency();
  CharacteristicsRequest one;
  one.vcpus = "1";
  CHECK(apply(one).warnings.empty());
  CharacteristicsRequest many;
  many.vcpus = "256";
  const Outcome o = apply(many);
  CHECK(o.errors.empty());
  CHECK(o.guest.vcpus == 256);
  if (host != 0 && host < 256) {
    REQUIRE(o.warnings.size() == 1);
    CHECK(o.warnings.front() ==
          "The guest has 256 vCPUs but this host has only " + std::to_string(host) + " CPUs.");
  } else {
    CHECK(o.warnings.empty());
  }
  if (host != 0) {
    CharacteristicsRequest exact;
    exact.vcpus = std::to_string(host);
    CHECK(apply(exact).warnings.empty());
  }
}

// ------------------------------------------------------------ -e / -E

TEST_CASE("characteristics: -e percent[:max_percent]") {
  struct Valid {
    const char* in;
    double minimum;
    double maximum;
  };
  const std::array<Valid, 8> valid{{
      {"50", 50, 100},
      {"20:80", 20, 80},
      {"1", 1, 100},
      {"100", 100, 100},
      {"1:1", 1, 1},
      {"12.5", 12.5, 100},
      {"10:100", 10, 100},
      {"100:100", 100, 100},
  }};
  for (const auto& v : valid) {
    CAPTURE(v.in);
    CharacteristicsRequest r;
    r.entitlement = v.in;
    const Outcome o = apply(r);
    CHECK(o.errors.empty());
    CHECK_FALSE(o.guest.entitlement.cycles);
    CHECK(o.guest.entitlement.minimum == v.minimum);
    CHECK(o.guest.entitlement.maximum == v.maximum);
  }
  for (const char* bad :
       {"abc", "", "50:", ":50", "50:x", "5%", "50:60:70", " 50", "50 ", "fifty", "0x10"}) {
    CAPTURE(bad);
    CharacteristicsRequest r;
    r.entitlement = bad;
    check_error(r, std::string("Invalid entitlement '") + bad +
                       "' for -e: expected percent[:max_percent].");
    CHECK(apply(r).guest.entitlement == Entitlement{});
  }
  for (const char* bad : {"0", "101", "0.5", "100.5", "50:101", "50:0", "-5", "1000"}) {
    CAPTURE(bad);
    CharacteristicsRequest r;
    r.entitlement = bad;
    check_error(r,
                std::string("Entitlement '") + bad + "' is out of range: percentages are 1-100.");
    CHECK(apply(r).guest.entitlement == Entitlement{});
  }
  struct Below {
    const char* in;
    const char* message;
  };
  for (const auto& b : std::array<Below, 3>{{
           {"50:40", "Entitlement maximum 40 is below the minimum 50."},
           {"80:79.5", "Entitlement maximum 79.5 is below the minimum 80."},
           {"100:1", "Entitlement maximum 1 is below the minimum 100."},
       }}) {
    CAPTURE(b.in);
    CharacteristicsRequest r;
    r.entitlement = b.in;
    check_error(r, b.message);
  }
}

TEST_CASE("characteristics: -E cycles[:max_cycles]") {
  struct Valid {
    const char* in;
    double minimum;
    double maximum;
  };
  const std::array<Valid, 6> valid{{
      {"1000", 1000, 0},
      {"1000:2000", 1000, 2000},
      {"1", 1, 0},
      {"1500:0", 1500, 0},
      {"1000:1000", 1000, 1000},
      {"2400.5", 2400.5, 0},
  }};
  for (const auto& v : valid) {
    CAPTURE(v.in);
    CharacteristicsRequest r;
    r.cycles = v.in;
    const Outcome o = apply(r);
    CHECK(o.errors.empty());
    CHECK(o.guest.entitlement.cycles);
    CHECK(o.guest.entitlement.minimum == v.minimum);
    CHECK(o.guest.entitlement.maximum == v.maximum);
  }
  for (const char* bad : {"x", "", "1000:", ":1000", "1000MHz", "1GHz", "1000:2000:3000"}) {
    CAPTURE(bad);
    CharacteristicsRequest r;
    r.cycles = bad;
    check_error(r, std::string("Invalid entitlement '") + bad +
                       "' for -E: expected cycles[:max_cycles].");
  }
  for (const char* bad : {"0", "0.5", "-1000", "1000:-1"}) {
    CAPTURE(bad);
    CharacteristicsRequest r;
    r.cycles = bad;
    check_error(r,
                std::string("Entitlement '") + bad + "' is out of range: cycles must be positive.");
  }
  CharacteristicsRequest below;
  below.cycles = "2000:1000";
  check_error(below, "Entitlement maximum 1000 is below the minimum 2000.");
}

TEST_CASE("characteristics: -e and -E together are refused") {
  CharacteristicsRequest r;
  r.entitlement = "50";
  r.cycles = "1000";
  check_error(r, "Give the entitlement either as a percentage (-e) or in cycles (-E), not both.");
  CHECK(apply(r).guest.entitlement == Entitlement{});
}

// ------------------------------------------------------------ -r

TEST_CASE("characteristics: -r memory") {
  struct Valid {
    const char* in;
    std::uint64_t mb;
  };
  const std::array<Valid, 16> valid{{
      {"4G", 4096},
      {"4g", 4096},
      {"4GB", 4096},
      {"4gb", 4096},
      {"1G", 1024},
      {"512M", 512},
      {"512m", 512},
      {"512MB", 512},
      {"2048", 2048},
      {"1536", 1536},
      {"32", 32},
      {"32M", 32},
      {"1T", 1048576},
      {"1tb", 1048576},
      {"16T", 16777216},
      {"16384G", 16777216},
  }};
  for (const auto& v : valid) {
    CAPTURE(v.in);
    CharacteristicsRequest r;
    r.memory = v.in;
    const Outcome o = apply(r);
    CHECK(o.errors.empty());
    CHECK(o.guest.memory_mb == v.mb);
  }
  for (const char* bad : {"31M",    "31",       "0",   "0G",   "",
                          "G",      "M",        "MB",  "GB",   "B",
                          "4.5G",   "-1G",      "4K",  "4KB",  "17T",
                          "16385G", "16777217", "4 G", " 4G",  "4G ",
                          "4GG",    "x",        "1B",  "0x10", "99999999999999999999G"}) {
    CAPTURE(bad);
    CharacteristicsRequest r;
    r.memory = bad;
    check_error(r, std::string("Invalid memory size '") + bad +
                       "': expected a size of at least 32 MB such as 512M or 4G.");
    CHECK(apply(r).guest.memory_mb == 2048);
  }
}

// ------------------------------------------------------------ -l

TEST_CASE("characteristics: -l label") {
  for (const std::string& label :
       {std::string("Virtual Machine number One"), std::string(""), std::string("a-b_c.d"),
        std::string("Clone-cluster 01"), std::string(255, 'x')}) {
    CAPTURE(label);
    CharacteristicsRequest r;
    r.label = label;
    const Outcome o = apply(r);
    CHECK(o.errors.empty());
    CHECK(o.guest.label == label);
  }
  for (const char* bad :
       {"bad:label", "tab\there", "quote\"d", "semi;colon", "slash/ed", "caf\xc3\xa9"}) {
    CAPTURE(bad);
    CharacteristicsRequest r;
    r.label = bad;
    check_error(r, std::string("Invalid label: label '") + bad +
                       "' may contain only letters, digits, '-', '_', '.' and spaces.");
    CHECK(apply(r).guest.label.empty());
  }
  CharacteristicsRequest r;
  r.label = std::string(256, 'x');
  check_error(r, "Invalid label: label is longer than 255 characters.");
}

// ------------------------------------------------------------ -B

TEST_CASE("characteristics: -B auto|manual") {
  for (const char* in : {"auto", "AUTO", "Auto"}) {
    CAPTURE(in);
    CharacteristicsRequest r;
    r.start = in;
    Outcome o;
    o.guest.start = StartAttr::manual;
    apply_characteristics(r, false, o.guest, o.errors, o.warnings);
    CHECK(o.errors.empty());
    CHECK(o.guest.start == StartAttr::automatic);
  }
  for (const char* in : {"manual", "MANUAL", "Manual"}) {
    CAPTURE(in);
    CharacteristicsRequest r;
    r.start = in;
    const Outcome o = apply(r);
    CHECK(o.errors.empty());
    CHECK(o.guest.start == StartAttr::manual);
  }
  for (const char* bad : {"yes", "", "automatic", "on", "manually", " auto"}) {
    CAPTURE(bad);
    CharacteristicsRequest r;
    r.start = bad;
    check_error(r, std::string("Invalid start attribute '") + bad + "': expected auto or manual.");
    CHECK(apply(r).guest.start == StartAttr::automatic);
  }
}

// ------------------------------------------------------------ -u / -g

TEST_CASE("characteristics: -u and -g console access") {
  SUBCASE("roles") {
    struct Case {
      const char* in;
      bool admin;
    };
    for (const auto& c : std::array<Case, 5>{{{"root", false},
                                              {"root:admin", true},
                                              {"root:oper", false},
                                              {"root:ADMIN", true},
                                              {"root:Oper", false}}}) {
      CAPTURE(c.in);
      CharacteristicsRequest r;
      r.users = {c.in};
      r.groups = {c.in};
      const Outcome o = apply(r);
      CHECK(o.errors.empty());
      CHECK(o.warnings.empty());
      REQUIRE(o.guest.access.size() == 2);
      CHECK(o.guest.access[0] == ConsoleAccess{ConsoleAccess::Kind::user, "root", c.admin});
      CHECK(o.guest.access[1] == ConsoleAccess{ConsoleAccess::Kind::group, "root", c.admin});
    }
  }
  SUBCASE("a later entry for the same name replaces the earlier one") {
    CharacteristicsRequest r;
    r.users = {"root:oper", "root:admin"};
    Outcome o;
    o.guest.access.push_back({ConsoleAccess::Kind::user, "root", false});
    o.guest.access.push_back({ConsoleAccess::Kind::group, "root", true});
    apply_characteristics(r, false, o.guest, o.errors, o.warnings);
    CHECK(o.errors.empty());
    REQUIRE(o.guest.access.size() == 2);
    CHECK(o.guest.access[0] == ConsoleAccess{ConsoleAccess::Kind::group, "root", true});
    CHECK(o.guest.access[1] == ConsoleAccess{ConsoleAccess::Kind::user, "root", true});
  }
  SUBCASE("bad roles and missing names") {
    struct Case {
      const char* in;
      const char* user_message;
      const char* group_message;
    };
    for (const auto& c : std::array<Case, 5>{{
             {"root:boss", "Invalid console user 'root:boss': the role must be admin or oper.",
              "Invalid console group 'root:boss': the role must be admin or oper."},
             {"root:", "Invalid console user 'root:': the role must be admin or oper.",
              "Invalid console group 'root:': the role must be admin or oper."},
             {"root:admin:oper",
              "Invalid console user 'root:admin:oper': the role must be admin or oper.",
              "Invalid console group 'root:admin:oper': the role must be admin or oper."},
             {":admin", "Invalid console user ':admin': the name is missing.",
              "Invalid console group ':admin': the name is missing."},
             {"", "Invalid console user '': the name is missing.",
              "Invalid console group '': the name is missing."},
         }}) {
      CAPTURE(c.in);
      CharacteristicsRequest u;
      u.users = {c.in};
      check_error(u, c.user_message);
      CharacteristicsRequest g;
      g.groups = {c.in};
      check_error(g, c.group_message);
      CHECK(apply(u).guest.access.empty());
      CHECK(apply(g).guest.access.empty());
    }
  }
  SUBCASE("unknown accounts: an error, or with force a warning") {
    CharacteristicsRequest r;
    r.users = {std::string(k_nobody) + ":admin"};
    r.groups = {k_nobody};
    const Outcome strict = apply(r);
    REQUIRE(strict.errors.size() == 2);
    CHECK(strict.errors[0] ==
          std::string("The user '") + k_nobody + "' does not exist on this host.");
    CHECK(strict.errors[1] ==
          std::string("The group '") + k_nobody + "' does not exist on this host.");
    CHECK(strict.warnings.empty());
    CHECK(strict.guest.access.empty());
    const Outcome forced = apply(r, true);
    CHECK(forced.errors.empty());
    REQUIRE(forced.warnings.size() == 2);
    CHECK(forced.warnings[0] ==
          std::string("The user '") + k_nobody + "' does not exist on this host.");
    CHECK(forced.warnings[1] ==
          std::string("The group '") + k_nobody + "' does not exist on this host.");
    REQUIRE(forced.guest.access.size() == 2);
    CHECK(forced.guest.access[0] == ConsoleAccess{ConsoleAccess::Kind::user, k_nobody, true});
    CHECK(forced.guest.access[1] == ConsoleAccess{ConsoleAccess::Kind::group, k_nobody, false});
  }
  SUBCASE("force does not excuse a bad role") {
    CharacteristicsRequest r;
    r.users = {"root:boss"};
    const Outcome o = apply(r, true);
    REQUIRE(o.errors.size() == 1);
    CHECK(o.errors[0] == "Invalid console user 'root:boss': the role must be admin or oper.");
    CHECK(o.warnings.empty());
  }
}

// ------------------------------------------------------------ -x

TEST_CASE("characteristics: -x status keywords") {
  struct Case {
    std::vector<std::string> x;
    bool runnable;
    bool modifiable;
    bool visible;
  };
  const std::vector<Case> cases{
      {{"runnable_status=disabled"}, false, true, true},
      {{"modify_status=disabled"}, true, false, true},
      {{"visible_status=disabled"}, true, true, false},
      {{"register_status=disabled"}, false, false, false},
      {{"register_status=enabled"}, true, true, true},
      {{"register_status=disabled", "runnable_status=enabled"}, true, false, false},
      {{"runnable_status=enabled", "register_status=disabled"}, false, false, false},
      {{"modify_status=disabled", "visible_status=disabled", "runnable_status=disabled"},
       false,
       false,
       false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.x.front());
    CharacteristicsRequest r;
    r.extended = c.x;
    const Outcome o = apply(r);
    CHECK(o.errors.empty());
    CHECK(o.guest.runnable == c.runnable);
    CHECK(o.guest.modifiable == c.modifiable);
    CHECK(o.guest.visible == c.visible);
    CHECK(o.guest.extended.empty()); // status keywords are attributes, not stored pairs
  }
  // register_status=enabled turns all three back on.
  Outcome o;
  o.guest.runnable = false;
  o.guest.modifiable = false;
  o.guest.visible = false;
  CharacteristicsRequest r;
  r.extended = {"register_status=enabled"};
  apply_characteristics(r, false, o.guest, o.errors, o.warnings);
  CHECK(o.errors.empty());
  CHECK(o.guest.runnable);
  CHECK(o.guest.modifiable);
  CHECK(o.guest.visible);
}

TEST_CASE("characteristics: enabling runnable_status takes back a migrated copy") {
  for (const char* x : {"runnable_status=enabled", "register_status=enabled"}) {
    CAPTURE(x);
    Outcome o;
    o.guest.runnable = false;
    o.guest.extended = {{k_migrated_to, "hostb"}, {"sched_preference", "ilm"}};
    CharacteristicsRequest r;
    r.extended = {x};
    apply_characteristics(r, false, o.guest, o.errors, o.warnings);
    CHECK(o.errors.empty());
    CHECK(o.guest.runnable);
    CHECK(o.guest.extended == std::map<std::string, std::string>{{"sched_preference", "ilm"}});
  }
  // Disabling it, or any other keyword, leaves where the guest went.
  for (const char* x : {"runnable_status=disabled", "visible_status=enabled"}) {
    CAPTURE(x);
    Outcome o;
    o.guest.runnable = false;
    o.guest.extended = {{k_migrated_to, "hostb"}};
    CharacteristicsRequest r;
    r.extended = {x};
    apply_characteristics(r, false, o.guest, o.errors, o.warnings);
    CHECK(o.guest.extended.at(k_migrated_to) == "hostb");
  }
}

TEST_CASE("characteristics: -x other keywords and their values") {
  const std::vector<std::pair<const char*, const char*>> valid{
      {"graceful_stop_timeout", "30"},
      {"graceful_stop_timeout", "0"},
      {"ram_dyn_min", "1G"},
      {"ram_dyn_max", "2048"}, // at most the memory: 2 GB by default
      {"ram_dyn_target_start", "2G"},
      {"ram_dyn_entitlement", "512M"},
      {"amr_chunk_size", "256M"},
      {"amr_enable", "0"},
      {"amr_enable", "1"},
      {"ram_dyn_type", "none"},
      {"ram_dyn_type", "any"},
      {"ram_dyn_type", "driver"},
      {"sched_preference", "cell"},
      {"sched_preference", "ilm"},
      {"online_migration", "enabled"},
      {"online_migration", "disabled"},
      {"resources_reserved", "true"},
      {"resources_reserved", "false"},
      {"vm_type", "shared"},
  };
  for (const auto& [key, value] : valid) {
    const std::string x = std::string(key) + "=" + value;
    CAPTURE(x);
    CharacteristicsRequest r;
    r.extended = {x};
    const Outcome o = apply(r);
    CHECK(o.errors.empty());
    REQUIRE(o.guest.extended.count(key) == 1);
    CHECK(o.guest.extended.at(key) == value);
  }
  // The last value given wins.
  CharacteristicsRequest twice;
  twice.extended = {"graceful_stop_timeout=30", "graceful_stop_timeout=60"};
  CHECK(apply(twice).guest.extended.at("graceful_stop_timeout") == "60");

  struct Bad {
    const char* x;
    const char* message;
  };
  const std::vector<Bad> bad{
      {"runnable_status=yes",
       "Invalid value 'yes' for -x runnable_status: expected enabled or disabled."},
      {"modify_status=on",
       "Invalid value 'on' for -x modify_status: expected enabled or disabled."},
      {"visible_status=", "Invalid value '' for -x visible_status: expected enabled or disabled."},
      {"register_status=Enabled",
       "Invalid value 'Enabled' for -x register_status: expected enabled or disabled."},
      {"graceful_stop_timeout=abc",
       "Invalid value 'abc' for -x graceful_stop_timeout: expected a number of seconds."},
      {"graceful_stop_timeout=-1",
       "Invalid value '-1' for -x graceful_stop_timeout: expected a number of seconds."},
      {"graceful_stop_timeout=",
       "Invalid value '' for -x graceful_stop_timeout: expected a number of seconds."},
      {"graceful_stop_timeout=1=2",
       "Invalid value '1=2' for -x graceful_stop_timeout: expected a number of seconds."},
      {"ram_dyn_min=lots",
       "Invalid value 'lots' for -x ram_dyn_min: expected an amount of memory."},
      {"ram_dyn_max=", "Invalid value '' for -x ram_dyn_max: expected an amount of memory."},
      {"ram_dyn_target_start=4.5G",
       "Invalid value '4.5G' for -x ram_dyn_target_start: expected an amount of memory."},
      {"ram_dyn_entitlement=17T",
       "Invalid value '17T' for -x ram_dyn_entitlement: expected an amount of memory."},
      {"amr_chunk_size=4K",
       "Invalid value '4K' for -x amr_chunk_size: expected an amount of memory."},
      {"dynamic_memory_control=2",
       "Invalid value '2' for -x dynamic_memory_control: expected 0 or 1."},
      {"amr_enable=yes", "Invalid value 'yes' for -x amr_enable: expected 0 or 1."},
      {"ram_dyn_type=all",
       "Invalid value 'all' for -x ram_dyn_type: expected none, any or driver."},
      {"sched_preference=numa",
       "Invalid value 'numa' for -x sched_preference: expected cell or ilm."},
      {"online_migration=on",
       "Invalid value 'on' for -x online_migration: expected enabled or disabled."},
      {"resources_reserved=yes",
       "Invalid value 'yes' for -x resources_reserved: expected true or false."},
      {"vm_type=vpar",
       "Invalid value 'vpar' for -x vm_type: expected shared (vPars do not exist on Linux hosts)."},
      {"register_status", "Invalid -x argument 'register_status': expected keyword=value."},
      {"=enabled", "Invalid -x argument '=enabled': expected keyword=value."},
      {"", "Invalid -x argument '': expected keyword=value."},
      {"bogus=1", "Unknown -x keyword 'bogus'."},
      {"Runnable_status=enabled", "Unknown -x keyword 'Runnable_status'."},
      {"runnable_status =enabled", "Unknown -x keyword 'runnable_status '."},
  };
  for (const auto& b : bad) {
    CAPTURE(b.x);
    CharacteristicsRequest r;
    r.extended = {b.x};
    check_error(r, b.message);
    const Outcome o = apply(r);
    CHECK(o.guest.extended.empty());
    CHECK(o.guest.runnable);
    CHECK(o.guest.modifiable);
    CHECK(o.guest.visible);
  }
}

// ------------------------------------------------------------ together

TEST_CASE("characteristics: every problem is reported, in option order") {
  CharacteristicsRequest r;
  r.os_type = "beos";
  r.vcpus = "0";
  r.entitlement = "0";
  r.memory = "1M";
  r.label = "a:b";
  r.start = "never";
  r.users = {"root:boss"};
  r.groups = {":oper"};
  r.extended = {"bogus=1", "vm_type=vpar"};
  const Outcome o = apply(r);
  const std::vector<std::string> expected{
      "Invalid OS type 'beos': expected hpux, linux, windows, openvms or unknown.",
      "Invalid number of vCPUs '0': expected 1-256.",
      "Entitlement '0' is out of range: percentages are 1-100.",
      "Invalid memory size '1M': expected a size of at least 32 MB such as 512M or 4G.",
      "Invalid label: label 'a:b' may contain only letters, digits, '-', '_', '.' and spaces.",
      "Invalid start attribute 'never': expected auto or manual.",
      "Invalid console user 'root:boss': the role must be admin or oper.",
      "Invalid console group ':oper': the name is missing.",
      "Unknown -x keyword 'bogus'.",
      "Invalid value 'vpar' for -x vm_type: expected shared (vPars do not exist on Linux hosts).",
  };
  CHECK(o.errors == expected);
  CHECK(o.warnings.empty());
}

TEST_CASE("characteristics: good options apply alongside each other") {
  CharacteristicsRequest r;
  r.os_type = "hpux:11.31";
  r.vcpus = "1";
  r.cycles = "1200:2400";
  r.memory = "4G";
  r.label = "Virtual Machine number One";
  r.start = "manual";
  r.users = {"root:admin"};
  r.extended = {"visible_status=disabled", "sched_preference=ilm"};
  const Outcome o = apply(r);
  CHECK(o.errors.empty());
  CHECK(o.guest.os_type == "HPUX");
  CHECK(o.guest.os_version == "11.31");
  CHECK(o.guest.vcpus == 1);
  CHECK(o.guest.entitlement == Entitlement{true, 1200, 2400});
  CHECK(o.guest.memory_mb == 4096);
  CHECK(o.guest.label == "Virtual Machine number One");
  CHECK(o.guest.start == StartAttr::manual);
  CHECK(o.guest.access == std::vector<ConsoleAccess>{{ConsoleAccess::Kind::user, "root", true}});
  CHECK_FALSE(o.guest.visible);
  CHECK(o.guest.runnable);
  CHECK(o.guest.extended == std::map<std::string, std::string>{{"sched_preference", "ilm"}});
}

// ------------------------------------------------------------ formatting

TEST_CASE("characteristics: memory formatting") {
  struct Case {
    std::uint64_t mb;
    const char* compact;
    const char* spaced;
  };
  for (const auto& c : std::array<Case, 10>{{
           {2048, "2GB", "2 GB"},
           {1024, "1GB", "1 GB"},
           {4096, "4GB", "4 GB"},
           {1536, "1536MB", "1536 MB"},
           {512, "512MB", "512 MB"},
           {32, "32MB", "32 MB"},
           {1025, "1025MB", "1025 MB"},
           {3072, "3GB", "3 GB"},
           {1048576, "1024GB", "1024 GB"},
           {16777216, "16384GB", "16384 GB"},
       }}) {
    CAPTURE(c.mb);
    CHECK(memory_compact(c.mb) == c.compact);
    CHECK(memory_spaced(c.mb) == c.spaced);
  }
}

TEST_CASE("characteristics: entitlement formatting") {
  CHECK(entitlement_text(Entitlement{false, 10, 100}, false) == "10.0%");
  CHECK(entitlement_text(Entitlement{false, 10, 100}, true) == "100.0%");
  CHECK(entitlement_text(Entitlement{false, 12.5, 80}, false) == "12.5%");
  CHECK(entitlement_text(Entitlement{false, 12.5, 80}, true) == "80.0%");
  CHECK(entitlement_text(Entitlement{false, 33.33, 66.66}, false) == "33.3%");
  CHECK(entitlement_text(Entitlement{false, 33.33, 66.66}, true) == "66.7%");
  CHECK(entitlement_text(Entitlement{false, 1, 1}, false) == "1.0%");
  CHECK(entitlement_text(Entitlement{true, 1000, 0}, false) == "1000MHz");
  CHECK(entitlement_text(Entitlement{true, 1000, 0}, true) == "-");
  CHECK(entitlement_text(Entitlement{true, 1000, 2000}, true) == "2000MHz");
  CHECK(entitlement_text(Entitlement{true, 1500.4, 0}, false) == "1500MHz");
  CHECK(entitlement_text(Entitlement{true, 1500.6, 0}, false) == "1501MHz");
  // As applied from -e / -E.
  CharacteristicsRequest e;
  e.entitlement = "20:80";
  const Guest ge = apply(e).guest;
  CHECK(entitlement_text(ge.entitlement, false) == "20.0%");
  CHECK(entitlement_text(ge.entitlement, true) == "80.0%");
  CharacteristicsRequest c;
  c.cycles = "1000";
  const Guest gc = apply(c).guest;
  CHECK(entitlement_text(gc.entitlement, false) == "1000MHz");
  CHECK(entitlement_text(gc.entitlement, true) == "-");
}

TEST_CASE("characteristics: entitlements are plain decimals, memory units are M, G, T") {
  for (const char* bad : {"nan", "50:nan", "1e2", "50:inf"}) {
    CAPTURE(bad);
    CharacteristicsRequest r;
    r.entitlement = bad;
    check_error(r, std::string("Invalid entitlement '") + bad +
                       "' for -e: expected percent[:max_percent].");
  }
  for (const char* bad : {"nan", "inf", "1000:inf"}) {
    CAPTURE(bad);
    CharacteristicsRequest r;
    r.cycles = bad;
    check_error(r, std::string("Invalid entitlement '") + bad +
                       "' for -E: expected cycles[:max_cycles].");
  }
  for (const char* bad : {"2048B", "64b", "B"}) {
    CAPTURE(bad);
    CharacteristicsRequest r;
    r.memory = bad;
    check_error(r, std::string("Invalid memory size '") + bad +
                       "': expected a size of at least 32 MB such as 512M or 4G.");
  }
  CharacteristicsRequest gb;
  gb.memory = "4GB";
  CHECK(apply(gb).guest.memory_mb == 4096);
  CharacteristicsRequest plain;
  plain.memory = "2048";
  CHECK(apply(plain).guest.memory_mb == 2048);
}

// ------------------------------------------------------------ dynamic memory

namespace {

// A guest of `memory_mb` with these -x pairs applied (and -r when given).
Outcome dynamic(std::vector<std::string> x, std::optional<std::string> memory = std::nullopt) {
  CharacteristicsRequest r;
  r.extended = std::move(x);
  r.memory = std::move(memory);
  return apply(r);
}

} // namespace

TEST_CASE("dynamic memory: off unless ram_dyn_type is any or driver") {
  CHECK_FALSE(dynamic_memory(Guest{}).has_value());
  CHECK_FALSE(dynamic_memory(dynamic({"ram_dyn_type=none", "ram_dyn_min=1G"}).guest).has_value());
  // The values are stored whatever the type, for the day it enables them.
  CHECK(dynamic({"ram_dyn_type=none", "ram_dyn_min=1G"}).guest.extended.at("ram_dyn_min") == "1G");
  const auto any = dynamic_memory(dynamic({"ram_dyn_type=any"}).guest);
  REQUIRE(any.has_value());
  CHECK(any->type == "any");
}

TEST_CASE("dynamic memory: defaults are a quarter, the memory, and the maximum") {
  const auto m = dynamic_memory(dynamic({"ram_dyn_type=driver"}).guest);
  REQUIRE(m.has_value());
  CHECK(*m == DynamicMemory{"driver", 512, 2048, 2048});
  // A maximum given: the start target follows it.
  const auto lower = dynamic_memory(dynamic({"ram_dyn_type=driver", "ram_dyn_max=1G"}).guest);
  CHECK(*lower == DynamicMemory{"driver", 512, 1024, 1024});
  // The default minimum is never below 32 MB, nor above the maximum.
  const auto small = dynamic({"ram_dyn_type=driver"}, "64M");
  CHECK(small.errors.empty());
  CHECK(*dynamic_memory(small.guest) == DynamicMemory{"driver", 32, 64, 64});
  // Every unit -r takes.
  const auto units = dynamic_memory(dynamic({"ram_dyn_type=driver", "ram_dyn_min=768",
                                             "ram_dyn_target_start=1G", "ram_dyn_max=1536MB"})
                                        .guest);
  CHECK(*units == DynamicMemory{"driver", 768, 1024, 1536});
}

TEST_CASE("dynamic memory: minimum <= start target <= maximum <= memory, every problem named") {
  struct Case {
    std::vector<std::string> x;
    std::optional<std::string> memory;
    std::vector<std::string> errors;
  };
  const std::vector<Case> cases{
      {{"ram_dyn_type=driver", "ram_dyn_max=4G"},
       std::nullopt,
       {"ram_dyn_max (4096 MB) is above the guest's memory (2048 MB): the balloon only takes "
        "memory back, it never gives a guest more than -r."}},
      {{"ram_dyn_type=driver", "ram_dyn_min=16M"},
       std::nullopt,
       {"ram_dyn_min (16 MB) is below the smallest guest memory (32 MB)."}},
      {{"ram_dyn_min=1500M", "ram_dyn_max=1G"},
       std::nullopt,
       {"ram_dyn_min (1500 MB) is above ram_dyn_max (1024 MB)."}},
      {{"ram_dyn_type=any", "ram_dyn_min=1G", "ram_dyn_target_start=512M"},
       std::nullopt,
       {"ram_dyn_target_start (512 MB) is outside ram_dyn_min - ram_dyn_max (1024 MB - 2048 MB)."}},
      // Checked whatever the type: ram_dyn_type=none keeps them for later.
      {{"ram_dyn_type=none", "ram_dyn_max=3G"},
       std::nullopt,
       {"ram_dyn_max (3072 MB) is above the guest's memory (2048 MB): the balloon only takes "
        "memory back, it never gives a guest more than -r."}},
      // -r below a maximum already set: refused, not adjusted.
      {{"ram_dyn_max=2G"},
       "1G",
       {"ram_dyn_max (2048 MB) is above the guest's memory (1024 MB): the balloon only takes "
        "memory back, it never gives a guest more than -r."}},
      // Two at once.
      {{"ram_dyn_min=8M", "ram_dyn_max=4G"},
       std::nullopt,
       {"ram_dyn_max (4096 MB) is above the guest's memory (2048 MB): the balloon only takes "
        "memory back, it never gives a guest more than -r.",
        "ram_dyn_min (8 MB) is below the smallest guest memory (32 MB)."}},
      // A malformed value is reported once, as malformed.
      {{"ram_dyn_min=lots"},
       std::nullopt,
       {"Invalid value 'lots' for -x ram_dyn_min: expected an amount of memory."}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.x.back());
    CHECK(dynamic(c.x, c.memory).errors == c.errors);
  }
  // -r and the values together in one command: checked against the new memory.
  CHECK(dynamic({"ram_dyn_type=driver", "ram_dyn_max=6G", "ram_dyn_target_start=5G"}, "8G")
            .errors.empty());
}

TEST_CASE("dynamic memory: values stored before these rules stay until the command touches them") {
  Outcome o;
  o.guest.extended = {{"ram_dyn_type", "driver"}, {"ram_dyn_max", "8G"}};
  CharacteristicsRequest label;
  label.label = "other";
  apply_characteristics(label, false, o.guest, o.errors, o.warnings);
  CHECK(o.errors.empty());
  CharacteristicsRequest memory;
  memory.memory = "4G";
  apply_characteristics(memory, false, o.guest, o.errors, o.warnings);
  CHECK(o.errors.size() == 1);
}

TEST_CASE("dynamic memory: a start target is checked on its own when min > max") {
  CHECK(dynamic({"ram_dyn_min=1G", "ram_dyn_max=512M", "ram_dyn_target_start=2G"}).errors ==
        std::vector<std::string>{"ram_dyn_min (1024 MB) is above ram_dyn_max (512 MB).",
                                 "ram_dyn_target_start (2048 MB) is above ram_dyn_max (512 MB)."});
  CHECK(dynamic({"ram_dyn_min=1G", "ram_dyn_max=512M", "ram_dyn_target_start=256M"}).errors ==
        std::vector<std::string>{"ram_dyn_min (1024 MB) is above ram_dyn_max (512 MB).",
                                 "ram_dyn_target_start (256 MB) is below ram_dyn_min (1024 MB)."});
  CHECK(dynamic({"ram_dyn_min=1G", "ram_dyn_max=512M"}).errors ==
        std::vector<std::string>{"ram_dyn_min (1024 MB) is above ram_dyn_max (512 MB)."});
}

TEST_CASE("dynamic memory: dynamic_memory_control turns it on or off through ram_dyn_type") {
  const auto on = dynamic({"dynamic_memory_control=1"});
  CHECK(on.errors.empty());
  CHECK(on.guest.extended == std::map<std::string, std::string>{{"ram_dyn_type", "any"}});
  CHECK(dynamic({"dynamic_memory_control=1", "ram_dyn_type=driver"})
            .guest.extended.at("ram_dyn_type") == "driver");
  const auto off = dynamic({"dynamic_memory_control=0"});
  CHECK(off.errors.empty());
  CHECK(off.guest.extended == std::map<std::string, std::string>{{"ram_dyn_type", "none"}});
  CHECK(dynamic({"ram_dyn_type=none", "dynamic_memory_control=0"}).errors.empty());
  CHECK(dynamic({"dynamic_memory_control=0", "ram_dyn_type=any"}).errors ==
        std::vector<std::string>{"-x dynamic_memory_control=0 and -x ram_dyn_type=any contradict "
                                 "each other: dynamic memory is either on or off."});
  CHECK(dynamic({"dynamic_memory_control=1", "ram_dyn_type=none"}).errors ==
        std::vector<std::string>{"-x dynamic_memory_control=1 and -x ram_dyn_type=none contradict "
                                 "each other: dynamic memory is either on or off."});
}

TEST_CASE("dynamic memory: ram_target is hpvmmodify's, checked against the range") {
  CHECK(dynamic({"ram_target=1G"}).errors ==
        std::vector<std::string>{
            "-x ram_target changes the memory of a running guest: only hpvmmodify takes it "
            "(-x ram_dyn_target_start sets the memory a guest starts with)."});
  const DynamicMemory m{"driver", 512, 1536, 2048};
  std::string problem;
  CHECK(ram_target_mb(m, "1G", problem) == 1024U);
  CHECK(ram_target_mb(m, "512M", problem) == 512U);
  CHECK(ram_target_mb(m, "2G", problem) == 2048U);
  CHECK(ram_target_mb(m, "start", problem) == 1536U);
  CHECK(problem.empty());
  CHECK_FALSE(ram_target_mb(m, "511M", problem).has_value());
  CHECK(problem == "ram_target (511 MB) is outside ram_dyn_min - ram_dyn_max (512 MB - 2048 MB).");
  CHECK_FALSE(ram_target_mb(m, "3G", problem).has_value());
  CHECK(problem == "ram_target (3072 MB) is outside ram_dyn_min - ram_dyn_max (512 MB - 2048 MB).");
  for (const char* bad : {"", "half", "-1G", "Start"}) {
    CAPTURE(bad);
    CHECK_FALSE(ram_target_mb(m, bad, problem).has_value());
    CHECK(problem == fmt::format("Invalid value '{}' for -x ram_target: expected an amount of "
                                 "memory or start.",
                                 bad));
  }
}
