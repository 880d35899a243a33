#include "avio/qmp.hpp"

#include <fmt/format.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace avio {

namespace {

using Clock = std::chrono::steady_clock;

int milliseconds_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

} // namespace

QmpClient::QmpClient(const std::filesystem::path& socket, Millis timeout) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = socket.string();
  if (path.size() >= sizeof address.sun_path) {
    throw hpvm::Error(fmt::format("The QMP socket path '{}' is too long.", path));
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (m_fd < 0 ||
      ::connect(m_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    throw hpvm::Error(fmt::format("Cannot connect to the guest's QMP socket '{}': {}.", path,
                                  std::strerror(error)));
  }
  try {
    // Capabilities are asked for at once; the greeting and their answer are
    // read with the first command's: no round trip of its own.
    send(Json{{"execute", "qmp_capabilities"}});
    m_handshake_pending = true;
    m_timeout = timeout;
    m_socket = path;
  } catch (...) {
    ::close(m_fd);
    throw;
  }
}

QmpClient::QmpClient(QmpClient&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_buffer(std::move(other.m_buffer)),
      m_events(std::move(other.m_events)), m_closed(other.m_closed),
      m_handshake_pending(other.m_handshake_pending), m_timeout(other.m_timeout),
      m_socket(std::move(other.m_socket)) {}

void QmpClient::complete_handshake() {
  if (!m_handshake_pending) {
    return;
  }
  m_handshake_pending = false;
  const auto deadline = Clock::now() + m_timeout;
  const auto greeting = read_message(deadline);
  if (!greeting || !greeting->contains("QMP")) {
    throw hpvm::Error(fmt::format("The QMP socket '{}' sent no greeting.", m_socket));
  }
  while (true) {
    auto message = read_message(deadline);
    if (!message) {
      throw hpvm::Error(
          fmt::format("QEMU did not answer 'qmp_capabilities' within {} ms.", m_timeout.count()));
    }
    if (message->contains("event")) {
      m_events.push_back(std::move(*message));
      continue;
    }
    if (auto error = message->find("error"); error != message->end()) {
      throw QmpError("qmp_capabilities", error->value("class", ""),
                     error->value("desc", "unknown error"));
    }
    return;
  }
}

QmpClient::~QmpClient() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

void QmpClient::send(const Json& message) {
  const std::string text = message.dump() + "\n";
  std::size_t sent = 0;
  while (sent < text.size()) {
    const ssize_t n = ::send(m_fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw hpvm::Error(fmt::format("Lost the connection to QEMU: {}.", std::strerror(errno)));
    }
    sent += static_cast<std::size_t>(n);
  }
}

std::optional<Json> QmpClient::read_message(Clock::time_point deadline) {
  while (true) {
    if (const auto end = m_buffer.find('\n'); end != std::string::npos) {
      std::string line = m_buffer.substr(0, end);
      m_buffer.erase(0, end + 1);
      if (line.find_first_not_of(" \r\t") == std::string::npos) {
        continue;
      }
      return Json::parse(line);
    }
    if (m_closed) {
      throw hpvm::Error("QEMU closed the QMP connection.");
    }
    pollfd p{m_fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, milliseconds_until(deadline));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready == 0) {
      return std::nullopt;
    }
    char chunk[8192];
    const ssize_t n = ::read(m_fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      m_closed = true;
      continue;
    }
    m_buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

Json QmpClient::execute(const std::string& command, const Json& arguments, Millis timeout) {
  Json request{{"execute", command}};
  if (!arguments.empty()) {
    request["arguments"] = arguments;
  }
  send(request);
  complete_handshake();
  const auto deadline = Clock::now() + timeout;
  while (true) {
    auto message = read_message(deadline);
    if (!message) {
      throw hpvm::Error(
          fmt::format("QEMU did not answer '{}' within {} ms.", command, timeout.count()));
    }
    if (message->contains("event")) {
      m_events.push_back(std::move(*message));
      continue;
    }
    if (auto error = message->find("error"); error != message->end()) {
      throw QmpError(command, error->value("class", ""), error->value("desc", "unknown error"));
    }
    if (auto result = message->find("return"); result != message->end()) {
      return *result;
    }
  }
}

std::optional<Json> QmpClient::wait_event(const std::string& name,
                                          const std::function<bool(const Json&)>& match,
                                          Millis timeout) {
  complete_handshake();
  for (auto it = m_events.begin(); it != m_events.end(); ++it) {
    if ((*it)["event"] == name && match(*it)) {
      Json event = std::move(*it);
      m_events.erase(it);
      return event;
    }
  }
  const auto deadline = Clock::now() + timeout;
  while (true) {
    auto message = read_message(deadline);
    if (!message) {
      return std::nullopt;
    }
    if (!message->contains("event")) {
      continue; // a late reply to a command that timed out
    }
    if ((*message)["event"] == name && match(*message)) {
      return message;
    }
    m_events.push_back(std::move(*message));
  }
}

bool QmpClient::wait_closed(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  try {
    complete_handshake();
    while (read_message(deadline)) {
    }
    return false;
  } catch (const hpvm::Error&) {
    return true; // QEMU closed the connection
  }
}

} // namespace avio
