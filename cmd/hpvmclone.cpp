// hpvmclone: create a virtual machine from an existing one.
#include "cli/options.hpp"
#include "cli/progress.hpp"
#include "cli/runner.hpp"

#include <vmconfig/ops/clone.hpp>

int main(int argc, char** argv) {
  vmconfig::CloneRequest request;
  cli::DeviceChangeOptions changes;
  cli::CopyProgressBar progress("hpvmclone");
  CLI::App app("Create a virtual machine from an existing one.", "hpvmclone");
  cli::configure_app(app);
  app.add_option("-P", request.source, "Name of the guest to clone")->required();
  app.add_option("-N", request.name, "Name of the new guest")->required();
  cli::add_characteristic_options(app, request.characteristics);
  cli::add_device_change_options(app, changes);
  app.add_option("-b", request.copies,
                 "Copy the storage of the source's device at this statement's address into its "
                 "backing store")
      ->allow_extra_args(false);
  app.add_flag("-s", request.check_only, "Check the clone only; create and copy nothing");
  app.add_flag("-F", request.force,
               "Force: accept missing backing stores and storage shared with the source");
  return cli::run("hpvmclone", argc, argv, app, cli::Logging::command_log, [&] {
    request.changes = cli::device_changes(app, changes);
    request.observer = &progress;
    vmconfig::Store store;
    const auto report = vmconfig::clone_guest(store, request);
    cli::print_warnings("hpvmclone", request.source, report.warnings);
  });
}
