// hpvmconsole: attach the terminal to a guest's serial console.
#include "cli/runner.hpp"

#include <avio/console.hpp>
#include <avio/error.hpp>
#include <vmconfig/ops/guests.hpp>
#include <vmconfig/ops/lifecycle.hpp>

#include <fmt/format.h>

#include <unistd.h>

int main(int argc, char** argv) {
  std::string name;
  CLI::App app("Attach the terminal to a virtual machine's console.", "hpvmconsole");
  cli::configure_app(app);
  app.add_option("-P", name, "Name of the guest")->required();
  return cli::run("hpvmconsole", argc, argv, app, cli::Logging::none, [&] {
    vmconfig::Store store;
    const auto guest = vmconfig::find_guest(store, name);
    if (!vmconfig::run_state(store.root(), guest.uuid).on) {
      throw hpvm::Error(fmt::format("The guest '{}' is not running.", name), name);
    }
    vmconfig::refuse_console_of_stopped_qemu(store.root(), guest);
    const bool terminal = ::isatty(STDIN_FILENO) != 0;
    if (terminal) {
      fmt::print(stderr, "[{}] Console. (Use Ctrl-B to detach.)\r\n", name);
    }
    const auto end = vmconfig::attach_guest_console(store.root(), guest);
    if (terminal) {
      fmt::print(stderr, "\r\n");
    }
    if (end == avio::ConsoleEnd::guest_closed) {
      throw hpvm::Error("The guest's console closed: the guest stopped.", name);
    }
  });
}
