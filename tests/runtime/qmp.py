#!/usr/bin/env python3
"""Asks a guest's QEMU about itself over QMP, for the runtime tests.

  qmp.py SOCKET pci            one line per device behind a bridge:
                               "<root slot> <bridge id> <slot> <device id>"
  qmp.py SOCKET root           "<slot> <device id>" for every device of ours
                               on the root bus (id set), bridges included
  qmp.py SOCKET balloon        the guest's memory in MB (query-balloon)
  qmp.py SOCKET block          "<device id> <file>" for every drive ("-" if empty)
  qmp.py SOCKET eject ID       ejects the medium of device ID (as a guest can)
  qmp.py SOCKET cpus           "<cpu index> <thread id>" for every vCPU
  qmp.py SOCKET status         the run state (running, paused, ...)
  qmp.py SOCKET get PATH PROP  a QOM property (qom-get), as JSON
  qmp.py SOCKET bandwidth N    caps a migration's stream at N bytes a second
  qmp.py SOCKET migration      the migration's status (query-migrate)
  qmp.py SOCKET write ID        writes 512 bytes of 0x5a at offset 0 of device
                               ID's disk through QEMU's block layer (HMP
                               qemu-io); prints what the monitor said (qemu-io
                               reports to QEMU's own output: nothing unless
                               the command was refused)
  qmp.py SOCKET migrate-away   migrates the guest into nothing (exec:cat >
                               /dev/null) and waits (30 s at most) until it
                               completed: QEMU is left paused in postmigrate,
                               as an hpvmmigrate killed after its stream leaves it
"""
import json
import socket
import sys
import time


def connect(path):
    sock = socket.socket(socket.AF_UNIX)
    # Bounded: a QEMU whose main loop hangs fails the test instead of holding it.
    sock.settimeout(60)
    sock.connect(path)
    stream = sock.makefile("rw")
    json.loads(stream.readline())

    def execute(command, **arguments):
        stream.write(json.dumps({"execute": command, "arguments": arguments}) + "\n")
        stream.flush()
        while True:
            reply = json.loads(stream.readline())
            if "event" in reply:
                continue
            if "error" in reply:
                raise SystemExit(f"qmp.py: {command}: {reply['error']['desc']}")
            return reply["return"]

    execute("qmp_capabilities")
    return execute


def main():
    execute = connect(sys.argv[1])
    what = sys.argv[2]
    if what == "pci":
        for bus in execute("query-pci"):
            for device in bus["devices"]:
                bridge = device.get("pci_bridge")
                if not bridge:
                    continue
                for child in bridge.get("devices", []):
                    print(device["slot"], device.get("qdev_id", ""), child["slot"],
                          child.get("qdev_id", ""))
    elif what == "root":
        for bus in execute("query-pci"):
            for device in bus["devices"]:
                if device.get("qdev_id"):
                    print(device["slot"], device["qdev_id"])
    elif what == "balloon":
        print(execute("query-balloon")["actual"] >> 20)
    elif what == "block":
        for block in execute("query-block"):
            qdev = block.get("qdev", "").split("/")[-1]
            inserted = block.get("inserted")
            print(qdev, inserted["file"] if inserted else "-")
    elif what == "eject":
        execute("eject", id=sys.argv[3], force=True)
    elif what == "cpus":
        for cpu in execute("query-cpus-fast"):
            print(cpu["cpu-index"], cpu["thread-id"])
    elif what == "status":
        print(execute("query-status")["status"])
    elif what == "get":
        print(json.dumps(execute("qom-get", path=sys.argv[3], property=sys.argv[4])))
    elif what == "bandwidth":
        execute("migrate-set-parameters", **{"max-bandwidth": int(sys.argv[3])})
    elif what == "migration":
        print(execute("query-migrate").get("status", "none"))
    elif what == "write":
        print(execute("human-monitor-command",
                      **{"command-line": f'qemu-io -d {sys.argv[3]} "write -P 0x5a 0 512"'}),
              end="")
    elif what == "migrate-away":
        execute("migrate", uri="exec:cat >/dev/null")
        for _ in range(300):
            status = execute("query-migrate").get("status", "none")
            if status == "completed":
                print(execute("query-status")["status"])
                break
            if status in ("failed", "cancelled"):
                raise SystemExit(f"qmp.py: the migration {status}")
            time.sleep(0.1)
        else:
            raise SystemExit("qmp.py: the migration did not complete within 30 s")
    else:
        raise SystemExit(f"qmp.py: unknown query {what}")


if __name__ == "__main__":  # bench/migrate imports connect()
    main()
