// The guest's serial console: relaying a terminal to its unix socket.
#pragma once

#include <chrono>
#include <filesystem>

namespace avio {

// Ctrl-B detaches, as on HPVM's virtual console.
inline constexpr unsigned char k_console_detach_key = 0x02;

enum class ConsoleEnd : unsigned char {
  detached,     // the user typed the detach key
  input_closed, // standard input ended (not a terminal): output was drained briefly
  guest_closed, // QEMU closed the console (the guest stopped)
};

// How long hpvmconsole waits for the console another one (or any other
// program connected to its socket) holds.
inline constexpr std::chrono::milliseconds k_console_hold_wait{3000};

// Relays `in_fd` to the console socket and the socket to `out_fd` until one
// of the ends above, holding the console through the file `holder` (a flock:
// one relay at a time). A terminal on `in_fd` is put in raw mode meanwhile
// and restored after. Throws hpvm::Error when the socket cannot be reached,
// or when another relay, or another program connected to the socket, holds
// the console for k_console_hold_wait (naming it: pid, user, command line).
ConsoleEnd attach_console(const std::filesystem::path& socket, const std::filesystem::path& holder,
                          int in_fd, int out_fd);

} // namespace avio
