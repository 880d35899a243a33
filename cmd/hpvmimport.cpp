// hpvmimport: create a guest from what an HP-UX HPVM host prints about it.
#include "cli/options.hpp"
#include "cli/runner.hpp"

#include <avio/error.hpp>
#include <vmconfig/ops/hpvm_import.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

namespace {

// The whole of a file, or of standard input for "-".
std::string read_text(const std::string& path, const char* what) {
  if (path == "-") {
    return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  }
  std::ifstream in(path);
  if (!in) {
    throw hpvm::Error(fmt::format("Cannot read the {} file '{}'.", what, path));
  }
  try {
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  } catch (const std::ios_base::failure&) {
    // A directory opens, then fails the first read (EISDIR).
    throw hpvm::Error(
        fmt::format("Cannot read the {} file '{}': {}.", what, path, std::strerror(errno)));
  }
}

} // namespace

int main(int argc, char** argv) {
  vmconfig::ImportRequest request;
  std::string name, devices_file, details_file, machine_file, map_file;
  bool verbose = false;
  CLI::App app("Create a guest from the hpvmstatus text of an HPVM host.", "hpvmimport");
  cli::configure_app(app);
  auto* name_option =
      app.add_option("-P", name, "Name of the new guest (default: the imported name)");
  app.add_option("-D", devices_file, "File with 'hpvmstatus -P guest -d' output ('-': stdin)")
      ->required();
  auto* details_option =
      app.add_option("-S", details_file, "File with 'hpvmstatus -P guest' output");
  auto* machine_option =
      app.add_option("-M", machine_file, "File with 'hpvmstatus -M -P guest' output");
  auto* map_option = app.add_option("-f", map_file, "Map file: 'old-path new-path' per line");
  app.add_flag("-A", request.to_avio, "Convert scsi and lan devices to avio_stor and avio_lan");
  app.add_flag("-s", request.check_only, "Check only: print the statements, create nothing");
  app.add_flag("-F", request.force, "Force: accept mapped backing stores that do not exist yet");
  app.add_flag("-V", verbose, "Print the resource statements the guest is created with");
  cli::add_characteristic_options(app, request.overrides);
  return cli::run("hpvmimport", argc, argv, app, cli::Logging::command_log, [&] {
    request.sources.devices = read_text(devices_file, "devices");
    if (details_option->count() > 0) {
      request.sources.details = read_text(details_file, "hpvmstatus -P");
    }
    if (machine_option->count() > 0) {
      request.sources.machine = read_text(machine_file, "hpvmstatus -M");
    }
    if (map_option->count() > 0) {
      request.sources.map = read_text(map_file, "map");
    }
    if (name_option->count() > 0) {
      request.name = name;
    }
    if (!request.check_only && !vmconfig::Store::location().exists) {
      // A refused import leaves no database behind: on a host with none, it
      // is checked against an empty configuration before one is created.
      vmconfig::Store empty(vmconfig::Store::Access::if_exists);
      auto check = request;
      check.check_only = true;
      vmconfig::import_guest(empty, check);
    }
    vmconfig::Store store(request.check_only ? vmconfig::Store::Access::if_exists
                                             : vmconfig::Store::Access::create);
    const auto result = vmconfig::import_guest(store, request);
    cli::print_warnings("hpvmimport", result.name, result.report.warnings);
    if (verbose || request.check_only) {
      for (const auto& statement : result.statements) {
        fmt::print("{}\n", statement);
      }
    }
  });
}
