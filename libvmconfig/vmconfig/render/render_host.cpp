#include "vmconfig/render/render_host.hpp"

#include "vmconfig/model/characteristics.hpp"

#include <avio/text.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace vmconfig {

namespace {

using avio::append_line;
using json = nlohmann::ordered_json;

std::string dump(const json& j) {
  return j.dump(2) + "\n";
}

std::string percent(double value) {
  return fmt::format("{:.1f}%", value);
}

// A usage figure rounded as the tables print it, for -M and -J.
double rounded(double value) {
  return std::round(value * 10.0) / 10.0;
}

std::string vcpu_text(int vcpu) {
  return vcpu < 0 ? "all" : std::to_string(vcpu);
}

// -M fields may not hold the separator.
std::string field(std::string text) {
  std::ranges::replace(text, ':', ' ');
  return text;
}

// A time for -M, without its colons: basic ISO 8601 (20261205T160000Z).
std::string basic_time(std::string time) {
  std::erase(time, ':');
  std::erase(time, '-');
  return time;
}

json entitlement_json(const Entitlement& e) {
  const bool no_maximum = e.cycles && e.maximum == 0.0;
  return {{"unit", e.cycles ? "MHz" : "percent"},
          {"minimum", e.minimum},
          {"maximum", no_maximum ? json(nullptr) : json(e.maximum)}};
}

// Cell-local memory on HPVM; here: the QEMU process is bound to some of the
// host's NUMA nodes, not all of them.
std::string memory_type(const GuestHostStatus& g, const std::string& host_nodes) {
  if (g.qemu && !g.qemu->memory_nodes.empty() && g.qemu->memory_nodes != host_nodes) {
    return "Cell local";
  }
  return "Interleaved";
}

std::string memory_nodes(const GuestHostStatus& g) {
  return g.qemu && !g.qemu->memory_nodes.empty() ? g.qemu->memory_nodes : "-";
}

} // namespace

std::string render_resources(const std::vector<GuestHostStatus>& guests, HostFormat format) {
  std::string out;
  json list = json::array();
  if (format == HostFormat::text) {
    out = "[Virtual Machine Resource Entitlements]\n"
          "Virtual Machine Name VM #  State     #VCPUs Entitlement Maximum Memory  Usage\n"
          "==================== ===== ========= ====== =========== ======= ======= =======\n";
  }
  for (const auto& g : guests) {
    const Guest& v = g.guest;
    const double usage = g.qemu ? g.qemu->cpu_usage_percent(v.vcpus) : 0.0;
    switch (format) {
    case HostFormat::text:
      append_line(out, fmt::format("{:<20} {:>5} {:<9} {:>6} {:>11} {:>7} {:>7} {:>7}", v.name,
                                   v.vm_number, g.state.token(), v.vcpus,
                                   entitlement_text(v.entitlement, false),
                                   entitlement_text(v.entitlement, true),
                                   memory_spaced(v.memory_mb), g.qemu ? percent(usage) : "-"));
      break;
    case HostFormat::machine:
      out +=
          fmt::format("{}:{}:{}:{}:{}:{}:{}:{}\n", v.name, v.vm_number, g.state.token(), v.vcpus,
                      entitlement_text(v.entitlement, false), entitlement_text(v.entitlement, true),
                      v.memory_mb, g.qemu ? fmt::format("{:.1f}", usage) : "");
      break;
    case HostFormat::json:
      list.push_back({{"name", v.name},
                      {"vm_number", v.vm_number},
                      {"state", g.state.token()},
                      {"vcpus", v.vcpus},
                      {"entitlement", entitlement_json(v.entitlement)},
                      {"memory_mb", v.memory_mb},
                      {"cpu_usage_percent", g.qemu ? json(rounded(usage)) : json(nullptr)}});
      break;
    }
  }
  return format == HostFormat::json ? dump({{"guests", list}}) : out;
}

std::string render_system(const HostSystem& h, HostFormat format) {
  const std::string accel = h.kvm ? "KVM" : "TCG";
  switch (format) {
  case HostFormat::text: {
    std::string out = "[HPVM Server System Resources]\n";
    append_line(out, "Host name : " + h.host_name);
    append_line(out, fmt::format("Physical CPUs : {}", h.cpus));
    append_line(out, fmt::format("Processor speed : {:.0f} MHz", h.cpu_mhz));
    append_line(out, "Processor model : " + h.cpu_model);
    append_line(out, "Accelerator : " + accel);
    append_line(out, fmt::format("NUMA nodes : {}", h.numa_node_count));
    append_line(out, "NUMA node list : " + h.numa_nodes);
    append_line(out, fmt::format("Total physical memory : {} MB", h.memory_total_mb));
    append_line(out, fmt::format("Available memory for VMs : {} MB", h.memory_available_mb));
    append_line(out, fmt::format("Virtual machines configured : {}", h.guests));
    append_line(out, fmt::format("Virtual machines running : {}", h.running));
    append_line(out, fmt::format("vCPUs of running VMs : {}", h.running_vcpus));
    append_line(out, fmt::format("Memory of running VMs : {} MB", h.running_memory_mb));
    append_line(out, fmt::format("QEMU resident memory : {} MB", h.qemu_rss_mb));
    append_line(out, fmt::format("QEMU overhead memory : {} MB", h.overhead_mb));
    return out;
  }
  case HostFormat::machine:
    return fmt::format("{}:{}:{:.0f}:{}:{}:{};{}:{}:{}:{}:{}:{}:{}:{}:{}\n", field(h.host_name),
                       h.cpus, h.cpu_mhz, field(h.cpu_model), accel, h.numa_node_count,
                       h.numa_nodes, h.memory_total_mb, h.memory_available_mb, h.guests, h.running,
                       h.running_vcpus, h.running_memory_mb, h.qemu_rss_mb, h.overhead_mb);
  case HostFormat::json:
    return dump({{"host_name", h.host_name},
                 {"cpus", h.cpus},
                 {"cpu_mhz", rounded(h.cpu_mhz)},
                 {"cpu_model", h.cpu_model},
                 {"accelerator", accel},
                 {"numa_node_count", h.numa_node_count},
                 {"numa_nodes", h.numa_nodes},
                 {"memory_total_mb", h.memory_total_mb},
                 {"memory_available_mb", h.memory_available_mb},
                 {"guests", h.guests},
                 {"running", h.running},
                 {"running_vcpus", h.running_vcpus},
                 {"running_memory_mb", h.running_memory_mb},
                 {"qemu_rss_mb", h.qemu_rss_mb},
                 {"overhead_mb", h.overhead_mb}});
  }
  return {};
}

std::string render_scheduler(const std::vector<GuestHostStatus>& guests, HostFormat format) {
  std::string out;
  json list = json::array();
  if (format == HostFormat::text) {
    out = "[Virtual CPU Scheduling]\n"
          "Virtual Machine Name VM #  vCPU Thread   Host CPU CPU Time   Usage   Accel\n"
          "==================== ===== ==== ======== ======== ========== ======= =====\n";
  }
  for (const auto& g : guests) {
    if (!g.qemu) {
      continue;
    }
    for (const auto& c : g.qemu->vcpus) {
      switch (format) {
      case HostFormat::text:
        append_line(out, fmt::format("{:<20} {:>5} {:>4} {:>8} {:>8} {:>10} {:>7} {}", g.guest.name,
                                     g.guest.vm_number, vcpu_text(c.vcpu), c.thread, c.host_cpu,
                                     fmt::format("{:.2f}s", c.cpu_seconds),
                                     percent(c.usage_percent), c.accelerator));
        break;
      case HostFormat::machine:
        out += fmt::format("{}:{}:{}:{}:{}:{:.2f}:{:.1f}:{}\n", g.guest.name, g.guest.vm_number,
                           vcpu_text(c.vcpu), c.thread, c.host_cpu, c.cpu_seconds, c.usage_percent,
                           c.accelerator);
        break;
      case HostFormat::json:
        list.push_back({{"name", g.guest.name},
                        {"vm_number", g.guest.vm_number},
                        {"vcpu", c.vcpu < 0 ? json("all") : json(c.vcpu)},
                        {"thread", c.thread},
                        {"host_cpu", c.host_cpu},
                        {"cpu_seconds", std::round(c.cpu_seconds * 100.0) / 100.0},
                        {"usage_percent", rounded(c.usage_percent)},
                        {"accelerator", c.accelerator}});
        break;
      }
    }
  }
  return format == HostFormat::json ? dump({{"vcpus", list}}) : out;
}

std::string render_servers(const HostSystem& h, const std::vector<MigrationPeer>& peers,
                           HostFormat format) {
  std::string out;
  json list = json::array();
  switch (format) {
  case HostFormat::text:
    out = "[Multi Server Environment]\n"
          "Server Name          Role    State #VMs  Running Migrations\n"
          "==================== ======= ===== ===== ======= ==========\n";
    append_line(out, fmt::format("{:<20} {:<7} {:<5} {:>5} {:>7} {:>10}", h.host_name, "Local",
                                 "Up", h.guests, h.running, "-"));
    break;
  case HostFormat::machine:
    out = fmt::format("{}:Local:Up:{}:{}::\n", field(h.host_name), h.guests, h.running);
    break;
  case HostFormat::json:
    list.push_back({{"name", h.host_name},
                    {"role", "Local"},
                    {"state", "Up"},
                    {"guests", h.guests},
                    {"running", h.running},
                    {"migrations", nullptr},
                    {"last_migration", nullptr}});
    break;
  }
  // Another host's state and guests are not known here: only what the
  // command log says of the migrations to and from it.
  for (const auto& p : peers) {
    const char* role = p.target ? "Target" : "Source";
    switch (format) {
    case HostFormat::text:
      append_line(out, fmt::format("{:<20} {:<7} {:<5} {:>5} {:>7} {:>10}", p.name, role, "-", "-",
                                   "-", p.migrations));
      break;
    case HostFormat::machine:
      out += fmt::format("{}:{}::::{}:{}\n", field(p.name), role, p.migrations, basic_time(p.last));
      break;
    case HostFormat::json:
      list.push_back({{"name", p.name},
                      {"role", role},
                      {"state", nullptr},
                      {"guests", nullptr},
                      {"running", nullptr},
                      {"migrations", p.migrations},
                      {"last_migration", p.last}});
      break;
    }
  }
  return format == HostFormat::json ? dump({{"servers", list}}) : out;
}

std::string render_events(const std::vector<StatusEvent>& events, HostFormat format) {
  std::string out;
  json list = json::array();
  if (format == HostFormat::text) {
    out = "[Event Log]\n"
          "Date/Time (UTC)      Source  User     Outcome     Event\n"
          "==================== ======= ======== =========== =====\n";
  }
  for (const auto& e : events) {
    switch (format) {
    case HostFormat::text:
      append_line(out, fmt::format("{:<20} {:<7} {:<8} {:<11} {}", e.time, e.source, e.user,
                                   e.outcome, e.text));
      break;
    case HostFormat::machine:
      out +=
          fmt::format("{}:{}:{}:{}:{}\n", basic_time(e.time), e.source, e.user, e.outcome, e.text);
      break;
    case HostFormat::json:
      list.push_back({{"time", e.time},
                      {"source", e.source},
                      {"user", e.user},
                      {"outcome", e.outcome},
                      {"text", e.text}});
      break;
    }
  }
  return format == HostFormat::json ? dump({{"events", list}}) : out;
}

std::string render_admins(const std::vector<GuestHostStatus>& guests, HostFormat format) {
  std::string out;
  json list = json::array();
  if (format == HostFormat::text) {
    out = "[Authorized Administrators]\n"
          "Virtual Machine Name VM #  Type  Role  Name\n"
          "==================== ===== ===== ===== ====\n";
  }
  for (const auto& g : guests) {
    json access = json::array();
    for (const auto& a : g.guest.access) {
      const char* kind = a.kind == ConsoleAccess::Kind::user ? "user" : "group";
      const char* role = a.admin ? "admin" : "oper";
      if (format == HostFormat::text) {
        append_line(out, fmt::format("{:<20} {:>5} {:<5} {:<5} {}", g.guest.name, g.guest.vm_number,
                                     kind, role, a.name));
      } else if (format == HostFormat::machine) {
        out += fmt::format("{}:{}:{}:{}:{}\n", g.guest.name, g.guest.vm_number, kind, role, a.name);
      }
      access.push_back({{"kind", kind}, {"name", a.name}, {"role", role}});
    }
    list.push_back(
        {{"name", g.guest.name}, {"vm_number", g.guest.vm_number}, {"console_access", access}});
  }
  return format == HostFormat::json ? dump({{"guests", list}}) : out;
}

std::string render_memory_type(const std::vector<GuestHostStatus>& guests,
                               const std::string& host_nodes, HostFormat format) {
  std::string out;
  json list = json::array();
  if (format == HostFormat::text) {
    out = "[Virtual Machine Memory Type]\n"
          "Virtual Machine Name VM #  State     Memory  Memory Type NUMA Nodes\n"
          "==================== ===== ========= ======= =========== ==========\n";
  }
  for (const auto& g : guests) {
    const Guest& v = g.guest;
    switch (format) {
    case HostFormat::text:
      append_line(out, fmt::format("{:<20} {:>5} {:<9} {:>7} {:<11} {}", v.name, v.vm_number,
                                   g.state.token(), memory_spaced(v.memory_mb),
                                   memory_type(g, host_nodes), memory_nodes(g)));
      break;
    case HostFormat::machine:
      out += fmt::format("{}:{}:{}:{}:{}:{}\n", v.name, v.vm_number, g.state.token(), v.memory_mb,
                         memory_type(g, host_nodes), memory_nodes(g));
      break;
    case HostFormat::json:
      list.push_back({{"name", v.name},
                      {"vm_number", v.vm_number},
                      {"state", g.state.token()},
                      {"memory_mb", v.memory_mb},
                      {"memory_type", memory_type(g, host_nodes)},
                      {"numa_nodes", g.qemu ? json(g.qemu->memory_nodes) : json(nullptr)}});
      break;
    }
  }
  return format == HostFormat::json ? dump({{"guests", list}}) : out;
}

std::string render_version(const std::string& version, HostFormat format) {
  switch (format) {
  case HostFormat::text:
    return "hpvmstatus version " + version + "\n";
  case HostFormat::machine:
    return "hpvmstatus:" + version + "\n";
  case HostFormat::json:
    return dump({{"command", "hpvmstatus"}, {"version", version}});
  }
  return {};
}

} // namespace vmconfig
