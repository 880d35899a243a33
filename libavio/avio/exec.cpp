#include "avio/exec.hpp"

#include "avio/deadline.hpp"
#include "avio/error.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

extern char** environ;

namespace avio {

bool wait_child(pid_t pid, int& status, std::chrono::steady_clock::time_point deadline) {
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      // Our own child, not reaped yet: its pid cannot have been reused.
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::optional<std::string> capture_output(const std::vector<std::string>& argv,
                                          const std::vector<std::string>& extra_env) {
  if (argv.empty()) {
    return std::nullopt;
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return std::nullopt;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) {
    env.push_back(*e);
  }
  for (const auto& e : extra_env) {
    env.push_back(const_cast<char*>(e.c_str()));
  }
  env.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    return std::nullopt;
  }
  std::string out;
  char buffer[4096];
  const auto deadline = std::chrono::steady_clock::now() + k_tool_timeout;
  bool finished = false;
  while (true) {
    pollfd p{pipe_fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(millis_until(deadline).count()));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      break; // the time is up
    }
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      finished = true;
      break;
    }
  }
  ::close(pipe_fds[0]);
  int status = 0;
  finished = finished && wait_child(pid, status, deadline);
  if (!finished) {
    throw hpvm::Error(fmt::format("'{}' did not finish within {} s; it was stopped.", argv[0],
                                  k_tool_timeout.count() / 1000));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return std::nullopt;
  }
  return out;
}

} // namespace avio

namespace avio {

PipedChild spawn_piped(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    throw hpvm::Error("No program to run.");
  }
  int fds[3][2];
  int made = 0;
  for (; made < 3; ++made) {
    if (::pipe2(fds[made], O_CLOEXEC) != 0) {
      const int error = errno;
      for (int i = 0; i < made; ++i) {
        ::close(fds[i][0]);
        ::close(fds[i][1]);
      }
      throw hpvm::Error(fmt::format("Cannot run '{}': {}.", argv[0], std::strerror(error)));
    }
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0][0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1][1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[2][1], STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  PipedChild child;
  const int spawned = ::posix_spawnp(&child.pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[0][0]);
  ::close(fds[1][1]);
  ::close(fds[2][1]);
  if (spawned != 0) {
    ::close(fds[0][1]);
    ::close(fds[1][0]);
    ::close(fds[2][0]);
    throw hpvm::Error(fmt::format("Cannot run '{}': {}.", argv[0], std::strerror(spawned)));
  }
  child.in = fds[0][1];
  child.out = fds[1][0];
  child.err = fds[2][0];
  return child;
}

bool write_all(int fd, std::string_view text) {
  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  ::sigaction(SIGPIPE, &previous, nullptr);
  return written == text.size();
}

ExecResult run_with_input(const std::vector<std::string>& argv, const std::string& input,
                          std::chrono::milliseconds timeout, const std::string& what) {
  const PipedChild child = spawn_piped(argv);
  const pid_t pid = child.pid;
  // SIGPIPE is ignored while the input is written: a program that stops
  // reading says why itself.
  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);
  ExecResult result;
  std::size_t written = 0;
  int in_fd = child.in;
  if (input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  int out_fd = child.out;
  int err_fd = child.err;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  char buffer[4096];
  while (out_fd >= 0 || err_fd >= 0) {
    const auto left = millis_until(deadline);
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p[3] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
    const int ready = ::poll(p, 3, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready < 0) {
      timed_out = true;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      int& fd = i == 0 ? out_fd : err_fd;
      if (fd < 0 || p[i].revents == 0) {
        continue;
      }
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fd);
        fd = -1;
      }
    }
    if (in_fd >= 0 && p[2].revents != 0) {
      const ssize_t n = ::write(in_fd, input.data() + written, input.size() - written);
      if (n > 0) {
        written += static_cast<std::size_t>(n);
      }
      if ((n < 0 && errno != EINTR && errno != EAGAIN) || written == input.size()) {
        ::close(in_fd); // done, or the program stopped reading: it says why itself
        in_fd = -1;
      }
    }
  }
  for (int fd : {in_fd, out_fd, err_fd}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  ::sigaction(SIGPIPE, &previous, nullptr);
  int status = 0;
  if (timed_out || !wait_child(pid, status, deadline)) {
    if (timed_out) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
    throw hpvm::Error(fmt::format("Timed out after {} s waiting for {}; '{}' was stopped.",
                                  timeout.count() / 1000, what, argv[0]));
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

} // namespace avio
