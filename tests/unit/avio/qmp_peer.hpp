// A fake QMP server for the unit tests (test_qmp.cpp, test_hotplug.cpp): a
// unix socket in a private temporary directory. It accepts one connection,
// sends QEMU's greeting, then answers each line the client sends with what
// the responder returns for it (any number of lines; "" for no answer). Once
// the responder returns nullopt it reads on, answering nothing, until the
// client closes the connection.
#pragma once

#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace hpvm_test {

class QmpPeer {
public:
  using Responder = std::function<std::optional<std::string>(const std::string& line)>;

  explicit QmpPeer(Responder respond) : m_dir("unit-qmp"), m_path(m_dir.path() / "qmp.sock") {
    m_listen = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(m_listen >= 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    REQUIRE(m_path.native().size() < sizeof a.sun_path);
    std::strncpy(a.sun_path, m_path.c_str(), sizeof a.sun_path - 1);
    REQUIRE(::bind(m_listen, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(m_listen, 1) == 0);
    m_thread = std::thread([this, respond = std::move(respond)] { serve(respond); });
  }

  // Scripted answers: the n-th line read gets answers[n]; the lines after
  // the last get none.
  explicit QmpPeer(std::vector<std::string> answers)
      : QmpPeer(Responder([answers = std::move(answers), n = std::size_t{0}](
                              const std::string&) mutable -> std::optional<std::string> {
          if (n == answers.size()) {
            return std::nullopt;
          }
          return answers[n++];
        })) {}

  QmpPeer(const QmpPeer&) = delete;
  QmpPeer& operator=(const QmpPeer&) = delete;
  ~QmpPeer() {
    m_thread.join();
    ::close(m_listen);
  }

  const std::filesystem::path& path() const { return m_path; }
  // The lines the client sent that were answered, in order.
  std::vector<std::string> requests() const {
    const std::lock_guard lock(m_mutex);
    return m_requests;
  }

private:
  void serve(const Responder& respond) {
    const int fd = ::accept(m_listen, nullptr, nullptr);
    if (fd < 0) {
      return;
    }
    send(fd, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\n");
    std::string line;
    char c = 0;
    bool answering = true;
    while (::read(fd, &c, 1) == 1) {
      if (c != '\n') {
        line += c;
        continue;
      }
      if (answering) {
        const auto answer = respond(line);
        if (answer) {
          {
            const std::lock_guard lock(m_mutex);
            m_requests.push_back(line);
          }
          send(fd, *answer);
        } else {
          answering = false;
        }
      }
      line.clear();
    }
    ::close(fd);
  }

  static void send(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
      const auto n = ::write(fd, text.data() + done, text.size() - done);
      if (n <= 0) {
        return;
      }
      done += static_cast<std::size_t>(n);
    }
  }

  TempDir m_dir;
  std::filesystem::path m_path;
  int m_listen = -1;
  mutable std::mutex m_mutex;
  std::vector<std::string> m_requests;
  std::thread m_thread;
};

} // namespace hpvm_test
