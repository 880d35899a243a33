#include "cli/options.hpp"

namespace cli {

CLI::Option* add_optional(CLI::App& app, const std::string& name, std::optional<std::string>& target,
                          const std::string& description) {
  return app.add_option_function<std::string>(
      name, [&target](const std::string& value) { target = value; }, description);
}

void add_characteristic_options(CLI::App& app, vmconfig::CharacteristicsRequest& r) {
  add_optional(app, "-O", r.os_type, "Guest OS type: hpux, linux, windows, openvms, unknown [:version]");
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

} // namespace cli
