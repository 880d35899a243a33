#!/usr/bin/env python3
"""Makes a guest's monitor busy, as a stuck script or an admin poking QEMU
by hand would: one client that greeted and holds the monitor, and more
connections queued behind it that never read. Runs until killed.

  qmp_hold.py SOCKET [QUEUED]   QUEUED extra connections (default 1)

Prints "held" once the first client is in and the others are queued.
"""
import json
import signal
import socket
import sys

path = sys.argv[1]
queued = int(sys.argv[2]) if len(sys.argv) > 2 else 1
holder = socket.socket(socket.AF_UNIX)
holder.connect(path)
stream = holder.makefile("rw")
json.loads(stream.readline())
stream.write(json.dumps({"execute": "qmp_capabilities"}) + "\n")
stream.flush()
json.loads(stream.readline())
waiting = []
for _ in range(queued):
    s = socket.socket(socket.AF_UNIX)
    s.setblocking(False)
    try:
        s.connect(path)
    except BlockingIOError:
        pass  # the listen queue is full already: that is busy enough
    waiting.append(s)
print("held", flush=True)
signal.pause()
