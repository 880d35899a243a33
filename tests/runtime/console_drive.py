#!/usr/bin/env python3
"""Drives hpvmconsole on a pseudo-terminal, for the console test:

  console_drive.py TEXT COMMAND ARGS...

Runs COMMAND on a new pty, waits for its banner line, types TEXT, waits until
TEXT comes back (the guest of tests/runtime/echo_boot.py echoes it), then types
Ctrl-B and waits for the command to exit. Prints what the terminal showed,
then "exit N". Fails (exit 1) when something does not arrive within 30 s.
"""
import os
import pty
import select
import sys
import time


def read_until(fd, wanted, seen):
    deadline = time.monotonic() + 30
    while wanted not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            sys.stdout.write(seen.decode(errors="replace"))
            sys.exit(f"console_drive.py: {wanted!r} did not arrive")
        try:
            seen += os.read(fd, 4096)
        except OSError:  # the command ended
            break
    return seen


def main():
    text = sys.argv[1].encode()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[2], sys.argv[2:])
    seen = read_until(fd, b"detach.)", b"")
    os.write(fd, text)
    seen = read_until(fd, text, seen)
    os.write(fd, b"\x02")  # Ctrl-B
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(seen.decode(errors="replace").replace("\r", ""))
    print(f"\nexit {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    main()
