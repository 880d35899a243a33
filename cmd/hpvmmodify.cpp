// hpvmmodify: rename or modify the attributes and devices of a virtual machine.
#include "cli/options.hpp"
#include "cli/runner.hpp"

#include <avio/error.hpp>
#include <vmconfig/ops/live.hpp>
#include <vmconfig/ops/modify.hpp>

#include <fmt/format.h>

#include <algorithm>

int main(int argc, char** argv) {
  vmconfig::ModifyRequest request;
  std::string new_name;
  cli::DeviceChangeOptions changes;
  CLI::App app("Rename or modify the attributes of a virtual machine.", "hpvmmodify");
  cli::configure_app(app);
  bool resync = false;
  app.add_option("-P", request.name, "Name of the guest to modify")->required();
  auto* resync_flag =
      app.add_flag("-R", resync,
                   "Bring the running guest back in line with its configuration, and nothing else");
  auto* rename = app.add_option("-N", new_name, "New name of the guest");
  cli::add_characteristic_options(app, request.characteristics);
  cli::add_device_change_options(app, changes);
  app.add_flag("-s", request.check_only, "Check the changes only; change nothing");
  app.add_flag("-F", request.force, "Force: accept backing stores that do not exist yet");
  return cli::run("hpvmmodify", argc, argv, app, cli::Logging::command_log, [&] {
    if (rename->count() > 0) {
      request.new_name = new_name;
    }
    request.changes = cli::device_changes(app, changes);
    vmconfig::Store store;
    if (resync) {
      const auto options = app.get_options();
      const auto others = std::count_if(options.begin(), options.end(), [&](const CLI::Option* o) {
        return o->count() > 0 && o != resync_flag && o->get_name() != "-P";
      });
      if (others > 0) {
        throw hpvm::UsageError("-R takes no other option than -P.", request.name);
      }
      for (const auto& change : vmconfig::resync_guest(store, request.name)) {
        fmt::print("hpvmmodify: {}\n", change);
      }
      return;
    }
    const auto report = vmconfig::modify_guest(store, request);
    cli::print_warnings("hpvmmodify", request.name, report.warnings);
  });
}
