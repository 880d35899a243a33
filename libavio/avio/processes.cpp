#include "avio/processes.hpp"

#include "avio/error.hpp"
#include "avio/fd.hpp"
#include "avio/host.hpp"
#include "avio/text.hpp"

#include <fmt/format.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

namespace fs = std::filesystem;

namespace avio {

std::optional<ProcessInfo> process_info(pid_t pid) {
  const fs::path proc = fs::path("/proc") / std::to_string(pid);
  const auto cmdline = read_file(proc / "cmdline");
  struct stat st {};
  if (!cmdline || cmdline->empty() || ::stat(proc.c_str(), &st) != 0) {
    return std::nullopt;
  }
  std::string_view args(*cmdline);
  if (args.ends_with('\0')) {
    args.remove_suffix(1); // each argument ends with one
  }
  auto argv = split(args, '\0');
  argv[0] = fs::path(argv[0]).filename().string();
  return ProcessInfo{pid, printable(argv[0]), quote_command_line(argv), user_name(st.st_uid)};
}

namespace {

constexpr std::size_t align4(std::size_t n) {
  return (n + 3) & ~std::size_t{3};
}

// One sock_diag answer: a unix_diag_msg, then its attributes.
UnixSocket parse_socket(const char* body, std::size_t size) {
  unix_diag_msg diag{};
  std::memcpy(&diag, body, sizeof diag);
  UnixSocket socket;
  socket.inode = diag.udiag_ino;
  socket.listening = diag.udiag_state == TCP_LISTEN;
  for (std::size_t at = align4(sizeof diag); at + sizeof(rtattr) <= size;) {
    rtattr attribute{};
    std::memcpy(&attribute, body + at, sizeof attribute);
    if (attribute.rta_len < sizeof attribute || at + attribute.rta_len > size) {
      break;
    }
    const char* data = body + at + align4(sizeof attribute);
    const std::size_t length = attribute.rta_len - align4(sizeof attribute);
    if (attribute.rta_type == UNIX_DIAG_VFS && length >= sizeof(unix_diag_vfs)) {
      unix_diag_vfs file{};
      std::memcpy(&file, data, sizeof file);
      socket.file_inode = file.udiag_vfs_ino;
      // The kernel's own device number (major << 20 | minor), not stat's.
      socket.file_device = makedev(file.udiag_vfs_dev >> 20U, file.udiag_vfs_dev & 0xfffffU);
    } else if (attribute.rta_type == UNIX_DIAG_PEER && length >= sizeof(std::uint32_t)) {
      std::uint32_t peer = 0;
      std::memcpy(&peer, data, sizeof peer);
      socket.peer = peer;
    } else if (attribute.rta_type == UNIX_DIAG_RQLEN && length >= sizeof(unix_diag_rqlen)) {
      unix_diag_rqlen queue{};
      std::memcpy(&queue, data, sizeof queue);
      socket.queued = queue.udiag_rqueue;
    }
    at += align4(attribute.rta_len);
  }
  return socket;
}

} // namespace

std::vector<UnixSocket> unix_sockets() {
  const Fd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  const auto failed = [](int error) {
    return hpvm::Error(
        fmt::format("Cannot list the host's unix sockets (sock_diag): {}.", std::strerror(error)));
  };
  if (!fd) {
    throw failed(errno);
  }
  const timeval bound{2, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
  struct {
    nlmsghdr header;
    unix_diag_req request;
  } message{};
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.request.sdiag_family = AF_UNIX;
  message.request.udiag_states = ~0U;
  message.request.udiag_show = UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN;
  if (::send(fd.get(), &message, sizeof message, 0) < 0) {
    throw failed(errno);
  }
  std::vector<UnixSocket> out;
  std::vector<char> buffer(32768);
  while (true) {
    const ssize_t n = ::recv(fd.get(), buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw failed(n < 0 ? errno : EPIPE);
    }
    const auto size = static_cast<std::size_t>(n);
    for (std::size_t at = 0; at + sizeof(nlmsghdr) <= size;) {
      nlmsghdr header{};
      std::memcpy(&header, buffer.data() + at, sizeof header);
      if (header.nlmsg_len < sizeof header || at + header.nlmsg_len > size) {
        break;
      }
      if (header.nlmsg_type == NLMSG_DONE) {
        return out;
      }
      const char* body = buffer.data() + at + align4(sizeof header);
      const std::size_t body_size = header.nlmsg_len - align4(sizeof header);
      if (header.nlmsg_type == NLMSG_ERROR) {
        nlmsgerr error{};
        std::memcpy(&error, body, std::min(sizeof error, body_size));
        throw failed(-error.error);
      }
      if (body_size >= sizeof(unix_diag_msg)) {
        out.push_back(parse_socket(body, body_size));
      }
      at += align4(header.nlmsg_len);
    }
  }
}

namespace {

void scan_fds(const fs::path& proc, pid_t pid, const std::set<std::uint64_t>& inodes,
              std::map<std::uint64_t, pid_t>& out) {
  std::error_code ec;
  for (fs::directory_iterator it(proc / "fd", ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code link_error;
    const std::string target = fs::read_symlink(it->path(), link_error).string();
    // "socket:[12345]"
    if (link_error || !target.starts_with("socket:[") || !target.ends_with(']')) {
      continue;
    }
    try {
      const std::uint64_t inode = std::stoull(target.substr(8, target.size() - 9));
      if (inodes.contains(inode)) {
        out.emplace(inode, pid);
      }
    } catch (const std::exception&) {
    }
  }
}

} // namespace

std::map<std::uint64_t, pid_t> socket_holders(const std::set<std::uint64_t>& inodes) {
  std::map<std::uint64_t, pid_t> out;
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end && out.size() < inodes.size();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    scan_fds(it->path(), static_cast<pid_t>(std::stol(name)), inodes, out);
  }
  return out;
}

std::map<std::uint64_t, pid_t> socket_holders(const std::set<std::uint64_t>& inodes,
                                              const std::vector<pid_t>& pids) {
  std::map<std::uint64_t, pid_t> out;
  for (const pid_t pid : pids) {
    scan_fds(fs::path("/proc") / std::to_string(pid), pid, inodes, out);
  }
  return out;
}

} // namespace avio
