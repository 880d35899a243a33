// What every command's main() shares: CLI11 set-up, and the one place where
// the exception hierarchy (avio/error.hpp) becomes messages and exit codes:
//   0  success
//   1  the operation failed or was refused (nothing was changed)
//   2  the command line is wrong (1 for hpvmhostrdev, whose page documents
//      only 0 and 1: it passes k_exit_failure as `usage_status`)
#pragma once

#include <CLI/CLI.hpp>
#include <avio/error.hpp>

#include <functional>
#include <string>
#include <vector>

namespace cli {

enum class Logging : unsigned char { none, command_log };

inline constexpr int k_exit_failure = 1;
inline constexpr int k_exit_usage = 2;

// HPVM conventions for a command's CLI11 app: --help (single letters stay
// free for HPVM's own options) and --version.
void configure_app(CLI::App& app);

// Parses, runs `body`, prints "cmd: ERROR (guest): ..." for failures, and
// for mutating commands appends the outcome to the command log. `logging` is
// read after `body` ran, so a command whose options decide whether it
// mutates (hpvmnet) may set it in `body`.
int run(const std::string& command, int argc, char** argv, CLI::App& app, const Logging& logging,
        const std::function<void()>& body);
// The same, for commands that only log some modes: `logging` is asked after
// the command line is parsed. A wrong command line exits `usage_status`.
int run(const std::string& command, int argc, char** argv, CLI::App& app,
        const std::function<Logging()>& logging, const std::function<void()>& body,
        int usage_status = k_exit_usage);

// A note for this run's command-log record, after its command line
// (hpvmmigrate -o: the downtime and total time).
void note_in_command_log(std::string note);

// "cmd: ERROR (guest): problem" for each problem, then "cmd: summary".
void print_refusal(const std::string& command, const hpvm::Refused& refusal);

// "cmd: WARNING (guest): text" for each warning.
void print_warnings(const std::string& command, const std::string& guest,
                    const std::vector<std::string>& warnings);

} // namespace cli
