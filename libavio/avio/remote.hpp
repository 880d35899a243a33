// Commands on another VM Host: the suite's own programs run there over
// key-based root SSH, as HPVM's hpvmmigrate did (no daemon of our own). Data
// goes on the remote program's standard input; the remote command line holds
// only words quoted by shell_word().
#pragma once

#include "avio/exec.hpp"

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace avio {

// ssh's own exit status when it could not connect or authenticate.
inline constexpr int k_ssh_failed = 255;
// How long ssh may take to connect (ssh's ConnectTimeout) and how long a
// silent connection is kept (ServerAliveInterval x ServerAliveCountMax).
inline constexpr std::chrono::seconds k_ssh_connect_timeout{10};
inline constexpr std::chrono::seconds k_ssh_alive_interval{5};
inline constexpr int k_ssh_alive_count = 3;

// Why `host` may not be given to ssh as a destination (it must be a host name,
// an IPv4 address or an IPv6 literal: letters, digits, '.', '-', ':', '_',
// not starting with '-'); nullopt when it may.
std::optional<std::string> host_problem(std::string_view host);

// `word` as one word for a POSIX shell: in single quotes, each ' as '\''.
// Throws hpvm::Error for a word with a control character (a remote shell
// must never see a newline it did not expect).
std::string shell_word(std::string_view word);

// The ssh command line that runs `argv` as root on `host`: BatchMode (keys
// only, never a password prompt), the timeouts above, `argv` quoted.
std::vector<std::string> ssh_command(const std::string& host, const std::vector<std::string>& argv);

// A local unix socket ssh listens on, and the remote one it connects each
// connection to (OpenSSH's -L local:remote); neither path may hold ':'.
struct SocketForward {
  std::string local;
  std::string remote;
};

// The same, with `forwards` (ssh exits at once when one cannot be set up).
std::vector<std::string> ssh_command(const std::string& host, const std::vector<std::string>& argv,
                                     const std::vector<SocketForward>& forwards);

// Runs `argv` as root on `host` with `input` on its standard input, for at
// most `timeout` (hpvm::Error then names `what`). Status k_ssh_failed: ssh
// could not reach or log in to the host.
ExecResult run_remote(const std::string& host, const std::vector<std::string>& argv,
                      const std::string& input, std::chrono::milliseconds timeout,
                      const std::string& what);

// Lines in and out over two file descriptors (hpvmmigrate's target talks to
// its source on its standard input and output), every read bounded.
class LineChannel {
public:
  LineChannel(int in, int out) : m_in(in), m_out(out) {}
  // The next line; nullopt at the end of input. hpvm::Error names `what`
  // when none came within `timeout`.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout, const std::string& what);
  // One line, written whole (a reader that went away is ignored).
  void write_line(const std::string& line);

private:
  int m_in;
  int m_out;
  std::string m_buffer;
  bool m_end = false;
};

// A remote command the caller talks to line by line while it runs, over one
// ssh connection that may also forward sockets (hpvmmigrate -o: the
// migration stream goes through the same authenticated connection).
class RemoteSession {
public:
  RemoteSession(const std::string& host, const std::vector<std::string>& argv,
                const std::vector<SocketForward>& forwards = {});
  RemoteSession(const RemoteSession&) = delete;
  RemoteSession& operator=(const RemoteSession&) = delete;
  // Closes the remote command's input and gives ssh k_session_end_wait to
  // finish before it is killed.
  ~RemoteSession();

  // One line to the remote command; false when it no longer reads.
  bool send_line(const std::string& line);
  // The remote command's next line; nullopt when its output ended (it, or
  // ssh, exited). hpvm::Error names `what` when no line came within `timeout`.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout, const std::string& what);
  // The end of the remote command's input: it knows the caller is done.
  void close_input();
  // What ssh and the remote command printed on standard error so far.
  std::string errors();
  // ssh's exit status, waiting at most `timeout` (then it is killed: 128 + 9).
  int finish(std::chrono::milliseconds timeout);

private:
  void drain_errors();

  pid_t m_pid = -1;
  int m_in = -1;
  int m_out = -1;
  int m_err = -1;
  LineChannel m_lines{-1, -1};
  std::string m_errors;
  bool m_finished = false;
  int m_status = 0;
};

inline constexpr std::chrono::milliseconds k_session_end_wait{5000};

// hpvmmigrate -o: the unix socket a live migration's stream goes through on
// one host, `side` "out" (ssh's local end, the source QEMU connects to it)
// or "in" (the target QEMU listens on it); short, so within a socket path's
// 107 bytes wherever $HPVM_ROOT is. `uuid` is a validated UUID.
std::string migration_socket(const std::string& uuid, std::string_view side);
// Removes a socket file left behind; ignores errors.
void remove_socket_file(const std::string& path);

// The absolute path of the running program: the target runs the suite's
// commands from the same place, as HPVM's were in /opt/hpvm/bin on every host.
std::string own_executable();

} // namespace avio
