#!/usr/bin/env python3
"""A scripted guest for hpvmdevinfo's suite: serves a run directory's
agent.sock as qemu-ga would (guest-sync-delimited, guest-get-disks,
guest-network-get-interfaces, guest-file-open/read/close) from a JSON file
{"disks": [...], "interfaces": [...], "files": {path: text}}, the first two
each the command's "return" value, "files" what guest-file-read reads. With --silent the agent socket accepts and
never answers (a guest with no agent running). Serves until killed.

usage: fake_agent.py RUN_DIR ANSWERS.json [--silent]
"""
import base64
import json
import os
import socket
import sys


def listen(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(4)
    return s


def lines(conn):
    buf = b""
    while True:
        chunk = conn.recv(4096)
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if line.strip():
                yield json.loads(line)


def send(conn, obj, prefix=b""):
    conn.sendall(prefix + json.dumps(obj).encode() + b"\n")


def agent(server, answers, silent):
    held = []
    while True:
        conn, _ = server.accept()
        if silent:
            held.append(conn)  # open, never answered
            continue
        handles = []
        try:
            # A stale reply from an earlier client comes first, as it can in a real guest.
            send(conn, {"return": {}})
            for msg in lines(conn):
                cmd = msg.get("execute")
                if cmd == "guest-sync-delimited":
                    send(conn, {"return": msg["arguments"]["id"]}, prefix=b"\xff")
                elif cmd == "guest-get-disks":
                    send(conn, {"return": answers["disks"]})
                elif cmd == "guest-network-get-interfaces":
                    send(conn, {"return": answers["interfaces"]})
                elif cmd == "guest-file-open":
                    path = msg["arguments"]["path"]
                    if path in answers["files"]:
                        handles.append(path)
                        send(conn, {"return": 1000 + len(handles) - 1})
                    else:
                        send(conn, {"error": {"class": "GenericError", "desc": "No such file"}})
                elif cmd == "guest-file-read":
                    data = answers["files"][handles[msg["arguments"]["handle"] - 1000]].encode()
                    send(conn, {"return": {"count": len(data), "eof": True,
                                           "buf-b64": base64.b64encode(data).decode()}})
                elif cmd == "guest-file-close":
                    send(conn, {"return": {}})
                else:
                    send(conn, {"error": {"class": "CommandNotFound", "desc": cmd}})
        except OSError:
            pass
        conn.close()


def main():
    run_dir, answers_file = sys.argv[1], sys.argv[2]
    silent = "--silent" in sys.argv[3:]
    with open(answers_file) as f:
        answers = json.load(f)
    agent(listen(os.path.join(run_dir, "agent.sock")), answers, silent)


if __name__ == "__main__":
    main()
