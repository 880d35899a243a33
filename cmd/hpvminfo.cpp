// hpvminfo: tell whether this system is an HPVM host or guest.
#include "cli/runner.hpp"

#include <avio/error.hpp>
#include <avio/host.hpp>
#include <avio/runstate.hpp>
#include <vmconfig/store/store.hpp>

#include <fmt/format.h>

int main(int argc, char** argv) {
  bool verbose = false;
  CLI::App app("Tell whether this system is an HPVM host or guest.", "hpvminfo");
  cli::configure_app(app);
  app.add_flag("-V", verbose, "Verbose: also print the host name and the HPVM root");
  return cli::run("hpvminfo", argc, argv, app, cli::Logging::none, [&] {
    const auto location = vmconfig::Store::location();
    const std::string host = avio::host_name();
    if (avio::running_inside_guest()) {
      fmt::print("hpvminfo: Running inside an HPVM guest.\n");
      if (const auto vm_host = avio::guest_host_name(); verbose && !vm_host.empty()) {
        fmt::print("Hostname: {}\n", vm_host);
      }
      return;
    }
    if (!location.exists) {
      throw hpvm::Error(fmt::format(
          "Not running on an HPVM host or inside an HPVM guest (no configuration database "
          "under '{}').",
          location.root.string()));
    }
    fmt::print("hpvminfo: Running on an HPVM host.\n");
    if (verbose) {
      fmt::print("Hostname: {}\nHPVM root: {}\n", host, location.root.string());
    }
  });
}
