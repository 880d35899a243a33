"""What the stress drivers (kill_campaign.py, concurrency.py) share: a private
network namespace, a scratch HPVM_ROOT, running the built commands, QMP
queries, and a logical dump of everything the commands may change: the
configuration (guests as `hpvmstatus -X` prints them, device-database
entries, vswitches and their ports) and what may be left behind (run
directories, the guests/ links, scratch files, taps and bridges, processes,
the running guests' QEMU devices).
"""
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time


def enter_network_namespace(marker):
    """Re-executes the calling script under `unshare -n` once, so bridges
    and taps stay private; exits 77 (skip) when that is impossible."""
    if os.environ.get(marker):
        return
    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "-n", "true"], stderr=subprocess.DEVNULL).returncode != 0:
        print("SKIP: cannot make a private network namespace (unshare -n): the run would touch "
              "the host's interfaces.")
        sys.exit(77)
    env = dict(os.environ, **{marker: "1"})
    os.execvpe("unshare", ["unshare", "-n", sys.executable] + sys.argv, env)


def require_runtime():
    """QEMU and /dev/net/tun, as tests/cli/runtime_lib.sh asks."""
    if shutil.which("qemu-system-x86_64") is None:
        print("SKIP: qemu-system-x86_64 is not installed (scripts/bootstrap installs it).")
        sys.exit(77)
    if not os.path.exists("/dev/net/tun"):
        print("SKIP: /dev/net/tun is missing: guests' vNICs need tap devices.")
        sys.exit(77)


class Qmp:
    """A bounded QMP client (every read waits at most `timeout` seconds)."""

    def __init__(self, path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.stream = self.sock.makefile("rw")
        json.loads(self.stream.readline())
        self.execute("qmp_capabilities")

    def execute(self, command, **arguments):
        self.stream.write(json.dumps({"execute": command, "arguments": arguments}) + "\n")
        self.stream.flush()
        while True:
            line = self.stream.readline()
            if not line:
                raise OSError(f"QMP closed during {command}")
            reply = json.loads(line)
            if "event" in reply:
                continue
            if "error" in reply:
                raise OSError(f"{command}: {reply['error']['desc']}")
            return reply["return"]

    def close(self):
        self.sock.close()


def live_devices(sock_path):
    """What a running guest's QEMU has, as sorted lines: drives, devices,
    block nodes and netdevs of ours."""
    q = Qmp(sock_path)
    try:
        lines = []
        for block in q.execute("query-block"):
            inserted = block.get("inserted")
            lines.append(f"drive {block.get('qdev', '').split('/')[-1]} "
                         f"{inserted['file'] if inserted else '-'}")
        # Device ids (query-pci shows devices behind a bridge only once the
        # firmware has numbered its bus: not yet just after a start).
        for child in q.execute("qom-list", path="/machine/peripheral"):
            if child["type"].startswith("child<"):
                lines.append(f"device {child['name']}")
        for node in q.execute("query-named-block-nodes"):
            if node.get("node-name", "").startswith("hpvm"):
                lines.append(f"node {node['node-name']}")
        info = q.execute("human-monitor-command", **{"command-line": "info network"})
        for m in re.finditer(r"^\s*(?:\\\s*)?(hpvm[^:\s]*):", info, re.M):
            lines.append(f"netdev {m.group(1)}")
        return "\n".join(sorted(set(lines)))
    finally:
        q.close()


class Env:
    """A scratch HPVM_ROOT and directory; runs the commands in `bin_dir`."""

    def __init__(self, bin_dir, name):
        self.bin = os.path.realpath(bin_dir)
        self.base = tempfile.mkdtemp(prefix=f"hpvm-{name}.")
        self.root = os.path.join(self.base, "root")
        self.scratch = os.path.join(self.base, "s")
        os.mkdir(self.root, 0o700)
        os.mkdir(self.scratch)
        self.env = dict(os.environ, HPVM_ROOT=self.root, LC_ALL="C",
                        PATH=self.bin + ":" + os.environ.get("PATH", ""))
        self.db = os.path.join(self.root, "hpvm.db")
        self.started = set()  # guests hpvmstart started

    def argv(self, args):
        return [os.path.join(self.bin, args[0])] + list(args[1:])

    def run(self, *args, timeout=120):
        """Runs one command to its end (a hang is killed after `timeout` s
        and reported as exit status -9 with a note on stderr)."""
        start = time.monotonic()
        try:
            p = subprocess.run(self.argv(args), env=self.env, stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=timeout)
            return p.returncode, p.stdout, p.stderr, time.monotonic() - start
        except subprocess.TimeoutExpired as e:
            return -9, e.stdout or "", f"(hung: killed after {timeout} s)", timeout

    def must(self, *args):
        rc, out, err, _ = self.run(*args)
        if rc != 0:
            raise SystemExit(f"setup: {' '.join(args)} failed ({rc}): {err.strip()}")
        return out

    def start(self, guest):
        self.must("hpvmstart", "-P", guest)
        self.started.add(guest)

    def sql(self, query, params=()):
        """A read-only query (no checkpoint, no lock held afterwards)."""
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            return con.execute(query, params).fetchall()
        finally:
            con.close()

    def integrity(self):
        return ";".join(r[0] for r in self.sql("PRAGMA integrity_check"))

    def qemu_pid(self, guest):
        rows = self.sql("SELECT uuid FROM guests WHERE name = ?", (guest,))
        if not rows:
            return None
        try:
            with open(os.path.join(self.root, "uuids", rows[0][0], "qemu.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def close(self):
        """Stops every guest this run started (hpvmstop -F, then SIGKILL of
        the QEMU pid it recorded) and removes the scratch directories."""
        for guest in sorted(self.started):
            pid = self.qemu_pid(guest)
            self.run("hpvmstop", "-F", "-q", "-P", guest, timeout=60)
            if pid and _is_qemu(pid, self.root):
                os.kill(pid, 9)
        shutil.rmtree(self.base, ignore_errors=True)


def _is_qemu(pid, root):
    try:
        return "qemu-system" in os.readlink(f"/proc/{pid}/exe") and \
            os.readlink(f"/proc/{pid}/cwd").startswith(root)
    except OSError:
        return False


# ----------------------------------------------------------------- dumps

MAC = re.compile(r"0x[0-9A-Fa-f]{12}")


def dump(env, mask_macs=(), running=()):
    """The logical state as {key: text}. Key prefixes: guest:, devdb:,
    vswitch: (configuration: the database rows, ids left out); file:,
    scratch:, host:, proc: (leftovers); live: (running guests' QEMU)."""
    d = {}
    con = sqlite3.connect(f"file:{env.db}?mode=ro", uri=True, timeout=30)
    try:
        guests = {i: n for i, n in con.execute("SELECT id, name FROM guests")}
        uuids = {u: n for u, n in con.execute("SELECT uuid, name FROM guests")}
        numbers = {str(v): n for v, n in con.execute("SELECT vm_number, name FROM guests")}
        entries = {i: f"{t}:{n}" for i, t, n in con.execute("SELECT id, type, name FROM devdb_entries")}
        vswitches = {i: n for i, n in con.execute("SELECT id, name FROM vswitches")}
        bridges = {f"hpvsw{v}": n for v, n in con.execute("SELECT number, name FROM vswitches")}
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite%' ORDER BY name")]
        rows = {}
        for table in tables:
            if table == "vswitch_numbers":
                continue  # the highest number ever given: it only grows
            if table == "guest_config_exports":
                continue  # the other rows as written to vmm_config.current; its change number only grows
            cur = con.execute(f'SELECT * FROM "{table}"')
            cols = [c[0] for c in cur.description]
            for row in cur:
                r = dict(zip(cols, row))
                if table == "guests":
                    key = f"guest:{r['name']}"
                elif "guest_id" in r:
                    key = f"guest:{guests.get(r['guest_id'], '?')}"
                elif table == "devdb_entries":
                    key = f"devdb:{entries[r['id']]}"
                elif "entry_id" in r:
                    key = f"devdb:{entries.get(r['entry_id'], '?')}"
                elif table == "vswitches":
                    key = f"vswitch:{r['name']}"
                elif "vswitch_id" in r:
                    key = f"vswitch:{vswitches.get(r['vswitch_id'], '?')}"
                else:
                    key = f"table:{table}"
                # Ids, uuids and numbers given anew each time are not compared.
                for c in ("id", "guest_id", "entry_id", "vswitch_id", "uuid", "vm_number"):
                    r.pop(c, None)
                if table == "vswitches":
                    r.pop("number")
                if "identity" in r:
                    # A file made anew (hpvmclone -b's target) has another inode.
                    r["identity"] = re.sub(r"^ino:\d+:\d+$", "ino", str(r["identity"]))
                if table == "network_devices" and r.get("vswitch_port") is not None:
                    # The first free port: which one depends on the other guests.
                    r["vswitch_port"] = "held"
                if table == "network_devices" and key[6:] in mask_macs:
                    r["mac"] = "MAC"
                rows.setdefault(key, []).append(table + " " + "|".join(f"{c}={v}" for c, v in r.items()))
        for key, lines in rows.items():
            d[key] = "\n".join(sorted(lines))
    finally:
        con.close()
    # Leftovers: every file under HPVM_ROOT but the database, the logs
    # (commands, runtime events) and the write lock's record, run directories
    # named by their guest.
    for dirpath, dirnames, filenames in os.walk(env.root):
        rel = os.path.relpath(dirpath, env.root)
        for name in filenames + [n for n in dirnames if os.path.islink(os.path.join(dirpath, n))]:
            path = os.path.normpath(os.path.join(rel, name))
            if path in ("hpvm.db", "hpvm.db-wal", "hpvm.db-shm", "common/command.log",
                        "common/runtime_events.log", "common/runtime_events.log.old",
                        "common/write-lock.holder"):
                continue
            value = os.readlink(os.path.join(dirpath, name)) \
                if os.path.islink(os.path.join(dirpath, name)) else "file"
            d["file:" + _name_uuids(path, uuids)] = _name_uuids(value, uuids)
        for name in dirnames:
            path = os.path.normpath(os.path.join(rel, name))
            if not os.path.islink(os.path.join(dirpath, name)):
                d["file:" + _name_uuids(path, uuids) + "/"] = "dir"
    for name in os.listdir(env.scratch):
        d[f"scratch:{name}"] = str(os.path.getsize(os.path.join(env.scratch, name)))
    # Our interfaces: bridges by vswitch name, taps by guest.
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    for m in re.finditer(r"^\d+: ([^:@]+)[^<]*<([^>]*)>(.*)$", out, re.M):
        name, flags, rest = m.groups()
        if not name.startswith("hpv"):
            continue
        master = re.search(r" master (\S+)", rest)
        master = _link_name(master.group(1), bridges) if master else "-"
        up = "UP" if "UP" in flags.split(",") else "DOWN"
        d[f"host:{_link_name(name, bridges)}"] = f"{up} master {master}"
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if exe.startswith(env.bin + "/") and _root_of(pid) == env.root:
            d[f"proc:{os.path.basename(exe)}:{pid}"] = "running"
        elif "qemu-system" in exe and cwd.startswith(env.root):
            d["proc:qemu:" + _name_uuids(os.path.relpath(cwd, env.root), uuids)] = "running"
    for guest in running:
        sock = os.path.join(env.root, "guests", guest, "qmp.sock")
        try:
            d[f"live:{guest}"] = live_devices(sock)
        except (OSError, ValueError) as e:
            d[f"live:{guest}"] = f"(no answer: {e})"
    return d


VLAN_LINK = re.compile(r"(hpvsw\d+)([v.])(\d+)")


def _link_name(name, bridges):
    """A vswitch's interfaces named by the vswitch (its number changes from
    one cycle to the next): its bridge, its VLANs' bridges (hpvswNvV) and its
    uplink's 802.1Q interfaces (hpvswN.V)."""
    if name in bridges:
        return "bridge " + bridges[name]
    m = VLAN_LINK.fullmatch(name)
    if m and m.group(1) in bridges:
        kind = "VLAN bridge" if m.group(2) == "v" else "802.1Q interface"
        return f"{kind} {bridges[m.group(1)]} {m.group(3)}"
    return name


def interface_of(env, name):
    """The host interface a dump's host: key names (the reverse of _link_name)."""
    m = re.fullmatch(r"(VLAN bridge|802\.1Q interface) (\S+) (\d+)", name)
    if not m:
        return name
    con = sqlite3.connect(f"file:{env.db}?mode=ro", uri=True, timeout=30)
    try:
        row = con.execute("SELECT number FROM vswitches WHERE name = ?", (m.group(2),)).fetchone()
    finally:
        con.close()
    if row is None:
        return name
    return f"hpvsw{row[0]}{'v' if m.group(1) == 'VLAN bridge' else '.'}{m.group(3)}"


def _root_of(pid):
    """The HPVM_ROOT a process runs with (another run's are not ours)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            for var in f.read().split(b"\0"):
                if var.startswith(b"HPVM_ROOT="):
                    return var[len(b"HPVM_ROOT="):].decode()
    except OSError:
        pass
    return None


def _name_uuids(text, uuids):
    for uuid, name in uuids.items():
        text = text.replace(uuid, f"<{name}>")
    return text


CONFIG = ("guest:", "devdb:", "vswitch:", "table:")


def category(key):
    """config, live, or the kind of leftover a key stands for."""
    if key.startswith(CONFIG):
        return "config"
    if key.startswith("live:"):
        return "live"
    if re.match(r"host:hpv\d+n", key):
        return "tap"
    if key.startswith("host:"):
        return "bridge"
    if key.startswith("proc:"):
        return "process"
    if key.startswith("scratch:"):
        return "scratch file"
    if re.match(r"file:uuids/[0-9a-f-]{36}", key):
        return "orphan run directory"
    if key.startswith("file:guests/"):
        return "guests/ link"
    if key.startswith("file:running/"):
        return "running index file"
    if key.endswith(".tmp"):
        return "temporary file"
    return "file under HPVM_ROOT"


def differences(a, b, keys=None):
    """Keys whose values differ (missing counts as a value)."""
    keys = set(a) | set(b) if keys is None else keys
    return sorted(k for k in keys if a.get(k) != b.get(k))
