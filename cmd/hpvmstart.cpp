// hpvmstart: start a virtual machine.
#include "cli/runner.hpp"

#include <vmconfig/ops/lifecycle.hpp>

#include <fmt/format.h>

int main(int argc, char** argv) {
  vmconfig::StartRequest request;
  CLI::App app("Start a virtual machine.", "hpvmstart");
  cli::configure_app(app);
  app.add_option("-P", request.name, "Name of the guest to start")->required();
  app.add_flag("-F", request.force,
               "Force: start although the VM Host lacks free memory, or although an interrupted "
               "migration handed the guest over");
  return cli::run("hpvmstart", argc, argv, app, cli::Logging::command_log, [&] {
    vmconfig::Store store;
    const auto report = vmconfig::start_guest(store, request, [](std::string_view line) {
      fmt::print("{}\n", line);
      std::fflush(stdout);
    });
    cli::print_warnings("hpvmstart", request.name, report.warnings);
    if (report.resumed) {
      fmt::print("hpvmstart: Guest '{}' resumed: its QEMU (pid {}) had stayed paused after an "
                 "interrupted migration.\n",
                 request.name, *report.resumed);
      return;
    }
    fmt::print("hpvmstart: Successful start initiation of guest '{}'\n", request.name);
  });
}
