// hpvmhostrdev: restrict the storage the host itself uses (rdev entries
// with AUTORDEV=YES), so that no guest can be given it.
#include "cli/runner.hpp"

#include <avio/error.hpp>
#include <vmconfig/ops/host_rdevs.hpp>

#include <fmt/format.h>

int main(int argc, char** argv) {
  bool update = false, remove = false, restore = false, enable = false, disable = false,
       help = false;
  CLI::App app("Restrict the storage the host uses from guests.", "hpvmhostrdev");
  cli::configure_app(app);
  app.add_flag("-u", update, "Update the rdev entries without rescanning the SCSI buses first");
  app.add_flag("-d", remove, "Delete the rdev entries hpvmhostrdev added");
  app.add_flag("-r", restore, "Restore the rdev entries as they were before the last run");
  app.add_flag("-E", enable, "Run hpvmhostrdev -u automatically when HPVM starts");
  app.add_flag("-D", disable, "Do not run hpvmhostrdev automatically");
  app.add_flag("-h", help, "Print a brief help");
  auto logging = [&] { return help ? cli::Logging::none : cli::Logging::command_log; };
  return cli::run(
      "hpvmhostrdev", argc, argv, app, logging,
      [&] {
        if (update + remove + restore + enable + disable + help > 1) {
          throw hpvm::UsageError("Give at most one of -u, -d, -r, -E, -D and -h.");
        }
        if (help) {
          fmt::print("{}", app.help());
          return;
        }
        vmconfig::Store store; // creates the HPVM root if needed
        if (enable || disable) {
          vmconfig::set_host_rdev_autorun(store.root(), enable);
          return;
        }
        vmconfig::HostRdevChanges changes;
        if (remove) {
          changes = vmconfig::delete_host_rdevs(store);
        } else if (restore) {
          changes = vmconfig::restore_host_rdevs(store);
        } else {
          changes = vmconfig::update_host_rdevs(store, !update);
        }
        cli::print_warnings("hpvmhostrdev", "", changes.warnings);
      },
      cli::k_exit_failure); // HPVM's page: exit 0 or 1, a wrong command line included
}
