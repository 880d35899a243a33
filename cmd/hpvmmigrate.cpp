// hpvmmigrate: move a guest to another VM Host.
#include "cli/options.hpp"
#include "cli/progress.hpp"
#include "cli/runner.hpp"

#include <avio/error.hpp>
#include <vmconfig/ops/migrate.hpp>

#include <fmt/format.h>

#include <string>

namespace {

// The target's side: the definition comes from the source on stdin, the
// replies go back on stdout, one line each (stderr still gets the usual
// messages, the command log its record).
void receive() {
  const auto channel = vmconfig::stdio_channel();
  vmconfig::Store store;
  try {
    const auto result = vmconfig::receive_guest(store, channel);
    if (!result.check_only && !result.source.empty()) {
      // hpvmstatus -m lists the hosts guests came from by this note.
      cli::note_in_command_log("from " + result.source);
    }
    channel.send(vmconfig::receive_reply(result));
  } catch (const hpvm::Error& e) {
    channel.send(vmconfig::receive_reply(e));
    throw;
  }
}

// hpvmmigrate --receive-abort: the UUID on stdin.
void receive_abort() {
  vmconfig::Store store;
  const auto removed = vmconfig::abort_incoming(store, vmconfig::stdio_channel());
  if (!removed.empty()) {
    fmt::print("hpvmmigrate: Removed the incoming guest '{}'.\n", removed);
  }
}

} // namespace

int main(int argc, char** argv) {
  vmconfig::MigrateRequest request;
  std::string name, target, new_name;
  int vm_number = 0;
  bool quiet = false, receiving = false, aborting = false;
  CLI::App app("Migrate a virtual machine to another VM Host.", "hpvmmigrate");
  cli::configure_app(app);
  auto* name_option = app.add_option("-P", name, "Name of the guest to migrate");
  auto* number_option = app.add_option("-p", vm_number, "VM number of the guest to migrate");
  auto* target_option =
      app.add_option("-h", target, "Target VM Host (name or address; root SSH with keys)");
  auto* new_name_option = app.add_option("-N", new_name, "Name of the guest on the target");
  app.add_flag("-o", request.online, "Online: migrate the running guest (QEMU live migration)");
  cli::add_optional(app, "-l", request.changes.label, "Label of the guest on the target");
  cli::add_optional(app, "-c", request.changes.vcpus, "Virtual CPUs on the target (offline)");
  auto* entitlement =
      cli::add_optional(app, "-e", request.changes.entitlement,
                        "CPU entitlement on the target: percent[:max_percent] (offline)");
  auto* cycles =
      cli::add_optional(app, "-E", request.changes.cycles,
                        "CPU entitlement on the target in MHz: cycles[:max_cycles] (offline)");
  entitlement->excludes(cycles);
  cli::add_optional(app, "-r", request.changes.memory, "Memory on the target, e.g. 2G (offline)");
  app.add_flag("-b", request.boot,
               "Boot: start the guest on the target after an offline migration");
  app.add_flag("-d", request.stop,
               "Stop a running guest (as hpvmstop does) once both hosts' checks pass, then "
               "migrate it offline");
  app.add_flag("-D", request.remove_source,
               "Delete this host's copy once migrated (default: kept, not runnable)");
  app.add_flag("-s", request.check_only, "Check only: migrate nothing");
  app.add_flag("-q", quiet, "Quiet: print only errors and warnings");
  app.add_flag("-F", request.force,
               "Force: what hpvmcreate -F forces, a lack of memory and a device not proved the "
               "same on both hosts are only warnings on the target");
  // Run by hpvmmigrate on the target, not by people.
  app.add_flag("--receive", receiving, "")->group("");
  app.add_flag("--receive-abort", aborting, "")->group("");
  cli::exclude_each_other({name_option, number_option});
  return cli::run("hpvmmigrate", argc, argv, app, cli::Logging::command_log, [&] {
    if (receiving || aborting) {
      if (argc != 2) {
        throw hpvm::UsageError("--receive and --receive-abort take no other option.");
      }
      return receiving ? receive() : receive_abort();
    }
    if (name_option->count() + number_option->count() == 0) {
      throw hpvm::UsageError("Name the guest with -P name or -p number.");
    }
    if (target_option->count() == 0) {
      throw hpvm::UsageError("Name the target VM Host with -h.");
    }
    if (name_option->count() > 0) {
      request.name = name;
    } else {
      request.vm_number = vm_number;
    }
    if (new_name_option->count() > 0) {
      request.new_name = new_name;
    }
    request.target = target;
    if (!quiet) { // -q: errors and warnings only, on a terminal too
      request.progress = cli::migration_progress_bar();
    }
    vmconfig::Store store(vmconfig::Store::Access::if_exists);
    const auto result = vmconfig::migrate_guest(store, request);
    if (request.progress) {
      request.progress({}); // ends the bar's line
    }
    cli::print_warnings("hpvmmigrate", result.name, result.report.warnings);
    const auto times =
        fmt::format("Downtime {} ms, total time {} ms.", result.downtime_ms, result.total_ms);
    if (!request.check_only) {
      // hpvmstatus -m lists the target by the name it gives itself ("to").
      std::string note = result.target_host.empty() ? "" : "to " + result.target_host;
      if (request.online) {
        note += (note.empty() ? "" : ". ") + times;
      }
      if (!note.empty()) {
        cli::note_in_command_log(note);
      }
    }
    if (result.boot_failure) { // logged with the note: the guest went there
      throw hpvm::Error(*result.boot_failure, result.name);
    }
    if (quiet) {
      return;
    }
    if (request.check_only) {
      fmt::print("hpvmmigrate: The guest can be migrated to '{}' as '{}'.\n", request.target,
                 result.target_name);
      return;
    }
    fmt::print("hpvmmigrate: Guest migrated successfully.\n");
    if (request.online) {
      fmt::print("hpvmmigrate: {}\n", times);
    }
  });
}
