#include "avio/console.hpp"

#include "avio/error.hpp"
#include "avio/fd.hpp"
#include "avio/host.hpp"
#include "avio/text.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
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

int connect_unix(const std::filesystem::path& socket) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = socket.string();
  if (path.size() >= sizeof address.sun_path) {
    throw hpvm::Error(fmt::format("The console socket path '{}' is too long.", path));
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    if (fd >= 0) {
      ::close(fd);
    }
    throw hpvm::Error(
        fmt::format("Cannot connect to the guest's console '{}': {}.", path, std::strerror(error)));
  }
  return fd;
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
// the console (flock), and writes its name there ("<pid> <user>"): QEMU
// serves one console client at a time, and a second one would wait in its
// listen queue with no word until the first detaches.
void hold_console(const Fd& fd, const std::filesystem::path& holder,
                  std::chrono::milliseconds wait) {
  if (!fd) {
    throw hpvm::Error(fmt::format("Cannot open '{}': {}.", holder.string(), std::strerror(errno)));
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      const auto who = split(trim(read_file(holder).value_or(""), " \t\n"), ' ');
      throw hpvm::Error(fmt::format(
          "The guest's console is in use by hpvmconsole (pid {}, user {}) and was not free "
          "within {} s. Try again once it detaches (Ctrl-B).",
          !who.empty() && !who[0].empty() ? who[0] : "unknown", who.size() > 1 ? who[1] : "unknown",
          wait.count() / 1000));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
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
  hold_console(hold, holder, k_console_hold_wait);
  const int sock = connect_unix(socket);
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
