// Tests for libavio/avio/qmp.cpp against a scripted QMP peer (qmp_peer.hpp) on a real unix
// socket: greeting and capabilities, replies, errors, events that arrive
// between replies, and deadlines.
#include "qmp_peer.hpp"
#include "temp_dir.hpp"

#include <avio/qmp.hpp>

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

using hpvm_test::QmpPeer;

const std::string k_ok = "{\"return\": {}}\n";

// A unix socket listening at `path` (relative: in the current directory)
// with room for `backlog` waiting connections; `address` is where it is.
int listen_at(const std::string& path, int backlog, sockaddr_un& address) {
  const int listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
  address = sockaddr_un{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener, backlog) == 0);
  return listener;
}

} // namespace

TEST_CASE("qmp: capabilities, a reply, an error, and an event between replies") {
  std::vector<std::string> requests;
  {
    QmpPeer peer({k_ok, "{\"return\": {\"status\": \"running\"}}\n",
                  "{\"event\": \"DEVICE_DELETED\", \"data\": {\"device\": \"x\"}}\n"
                  "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Duplicate ID\"}}\n"});
    avio::QmpClient qmp(peer.path(), 2000ms);
    CHECK(qmp.execute("query-status")["status"] == "running");
    try {
      qmp.execute("device_add", {{"id", "x"}});
      FAIL("no QmpError");
    } catch (const avio::QmpError& e) {
      CHECK(std::string(e.what()) == "Duplicate ID");
      CHECK(e.error_class() == "GenericError");
      CHECK(e.command() == "device_add");
    }
    // The event that came before the error reply was kept.
    const auto event = qmp.wait_event(
        "DEVICE_DELETED", [](const avio::Json& e) { return e["data"]["device"] == "x"; }, 0ms);
    REQUIRE(event);
    CHECK((*event)["data"]["device"] == "x");
    CHECK_FALSE(qmp.wait_event(
        "DEVICE_DELETED", [](const avio::Json&) { return true; }, 50ms));
    requests = peer.requests();
  }
  REQUIRE(requests.size() == 3);
  auto first = avio::Json::parse(requests[0]);
  auto third = avio::Json::parse(requests[2]);
  // Every command carries an id of its own, naming this process.
  const std::string prefix = "hpvm-" + std::to_string(::getpid()) + "-";
  CHECK(first["id"].get<std::string>().rfind(prefix, 0) == 0);
  CHECK(third["id"].get<std::string>().rfind(prefix, 0) == 0);
  CHECK(first["id"] != third["id"]);
  first.erase("id");
  third.erase("id");
  CHECK(first == avio::Json{{"execute", "qmp_capabilities"}});
  CHECK(third == avio::Json{{"execute", "device_add"}, {"arguments", {{"id", "x"}}}});
}

TEST_CASE("qmp: a reply carrying another client's id is dropped, not taken for ours") {
  QmpPeer peer({k_ok, "{\"return\": {\"status\": \"stale\"}, \"id\": \"hpvm-1-7\"}\n"
                      "{\"error\": {\"class\": \"GenericError\", \"desc\": \"old\"}, "
                      "\"id\": \"someone\"}\n"
                      "{\"return\": {\"status\": \"running\"}}\n"});
  avio::QmpClient qmp(peer.path(), 2000ms);
  CHECK(qmp.execute("query-status")["status"] == "running");
}

// A listener that never accepts, its queue filled: a monitor another client
// holds with more connections waiting behind it.
TEST_CASE("qmp: a busy monitor (listen queue full) is refused within the bound") {
  const hpvm_test::TempDir dir("unit-qmp-busy");
  const fs::path path = dir.path() / "qmp.sock";
  sockaddr_un a{};
  const int listener = listen_at(path, 0, a);
  std::vector<int> queued;
  for (int i = 0; i < 4; ++i) { // fill the queue without blocking
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    (void)::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    queued.push_back(fd);
  }
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH_AS(avio::QmpClient(path, 2000ms, 300ms),
                       doctest::Contains("The guest's monitor is busy"), hpvm::Error);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 300ms);
  CHECK(took < 2000ms);
  for (const int fd : queued) {
    ::close(fd);
  }
  ::close(listener);
}

TEST_CASE("qmp: a socket path longer than sun_path is reached through its directory") {
  const hpvm_test::TempDir dir("unit-qmp-deep");
  const fs::path deep = dir.path() / std::string(120, 'd');
  fs::create_directories(deep);
  const fs::path path = deep / "qmp.sock";
  REQUIRE(path.string().size() > sizeof(sockaddr_un{}.sun_path));
  // Bound from inside the directory, as QEMU binds a relative path.
  const auto here = fs::current_path();
  fs::current_path(deep);
  sockaddr_un a{};
  const int listener = listen_at("qmp.sock", 1, a);
  fs::current_path(here);
  std::thread peer([listener] {
    const int fd = ::accept(listener, nullptr, nullptr);
    const std::string greeting = "{\"QMP\": {}}\n";
    (void)::write(fd, greeting.data(), greeting.size());
    std::string in;
    char c = 0;
    int answered = 0;
    while (answered < 2 && ::read(fd, &c, 1) == 1) {
      if (c == '\n') {
        const std::string reply =
            answered == 0 ? "{\"return\": {}}\n" : "{\"return\": {\"status\": \"deep\"}}\n";
        (void)::write(fd, reply.data(), reply.size());
        ++answered;
      }
    }
    ::close(fd);
  });
  {
    avio::QmpClient qmp(path, 2000ms);
    CHECK(qmp.execute("query-status")["status"] == "deep");
  }
  peer.join();
  ::close(listener);
}

TEST_CASE("qmp: a command QEMU does not answer times out") {
  QmpPeer peer({k_ok, ""});
  avio::QmpClient qmp(peer.path(), 2000ms);
  CHECK_THROWS_WITH_AS(qmp.execute("query-status", avio::Json::object(), 100ms),
                       "QEMU did not answer 'query-status' within 100 ms.", hpvm::Error);
}

TEST_CASE("qmp: no socket, no client") {
  CHECK_THROWS_AS(avio::QmpClient("/nonexistent/qmp.sock", 100ms), hpvm::Error);
}

TEST_CASE("qmp: the capabilities answer is read with the first command's (one round trip)") {
  // This peer answers nothing until it has read the first command too.
  QmpPeer peer({"", k_ok + "{\"return\": {\"status\": \"running\"}}\n"});
  avio::QmpClient qmp(peer.path(), 500ms);
  CHECK(qmp.execute("query-status")["status"] == "running");
}

TEST_CASE("qmp: refused capabilities fail the first command") {
  QmpPeer peer({"", "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"no\"}}\n"});
  avio::QmpClient qmp(peer.path(), 500ms);
  CHECK_THROWS_WITH_AS(qmp.execute("query-status"), "no", avio::QmpError);
}

TEST_CASE("qmp: a socket that never greets fails the first command, not the connection") {
  const hpvm_test::TempDir dir("unit-qmp-mute");
  const fs::path path = dir.path() / "qmp.sock";
  sockaddr_un a{};
  const int listener = listen_at(path.string(), 1, a);
  std::thread mute([listener] {
    const int fd = ::accept(listener, nullptr, nullptr);
    char c = 0;
    while (::read(fd, &c, 1) == 1) { // reads the client's lines, answers nothing
    }
    ::close(fd);
  });
  {
    avio::QmpClient qmp(path, 100ms, 100ms);
    CHECK_THROWS_WITH_AS(qmp.execute("query-status"),
                         doctest::Contains("The guest's monitor did not answer within"),
                         hpvm::Error);
  }
  mute.join();
  ::close(listener);
}

// Found by tests/fuzz/fuzz_qmp.cpp: a line that is not JSON escaped as
// nlohmann's parse_error, and an error reply of another shape as its type_error.
TEST_CASE("qmp: a line that is not a JSON object is an hpvm::Error naming the socket") {
  for (const std::string line : {"{\"return\": {}", "[1, 2]", "\"text\""}) {
    QmpPeer peer({k_ok, line + "\n"});
    avio::QmpClient qmp(peer.path(), 2000ms);
    CHECK_THROWS_WITH_AS(qmp.execute("query-status"),
                         ("The QMP socket '" + peer.path().string() +
                          "' sent a line that is not a JSON object (QMP's form): '" + line + "'.")
                             .c_str(),
                         hpvm::Error);
  }
}

TEST_CASE("qmp: an error reply of another shape is still a QmpError") {
  QmpPeer peer(
      {k_ok, "{\"error\": {\"class\": 7, \"desc\": [\"x\"]}}\n", "{\"error\": \"just text\"}\n"});
  avio::QmpClient qmp(peer.path(), 2000ms);
  try {
    qmp.execute("device_add");
    FAIL("no QmpError");
  } catch (const avio::QmpError& e) {
    CHECK(std::string(e.what()) == "unknown error");
    CHECK(e.error_class().empty());
  }
  CHECK_THROWS_WITH_AS(qmp.execute("device_del"), "unknown error", avio::QmpError);
}

TEST_CASE("qmp: json_member and json_text trust no shape") {
  const auto message = avio::Json::parse(R"({"data": {"device": "x", "n": 3}, "list": [1]})");
  CHECK(avio::json_text(avio::json_member(message, "data"), "device") == "x");
  CHECK(avio::json_text(avio::json_member(message, "data"), "n", "none") == "none");
  CHECK(avio::json_member(message, "nope").is_null());
  CHECK(avio::json_member(avio::json_member(message, "list"), "x").is_null());
  CHECK(avio::json_text(avio::Json(5), "device").empty());
}
