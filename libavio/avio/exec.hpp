// Running a host program with an argv vector (execve, never a shell) and
// reading what it prints.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace avio {

// Reaps the child `pid` (its exit status in `status`) once it exits; a child
// still running at `deadline` is killed (SIGKILL), reaped, and false returned.
bool wait_child(pid_t pid, int& status, std::chrono::steady_clock::time_point deadline);

// Runs argv[0] (looked up on PATH) with `argv`, stdin and stderr on
// /dev/null, the environment plus `extra_env` ("NAME=value" entries), and
// returns its standard output when it exits 0; nullopt when it cannot be
// started or fails. A program that has not finished (closed its output)
// within k_tool_timeout is killed, and hpvm::Error names it.
inline constexpr std::chrono::milliseconds k_tool_timeout{30000};
std::optional<std::string> capture_output(const std::vector<std::string>& argv,
                                          const std::vector<std::string>& extra_env = {});

} // namespace avio
