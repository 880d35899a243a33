// Running a host program with an argv vector (execve, never a shell) and
// reading what it prints.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
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

// A child started with pipes to its standard input, output and error; the
// parent's ends (close-on-exec) are `in`, `out` and `err`. SIGPIPE is at its
// default in the child. Throws hpvm::Error when argv[0] cannot be started.
struct PipedChild {
  pid_t pid = -1;
  int in = -1;
  int out = -1;
  int err = -1;
};
PipedChild spawn_piped(const std::vector<std::string>& argv);

// Writes all of `text` to `fd`; false when the reader went away (SIGPIPE is
// ignored meanwhile) or the write failed.
bool write_all(int fd, std::string_view text);

// What a program run by run_with_input() did.
struct ExecResult {
  int status = 0; // its exit status; 128 + n when signal n killed it
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up on PATH) with `argv`, `input` on its standard input
// (closed once written) and both its outputs read. A program that has not
// finished within `timeout` is killed, and hpvm::Error names `what` it was
// waiting for; one that cannot be started throws hpvm::Error too.
ExecResult run_with_input(const std::vector<std::string>& argv, const std::string& input,
                          std::chrono::milliseconds timeout, const std::string& what);

} // namespace avio
