#include "cli/options.hpp"

namespace cli {

CLI::Option* add_optional(CLI::App& app, const std::string& name,
                          std::optional<std::string>& target, const std::string& description) {
  return app.add_option_function<std::string>(
      name, [&target](const std::string& value) { target = value; }, description);
}

void exclude_each_other(const std::vector<CLI::Option*>& options) {
  for (auto* a : options) {
    for (auto* b : options) {
      if (a != b) {
        a->excludes(b);
      }
    }
  }
}

void add_characteristic_options(CLI::App& app, vmconfig::CharacteristicsRequest& r) {
  add_optional(app, "-O", r.os_type,
               "Guest OS type: hpux, linux, windows, openvms, unknown [:version]");
  add_optional(app, "-c", r.vcpus, "Number of virtual CPUs");
  auto* e = add_optional(app, "-e", r.entitlement, "CPU entitlement: percent[:max_percent]");
  auto* cycles = add_optional(app, "-E", r.cycles, "CPU entitlement in MHz: cycles[:max_cycles]");
  e->excludes(cycles);
  add_optional(app, "-r", r.memory, "Memory size, e.g. 2G or 512M");
  add_optional(app, "-l", r.label, "Descriptive label");
  add_optional(app, "-B", r.start, "Start attribute: auto or manual");
  app.add_option("-u", r.users, "Console user: user[:admin|oper]")->allow_extra_args(false);
  app.add_option("-g", r.groups, "Console group: group[:admin|oper]")->allow_extra_args(false);
  app.add_option("-x", r.extended, "Extended attribute: keyword=value")->allow_extra_args(false);
}

void add_device_change_options(CLI::App& app, DeviceChangeOptions& o) {
  o.add_option = app.add_option("-a", o.add, "Add a storage or network resource statement")
                     ->allow_extra_args(false);
  o.remove_option = app.add_option("-d", o.remove, "Delete the device a resource statement names")
                        ->allow_extra_args(false);
  o.modify_option =
      app.add_option("-m", o.modify,
                     "Modify the device a resource statement names, or switch an adapter (hba:)")
          ->allow_extra_args(false);
}

std::vector<vmconfig::DeviceChange> device_changes(const CLI::App& app,
                                                   const DeviceChangeOptions& o) {
  // CLI11 records one parse_order() entry per value, so the three lists
  // interleave back into the order they were typed.
  using Kind = vmconfig::DeviceChange::Kind;
  std::vector<vmconfig::DeviceChange> out;
  std::size_t next_add = 0, next_remove = 0, next_modify = 0;
  for (const CLI::Option* opt : app.parse_order()) {
    if (opt == o.add_option && next_add < o.add.size()) {
      out.push_back({Kind::add, o.add[next_add++]});
    } else if (opt == o.remove_option && next_remove < o.remove.size()) {
      out.push_back({Kind::remove, o.remove[next_remove++]});
    } else if (opt == o.modify_option && next_modify < o.modify.size()) {
      out.push_back({Kind::modify, o.modify[next_modify++]});
    }
  }
  return out;
}

} // namespace cli
