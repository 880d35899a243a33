// Tests for libavio/avio/runstate.cpp: telling a guest from inside (SMBIOS).
#include <avio/runstate.hpp>

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

fs::path scratch(const char* name) {
  const fs::path dir = fs::temp_directory_path() /
                       fs::path(std::string("hpvm-unit-") + name + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& file, const std::string& bytes) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << bytes;
}

} // namespace

TEST_CASE("runstate: the SMBIOS type 1 strings mark a guest of this suite") {
  const fs::path dmi = scratch("dmi");
  write(dmi / "sys_vendor", "HPVM\n");
  write(dmi / "product_name", "HPVM Guest\n");
  CHECK(avio::running_inside_guest(dmi));
  write(dmi / "product_name", "Standard PC (i440FX + PIIX, 1996)\n");
  CHECK_FALSE(avio::running_inside_guest(dmi));
  fs::remove_all(dmi);
}

TEST_CASE("runstate: the host name comes from the type 11 OEM strings") {
  const fs::path entries = scratch("entries");
  // Type 11, length 5, handle 0x2000, count 2; strings; double NUL.
  const std::string header("\x0b\x05\x00\x20\x02", 5);
  write(entries / "11-0" / "raw", header + std::string("other=1\0hpvm.host=vmhost1\0\0", 27));
  write(entries / "1-0" / "raw", std::string("\x01\x04\x00\x01hpvm.host=wrong\0\0", 21));
  CHECK(avio::guest_host_name(entries) == "vmhost1");
  fs::remove_all(entries / "11-0");
  CHECK(avio::guest_host_name(entries).empty());
  CHECK(avio::guest_host_name(entries / "missing").empty());
  fs::remove_all(entries);
}
