// QMP replies (avio/qmp, and avio/hotplug's reading of the guest's devices):
// the input is all QEMU says on the socket before it closes it, played to a
// real QmpClient through a unix socket; the first byte picks what the client
// asks. Whatever QEMU says, the client answers with a value or hpvm::Error
// (QmpError for an error reply), nothing else, and never waits: the
// connection is closed when the text runs out.
#include "fuzz.hpp"

#include <avio/hotplug.hpp>
#include <avio/qmp.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

namespace {

using namespace std::chrono_literals;

std::filesystem::path g_dir;
std::filesystem::path g_socket;
int g_listener = -1;

void remove_socket_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(g_dir, ignored);
}

void listen_once() {
  char dir[] = "/tmp/hpvm-fuzz-qmp.XXXXXX";
  if (::mkdtemp(dir) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  g_dir = dir;
  g_socket = g_dir / "qmp.sock";
  std::atexit(remove_socket_dir);
  g_listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, g_socket.c_str(), sizeof address.sun_path - 1);
  if (::bind(g_listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(g_listener, 4) != 0) {
    std::perror("bind/listen");
    std::abort();
  }
}

// Writes all of `text` (the input is small: -max_len keeps it below the
// socket's buffer, so this never blocks).
void say(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n <= 0) {
      return;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

void ask(avio::QmpClient& qmp, unsigned what) {
  switch (what % 4) {
  case 0:
    (void)avio::live_devices(qmp);
    break;
  case 1:
    (void)avio::peripheral_ids(qmp);
    break;
  case 2:
    (void)qmp.execute("query-status");
    (void)qmp.wait_event(
        "DEVICE_DELETED",
        [](const avio::Json& e) {
          return avio::json_text(avio::json_member(e, "data"), "device") == "x";
        },
        10ms);
    break;
  default:
    (void)qmp.wait_closed(10ms);
    break;
  }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  listen_once();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = fuzz::text_of(data, size);
  const unsigned what = fuzz::take_selector(text);
  avio::QmpClient qmp(g_socket, 1000ms, 1000ms);
  const int qemu = ::accept4(g_listener, nullptr, nullptr, SOCK_CLOEXEC);
  say(qemu, text);
  ::shutdown(qemu, SHUT_WR);
  try {
    ask(qmp, what);
  } catch (const hpvm::Error&) {
  }
  ::close(qemu);
  return 0;
}
