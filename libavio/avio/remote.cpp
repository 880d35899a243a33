#include "avio/remote.hpp"

#include "avio/deadline.hpp"
#include "avio/error.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace avio {

std::optional<std::string> host_problem(std::string_view host) {
  if (host.empty()) {
    return "the target host name is empty";
  }
  if (host.front() == '-') {
    return fmt::format("the target host name '{}' starts with '-'", host);
  }
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '_';
    if (!ok) {
      return "the target host name may hold only letters, digits, '.', '-', ':' and '_'";
    }
  }
  return std::nullopt;
}

std::string shell_word(std::string_view word) {
  std::string out = "'";
  for (char c : word) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      throw hpvm::Error("A word for the remote shell holds a control character.");
    }
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

std::vector<std::string> ssh_command(const std::string& host,
                                     const std::vector<std::string>& argv) {
  return ssh_command(host, argv, {});
}

std::vector<std::string> ssh_command(const std::string& host, const std::vector<std::string>& argv,
                                     const std::vector<SocketForward>& forwards) {
  if (auto problem = host_problem(host)) {
    throw hpvm::UsageError(fmt::format("Invalid target: {}.", *problem));
  }
  std::string remote;
  for (const auto& word : argv) {
    remote += (remote.empty() ? "" : " ") + shell_word(word);
  }
  std::vector<std::string> out{"ssh",
                               "-o",
                               "BatchMode=yes",
                               "-o",
                               fmt::format("ConnectTimeout={}", k_ssh_connect_timeout.count()),
                               "-o",
                               fmt::format("ServerAliveInterval={}", k_ssh_alive_interval.count()),
                               "-o",
                               fmt::format("ServerAliveCountMax={}", k_ssh_alive_count),
                               "-l",
                               "root"};
  for (const auto& f : forwards) {
    for (const auto* path : {&f.local, &f.remote}) {
      if (path->find(':') != std::string::npos || path->empty()) {
        throw hpvm::Error(fmt::format("Cannot forward the socket '{}': the path is empty or "
                                      "holds ':'.",
                                      *path));
      }
    }
    out.insert(out.end(), {"-o", "ExitOnForwardFailure=yes", "-o", "StreamLocalBindUnlink=yes",
                           "-L", f.local + ":" + f.remote});
  }
  out.insert(out.end(), {"--", host, remote});
  return out;
}

ExecResult run_remote(const std::string& host, const std::vector<std::string>& argv,
                      const std::string& input, std::chrono::milliseconds timeout,
                      const std::string& what) {
  return run_with_input(ssh_command(host, argv), input, timeout, what);
}

RemoteSession::RemoteSession(const std::string& host, const std::vector<std::string>& argv,
                             const std::vector<SocketForward>& forwards) {
  const PipedChild child = spawn_piped(ssh_command(host, argv, forwards));
  m_pid = child.pid;
  m_in = child.in;
  m_out = child.out;
  m_err = child.err;
  m_lines = LineChannel(m_out, m_in);
  // Read whenever there is something, never waited on: ssh's stderr only
  // explains a failure.
  ::fcntl(m_err, F_SETFL, ::fcntl(m_err, F_GETFL) | O_NONBLOCK);
}

RemoteSession::~RemoteSession() {
  close_input();
  if (!m_finished) {
    finish(k_session_end_wait);
  }
  for (int fd : {m_out, m_err}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
}

bool RemoteSession::send_line(const std::string& line) {
  return m_in >= 0 && write_all(m_in, line + "\n");
}

std::optional<std::string> RemoteSession::read_line(std::chrono::milliseconds timeout,
                                                    const std::string& what) {
  return m_lines.read_line(timeout, what);
}

void RemoteSession::drain_errors() {
  if (m_err < 0) {
    return;
  }
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(m_err, buffer, sizeof buffer);
    if (n > 0) {
      m_errors.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n == 0) {
      ::close(m_err);
      m_err = -1;
    }
    return; // EAGAIN: nothing more for now
  }
}

void RemoteSession::close_input() {
  if (m_in >= 0) {
    ::close(m_in);
    m_in = -1;
  }
}

std::string RemoteSession::errors() {
  drain_errors();
  return m_errors;
}

int RemoteSession::finish(std::chrono::milliseconds timeout) {
  if (m_finished) {
    return m_status;
  }
  close_input();
  int status = 0;
  wait_child(m_pid, status, std::chrono::steady_clock::now() + timeout);
  drain_errors();
  m_finished = true;
  m_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return m_status;
}

std::optional<std::string> LineChannel::read_line(std::chrono::milliseconds timeout,
                                                  const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (const auto nl = m_buffer.find('\n'); nl != std::string::npos) {
      std::string line = m_buffer.substr(0, nl);
      m_buffer.erase(0, nl + 1);
      return line;
    }
    if (m_end) {
      if (m_buffer.empty()) {
        return std::nullopt;
      }
      std::string line;
      line.swap(m_buffer);
      return line;
    }
    const auto left = millis_until(deadline);
    if (left.count() <= 0) {
      throw hpvm::Error(
          fmt::format("Timed out after {} s waiting for {}.", timeout.count() / 1000, what));
    }
    pollfd p{m_in, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready <= 0) {
      continue; // EINTR, or the time is up (checked above)
    }
    char buffer[4096];
    const ssize_t n = ::read(m_in, buffer, sizeof buffer);
    if (n > 0) {
      m_buffer.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      m_end = true;
    }
  }
}

void LineChannel::write_line(const std::string& line) {
  write_all(m_out, line + "\n");
}

std::string migration_socket(const std::string& uuid, std::string_view side) {
  return fmt::format("/run/hpvm-migrate-{}-{}.sock", side, uuid);
}

void remove_socket_file(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

std::string own_executable() {
  std::error_code ec;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    throw hpvm::Error(fmt::format("Cannot tell where this program is: {}.", ec.message()));
  }
  return path.string();
}

} // namespace avio
