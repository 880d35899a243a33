// Tests for libavio/avio/processes.cpp: who holds a unix socket, as the
// kernel (sock_diag) and /proc show it.
#include "temp_dir.hpp"

#include <avio/fd.hpp>
#include <avio/processes.hpp>

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <optional>

namespace fs = std::filesystem;

namespace {

int unix_socket() {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  return fd;
}

sockaddr_un address_of(const fs::path& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  REQUIRE(path.string().size() < sizeof address.sun_path);
  std::memcpy(address.sun_path, path.c_str(), path.string().size() + 1);
  return address;
}

std::uint64_t inode_of(int fd) {
  struct stat st {};
  REQUIRE(::fstat(fd, &st) == 0);
  return st.st_ino;
}

std::optional<avio::UnixSocket> find(std::uint64_t inode) {
  for (const auto& s : avio::unix_sockets()) {
    if (s.inode == inode) {
      return s;
    }
  }
  return std::nullopt;
}

} // namespace

TEST_CASE("unix_sockets: a listener's queue, its socket file, and a connection's two ends") {
  const hpvm_test::TempDir tmp("unit-processes");
  const fs::path path = tmp.path() / "s.sock";
  const avio::Fd listener(unix_socket());
  const sockaddr_un address = address_of(path);
  const auto* raw = reinterpret_cast<const sockaddr*>(&address);
  REQUIRE(::bind(listener.get(), raw, sizeof address) == 0);
  REQUIRE(::listen(listener.get(), 4) == 0);
  struct stat file {};
  REQUIRE(::stat(path.c_str(), &file) == 0);

  const avio::Fd client(unix_socket());
  REQUIRE(::connect(client.get(), raw, sizeof address) == 0);
  auto listening = find(inode_of(listener.get()));
  REQUIRE(listening);
  CHECK(listening->listening);
  CHECK(listening->file_inode == file.st_ino);
  CHECK(listening->file_device == file.st_dev);
  CHECK(listening->queued == 1); // connected, not accepted yet

  const avio::Fd server(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(server);
  listening = find(inode_of(listener.get()));
  REQUIRE(listening);
  CHECK(listening->queued == 0);
  const auto client_end = find(inode_of(client.get()));
  REQUIRE(client_end);
  CHECK_FALSE(client_end->listening);
  CHECK(client_end->peer == inode_of(server.get()));
  CHECK(client_end->file_inode == 0);
  // The accepted end carries the listener's socket file.
  const auto server_end = find(inode_of(server.get()));
  REQUIRE(server_end);
  CHECK(server_end->peer == inode_of(client.get()));
  CHECK(server_end->file_inode == file.st_ino);

  const std::set<std::uint64_t> wanted{inode_of(client.get())};
  const auto holders = avio::socket_holders(wanted);
  REQUIRE(holders.size() == 1);
  CHECK(holders.at(inode_of(client.get())) == ::getpid());
  CHECK(avio::socket_holders(wanted, {::getpid()}).size() == 1);
  CHECK(avio::socket_holders(wanted, {::getppid()}).empty());
}

TEST_CASE("process_info: name, command line and user of a process; nullopt when it is gone") {
  const auto me = avio::process_info(::getpid());
  REQUIRE(me);
  CHECK(me->pid == ::getpid());
  CHECK_FALSE(me->name.empty());
  CHECK(me->name.find('/') == std::string::npos);
  CHECK(me->command_line.starts_with(me->name));
  CHECK_FALSE(me->user.empty());
  CHECK_FALSE(avio::process_info(-1));
}
