// Tests for libavio/avio/runstate.cpp: telling a guest from inside (SMBIOS).
#include "temp_dir.hpp"

#include <avio/runstate.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

void write(const fs::path& file, const std::string& bytes) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << bytes;
}

} // namespace

TEST_CASE("runstate: the SMBIOS type 1 strings mark a guest of this suite") {
  const hpvm_test::TempDir tmp("unit-runstate-dmi");
  const fs::path& dmi = tmp.path();
  write(dmi / "sys_vendor", "HPVM\n");
  write(dmi / "product_name", "HPVM Guest\n");
  CHECK(avio::running_inside_guest(dmi));
  write(dmi / "product_name", "Standard PC (i440FX + PIIX, 1996)\n");
  CHECK_FALSE(avio::running_inside_guest(dmi));
}

TEST_CASE("runstate: the host name comes from the type 11 OEM strings") {
  const hpvm_test::TempDir tmp("unit-runstate-entries");
  const fs::path& entries = tmp.path();
  // Type 11, length 5, handle 0x2000, count 2; strings; double NUL.
  const std::string header("\x0b\x05\x00\x20\x02", 5);
  write(entries / "11-0" / "raw", header + std::string("other=1\0hpvm.host=vmhost1\0\0", 27));
  write(entries / "1-0" / "raw", std::string("\x01\x04\x00\x01hpvm.host=wrong\0\0", 21));
  CHECK(avio::guest_host_name(entries) == "vmhost1");
  fs::remove_all(entries / "11-0");
  CHECK(avio::guest_host_name(entries).empty());
  CHECK(avio::guest_host_name(entries / "missing").empty());
}
