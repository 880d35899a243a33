// hpvmstatus: show guests' configuration and state, and the host's resources.
#include "cli/options.hpp"
#include "cli/runner.hpp"
#include "cli/version.hpp"

#include <avio/error.hpp>
#include <vmconfig/ops/copied_guests.hpp>
#include <vmconfig/ops/host_status.hpp>
#include <vmconfig/ops/status.hpp>

#include <fmt/format.h>

#include <utility>

int main(int argc, char** argv) {
  vmconfig::StatusRequest request;
  std::string name;
  int number = 0;
  bool verbose = false, devices = false, original = false, machine = false, xml = false,
       json = false;
  CLI::App app("Display the status of virtual machines.", "hpvmstatus");
  cli::configure_app(app);
  auto* by_name = app.add_option("-P", name, "Show one guest, by name");
  auto* by_number = app.add_option("-p", number, "Show one guest, by VM number");
  by_name->excludes(by_number);
  auto* v = app.add_flag("-V", verbose, "Verbose: every detail as key : value lines");
  auto* d = app.add_flag(
      "-d", devices, "Devices as resource statements, DVD media as they are now (needs -P or -p)");
  auto* dd = app.add_flag("-D", original,
                          "Devices as the configured resource statements (needs -P or -p)");
  auto* m = app.add_flag("-M", machine, "Machine-readable: one colon-separated line per guest");
  auto* x = app.add_flag("-X", xml, "XML output (schema hpvmstatus.xsd)");
  auto* j = app.add_flag("-J,--json", json, "JSON output");
  cli::exclude_each_other({v, d, dd, m, x, j});
  // The host views; each takes -M or -J for its other formats.
  using H = vmconfig::HostView;
  const std::pair<const char*, std::pair<H, const char*>> host_flags[] = {
      {"-r", {H::resources, "Resource entitlements and CPU usage of every guest"}},
      {"-s", {H::system, "The host's CPUs and memory, and what running guests use"}},
      {"-S", {H::scheduler, "Every vCPU thread of every running guest"}},
      {"-m", {H::servers, "This host and the hosts guests were migrated to or came from"}},
      {"-e", {H::events, "The event log: command log and runtime events"}},
      {"-A", {H::admins, "The console users and groups of every guest"}},
      {"-C", {H::memory, "Every guest's memory type (NUMA placement)"}},
      {"-v", {H::version, "The suite's version"}},
  };
  std::vector<CLI::Option*> host_options;
  std::optional<H> view;
  for (const auto& [flag, what] : host_flags) {
    const H h = what.first;
    host_options.push_back(app.add_flag_callback(
        flag, [&view, h] { view = h; }, what.second));
  }
  cli::exclude_each_other(host_options);
  for (auto* h : host_options) {
    for (auto* other : {v, d, dd, x}) {
      h->excludes(other);
    }
  }
  // Logged only when -P registers a guest copied from another host (a change).
  cli::Logging logging = cli::Logging::none;
  return cli::run("hpvmstatus", argc, argv, app, logging, [&] {
    if (by_name->count() > 0) {
      request.name = name;
    }
    if (by_number->count() > 0) {
      request.number = number;
    }
    const bool one = request.name || request.number;
    if (view) {
      if (one && (*view == H::system || *view == H::servers || *view == H::version)) {
        throw hpvm::UsageError(
            "-s, -m and -v show the host, not a guest: they take neither -P nor -p.");
      }
      using F = vmconfig::HostFormat;
      vmconfig::HostStatusRequest host{*view,
                                       machine ? F::machine
                                       : json  ? F::json
                                               : F::text,
                                       request.name, request.number, cli::k_version};
      if (*view == H::version) { // needs no configuration
        fmt::print("{}", vmconfig::render_version(host.version, host.format));
        return;
      }
      vmconfig::Store store(vmconfig::Store::Access::if_exists);
      fmt::print("{}", vmconfig::host_status_report(store, host));
      return;
    }
    using F = vmconfig::StatusFormat;
    request.format = verbose    ? F::verbose
                     : devices  ? F::devices
                     : original ? F::original
                     : machine  ? F::machine
                     : xml      ? F::xml
                     : json     ? F::json
                     : one      ? F::details
                                : F::summary;
    if ((devices || original) && !one) {
      throw hpvm::UsageError(
          fmt::format("{} needs a guest: give -P name or -p number.", devices ? "-d" : "-D"));
    }
    // A guest copied here from another host is registered when first named
    // (which may make the database on a host that has none).
    const bool copied = request.name && vmconfig::copied_config_present(*request.name);
    vmconfig::Store store(copied ? vmconfig::Store::Access::create
                                 : vmconfig::Store::Access::if_exists);
    if (copied) {
      logging = cli::Logging::command_log; // a refusal is logged too
      const auto report =
          vmconfig::register_copied_guest(store, *request.name, vmconfig::CopyUse::look);
      if (report.warnings.empty()) {
        logging = cli::Logging::none; // nothing to do: a plain status
      }
      cli::print_warnings("hpvmstatus", *request.name, report.warnings);
    }
    fmt::print("{}", vmconfig::status_report(store, request));
  });
}
