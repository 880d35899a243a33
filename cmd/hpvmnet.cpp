// hpvmnet: configure virtual switches (Linux bridges) and their ports.
#include "cli/options.hpp"
#include "cli/runner.hpp"

#include <avio/error.hpp>
#include <vmconfig/ops/host_rdevs.hpp>
#include <vmconfig/ops/vswitch.hpp>

#include <fmt/format.h>

#include <iostream>

namespace {

// HPVM's confirmation: anything but an answer starting with y is "no".
bool confirmed(const std::string& question) {
  fmt::print("hpvmnet: {} [n]: ", question);
  std::fflush(stdout);
  std::string answer;
  std::getline(std::cin, answer);
  if (answer.empty() || (answer[0] != 'y' && answer[0] != 'Y')) {
    fmt::print("\n");
    return false;
  }
  return true;
}

} // namespace

int main(int argc, char** argv) {
  std::string name, uplink, port_spec;
  bool create = false, boot = false, halt = false, remove = false, reattach = false,
       statistics = false, quiet = false, force = false, verbose = false, json = false;
  CLI::App app("Configure virtual network switches (vswitches).", "hpvmnet");
  cli::configure_app(app);
  auto* by_name = app.add_option("-S", name, "The vswitch to act on or show");
  auto* c = app.add_flag("-c", create, "Create the vswitch named by -S");
  auto* n = app.add_option("-n", uplink, "With -c: the host interface the vswitch uplinks to");
  auto* b = app.add_flag("-b", boot, "Boot the vswitch (without -S: every vswitch recorded Up)");
  auto* h = app.add_flag("-h", halt, "Halt the vswitch (asks first unless -Q or -F)");
  auto* d = app.add_flag("-d", remove, "Delete the vswitch (asks first unless -Q or -F)");
  auto* r = app.add_flag("-r", reattach, "Re-attach running guests' ports to booted vswitches");
  auto* u = app.add_option("-u", port_spec, "Set a port's untagged VLAN: portid:N:vlanid:V|none");
  auto* a = app.add_flag("-A", statistics, "Show port statistics");
  auto* big_v =
      app.add_flag("-V", verbose, "Verbose: every vswitch with its [Port Configuration Details]");
  auto* j = app.add_flag("-J,--json", json,
                         "JSON: every vswitch (or -S's) with its ports, or with -A its statistics");
  app.add_flag("-Q", quiet, "Do not ask for confirmation");
  app.add_flag("-F", force, "Force: no confirmation; delete even with guests configured");
  n->needs(c);
  cli::exclude_each_other({c, b, h, d, r, u, a, big_v});
  for (auto* action : {c, n, b, h, d, r, u}) {
    j->excludes(action);
  }
  cli::Logging logging = cli::Logging::none;
  return cli::run("hpvmnet", argc, argv, app, logging, [&] {
    std::optional<std::string> vswitch;
    if (by_name->count() > 0) {
      vswitch = name;
    }
    if ((create || halt || remove || u->count() > 0) && !vswitch) {
      throw hpvm::UsageError("This action needs a vswitch: give -S name.");
    }
    if (u->count() > 0) {
      vmconfig::parse_port_vlan(port_spec); // a malformed value is a usage error, not logged
    }
    const bool mutating = create || boot || halt || remove || reattach || u->count() > 0;
    if (mutating) {
      logging = cli::Logging::command_log;
    }
    vmconfig::Store store;
    vmconfig::Report report;
    using vmconfig::NetView;
    if (create) {
      report = vmconfig::create_vswitch(
          store, *vswitch, n->count() > 0 ? std::optional<std::string>(uplink) : std::nullopt);
    } else if (boot) {
      if (!vswitch) {
        // The host's start-up: first restrict what the host uses (unless
        // hpvmhostrdev -D), then boot the vswitches.
        if (auto rdevs = vmconfig::update_host_rdevs_at_start(store)) {
          cli::print_warnings("hpvmnet", "", rdevs->warnings);
        }
      }
      report = vmconfig::boot_vswitch(store, vswitch);
    } else if (halt) {
      vmconfig::require_vswitch(store, *vswitch); // an unknown vswitch fails before the question
      if (!quiet && !force && !confirmed(fmt::format("Halt the vswitch '{}'?", *vswitch))) {
        throw hpvm::Error("The vswitch was not halted.", *vswitch);
      }
      report = vmconfig::halt_vswitch(store, *vswitch);
    } else if (remove) {
      vmconfig::require_vswitch(store, *vswitch);
      if (!quiet && !force && !confirmed(fmt::format("Delete the vswitch '{}'?", *vswitch))) {
        throw hpvm::Error("The vswitch was not deleted.", *vswitch);
      }
      report = vmconfig::delete_vswitch(store, *vswitch, force);
    } else if (reattach) {
      report = vmconfig::reattach_ports(store, vswitch);
    } else if (u->count() > 0) {
      report = vmconfig::set_port_vlan(store, *vswitch, port_spec);
    } else {
      const NetView view = statistics           ? NetView::statistics
                           : vswitch || verbose ? NetView::ports
                                                : NetView::list;
      fmt::print("{}", vmconfig::vswitch_report(store, vswitch, view, report.warnings, json));
    }
    cli::print_warnings("hpvmnet", vswitch.value_or(""), report.warnings);
  });
}
