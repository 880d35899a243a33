// raw-qmp: the benchmark's floor for one hot-add. It sends QMP lines straight
// to a socket with nothing else (no database, no lock, no JSON library) and
// reads one reply per line. Usage: raw-qmp SOCKET JSON-COMMAND...
// The greeting and qmp_capabilities are handled first; exits 1 on an error reply.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace {

int fd = -1;
std::string pending;

// The next line that is not an event.
std::string reply() {
  while (true) {
    const auto end = pending.find('\n');
    if (end != std::string::npos) {
      std::string line = pending.substr(0, end);
      pending.erase(0, end + 1);
      if (line.find("\"event\"") == std::string::npos) {
        return line;
      }
      continue;
    }
    char buffer[4096];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) {
      return {};
    }
    pending.append(buffer, static_cast<std::size_t>(n));
  }
}

bool send(const std::string& line) {
  const std::string text = line + "\n";
  return ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
         reply().find("\"return\"") != std::string::npos;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: raw-qmp SOCKET JSON-COMMAND...\n");
    return 2;
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, argv[1], sizeof address.sun_path - 1);
  fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::perror("raw-qmp: connect");
    return 1;
  }
  reply(); // greeting
  if (!send(R"({"execute":"qmp_capabilities"})")) {
    return 1;
  }
  for (int i = 2; i < argc; ++i) {
    if (!send(argv[i])) {
      std::fprintf(stderr, "raw-qmp: '%s' failed\n", argv[i]);
      return 1;
    }
  }
  return 0;
}
