// Tests for libvmconfig/vmconfig/ops/hpvm_import_text.cpp: reading the text an HPVM
// host prints (hpvmstatus -P tables, the -M line) and the path map.
#include <vmconfig/ops/hpvm_import_text.hpp>

#include <doctest/doctest.h>

using namespace vmconfig;

namespace {

// hpvmstatus -P ivm1 on an HPVM 4.x host (hpvm-commands.md section 3.3),
// with the device tables (rows as in section 5.3) it prints after the memory.
const char* const k_details = R"([Virtual Machine Details]
Virtual Machine Name VM #  OS Type State
==================== ===== ======= ========
ivm1                     8 HPUX    On (OS)

[Authorized Administrators]
Oper Groups: ops
Admin Groups:
Oper Users: daemon bin
Admin Users: root

[Virtual CPU Details]
#vCPUs Entitlement Maximum
====== =========== =======
 1       10.0%  100.0%

[Memory Details]
Total    Reserved
Memory   Memory
=======  ========
 2 GB     64 MB

[Storage Interface Details]
Guest                                 Physical
Device  Adaptor    Bus Dev Ftn Tgt Lun Storage   Device
======= ========== === === === === === ========= =========================
disk    scsi         0   2   0   0   0 lv        /dev/vg_vmtest/rivm1d1
dvd     scsi         0   2   0   2   0 disk      /dev/rdsk/c1t4d0
tape    avio_stor    0   4   0   0   0 attach_path 0/7/1/1.0x500104f00048b29e.0x0

[Network Interface Details]
Interface Adaptor    Name/Num   PortNum Bus Dev Ftn Mac Address
========= ========== ========== ======= === === === =================
vswitch   lan        vlan02     8         0   0   0 56-e9-e3-09-6a-22

[Misc Interface Details]
Guest                                 Physical
Device  Adaptor    Bus Dev Ftn Tgt Lun Storage   Device
======= ========== === === === === === ========= =========================
serial  com1                           tty       console
)";

} // namespace

TEST_CASE("import: hpvmstatus -P tables") {
  std::vector<std::string> errors;
  const auto c = read_status_details(k_details, errors);
  CHECK(errors.empty());
  CHECK(c.name == "ivm1");
  CHECK(c.characteristics.os_type == "HPUX");
  CHECK(c.characteristics.vcpus == "1");
  CHECK(c.characteristics.entitlement == "10.0:100.0");
  CHECK_FALSE(c.characteristics.cycles);
  CHECK(c.characteristics.memory == "2G");
  CHECK(c.characteristics.users ==
        std::vector<std::string>{"daemon:oper", "bin:oper", "root:admin"});
  CHECK(c.characteristics.groups == std::vector<std::string>{"ops:oper"});
}

TEST_CASE("import: MHz entitlements, MB and fractional GB memory, CRLF lines") {
  std::string text = k_details;
  text.replace(text.find(" 1       10.0%  100.0%"), 22, " 4     1500MHz       -");
  text.replace(text.find(" 2 GB     64 MB"), 15, " 1.5 GB   64 MB");
  std::string crlf;
  for (char ch : text) {
    crlf += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
  }
  std::vector<std::string> errors;
  const auto c = read_status_details(crlf, errors);
  CHECK(errors.empty());
  CHECK(c.characteristics.vcpus == "4");
  CHECK(c.characteristics.cycles == "1500");
  CHECK_FALSE(c.characteristics.entitlement);
  CHECK(c.characteristics.memory == "1536M");
  text.replace(text.find(" 1.5 GB   64 MB"), 15, " 768 MB   64 MB");
  CHECK(read_status_details(text, errors).characteristics.memory == "768M");
  text.replace(text.find("1500MHz       -"), 15, "1500MHz 2000MHz");
  CHECK(read_status_details(text, errors).characteristics.cycles == "1500:2000");
  CHECK(errors.empty());
}

TEST_CASE("import: damaged hpvmstatus -P text is reported") {
  std::vector<std::string> errors;
  read_status_details("nothing useful", errors);
  CHECK(errors ==
        std::vector<std::string>{"The hpvmstatus -P text has no [Virtual Machine Details] "
                                 "row (name, VM #, OS type, state)."});
  errors.clear();
  std::string text = k_details;
  text.replace(text.find(" 2 GB"), 5, " x GB");
  text.replace(text.find("10.0%"), 5, "lots!");
  read_status_details(text, errors);
  CHECK(errors ==
        std::vector<std::string>{
            "The entitlement 'lots!' in the hpvmstatus -P text is neither a percentage nor MHz.",
            "The [Memory Details] of the hpvmstatus -P text has no total memory such as '4 GB'."});
}

TEST_CASE("import: the hpvmstatus -M line") {
  std::vector<std::string> errors;
  const auto c = read_status_machine(
      "ivm1:24a7bfa4-b1b2-11e2-8400-b499ba6430e0:8::Integrity VM:HPUX:::enabled:enabled:On:Manual:"
      "enabled:6:2:percent:0:shared:none:2;20.0%;80.0%:1536MB;64MB\n",
      errors);
  CHECK(errors.empty());
  CHECK(c.name == "ivm1");
  CHECK(c.characteristics.start == "manual");
  CHECK(c.characteristics.vcpus == "2");
  CHECK(c.characteristics.memory == "1536M");
  // Extra fields after 20 (newer HPVM versions) are fine.
  CHECK(read_status_machine("g:1:2:3:4:5:6:7:8:9:On:Auto:12:13:14:15:16:17:18:4:8GB:21:22", errors)
            .characteristics.memory == "8G");
  CHECK(errors.empty());
  read_status_machine("a\nb\n", errors);
  CHECK(errors.back() == "The hpvmstatus -M text has more than one line: give the -M line of one "
                         "guest (hpvmstatus -M -P name).");
}

TEST_CASE("import: a memory field that is no amount is reported, not thrown") {
  // Found by tests/fuzz/fuzz_import.cpp and the hostile input corpus: "."
  // threw std::invalid_argument ("stod"), 400 digits std::out_of_range, and
  // 1e300 GB overflowed the conversion to megabytes.
  const std::string line = "g:1:2:3:4:5:6:7:8:9:On:Auto:12:13:14:15:16:17:18:4:";
  for (const std::string& memory :
       {std::string(".GB"), std::string("1.2.3GB"), std::string(400, '9') + ".5GB",
        std::string(300, '9') + ".0GB"}) {
    std::vector<std::string> errors;
    const auto c = read_status_machine(line + memory, errors);
    CHECK(!c.characteristics.memory);
    CHECK(errors == std::vector<std::string>{"The memory '" + memory +
                                             "' in field 20 of the hpvmstatus -M line is not a "
                                             "size such as 2GB."});
  }
  std::vector<std::string> errors;
  CHECK(read_status_machine(line + "1.5GB", errors).characteristics.memory == "1536M");
  CHECK(errors.empty());
}

TEST_CASE("import: the path map") {
  std::vector<std::string> errors;
  const auto map = read_path_map("# HP-UX  Linux\n/dev/rdsk/c1t4d0 /vm/a.iso  # the DVD\n\n"
                                 "  /dev/vg01/rlvol1\t/dev/vg01/lvol1\n",
                                 errors);
  CHECK(errors.empty());
  CHECK(map == std::map<std::string, std::string>{{"/dev/rdsk/c1t4d0", "/vm/a.iso"},
                                                  {"/dev/vg01/rlvol1", "/dev/vg01/lvol1"}});
  read_path_map("/a /b\n/a /c\nonly-one\n/x /y /z\n", errors);
  CHECK(errors ==
        std::vector<std::string>{"Map file line 2: '/a' is mapped twice.",
                                 "Map file line 3: 'only-one' is not 'old-path new-path'.",
                                 "Map file line 4: '/x /y /z' is not 'old-path new-path'."});
}
