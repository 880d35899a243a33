// hpvmstatus: show guests' configuration and state.
#include "cli/options.hpp"
#include "cli/runner.hpp"

#include <avio/error.hpp>
#include <vmconfig/ops/status.hpp>

#include <fmt/format.h>

int main(int argc, char** argv) {
  vmconfig::StatusRequest request;
  std::string name;
  int number = 0;
  bool verbose = false, devices = false, machine = false, xml = false, json = false;
  CLI::App app("Display the status of virtual machines.", "hpvmstatus");
  cli::configure_app(app);
  auto* by_name = app.add_option("-P", name, "Show one guest, by name");
  auto* by_number = app.add_option("-p", number, "Show one guest, by VM number");
  by_name->excludes(by_number);
  auto* v = app.add_flag("-V", verbose, "Verbose: every detail as key : value lines");
  auto* d = app.add_flag("-d,-D", devices, "Devices as resource statements (needs -P or -p)");
  auto* m = app.add_flag("-M", machine, "Machine-readable: one colon-separated line per guest");
  auto* x = app.add_flag("-X", xml, "XML output (schema hpvmstatus.xsd)");
  auto* j = app.add_flag("-J,--json", json, "JSON output");
  cli::exclude_each_other({v, d, m, x, j});
  return cli::run("hpvmstatus", argc, argv, app, cli::Logging::none, [&] {
    if (by_name->count() > 0) {
      request.name = name;
    }
    if (by_number->count() > 0) {
      request.number = number;
    }
    const bool one = request.name || request.number;
    using F = vmconfig::StatusFormat;
    request.format = verbose   ? F::verbose
                     : devices ? F::devices
                     : machine ? F::machine
                     : xml     ? F::xml
                     : json    ? F::json
                     : one     ? F::details
                               : F::summary;
    if (devices && !one) {
      throw hpvm::UsageError("-d needs a guest: give -P name or -p number.");
    }
    vmconfig::Store store(vmconfig::Store::Access::if_exists);
    fmt::print("{}", vmconfig::status_report(store, request));
  });
}
