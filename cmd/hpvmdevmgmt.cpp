// hpvmdevmgmt: manage the device database (gdev, rdev, server, env entries).
#include "cli/progress.hpp"
#include "cli/runner.hpp"
#include "cli/version.hpp"

#include <avio/error.hpp>
#include <vmconfig/ops/devdb_operations.hpp>

#include <fmt/format.h>

int main(int argc, char** argv) {
  std::string list, add, del, modify, replace, size, file;
  bool sparse = false, repair = false, version = false, verbose = false, rebuild = false;
  CLI::App app("Manage the guest device database.", "hpvmdevmgmt");
  cli::configure_app(app);
  app.add_option("-l", list,
                 "List entries: {all|gdev|rdev|server|env}[:entry|:depend:guest|:ATTR=value]");
  app.add_option("-a", add, "Add an entry: type:name[,alias...][:attr:NAME=VALUE]");
  app.add_option("-d", del,
                 "Delete an entry, an attribute (type:name:attr:NAME), a dependency "
                 "(gdev:{name|all}:depend:guest) or an alias (gdev_alias:alias)");
  app.add_option("-m", modify, "Set an attribute: type:name:attr:NAME=VALUE");
  app.add_option("-n", replace,
                 "Replace a backing store for every dependent guest: gdev:old:new[,alias...]");
  app.add_option("-S", size, "Create or extend the file to this size (K, M, G, T)");
  app.add_option("file", file, "The file -S creates or extends");
  app.add_flag("-A", sparse, "With -S: only set the length; allocate nothing (a sparse file)");
  app.add_flag("-r", repair, "Print a repair script for every inconsistency with the host");
  app.add_flag("-I", rebuild, "Rebuild the gdev entries and dependents from the guests' devices");
  app.add_flag("-v", version, "Print the version");
  app.add_flag("-V", verbose, "Verbose: say what was changed");

  auto mutating = [&] {
    return add.empty() && del.empty() && modify.empty() && replace.empty() && size.empty() &&
                   !rebuild
               ? cli::Logging::none
               : cli::Logging::command_log;
  };
  return cli::run("hpvmdevmgmt", argc, argv, app, mutating, [&] {
    const int modes = !list.empty() + !add.empty() + !del.empty() + !modify.empty() +
                      !replace.empty() + !size.empty() + repair + version + rebuild;
    if (modes != 1) {
      throw hpvm::UsageError(modes == 0
                                 ? "Give one of -l, -a, -d, -m, -n, -S, -r, -I or -v."
                                 : "Give only one of -l, -a, -d, -m, -n, -S, -r, -I and -v.");
    }
    if (size.empty() && (sparse || !file.empty())) {
      throw hpvm::UsageError(sparse ? "-A goes with -S." : "A file name goes with -S only.");
    }
    if (version) {
      fmt::print("hpvmdevmgmt: Version {}\n", cli::k_version);
      return;
    }
    vmconfig::DevmgmtRequest request{list, add, del, modify, replace, {}, repair, rebuild};
    if (!size.empty()) {
      if (file.empty()) {
        throw hpvm::UsageError("-S needs a file name: hpvmdevmgmt -S size file.");
      }
      const std::uint64_t bytes = vmconfig::parse_file_size(size);
      vmconfig::FileProgress progress;
      if (!sparse) {
        progress = cli::file_progress_bar("hpvmdevmgmt", file);
      }
      request.size = vmconfig::FileSizeRequest{file, bytes, sparse, progress};
    }
    const auto result = vmconfig::run_devmgmt(request);
    fmt::print("{}", result.output);
    cli::print_warnings("hpvmdevmgmt", "", result.report.warnings);
    if (verbose && !result.done.empty()) {
      fmt::print("hpvmdevmgmt: {}\n", result.done);
    }
  });
}
