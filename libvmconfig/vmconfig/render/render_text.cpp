#include "vmconfig/model/characteristics.hpp"
#include "vmconfig/model/grammar.hpp"
#include "vmconfig/render/render.hpp"

#include <avio/text.hpp>

#include <fmt/format.h>

namespace vmconfig {

namespace {

using avio::append_line;

const char* start_text(StartAttr s) {
  return s == StartAttr::automatic ? "Auto" : "Manual";
}
const char* enabled_text(bool on) {
  return on ? "Enabled" : "Disabled";
}

std::string access_list(const Guest& g, ConsoleAccess::Kind kind, bool admin) {
  std::string out;
  for (const auto& a : g.access) {
    if (a.kind == kind && a.admin == admin) {
      out += ' ';
      out += a.name;
    }
  }
  return out;
}

std::string port_text(const NetworkDevice& n) {
  return n.port ? std::to_string(*n.port) : "-";
}

constexpr const char* k_device_table_header =
    "Guest                                 Physical\n"
    "Device  Adaptor    Bus Dev Ftn Tgt Lun Storage   Device\n"
    "======= ========== === === === === === ========= =========================\n";

void storage_row(std::string& out, std::string_view device, std::string_view adaptor,
                 std::string_view bus, std::string_view dev, std::string_view ftn,
                 std::string_view tgt, std::string_view lun, std::string_view storage,
                 std::string_view location) {
  append_line(out, fmt::format("{:<7} {:<10} {:>3} {:>3} {:>3} {:>3} {:>3} {:<9} {}", device,
                               adaptor, bus, dev, ftn, tgt, lun, storage, location));
}

// The running guest as QEMU sees it, after the configured devices.
std::string runtime_section(const LiveState& live) {
  std::string out = "\n[Runtime State]\n";
  if (!live.problem.empty()) {
    append_line(out, "QEMU state : " +
                         std::string(live.qemu_status.empty() ? "unknown" : live.qemu_status) +
                         " (" + live.problem + ")");
    return out;
  }
  append_line(out, "QEMU state : " + live.qemu_status);
  if (live.differences.empty() && live.pending.empty()) {
    append_line(out, "Devices : as configured");
  }
  for (const auto& d : live.differences) {
    append_line(out, "Difference : " + d);
  }
  for (const auto& p : live.pending) {
    append_line(out, "Pending : " + p);
  }
  if (!live.repair.empty()) {
    append_line(out, "Repair : " + live.repair +
                         " brings the running guest in line with its configuration");
  }
  return out;
}

// HPVM's [Dynamic Memory Information], with the lines a balloon has figures
// for (hpvmstatus(1M) says which).
void dynamic_memory_section(std::string& out, const GuestStatus& gs, const DynamicMemory& m) {
  // "-" while the guest is off, "unknown" when QEMU or the guest said nothing.
  const LiveState none;
  const LiveState& live = gs.live ? *gs.live : none;
  const auto figure = [&](const std::optional<std::uint64_t>& mb) -> std::string {
    if (!gs.state.on) {
      return "-";
    }
    return mb ? fmt::format("{} MB", *mb) : std::string("unknown");
  };
  out += "\n[Dynamic Memory Information]\n";
  append_line(out, "Type : " + m.type);
  append_line(out, fmt::format("Minimum memory : {} MB", m.minimum_mb));
  append_line(out, fmt::format("Target memory : {} MB", shown_target_mb(gs, m)));
  append_line(out, fmt::format("Maximum memory : {} MB", m.maximum_mb));
  append_line(out, "Current memory : " + figure(live.balloon_mb));
  append_line(out, fmt::format("Boot memory : {} MB", gs.guest.memory_mb));
  append_line(out, "Free memory : " + figure(live.guest_free_mb));
  append_line(out, "Available memory : " + figure(live.guest_available_mb));
  append_line(out, "Memory chunksize : 4 KB"); // the balloon moves 4 KiB pages
}

} // namespace

std::uint64_t shown_target_mb(const GuestStatus& g, const DynamicMemory& m) {
  if (g.state.on && g.live && g.live->balloon_target_mb) {
    return *g.live->balloon_target_mb;
  }
  return m.target_start_mb;
}

std::string render_summary(const std::vector<SummaryStatus>& guests) {
  std::string out =
      "[Virtual Machines]\n"
      "Virtual Machine Name VM #  OS Type State     #VCPUs #Devs #Nets Memory  Runsysid\n"
      "==================== ===== ======= ========= ====== ===== ===== ======= ========\n";
  for (const auto& [s, state] : guests) {
    append_line(out, fmt::format("{:<20} {:>5} {:<7} {:<9} {:>6} {:>5} {:>5} {:>7} {:>8}", s.name,
                                 s.vm_number, s.os_type, state.token(), s.vcpus, s.storage_devices,
                                 s.network_devices, memory_spaced(s.memory_mb), 0));
  }
  // Why a guest is Invalid, below the table HPVM scripts read.
  bool first = true;
  for (const auto& [s, state] : guests) {
    if (state.on && !state.unknown.empty()) {
      out += first ? "\n[Runtime State Unknown]\n" : "";
      first = false;
      append_line(
          out, fmt::format("{} : {}; hpvmstatus -P {} says more", s.name, state.unknown, s.name));
    }
  }
  return out;
}

std::string render_details(const GuestStatus& gs) {
  const Guest& g = gs.guest;
  std::string out;
  out += "[Virtual Machine Details]\n"
         "Virtual Machine Name VM #  OS Type State\n"
         "==================== ===== ======= ========\n";
  append_line(
      out, fmt::format("{:<20} {:>5} {:<7} {}", g.name, g.vm_number, g.os_type, gs.state.token()));
  out += "\n[Authorized Administrators]\n";
  append_line(out, "Oper Groups:" + access_list(g, ConsoleAccess::Kind::group, false));
  append_line(out, "Admin Groups:" + access_list(g, ConsoleAccess::Kind::group, true));
  append_line(out, "Oper Users:" + access_list(g, ConsoleAccess::Kind::user, false));
  append_line(out, "Admin Users:" + access_list(g, ConsoleAccess::Kind::user, true));
  out += "\n[Virtual CPU Details]\n"
         "#vCPUs Entitlement Maximum\n"
         "====== =========== =======\n";
  append_line(out, fmt::format("{:>2}{:>12}{:>8}", g.vcpus, entitlement_text(g.entitlement, false),
                               entitlement_text(g.entitlement, true)));
  out += "\n[Memory Details]\n"
         "Total    Reserved\n"
         "Memory   Memory\n"
         "=======  ========\n";
  append_line(out, fmt::format("{:>5}{:>10}", memory_spaced(g.memory_mb),
                               memory_spaced(k_reserved_memory_mb)));
  out += "\n[Storage Interface Details]\n";
  out += k_device_table_header;
  for (const auto& d : g.storage) {
    storage_row(out, to_string(d.device), to_string(d.adapter), std::to_string(d.address.bus),
                std::to_string(d.address.slot), "0", std::to_string(d.address.target), "0",
                to_string(d.storage), d.location);
  }
  out += "\n[Network Interface Details]\n"
         "Interface Adaptor    Name/Num   PortNum Bus Dev Ftn Mac Address\n"
         "========= ========== ========== ======= === === === =================\n";
  for (const auto& n : g.networks) {
    append_line(out, fmt::format("{:<9} {:<10} {:<10} {:<7} {:>3} {:>3} {:>3} {}", "vswitch",
                                 to_string(n.adapter), n.vswitch, port_text(n), n.address.bus,
                                 n.address.slot, 0, n.mac.dashed()));
  }
  out += "\n[Misc Interface Details]\n";
  out += k_device_table_header;
  storage_row(out, "serial", "com1", "", "", "", "", "", "tty", "console");
  if (gs.live) {
    out += runtime_section(*gs.live);
  }
  return out;
}

std::string render_verbose(const GuestStatus& gs) {
  const Guest& g = gs.guest;
  std::string out;
  out += "[Virtual Machines Details]\n";
  append_line(out, "Virtual Machine Name : " + g.name);
  append_line(out, "Virtual Machine UUID : " + g.uuid);
  append_line(out, fmt::format("Virtual Machine ID : {}", g.vm_number));
  append_line(out, "Virtual Machine Label : " + g.label);
  append_line(out, "Operating System : " + g.os_type);
  append_line(out, "Operating System Version : " + g.os_version);
  append_line(out, fmt::format("State : {}", gs.state.token()));
  append_line(out, fmt::format("Start type : {}", start_text(g.start)));
  append_line(out, fmt::format("Runnable status : {}", enabled_text(g.runnable)));
  append_line(out, fmt::format("Modify status : {}", enabled_text(g.modifiable)));
  append_line(out, fmt::format("Visible status : {}", enabled_text(g.visible)));
  out += "\n[Authorized Administrators]\n";
  append_line(out, "Oper Groups :" + access_list(g, ConsoleAccess::Kind::group, false));
  append_line(out, "Admin Groups :" + access_list(g, ConsoleAccess::Kind::group, true));
  append_line(out, "Oper Users :" + access_list(g, ConsoleAccess::Kind::user, false));
  append_line(out, "Admin Users :" + access_list(g, ConsoleAccess::Kind::user, true));
  out += "\n[Virtual CPU Details]\n";
  append_line(out, fmt::format("Number of virtual CPUs : {}", g.vcpus));
  append_line(out, "Entitlement : " + entitlement_text(g.entitlement, false));
  append_line(out, "Maximum entitlement : " + entitlement_text(g.entitlement, true));
  out += "\n[Memory Details]\n";
  append_line(out, "Total memory : " + memory_spaced(g.memory_mb));
  append_line(out, "Reserved memory : " + memory_spaced(k_reserved_memory_mb));
  if (const auto memory = dynamic_memory(g)) {
    dynamic_memory_section(out, gs, *memory);
  }
  if (!g.extended.empty()) {
    out += "\n[Extended Attributes]\n";
    for (const auto& [key, value] : g.extended) {
      append_line(out, key + " : " + value);
    }
  }
  out += "\n[Storage Interface Details]\n";
  bool first = true;
  for (const auto& d : g.storage) {
    out += first ? "" : "\n";
    first = false;
    append_line(out, fmt::format("Device type :{}", to_string(d.device)));
    append_line(out, fmt::format("Adapter type :{}", to_string(d.adapter)));
    append_line(out, fmt::format("Bus :{}", d.address.bus));
    append_line(out, fmt::format("Device :{}", d.address.slot));
    append_line(out, "Function :0");
    append_line(out, fmt::format("Target :{}", d.address.target));
    append_line(out, "Lun :0");
    append_line(out, fmt::format("Physical Storage type :{}", to_string(d.storage)));
    append_line(out, "Physical Device :" + d.location);
  }
  out += "\n[Network Interface Details]\n";
  first = true;
  for (const auto& n : g.networks) {
    out += first ? "" : "\n";
    first = false;
    append_line(out, "Physical Storage type :vswitch");
    append_line(out, fmt::format("Guest Adaptor type :{}", to_string(n.adapter)));
    append_line(out, "Backing :" + n.vswitch);
    append_line(out, "Vswitch Port :" + port_text(n));
    append_line(out, fmt::format("Bus :{}", n.address.bus));
    append_line(out, fmt::format("Device :{}", n.address.slot));
    append_line(out, "Function :0");
    append_line(out, "Mac Address :" + n.mac.dashed());
  }
  out += "\n[Misc Interface Details]\n";
  append_line(out, "Device type :serial");
  append_line(out, "Adapter type :com1");
  append_line(out, "Physical Storage type :tty");
  append_line(out, "Physical Device :console");
  if (gs.live) {
    out += runtime_section(*gs.live);
  }
  return out;
}

std::string render_devices(const Guest& g) {
  std::string out = "[Virtual Machine Devices]\n\n[Storage Interface Details]\n";
  for (const auto& d : g.storage) {
    out += format(d) + "\n";
  }
  out += "\n[Network Interface Details]\n";
  for (const auto& n : g.networks) {
    out += format(n) + "\n";
  }
  out += "\n[Misc Interface Details]\nserial:com1::tty:console\n";
  return out;
}

std::string render_machine(const GuestStatus& gs) {
  const Guest& g = gs.guest;
  const auto ext = [&](const char* key, const char* fallback) {
    auto it = g.extended.find(key);
    return it == g.extended.end() ? std::string(fallback) : it->second;
  };
  const auto status = [](bool on) { return on ? "enabled" : "disabled"; };
  // Dynamic memory's minimum, start target, maximum and the running guest's
  // size now (empty while it is off, or when QEMU did not say).
  std::string dynamic;
  if (const auto m = dynamic_memory(g)) {
    const bool known = gs.state.on && gs.live && gs.live->balloon_mb;
    dynamic = fmt::format(";{};{};{};{}", memory_compact(m->minimum_mb),
                          memory_compact(m->target_start_mb), memory_compact(m->maximum_mb),
                          known ? memory_compact(*gs.live->balloon_mb) : "");
  }
  // The runtime's word, after them (HPVM's fields stay where scripts read them).
  if (gs.state.on && !gs.state.unknown.empty()) {
    dynamic += ";unknown=" + gs.state.unknown;
  }
  if (gs.state.on && gs.live && !gs.live->repair.empty()) {
    dynamic += ";repair=" + gs.live->repair;
  }
  return fmt::format(
      "{}:{}:{}::Integrity VM:{}:{}:{}:{}:{}:{}:{}:{}:{}:{}:{}:{}:{}:{}:{};{};{}:{};{}\n", g.name,
      g.uuid, g.vm_number, g.os_type, g.os_version, g.label, status(g.runnable),
      status(g.modifiable), gs.state.token(), start_text(g.start), status(g.visible),
      gs.device_counts ? static_cast<std::size_t>(gs.device_counts->first) : g.storage.size(),
      gs.device_counts ? static_cast<std::size_t>(gs.device_counts->second) : g.networks.size(),
      g.entitlement.cycles ? "cycles" : "percent", 0, ext("vm_type", "shared"),
      ext("ram_dyn_type", "none"), g.vcpus, entitlement_text(g.entitlement, false),
      entitlement_text(g.entitlement, true), memory_compact(g.memory_mb),
      memory_compact(k_reserved_memory_mb) + dynamic);
}

} // namespace vmconfig
