// Other processes on the host, for messages that name who holds something:
// a process's name, command line and user (/proc/<pid>), the unix sockets
// the kernel knows (sock_diag: socket file, peer, listen queue) and which process
// has a socket open (/proc/<pid>/fd).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace avio {

struct ProcessInfo {
  pid_t pid = 0;
  std::string name;         // its program's file name (argv[0] without its directory)
  std::string command_line; // as typed (quote_command_line), the program by its name
  std::string user;
};
// Process `pid` as /proc shows it; nullopt when it is gone (or a kernel thread).
std::optional<ProcessInfo> process_info(pid_t pid);

struct UnixSocket {
  std::uint64_t inode = 0;
  // The socket file it is bound to (its inode, and device as stat gives
  // it), which a server's accepted sockets carry too; 0 when it has none.
  std::uint64_t file_inode = 0;
  std::uint64_t file_device = 0;
  std::uint64_t peer = 0; // the other end's inode, 0 when unconnected
  bool listening = false;
  std::uint32_t queued = 0; // listening: connections not yet accepted
};
// Every unix socket of this network namespace (NETLINK_SOCK_DIAG). Throws
// hpvm::Error when the kernel does not answer (within 2 s).
std::vector<UnixSocket> unix_sockets();

// Which process has each of `inodes` (sockets) open, by a scan of
// /proc/<pid>/fd; an inode no process holds is not in the map. Root sees
// every process.
std::map<std::uint64_t, pid_t> socket_holders(const std::set<std::uint64_t>& inodes);
// The same for the processes in `pids` only (cheaper: a handful of fd tables).
std::map<std::uint64_t, pid_t> socket_holders(const std::set<std::uint64_t>& inodes,
                                              const std::vector<pid_t>& pids);

} // namespace avio
