// hpvmcreate: create a virtual machine.
#include "cli/options.hpp"
#include "cli/runner.hpp"

#include <vmconfig/ops/guests.hpp>

int main(int argc, char** argv) {
  vmconfig::CreateRequest request;
  CLI::App app("Create a virtual machine.", "hpvmcreate");
  cli::configure_app(app);
  app.add_option("-P", request.name, "Name of the new guest")->required();
  cli::add_characteristic_options(app, request.characteristics);
  app.add_option("-a", request.resources, "Add a storage or network resource statement")
      ->allow_extra_args(false);
  app.add_flag("-s", request.check_only, "Check the configuration only; create nothing");
  app.add_flag("-F", request.force, "Force: accept backing stores that do not exist yet");
  return cli::run("hpvmcreate", argc, argv, app, cli::Logging::command_log, [&] {
    // -s checks without setting up a host that has no database yet.
    vmconfig::Store store(request.check_only ? vmconfig::Store::Access::if_exists
                                             : vmconfig::Store::Access::create);
    const auto report = vmconfig::create_guest(store, request);
    cli::print_warnings("hpvmcreate", request.name, report.warnings);
  });
}
