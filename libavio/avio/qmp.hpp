// A client for QEMU's machine protocol (QMP) on a guest's unix socket:
// commands with a deadline, and the events QEMU sends in between.
#pragma once

#include "avio/error.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace avio {

using Json = nlohmann::json;
using Millis = std::chrono::milliseconds;

inline constexpr Millis k_qmp_timeout{10000};
// How long a command waits for the monitor itself: to be let in (connect)
// and to be greeted. QEMU serves one monitor client at a time and greets the
// next only when the first leaves, so a busy or stopped QEMU shows here;
// commands must not hang on it (read-only ones report "unknown" instead).
inline constexpr Millis k_qmp_greeting_timeout{3000};

// QEMU answered a command with an error. what() is QEMU's description.
class QmpError : public hpvm::Error {
public:
  QmpError(std::string command, std::string error_class, const std::string& description)
      : hpvm::Error(description), m_command(std::move(command)), m_class(std::move(error_class)) {}
  const std::string& command() const { return m_command; }
  const std::string& error_class() const { return m_class; }

private:
  std::string m_command;
  std::string m_class;
};

// The monitor could not be asked at all: another client holds it, or QEMU
// does not answer. reason() says which in a few words (no colon), for the
// state fields of hpvmstatus -M, -X and -J.
class MonitorUnavailable : public hpvm::Error {
public:
  MonitorUnavailable(const std::string& message, std::string reason)
      : hpvm::Error(message), m_reason(std::move(reason)) {}
  const std::string& reason() const { return m_reason; }

private:
  std::string m_reason;
};

// Members of QEMU's messages, read without trusting their shape (a QEMU
// that misbehaves, or something else on its socket, may send any JSON):
// the member `key` of `object`, or null when `object` is no object or has
// no such member.
const Json& json_member(const Json& object, std::string_view key);
// The member as text, or `fallback` when it is missing or not a string.
std::string json_text(const Json& object, std::string_view key, std::string_view fallback = {});

// A unix stream socket carrying one JSON message per line: the transport of
// QMP and of QEMU's guest agent. Every read has a deadline.
class JsonChannel {
public:
  // Connects without blocking; a listen queue that stays full is retried for
  // `wait`. Throws hpvm::Error naming `what` ("QMP socket", ...) when nothing
  // listens or the queue stays full. The socket's path may be of any length
  // (it is reached through its directory).
  JsonChannel(const std::filesystem::path& socket, Millis wait, const char* what = "QMP socket");
  JsonChannel(const JsonChannel&) = delete;
  JsonChannel& operator=(const JsonChannel&) = delete;
  JsonChannel(JsonChannel&& other) noexcept;
  JsonChannel& operator=(JsonChannel&&) = delete;
  ~JsonChannel();

  void send(const Json& message);
  // The next message, or nullopt at the deadline; throws hpvm::Error once the
  // peer has closed the connection and nothing is left to read.
  std::optional<Json> read_message(std::chrono::steady_clock::time_point deadline);
  // Drops everything received up to and including the first 0xFF byte (the
  // guest agent's delimiter, after which its stream is in step); false when
  // none came before the deadline.
  bool skip_past_delimiter(std::chrono::steady_clock::time_point deadline);

private:
  // Reads what is there into the buffer; false at the deadline.
  bool fill(std::chrono::steady_clock::time_point deadline);

  int m_fd = -1;
  std::string m_buffer;
  bool m_closed = false;
  const char* m_what;
  std::string m_socket;
};

class QmpClient {
public:
  // Connects and asks for capabilities; the greeting and the answer to
  // qmp_capabilities are read with the first command's. Throws hpvm::Error
  // when nothing listens on the socket, or when the listen queue stays full
  // for `greeting_timeout` (a busy monitor); the first command throws when
  // QEMU does not greet within `greeting_timeout` nor answer the
  // capabilities within `timeout`. The socket's path may be of any length
  // (it is reached through its directory).
  explicit QmpClient(const std::filesystem::path& socket, Millis timeout = k_qmp_timeout,
                     Millis greeting_timeout = k_qmp_greeting_timeout);
  QmpClient(const QmpClient&) = delete;
  QmpClient& operator=(const QmpClient&) = delete;
  QmpClient(QmpClient&& other) noexcept;
  QmpClient& operator=(QmpClient&&) = delete;
  ~QmpClient();

  // Runs one command and returns its "return" value. Throws QmpError for an
  // error reply and hpvm::Error for a timeout, a closed connection or a
  // line that is not a JSON object. Every
  // command carries an id; a reply with another id (to a command of a client
  // that left before reading it) is dropped.
  Json execute(const std::string& command, const Json& arguments = Json::object(),
               Millis timeout = k_qmp_timeout);

  // Waits for an event named `name` for which `match` holds (events seen
  // earlier are searched first and consumed when they match). nullopt on timeout.
  std::optional<Json> wait_event(const std::string& name,
                                 const std::function<bool(const Json&)>& match, Millis timeout);

  // Reads until QEMU closes the connection (after "quit") or `timeout` passes.
  bool wait_closed(Millis timeout);

private:
  // Waits for the reply to the command sent with `id`, queueing events.
  Json reply_to(const std::string& command, const std::string& id,
                std::chrono::steady_clock::time_point deadline, Millis timeout);
  // Reads the greeting and the reply to the qmp_capabilities the constructor sent.
  void complete_handshake();

  JsonChannel m_channel;
  std::deque<Json> m_events;
  bool m_handshake_pending = false;
  Millis m_timeout{};
  Millis m_greeting_timeout{};
  unsigned m_next_id = 0;
  std::string m_socket; // for messages
};

} // namespace avio
