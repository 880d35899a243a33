#!/usr/bin/env python3
"""Stands between a guest's QEMU and one client on the QMP socket, and kills
that client with SIGKILL at a chosen point of a hot-plug, for the crash tests.

  qmp_interpose.py SOCKET QEMU_SOCKET (before|after) COMMAND [client|qemu]

Listens on SOCKET (where the client looks for QEMU) and relays every line to
QEMU_SOCKET (where the test moved QEMU's own socket). When the client sends
COMMAND, the client (found by SO_PEERCRED, so always the process that really
connected) is killed: "before" the command reaches QEMU, or "after" QEMU
answered it and before the client can read the answer. QEMU is real; only the
moment of the kill is chosen. Prints "killed PID" and exits after one client.
With "qemu" last, QEMU is killed instead (found the same way, on its socket):
a QEMU that dies in the middle of a command.
"""
import json
import os
import signal
import socket
import struct
import sys
import threading


def main():
    listen_path, qemu_path, when, command = sys.argv[1:5]
    victim = sys.argv[5] if len(sys.argv) > 5 else "client"
    server = socket.socket(socket.AF_UNIX)
    server.bind(listen_path)
    server.listen(1)
    print("listening", flush=True)
    client, _ = server.accept()
    creds = client.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    client_pid = struct.unpack("3i", creds)[0]
    qemu = socket.socket(socket.AF_UNIX)
    qemu.connect(qemu_path)
    creds = qemu.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    qemu_pid = struct.unpack("3i", creds)[0]
    from_client = client.makefile("rb")
    from_qemu = qemu.makefile("rb")
    client.sendall(from_qemu.readline())  # the greeting
    done = threading.Event()
    target_sent = threading.Event()

    def kill():
        pid = qemu_pid if victim == "qemu" else client_pid
        os.kill(pid, signal.SIGKILL)
        print(f"killed {pid}", flush=True)
        done.set()

    # QEMU to the client, events included as they come (a client may wait
    # for one, DEVICE_DELETED, without sending anything). The client sends
    # one command at a time, so the first answer after COMMAND is its own.
    def relay_from_qemu():
        for reply in from_qemu:
            if "event" not in json.loads(reply) and target_sent.is_set():
                kill()
                return
            try:
                client.sendall(reply)
            except OSError:
                return

    threading.Thread(target=relay_from_qemu, daemon=True).start()
    for line in from_client:
        sent = json.loads(line).get("execute")
        if sent == command:
            if when == "before":
                kill()
                break
            target_sent.set()
        qemu.sendall(line)
    done.wait(10)
    if not done.is_set():
        sys.exit(f"qmp_interpose.py: the client never sent {command}")


if __name__ == "__main__":
    main()
