// hpvmremove: remove a virtual machine.
#include "cli/runner.hpp"

#include <avio/error.hpp>
#include <vmconfig/ops/guests.hpp>

#include <fmt/format.h>

#include <iostream>

int main(int argc, char** argv) {
  std::string name;
  bool quiet = false;
  CLI::App app("Remove a virtual machine.", "hpvmremove");
  cli::configure_app(app);
  app.add_option("-P", name, "Name of the guest to remove")->required();
  app.add_flag("-Q", quiet, "Do not ask for confirmation");
  return cli::run("hpvmremove", argc, argv, app, cli::Logging::command_log, [&] {
    vmconfig::Store store(vmconfig::Store::Access::if_exists);
    vmconfig::check_removable(store, name); // unknown or running: refused before any question
    if (!quiet) {
      fmt::print("hpvmremove: Remove the virtual machine '{}'? [n]: ", name);
      std::fflush(stdout);
      std::string answer;
      std::getline(std::cin, answer);
      if (answer.empty() || (answer[0] != 'y' && answer[0] != 'Y')) {
        fmt::print("\n");
        throw hpvm::Error("The guest was not removed.", name);
      }
    }
    const auto report = vmconfig::remove_guest(store, name);
    cli::print_warnings("hpvmremove", name, report.warnings);
  });
}
