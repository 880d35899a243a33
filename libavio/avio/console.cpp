#include "avio/console.hpp"

#include "avio/error.hpp"
#include "avio/fd.hpp"
#include "avio/host.hpp"
#include "avio/processes.hpp"
#include "avio/text.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace avio {

namespace {

// How long output is still copied after standard input ends (scripts and tests).
constexpr int k_drain_ms = 500;

class RawTerminal {
public:
  explicit RawTerminal(int fd) : m_fd(fd) {
    if (::isatty(fd) == 0 || ::tcgetattr(fd, &m_saved) != 0) {
      m_fd = -1;
      return;
    }
    termios raw = m_saved;
    ::cfmakeraw(&raw);
    ::tcsetattr(fd, TCSANOW, &raw);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  ~RawTerminal() {
    if (m_fd >= 0) {
      ::tcsetattr(m_fd, TCSANOW, &m_saved);
    }
  }

private:
  int m_fd;
  termios m_saved{};
};

using Clock = std::chrono::steady_clock;
constexpr auto k_poll_interval = std::chrono::milliseconds(50);

long seconds(std::chrono::milliseconds wait) {
  return static_cast<long>(wait.count() / 1000);
}

// What holds the console when QEMU does not take our connection: the
// process at the other end of a connection QEMU (`owner`) has accepted on
// the socket file `file`, other than ours (`ours`, the server end of our
// connection).
std::string console_held_message(const std::vector<UnixSocket>& sockets, const struct stat& file,
                                 std::optional<pid_t> owner, std::uint64_t ours,
                                 std::chrono::milliseconds wait) {
  std::set<std::uint64_t> server_ends;
  for (const auto& s : sockets) {
    if (s.file_inode == file.st_ino && s.file_device == file.st_dev && !s.listening &&
        s.inode != ours) {
      server_ends.insert(s.inode);
    }
  }
  const auto accepted = owner ? socket_holders(server_ends, {*owner}) : socket_holders(server_ends);
  std::set<std::uint64_t> clients;
  for (const auto& s : sockets) {
    if (accepted.contains(s.inode) && s.peer != 0) {
      clients.insert(s.peer);
    }
  }
  for (const auto& [inode, pid] : socket_holders(clients)) {
    if (const auto holder = process_info(pid)) {
      return fmt::format("The guest's console is in use by {} (pid {}, user {}; command line: "
                         "{}) and was not free within {} s. Try again once that program lets "
                         "go of it.",
                         holder->name, pid, holder->user, holder->command_line, seconds(wait));
    }
  }
  if (!accepted.empty()) {
    return fmt::format("The guest's console is in use by a program that could not be found (no "
                       "process here holds the other end of QEMU's console connection) and was "
                       "not free within {} s. Try again later.",
                       seconds(wait));
  }
  return fmt::format("QEMU did not take the console connection within {} s, and no program "
                     "holding the console was found. Try again.",
                     seconds(wait));
}

// Connects to the console socket and waits up to `wait` until QEMU has
// accepted the connection. QEMU serves one console client at a time: while
// another program holds it, a connection waits in the listen queue (or, the
// queue full, connect() itself would) with no word. Throws hpvm::Error
// naming the holder when the wait is over.
int connect_console(const std::filesystem::path& socket, std::chrono::milliseconds wait) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = socket.string();
  if (path.size() >= sizeof address.sun_path) {
    throw hpvm::Error(fmt::format("The console socket path '{}' is too long.", path));
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const auto cannot = [&path](int error) {
    return hpvm::Error(
        fmt::format("Cannot connect to the guest's console '{}': {}.", path, std::strerror(error)));
  };
  struct stat file {};
  if (::stat(path.c_str(), &file) != 0) {
    throw cannot(errno);
  }
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  struct stat me {};
  if (!fd || ::fstat(fd.get(), &me) != 0) {
    throw cannot(errno);
  }
  const auto deadline = Clock::now() + wait;
  const auto expired = [&] {
    const auto sockets = unix_sockets();
    return hpvm::Error(console_held_message(sockets, file, std::nullopt, 0, wait));
  };
  // A full listen queue: connect() would block.
  while (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    if (errno != EAGAIN && errno != EINTR) {
      throw cannot(errno);
    }
    if (Clock::now() >= deadline) {
      throw expired();
    }
    std::this_thread::sleep_for(k_poll_interval);
  }
  std::optional<pid_t> owner; // QEMU, the listener's holder
  while (true) {
    const auto sockets = unix_sockets();
    const UnixSocket* listener = nullptr;
    std::uint64_t server_end = 0;
    for (const auto& s : sockets) {
      if (s.listening && s.file_inode == file.st_ino && s.file_device == file.st_dev) {
        listener = &s;
      }
      if (s.inode == me.st_ino) {
        server_end = s.peer;
      }
    }
    if (listener != nullptr && !owner) {
      const auto holders = socket_holders({listener->inode});
      if (!holders.empty()) {
        owner = holders.begin()->second;
      }
    }
    // Accepted: the server end is in QEMU's descriptors (or, QEMU not
    // found, nothing waits in the queue any more).
    const bool accepted = owner ? socket_holders({server_end}, {*owner}).contains(server_end)
                                : listener == nullptr || listener->queued == 0;
    if (accepted) {
      break;
    }
    if (Clock::now() >= deadline) {
      throw hpvm::Error(console_held_message(sockets, file, owner, server_end, wait));
    }
    std::this_thread::sleep_for(k_poll_interval);
  }
  // The relay reads and writes whole buffers, waiting in poll().
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  return fd.release();
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Locks `fd`, the console's holder file, for as long as this process relays
// the console (flock), and writes its name there ("<pid> <user>"): a second
// hpvmconsole is told which one holds it without waiting on QEMU.
void hold_console(const Fd& fd, const std::filesystem::path& holder,
                  std::chrono::milliseconds wait) {
  if (!fd) {
    throw hpvm::Error(fmt::format("Cannot open '{}': {}.", holder.string(), std::strerror(errno)));
  }
  const auto deadline = Clock::now() + wait;
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (Clock::now() >= deadline) {
      const auto who = split(trim(read_file(holder).value_or(""), " \t\n"), ' ');
      throw hpvm::Error(fmt::format(
          "The guest's console is in use by hpvmconsole (pid {}, user {}) and was not free "
          "within {} s. Try again once it detaches (Ctrl-B).",
          !who.empty() && !who[0].empty() ? who[0] : "unknown", who.size() > 1 ? who[1] : "unknown",
          seconds(wait)));
    }
    std::this_thread::sleep_for(k_poll_interval);
  }
  const std::string me = fmt::format("{} {}\n", ::getpid(), effective_user_name());
  if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), me.data(), me.size(), 0) < 0) {
    // Unnamed, the hold still works: a second command says "unknown".
  }
}

} // namespace

ConsoleEnd attach_console(const std::filesystem::path& socket, const std::filesystem::path& holder,
                          int in_fd, int out_fd) {
  const Fd hold(::open(holder.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  // Another hpvmconsole's hold, then any other program's, each bounded.
  hold_console(hold, holder, k_console_hold_wait);
  const int sock = connect_console(socket, k_console_hold_wait);
  RawTerminal terminal(in_fd);
  bool input_open = true;
  ConsoleEnd end = ConsoleEnd::guest_closed;
  char buffer[4096];
  while (true) {
    pollfd fds[2] = {{sock, POLLIN, 0}, {input_open ? in_fd : -1, POLLIN, 0}};
    const int ready = ::poll(fds, 2, input_open ? -1 : k_drain_ms);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      end = ConsoleEnd::input_closed; // drained after the end of input
      break;
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t n = ::read(sock, buffer, sizeof buffer);
      if (n <= 0 || !write_all(out_fd, buffer, static_cast<std::size_t>(n))) {
        end = ConsoleEnd::guest_closed;
        break;
      }
    }
    if (input_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t n = ::read(in_fd, buffer, sizeof buffer);
      if (n <= 0) {
        input_open = false;
        continue;
      }
      const auto size = static_cast<std::size_t>(n);
      const void* detach = std::memchr(buffer, k_console_detach_key, size);
      const std::size_t forward =
          detach == nullptr ? size
                            : static_cast<std::size_t>(static_cast<const char*>(detach) - buffer);
      if (!write_all(sock, buffer, forward)) {
        end = ConsoleEnd::guest_closed;
        break;
      }
      if (detach != nullptr) {
        end = ConsoleEnd::detached;
        break;
      }
    }
  }
  ::close(sock);
  return end;
}

} // namespace avio
