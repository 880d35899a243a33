// The guest's serial console: relaying a terminal to its unix socket.
#pragma once

#include <filesystem>

namespace avio {

// Ctrl-B detaches, as on HPVM's virtual console.
inline constexpr unsigned char k_console_detach_key = 0x02;

enum class ConsoleEnd : unsigned char {
  detached,     // the user typed the detach key
  input_closed, // standard input ended (not a terminal): output was drained briefly
  guest_closed, // QEMU closed the console (the guest stopped)
};

// Relays `in_fd` to the console socket and the socket to `out_fd` until one
// of the ends above. A terminal on `in_fd` is put in raw mode meanwhile and
// restored after. Throws hpvm::Error when the socket cannot be reached.
ConsoleEnd attach_console(const std::filesystem::path& socket, int in_fd, int out_fd);

} // namespace avio
