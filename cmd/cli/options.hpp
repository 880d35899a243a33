// Command-line options that several commands share.
#pragma once

#include <vmconfig/characteristics.hpp>

#include <CLI/CLI.hpp>

namespace cli {

// -O -c -e -E -r -l -B -u -g -x, as hpvmcreate, hpvmmodify and hpvmclone take them.
void add_characteristic_options(CLI::App& app, vmconfig::CharacteristicsRequest& request);

// An option whose presence matters: `target` is set only when it is given.
CLI::Option* add_optional(CLI::App& app, const std::string& name,
                          std::optional<std::string>& target, const std::string& description);

} // namespace cli
