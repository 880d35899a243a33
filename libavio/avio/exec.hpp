// Running a host program with an argv vector (execve, never a shell) and
// reading what it prints.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace avio {

// Runs argv[0] (looked up on PATH) with `argv`, stdin and stderr on
// /dev/null, the environment plus `extra_env` ("NAME=value" entries), and
// returns its standard output when it exits 0; nullopt when it cannot be
// started or fails.
std::optional<std::string> capture_output(const std::vector<std::string>& argv,
                                          const std::vector<std::string>& extra_env = {});

} // namespace avio
