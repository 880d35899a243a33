// hpvminfo: tell whether this system is an HPVM host or guest.
#include "cli/options.hpp"
#include "cli/runner.hpp"
#include "cli/version.hpp"

#include <avio/error.hpp>
#include <vmconfig/ops/system_role.hpp>
#include <vmconfig/render/render_info.hpp>

#include <fmt/format.h>

int main(int argc, char** argv) {
  bool verbose = false, version = false, summary = false, json = false;
  CLI::App app("Tell whether this system is an HPVM host or guest.", "hpvminfo");
  cli::configure_app(app);
  auto* big_v = app.add_flag("-V", verbose, "Verbose: also print the host name and the HPVM root");
  auto* v = app.add_flag("-v", version, "Print the version");
  auto* s = app.add_flag("-S", summary, "Summary: -V, the version, guests, CPUs and memory");
  auto* j = app.add_flag("-J,--json", json, "The summary as JSON");
  cli::exclude_each_other({big_v, v, s, j});
  return cli::run("hpvminfo", argc, argv, app, cli::Logging::none, [&] {
    if (version) {
      fmt::print("hpvminfo: Version {}\n", cli::k_version);
      return;
    }
    const auto role = vmconfig::system_role(summary || json);
    if (!role.inside_guest && !role.configured_host) {
      throw hpvm::Error(fmt::format(
          "Not running on an HPVM host or inside an HPVM guest (no configuration database "
          "under '{}').",
          role.root.string()));
    }
    using vmconfig::InfoDetail;
    fmt::print("{}", json ? vmconfig::render_info_json(role, cli::k_version)
                          : vmconfig::render_info(role,
                                                  summary   ? InfoDetail::summary
                                                  : verbose ? InfoDetail::verbose
                                                            : InfoDetail::brief,
                                                  cli::k_version));
  });
}
