#include "avio/console.hpp"

#include "avio/error.hpp"

#include <fmt/format.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

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

} // namespace

ConsoleEnd attach_console(const std::filesystem::path& socket, int in_fd, int out_fd) {
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
