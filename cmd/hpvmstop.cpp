// hpvmstop: stop a virtual machine.
#include "cli/runner.hpp"

#include <avio/error.hpp>
#include <vmconfig/ops/lifecycle.hpp>

#include <fmt/format.h>

#include <iostream>

int main(int argc, char** argv) {
  vmconfig::StopRequest request;
  bool force = false, quiet = false;
  int timeout = static_cast<int>(request.timeout.count());
  CLI::App app("Stop a virtual machine.", "hpvmstop");
  cli::configure_app(app);
  app.add_option("-P", request.name, "Name of the guest to stop")->required();
  app.add_flag("-g", request.graceful, "Graceful: ACPI power-down, then stop hard after -t");
  app.add_option("-t", timeout, "Seconds -g waits for the guest to power off (default 300)")
      ->check(CLI::Range(1, 86400));
  app.add_flag("-F", force, "Force: do not ask for confirmation");
  app.add_flag("-q,-Q", quiet, "Quiet: do not ask for confirmation");
  return cli::run("hpvmstop", argc, argv, app, cli::Logging::command_log, [&] {
    request.timeout = std::chrono::seconds(timeout);
    vmconfig::Store store;
    vmconfig::find_guest(store, request.name); // an unknown guest fails before any question
    if (!force && !quiet) {
      fmt::print("hpvmstop: Stop the virtual machine '{}'? [n]: ", request.name);
      std::fflush(stdout);
      std::string answer;
      std::getline(std::cin, answer);
      if (answer.empty() || (answer[0] != 'y' && answer[0] != 'Y')) {
        fmt::print("\n");
        throw hpvm::Error("The guest was not stopped.", request.name);
      }
    }
    const auto report = vmconfig::stop_guest(store, request);
    cli::print_warnings("hpvmstop", request.name, report.warnings);
  });
}
