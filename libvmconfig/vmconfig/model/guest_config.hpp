// A guest's configuration as the file each guest directory holds
// (vmm_config.current, as on HPVM): written after every committed change, so
// that a copy of the directory on another host (OpenSVC's failover copy) can
// register the guest there. The text is the guest as the options and
// resource statements hpvmcreate takes, so registering it runs every check
// hpvmcreate runs. Host-local state stays out of it: the VM number, the
// registration attributes (runnable, modify, visible status), the vswitch
// ports not pinned and the backing stores' identities.
//
//   # comment lines
//   format 1                 the layout of this text; a newer one is refused
//   change 3                 counts the changes: the higher number is newer
//   name g1                  then the body, one "key value" a line:
//   uuid 1b4e28ba-2fa1-11d2-883f-0016d3cca427
//   os LINUX                 -O, -c, -e or -E, -r, -l, -B, -u, -g, -x values
//   ...
//   device disk:avio_stor:0,1,0:file:/vm/g1.img    one per device
//
// Values are escaped: a backslash as "\\", a control character as "\xHH".
#pragma once

#include "vmconfig/model/characteristics.hpp"
#include "vmconfig/model/guest.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vmconfig {

inline constexpr int k_guest_config_format = 1;

// The body: everything but the format and change lines. Equal bodies are
// equal configurations.
std::string guest_config_body(const Guest& guest);
// The whole file for `body` at change number `change`.
std::string guest_config_file(const std::string& body, std::int64_t change);

// A configuration file as read back: the values as option text, checked
// when applied (apply_characteristics, the planner).
struct GuestConfig {
  std::int64_t change = 0;
  std::string name;
  std::string uuid;
  CharacteristicsRequest characteristics;
  std::vector<std::string> devices; // resource statements
  std::string body;                 // as guest_config_body() gives it
};

// Reads the file's text; each problem goes to `errors` ("line N: ...").
GuestConfig read_guest_config(const std::string& text, std::vector<std::string>& errors);

// Whether `text` is a UUID as the kernel gives them (36 lower-case hex
// digits and dashes): it names a directory and goes on QEMU's command line.
bool is_uuid(std::string_view text);

} // namespace vmconfig
