#include "avio/qmp.hpp"

#include "avio/deadline.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <thread>

namespace avio {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* k_qmp_what = "QMP socket";

int milliseconds_until(Clock::time_point deadline) {
  return static_cast<int>(millis_until(deadline).count());
}

// The address QEMU listens on. A path too long for sun_path is reached
// through a descriptor of its directory (/proc/self/fd/N/name), so a deep
// $HPVM_ROOT still works; `dir_fd` holds that descriptor until connect().
sockaddr_un socket_address(const std::filesystem::path& socket, int& dir_fd) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::string path = socket.string();
  if (path.size() >= sizeof address.sun_path) {
    dir_fd = ::open(socket.parent_path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
      throw hpvm::Error(fmt::format("Cannot open the directory of the socket '{}': {}.",
                                    socket.string(), std::strerror(errno)));
    }
    path = fmt::format("/proc/self/fd/{}/{}", dir_fd, socket.filename().string());
    if (path.size() >= sizeof address.sun_path) {
      throw hpvm::Error(fmt::format("The socket name '{}' is too long.", socket.string()));
    }
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

// Connects without blocking: a listen queue that stays full (a client holds
// the monitor and others wait behind it) is retried until `wait` passes.
int connect_bounded(const std::filesystem::path& socket, Millis wait, const char* what) {
  int dir_fd = -1;
  const sockaddr_un address = socket_address(socket, dir_fd);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int error = fd < 0 ? errno : 0;
  const auto deadline = Clock::now() + wait;
  while (fd >= 0) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
      error = 0;
      break;
    }
    error = errno;
    if (error != EAGAIN && error != EINTR) {
      break;
    }
    if (Clock::now() >= deadline) {
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  if (dir_fd >= 0) {
    ::close(dir_fd);
  }
  if (error == 0) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
  }
  if (fd >= 0) {
    ::close(fd);
  }
  if (error == EAGAIN) {
    // QEMU serves one client per socket; the others queue behind it.
    const std::string_view holder = std::string_view(what) == k_qmp_what ? "monitor" : what;
    throw MonitorUnavailable(
        fmt::format("The guest's {} is busy: another client holds its {} '{}' and more wait "
                    "behind it (gave up after {} ms).",
                    holder, what, socket.string(), wait.count()),
        fmt::format("{} busy", holder));
  }
  throw hpvm::Error(fmt::format("Cannot connect to the guest's {} '{}': {}.", what, socket.string(),
                                std::strerror(error)));
}

// Ids name the process too: a reply left over from a killed command of an
// earlier process never matches this one's.
std::string command_id(unsigned n) {
  return fmt::format("hpvm-{}-{}", ::getpid(), n);
}

} // namespace

const Json& json_member(const Json& object, std::string_view key) {
  static const Json k_null;
  if (!object.is_object()) {
    return k_null;
  }
  const auto it = object.find(key);
  return it == object.end() ? k_null : *it;
}

std::string json_text(const Json& object, std::string_view key, std::string_view fallback) {
  const Json& member = json_member(object, key);
  return member.is_string() ? member.get<std::string>() : std::string(fallback);
}

JsonChannel::JsonChannel(const std::filesystem::path& socket, Millis wait, const char* what)
    : m_fd(connect_bounded(socket, wait, what)), m_what(what), m_socket(socket.string()) {}

JsonChannel::JsonChannel(JsonChannel&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_buffer(std::move(other.m_buffer)),
      m_closed(other.m_closed), m_what(other.m_what), m_socket(std::move(other.m_socket)) {}

JsonChannel::~JsonChannel() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

void JsonChannel::send(const Json& message) {
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

bool JsonChannel::fill(Clock::time_point deadline) {
  while (true) {
    if (m_closed) {
      throw hpvm::Error(fmt::format("QEMU closed the connection to the {}.", m_what));
    }
    pollfd p{m_fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, milliseconds_until(deadline));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready == 0) {
      return false;
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
    return true;
  }
}

std::optional<Json> JsonChannel::read_message(Clock::time_point deadline) {
  while (true) {
    if (const auto end = m_buffer.find('\n'); end != std::string::npos) {
      std::string line = m_buffer.substr(0, end);
      m_buffer.erase(0, end + 1);
      if (line.find_first_not_of(" \r\t") == std::string::npos) {
        continue;
      }
      // One JSON object per line (QMP's form, the guest agent's too);
      // anything else is not QEMU.
      Json message = Json::parse(line, nullptr, false);
      if (!message.is_object()) {
        throw hpvm::Error(fmt::format("The {} '{}' sent a line that is not a JSON "
                                      "object (QMP's form): '{}'.",
                                      m_what, m_socket, line.substr(0, 200)));
      }
      return message;
    }
    if (!fill(deadline)) {
      return std::nullopt;
    }
  }
}

bool JsonChannel::skip_past_delimiter(Clock::time_point deadline) {
  while (true) {
    if (const auto at = m_buffer.find('\xff'); at != std::string::npos) {
      m_buffer.erase(0, at + 1);
      return true;
    }
    m_buffer.clear();
    if (!fill(deadline)) {
      return false;
    }
  }
}

QmpClient::QmpClient(const std::filesystem::path& socket, Millis timeout, Millis greeting_timeout)
    : m_channel(socket, greeting_timeout, k_qmp_what), m_timeout(timeout),
      m_greeting_timeout(greeting_timeout), m_socket(socket.string()) {
  // Capabilities are asked for at once; the greeting and their answer are
  // read with the first command's: no round trip of its own.
  m_channel.send(Json{{"execute", "qmp_capabilities"}, {"id", command_id(0)}});
  m_handshake_pending = true;
}

QmpClient::QmpClient(QmpClient&& other) noexcept
    : m_channel(std::move(other.m_channel)), m_events(std::move(other.m_events)),
      m_handshake_pending(other.m_handshake_pending), m_timeout(other.m_timeout),
      m_greeting_timeout(other.m_greeting_timeout), m_next_id(other.m_next_id),
      m_socket(std::move(other.m_socket)) {}

void QmpClient::complete_handshake() {
  if (!m_handshake_pending) {
    return;
  }
  m_handshake_pending = false;
  const auto greeting = m_channel.read_message(Clock::now() + m_greeting_timeout);
  if (!greeting || !greeting->contains("QMP")) {
    throw MonitorUnavailable(
        fmt::format("The guest's monitor did not answer within {} ms: another client holds its "
                    "QMP socket '{}', or QEMU is not responding.",
                    m_greeting_timeout.count(), m_socket),
        "monitor busy or not responding");
  }
  reply_to("qmp_capabilities", command_id(0), Clock::now() + m_timeout, m_timeout);
}

Json QmpClient::reply_to(const std::string& command, const std::string& id,
                         Clock::time_point deadline, Millis timeout) {
  while (true) {
    auto message = m_channel.read_message(deadline);
    if (!message) {
      throw MonitorUnavailable(
          fmt::format("QEMU did not answer '{}' within {} ms.", command, timeout.count()),
          "not responding");
    }
    if (message->contains("event")) {
      m_events.push_back(std::move(*message));
      continue;
    }
    if (const auto other = message->find("id"); other != message->end() && *other != id) {
      continue; // the answer to a command this client never sent
    }
    if (auto error = message->find("error"); error != message->end()) {
      throw QmpError(command, json_text(*error, "class"),
                     json_text(*error, "desc", "unknown error"));
    }
    if (auto result = message->find("return"); result != message->end()) {
      return *result;
    }
  }
}

QmpClient::~QmpClient() = default;

Json QmpClient::execute(const std::string& command, const Json& arguments, Millis timeout) {
  const std::string id = command_id(++m_next_id);
  Json request{{"execute", command}, {"id", id}};
  if (!arguments.empty()) {
    request["arguments"] = arguments;
  }
  m_channel.send(request);
  complete_handshake();
  return reply_to(command, id, Clock::now() + timeout, timeout);
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
    auto message = m_channel.read_message(deadline);
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
    while (m_channel.read_message(deadline)) {
    }
    return false;
  } catch (const hpvm::Error&) {
    return true; // QEMU closed the connection
  }
}

} // namespace avio
