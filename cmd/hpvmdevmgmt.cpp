// hpvmdevmgmt: manage the device database (gdev, rdev, server, env entries).
#include "cli/progress.hpp"
#include "cli/runner.hpp"
#include "cli/version.hpp"

#include <avio/error.hpp>
#include <vmconfig/model/devdb_entry.hpp>
#include <vmconfig/ops/devdb_operations.hpp>

#include <fmt/format.h>

int main(int argc, char** argv) {
  std::string list, add, del, modify, replace, size, file;
  bool sparse = false, repair = false, version = false, verbose = false, rebuild = false;
  CLI::App app("Manage the guest device database.", "hpvmdevmgmt");
  cli::configure_app(app);
  auto* list_option = app.add_option(
      "-l", list, "List entries: {all|gdev|rdev|server|env}[:entry|:depend:guest|:ATTR=value]");
  auto* add_option =
      app.add_option("-a", add, "Add an entry: type:name[,alias...][:attr:NAME=VALUE]");
  auto* delete_option =
      app.add_option("-d", del,
                     "Delete an entry, an attribute (type:name:attr:NAME), a dependency "
                     "(gdev:{name|all}:depend:guest) or an alias (gdev_alias:alias)");
  auto* modify_option = app.add_option("-m", modify, "Set an attribute: type:name:attr:NAME=VALUE");
  auto* replace_option = app.add_option(
      "-n", replace, "Replace a backing store for every dependent guest: gdev:old:new[,alias...]");
  auto* size_option =
      app.add_option("-S", size, "Create or extend the file to this size (K, M, G, T)");
  app.add_option("file", file, "The file -S creates or extends");
  app.add_flag("-A", sparse, "With -S: only set the length; allocate nothing (a sparse file)");
  app.add_flag("-r", repair, "Print a repair script for every inconsistency with the host");
  app.add_flag("-I", rebuild, "Rebuild the gdev entries and dependents from the guests' devices");
  app.add_flag("-v", version, "Print the version");
  app.add_flag("-V", verbose, "Verbose: say what was changed");

  // A mode is the option given, even with an empty value (which its parser refuses).
  auto given = [](const CLI::Option* o) { return o->count() > 0 ? 1 : 0; };
  auto mutating = [&] {
    return given(add_option) + given(delete_option) + given(modify_option) + given(replace_option) +
                           given(size_option) ==
                       0 &&
                   !rebuild
               ? cli::Logging::none
               : cli::Logging::command_log;
  };
  return cli::run("hpvmdevmgmt", argc, argv, app, mutating, [&] {
    const int modes = given(list_option) + given(add_option) + given(delete_option) +
                      given(modify_option) + given(replace_option) + given(size_option) + repair +
                      version + rebuild;
    if (modes != 1) {
      throw hpvm::UsageError(modes == 0
                                 ? "Give one of -l, -a, -d, -m, -n, -S, -r, -I or -v."
                                 : "Give only one of -l, -a, -d, -m, -n, -S, -r, -I and -v.");
    }
    if (!given(size_option) && (sparse || !file.empty())) {
      throw hpvm::UsageError(sparse ? "-A goes with -S." : "A file name goes with -S only.");
    }
    if (version) {
      fmt::print("hpvmdevmgmt: Version {}\n", cli::k_version);
      return;
    }
    // run_devmgmt tells the modes apart by their values: an empty one is
    // parsed here, so that its parser says what is wrong with it.
    if (given(list_option) && list.empty()) {
      (void)vmconfig::parse_list_spec(list);
    } else if (given(add_option) && add.empty()) {
      (void)vmconfig::parse_add_spec(add);
    } else if (given(delete_option) && del.empty()) {
      (void)vmconfig::parse_delete_spec(del);
    } else if (given(modify_option) && modify.empty()) {
      (void)vmconfig::parse_modify_spec(modify);
    } else if (given(replace_option) && replace.empty()) {
      (void)vmconfig::parse_replace_spec(replace);
    } else if (given(size_option) && size.empty()) {
      (void)vmconfig::parse_file_size(size);
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
