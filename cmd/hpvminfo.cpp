// hpvminfo: tell whether this system is an HPVM host or guest.
#include "cli/runner.hpp"

#include <avio/error.hpp>
#include <vmconfig/ops/system_role.hpp>

#include <fmt/format.h>

int main(int argc, char** argv) {
  bool verbose = false;
  CLI::App app("Tell whether this system is an HPVM host or guest.", "hpvminfo");
  cli::configure_app(app);
  app.add_flag("-V", verbose, "Verbose: also print the host name and the HPVM root");
  return cli::run("hpvminfo", argc, argv, app, cli::Logging::none, [&] {
    const auto role = vmconfig::system_role();
    if (role.inside_guest) {
      fmt::print("hpvminfo: Running inside an HPVM guest.\n");
      if (verbose && !role.vm_host.empty()) {
        fmt::print("Hostname: {}\n", role.vm_host);
      }
      return;
    }
    if (!role.configured_host) {
      throw hpvm::Error(fmt::format(
          "Not running on an HPVM host or inside an HPVM guest (no configuration database "
          "under '{}').",
          role.root.string()));
    }
    fmt::print("hpvminfo: Running on an HPVM host.\n");
    if (verbose) {
      fmt::print("Hostname: {}\nHPVM root: {}\n", role.host_name, role.root.string());
    }
  });
}
