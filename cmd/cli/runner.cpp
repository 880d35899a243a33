#include "cli/runner.hpp"

#include "cli/version.hpp"

#include <avio/error.hpp>
#include <vmconfig/ops/command_log.hpp>
#include <vmconfig/store/errors.hpp>

#include <fmt/format.h>

#include <cstdio>

namespace cli {

namespace {

std::string g_log_note; // note_in_command_log()

std::string tag(const std::string& command, const char* level, const std::string& guest) {
  return guest.empty() ? fmt::format("{}: {}: ", command, level)
                       : fmt::format("{}: {} ({}): ", command, level, vmconfig::printable(guest));
}

// One message line; user text inside it may hold anything.
void print_line(const std::string& prefix, std::string_view message) {
  fmt::print(stderr, "{}{}\n", prefix, vmconfig::printable(message));
}

int report_failure(const std::string& command, int usage_status) {
  try {
    vmconfig::rethrow_as_project_error();
  } catch (const hpvm::Refused& e) {
    print_refusal(command, e);
    return k_exit_failure;
  } catch (const hpvm::UsageError& e) {
    print_line(tag(command, "ERROR", e.guest()), e.what());
    fmt::print(stderr, "Run '{} --help' for usage.\n", command);
    return usage_status;
  } catch (const hpvm::Error& e) {
    print_line(tag(command, "ERROR", e.guest()), e.what());
    return k_exit_failure;
  } catch (const std::exception& e) {
    print_line(tag(command, "ERROR", ""), e.what());
    return k_exit_failure;
  }
}

} // namespace

void configure_app(CLI::App& app) {
  app.set_help_flag("--help", "Print this help and exit");
  app.set_version_flag("--version", std::string(k_version));
  app.allow_windows_style_options(false);
}

int run(const std::string& command, int argc, char** argv, CLI::App& app, const Logging& logging,
        const std::function<void()>& body) {
  // By reference: a command may decide after parsing whether it is logged.
  return run(
      command, argc, argv, app, [&logging] { return logging; }, body);
}

int run(const std::string& command, int argc, char** argv, CLI::App& app,
        const std::function<Logging()>& logging, const std::function<void()>& body,
        int usage_status) {
  int status = 0;
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    print_line(tag(command, "ERROR", ""), e.what());
    fmt::print(stderr, "Run '{} --help' for usage.\n", command);
    status = usage_status;
  }
  if (status == 0) {
    try {
      body();
    } catch (...) {
      status = report_failure(command, usage_status);
    }
  }
  std::fflush(stdout);
  if (logging() == Logging::command_log) {
    std::vector<std::string> args(argv, argv + argc);
    args[0] = command;
    const std::string lost = vmconfig::append_command_log(
        args, status == 0 ? "SUCCESS" : fmt::format("FAILURE({})", status), g_log_note);
    if (!lost.empty()) {
      // The command's own outcome stands; only its record is missing.
      print_line(tag(command, "WARNING", ""),
                 fmt::format("The command was not recorded in the command log: {}", lost));
    }
  }
  return status;
}

void note_in_command_log(std::string note) {
  g_log_note = std::move(note);
}

void print_refusal(const std::string& command, const hpvm::Refused& refusal) {
  for (const auto& p : refusal.problems()) {
    print_line(tag(command, "ERROR", refusal.guest()), p);
  }
  fmt::print(stderr, "{}: {}\n", command, refusal.summary());
}

void print_warnings(const std::string& command, const std::string& guest,
                    const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) {
    print_line(tag(command, "WARNING", guest), w);
  }
}

} // namespace cli
