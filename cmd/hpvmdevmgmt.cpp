// hpvmdevmgmt: manage the device database (gdev, rdev, server, env entries).
#include "cli/runner.hpp"
#include "cli/version.hpp"

#include <avio/error.hpp>
#include <vmconfig/ops/devdb_operations.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <cstdio>

namespace {

// A progress bar on a terminal for writes of at least this size.
constexpr std::uint64_t k_progress_minimum = 64ULL << 20;

void show_progress(const std::string& file, std::uint64_t done, std::uint64_t total) {
  constexpr std::size_t width = 40;
  const std::uint64_t percent = total == 0 ? 100 : done * 100 / total;
  const auto filled = static_cast<std::size_t>(percent * width / 100);
  fmt::print(stderr, "\rhpvmdevmgmt: {} [{}{}] {:3d}%", file, std::string(filled, '#'),
             std::string(width - filled, ' '), percent);
  if (done == total) {
    fmt::print(stderr, "\n");
  }
  std::fflush(stderr);
}

} // namespace

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
      if (!sparse && ::isatty(STDERR_FILENO) != 0) {
        progress = [&](std::uint64_t done, std::uint64_t total) {
          if (total >= k_progress_minimum) {
            show_progress(file, done, total);
          }
        };
      }
      request.size = vmconfig::FileSizeRequest{file, bytes, sparse, progress};
    }
    const auto result = vmconfig::run_devmgmt(vmconfig::Store::root_from_environment(), request);
    fmt::print("{}", result.output);
    cli::print_warnings("hpvmdevmgmt", "", result.report.warnings);
    if (verbose && !result.done.empty()) {
      fmt::print("hpvmdevmgmt: {}\n", result.done);
    }
  });
}
