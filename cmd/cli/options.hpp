// Command-line options that several commands share.
#pragma once

#include <CLI/CLI.hpp>
#include <vmconfig/model/characteristics.hpp>
#include <vmconfig/ops/modify.hpp>

namespace cli {

// -O -c -e -E -r -l -B -u -g -x, as hpvmcreate, hpvmmodify and hpvmclone take them.
void add_characteristic_options(CLI::App& app, vmconfig::CharacteristicsRequest& request);

// -a, -d and -m (resource statements to add, delete and modify), each
// repeatable; device_changes() returns them in command-line order.
struct DeviceChangeOptions {
  std::vector<std::string> add, remove, modify;
  CLI::Option* add_option = nullptr;
  CLI::Option* remove_option = nullptr;
  CLI::Option* modify_option = nullptr;
};
void add_device_change_options(CLI::App& app, DeviceChangeOptions& options);
std::vector<vmconfig::DeviceChange> device_changes(const CLI::App& app,
                                                   const DeviceChangeOptions& options);

// Options of which at most one may be given: each excludes every other
// (CLI11's "-a excludes -b" when two are).
void exclude_each_other(const std::vector<CLI::Option*>& options);

// An option whose presence matters: `target` is set only when it is given.
CLI::Option* add_optional(CLI::App& app, const std::string& name,
                          std::optional<std::string>& target, const std::string& description);

} // namespace cli
