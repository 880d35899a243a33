// Tests for libavio/avio/qmp.cpp against a scripted QMP peer (qmp_peer.hpp) on a real unix
// socket: greeting and capabilities, replies, errors, events that arrive
// between replies, and deadlines.
#include "qmp_peer.hpp"

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
  CHECK(avio::Json::parse(requests[0]) == avio::Json{{"execute", "qmp_capabilities"}});
  CHECK(avio::Json::parse(requests[2]) ==
        avio::Json{{"execute", "device_add"}, {"arguments", {{"id", "x"}}}});
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
  const int listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  std::thread mute([listener] {
    const int fd = ::accept(listener, nullptr, nullptr);
    char c = 0;
    while (::read(fd, &c, 1) == 1) { // reads the client's lines, answers nothing
    }
    ::close(fd);
  });
  {
    avio::QmpClient qmp(path, 100ms);
    CHECK_THROWS_WITH_AS(qmp.execute("query-status"), doctest::Contains("sent no greeting"),
                         hpvm::Error);
  }
  mute.join();
  ::close(listener);
}
