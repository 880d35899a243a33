// hpvmdevinfo: each device of a guest as configured on the host and as the
// guest itself names it.
#include "cli/options.hpp"
#include "cli/runner.hpp"

#include <vmconfig/ops/devinfo.hpp>
#include <vmconfig/render/render_devinfo.hpp>

#include <fmt/format.h>

int main(int argc, char** argv) {
  std::string name;
  bool verbose = false, machine = false, json = false;
  CLI::App app("Show how a guest's devices map to the guest's own device names.", "hpvmdevinfo");
  cli::configure_app(app);
  auto* by_name = app.add_option("-P", name, "The guest (default: every guest)");
  auto* v = app.add_flag("-V", verbose, "Verbose: say why the guest columns are unknown");
  auto* m = app.add_flag("-M", machine, "Machine-readable: one colon-separated line per device");
  auto* j = app.add_flag("-J,--json", json, "JSON output");
  cli::exclude_each_other({v, m, j});
  return cli::run("hpvmdevinfo", argc, argv, app, cli::Logging::none, [&] {
    vmconfig::Store store(vmconfig::Store::Access::if_exists);
    const auto maps = vmconfig::device_map(
        store, by_name->count() > 0 ? std::optional<std::string>(name) : std::nullopt);
    fmt::print("{}", machine ? vmconfig::render_devinfo_machine(maps)
                     : json  ? vmconfig::render_devinfo_json(maps)
                             : vmconfig::render_devinfo(maps, verbose));
  });
}
