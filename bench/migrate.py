#!/usr/bin/env python3
"""The body of bench/migrate (read its header): runs as root in host A's
network namespace, host B's namespace and both sshds made by bench/migrate.
    migrate.py BUILD_DIR IMAGE WORK_DIR
Environment: BENCH_ROOT_A, BENCH_ROOT_B (the hosts' HPVM_ROOTs), BENCH_NETNS
(host B's namespace); PATH holds the ssh that reaches hosta and hostb."""
import os
import re
import select
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "runtime"))
from qmp import connect  # noqa: E402

MEMORY = os.environ.get("BENCH_MEMORY", "1G")
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
DIRTY_MBS = int(os.environ.get("BENCH_DIRTY", "8"))
GUEST = "bench"
BOOT_SECS = 600
# One migration, either kind, may take this long before the bench gives up
# (a dirtier faster than the stream never converges).
MIGRATE_SECS = 600
# How often the raw migration asks QEMU how far it is: the floor, faster
# than hpvmmigrate's 200 ms, so that its own polling shows in the wall time.
RAW_POLL = 0.05
# hpvmmigrate's ssh options (avio::ssh_command), for the raw stream.
SSH_OPTIONS = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=5",
               "-o", "ServerAliveCountMax=3", "-l", "root", "-o", "ExitOnForwardFailure=yes",
               "-o", "StreamLocalBindUnlink=yes"]
# Every QMP and console read is bounded.
socket.setdefaulttimeout(60)


class BenchError(Exception):
    pass


def accelerator():
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
        return "KVM"
    except OSError:
        return "TCG"


def mebibytes(text):
    units = {"M": 1, "G": 1024}
    if text[-1:].upper() in units:
        return int(text[:-1]) * units[text[-1:].upper()]
    return int(text)


def run(argv, cwd=None, timeout=120):
    try:
        result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{' '.join(argv)}: no end within {timeout} s")
    if result.returncode != 0:
        raise BenchError(f"{' '.join(argv)}: exit {result.returncode}: {(result.stderr or result.stdout).strip()}")
    return result.stdout


def alive(pid):
    try:
        os.readlink(f"/proc/{pid}/exe")
        return True
    except OSError:
        return False


def wait_gone(pid, secs, what):
    deadline = time.monotonic() + secs
    while alive(pid):
        if time.monotonic() > deadline:
            raise BenchError(f"{what} (pid {pid}) did not exit within {secs} s")
        time.sleep(0.02)


def holds_file_in(pid, path):
    """Whether process pid has a file under path open (a QEMU its console
    log: it runs in / once it daemonized)."""
    fds = f"/proc/{pid}/fd"
    for fd in os.listdir(fds):
        try:
            if os.readlink(os.path.join(fds, fd)).startswith(path + "/"):
                return True
        except OSError:
            pass
    return False


class Host:
    def __init__(self, name, ssh_name, root, prefix):
        self.name = name
        self.ssh_name = ssh_name
        self.root = root
        self.prefix = prefix  # runs a command in this host's namespace

    def argv(self, *argv):
        return self.prefix + ["env", f"HPVM_ROOT={self.root}"] + list(argv)


class Guest:
    """One of the two guests: where it runs now and how to reach it there."""

    def __init__(self, label, host, run_dirs):
        self.label = label
        self.host = host
        self.run_dirs = run_dirs  # host name -> the directory QEMU runs in there

    @property
    def dir(self):
        return self.run_dirs[self.host.name]

    def qmp(self, host=None):
        return connect(os.path.join(self.run_dirs[(host or self.host).name], "qmp.sock"))

    def pid(self):
        with open(os.path.join(self.dir, "qemu.pid")) as f:
            return int(f.read().strip())

    def wait_booted(self, deadline):
        log = os.path.join(self.dir, "console.log")
        while True:
            try:
                with open(log, errors="replace") as f:
                    if "HPVM-GUEST-READY" in f.read():
                        return
            except FileNotFoundError:
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"the {self.label} guest did not boot in {BOOT_SECS} s (see {log})")
            time.sleep(1)

    def shell(self, command, marker, secs):
        """Types command (ending with an echo of marker, spelled so that the
        echo of the typed line does not match) on the console; waits for the
        marker's output."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(os.path.join(self.dir, "console.sock"))
            s.sendall(b"\r" + command.encode() + b"\r")
            seen = ""
            deadline = time.monotonic() + secs
            while not re.search(marker, seen):
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([s], [], [], left)[0]:
                    raise BenchError(f"the {self.label} guest: no {marker!r} within {secs} s after: {command}\n"
                                     f"the console showed: {seen[-500:]!r}")
                data = s.recv(65536)
                if not data:
                    raise BenchError(f"the {self.label} guest's console closed")
                seen += data.decode(errors="replace")


class Bench:
    def __init__(self, build_dir, image, work):
        self.bin = os.path.join(build_dir, "cmd")
        self.image = image
        self.work = work
        ns = os.environ["BENCH_NETNS"]
        self.hosts = {
            "a": Host("a", "hosta", os.environ["BENCH_ROOT_A"], []),
            "b": Host("b", "hostb", os.environ["BENCH_ROOT_B"], ["ip", "netns", "exec", ns]),
        }
        self.suite = None
        self.raw = None
        self.raw_argv = None
        self.sockets = [f"/run/hpvm-bench-raw-{side}-{os.getpid()}.sock" for side in ("out", "in")]

    def other(self, host):
        return self.hosts["b" if host.name == "a" else "a"]

    def hpvm(self, host, command, *args, timeout=120):
        return run(host.argv(os.path.join(self.bin, command), *args), timeout=timeout)

    # --- the two guests --------------------------------------------------

    def start(self):
        a = self.hosts["a"]
        suite_disk = os.path.join(self.work, "suite.img")
        raw_disk = os.path.join(self.work, "raw.img")
        for disk in (suite_disk, raw_disk):
            run(["cp", "--sparse=always", self.image, disk])
        self.hpvm(a, "hpvmcreate", "-P", GUEST, "-O", "linux", "-r", MEMORY,
                  "-a", f"disk:avio_stor:0,0,0:file:{suite_disk}")
        self.hpvm(a, "hpvmstart", "-P", GUEST)
        uuid = run(["sqlite3", "-readonly", os.path.join(a.root, "hpvm.db"),
                    "SELECT uuid FROM guests WHERE name = 'bench'"]).strip()
        self.suite = Guest("suite", a, {h.name: os.path.join(h.root, "uuids", uuid) for h in self.hosts.values()})
        # The raw guest: the suite's QEMU command line, its own disk.
        with open(f"/proc/{self.suite.pid()}/cmdline", "rb") as f:
            argv = [a.decode() for a in f.read().split(b"\0")[:-1]]
        if not any(suite_disk in arg for arg in argv):
            raise BenchError(f"the suite's QEMU command line does not name {suite_disk}")
        self.raw_argv = [arg.replace(suite_disk, raw_disk) for arg in argv]
        dirs = {}
        for h in self.hosts.values():
            dirs[h.name] = os.path.join(self.work, f"raw-{h.name}")
            os.makedirs(dirs[h.name], mode=0o700)
        self.raw = Guest("raw", a, dirs)
        self.launch_raw(a, [])
        deadline = time.monotonic() + BOOT_SECS
        print(f"  booting both guests ({MEMORY})", file=sys.stderr, flush=True)
        self.suite.wait_booted(deadline)
        self.raw.wait_booted(deadline)

    def launch_raw(self, host, extra):
        """The raw QEMU on host (it daemonizes once it is ready); its
        messages go to a log, as hpvmstart's do."""
        cwd = self.raw.run_dirs[host.name]
        with open(os.path.join(cwd, "qemu.log"), "w") as log:
            try:
                status = subprocess.run(host.prefix + self.raw_argv + extra, cwd=cwd, stdin=subprocess.DEVNULL,
                                        stdout=log, stderr=log, timeout=60).returncode
            except subprocess.TimeoutExpired:
                raise BenchError(f"the raw QEMU did not start within 60 s on host {host.name}")
        if status != 0:
            with open(os.path.join(cwd, "qemu.log")) as log:
                raise BenchError(f"the raw QEMU did not start on host {host.name}: {log.read().strip()}")

    def start_dirtier(self):
        """The same fio in both guests: a quarter of the memory laid out in
        the RAM root file system, then random 4 KiB writes over it."""
        size = mebibytes(MEMORY) // 4
        job = f"fio --filename=/tmp/dirty --size={size}m --output=/dev/null"
        for guest in (self.suite, self.raw):
            print(f"  starting the dirtier in the {guest.label} guest", file=sys.stderr, flush=True)
            guest.shell(f"{job} --name=lay --rw=write --bs=1M; echo DIRTY-$((40+1))", "DIRTY-41", 600)
            guest.shell(f"{job} --name=dirty --rw=randwrite --bs=4k --rate={DIRTY_MBS}m "
                        "--time_based --runtime=999999 & sleep 1; kill -0 $! && echo DIRTY-$((40+2))",
                        "DIRTY-42", 120)

    def stop(self):
        """Every QEMU this bench started, on either host: a pid file's pid
        that is a QEMU with a file of that directory open."""
        for guest in (self.suite, self.raw):
            for path in (guest.run_dirs.values() if guest else []):
                try:
                    with open(os.path.join(path, "qemu.pid")) as f:
                        pid = int(f.read().strip())
                    if "qemu-system" not in os.readlink(f"/proc/{pid}/exe") or not holds_file_in(pid, path):
                        continue
                except (OSError, ValueError):
                    continue
                os.kill(pid, 9)
                wait_gone(pid, 30, f"the {guest.label} guest's QEMU")
        for path in self.sockets:
            if os.path.exists(path):
                os.remove(path)

    def migration_parameters(self):
        p = self.suite.qmp()("query-migrate-parameters")
        return p.get("max-bandwidth", 0), p.get("downtime-limit", 0)

    # --- one migration each ----------------------------------------------

    def migrate_suite(self):
        src = self.suite.host
        dst = self.other(src)
        t0 = time.monotonic()
        out = self.hpvm(src, "hpvmmigrate", "-o", "-P", GUEST, "-h", dst.ssh_name, timeout=MIGRATE_SECS)
        wall = time.monotonic() - t0
        m = re.search(r"^hpvmmigrate: Downtime (\d+) ms, total time (\d+) ms\.$", out, re.M)
        if not m:
            raise BenchError(f"hpvmmigrate printed no times: {out!r}")
        self.suite.host = dst
        return {"total": int(m.group(2)), "downtime": int(m.group(1)), "wall": wall * 1000}

    def migrate_raw(self):
        src = self.raw.host
        dst = self.other(src)
        out, into = self.sockets
        src_pid = self.raw.pid()
        t0 = time.monotonic()
        self.launch_raw(dst, ["-S", "-incoming", "defer"])
        target = self.raw.qmp(dst)
        target("migrate-incoming", uri=f"unix:{into}")
        ssh = subprocess.Popen(src.prefix + ["ssh"] + SSH_OPTIONS + ["-L", f"{out}:{into}", "--", dst.ssh_name,
                                                                     "echo ready; exec cat >/dev/null"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            if not select.select([ssh.stdout], [], [], 30)[0] or ssh.stdout.readline() != b"ready\n":
                raise BenchError(f"ssh to {dst.ssh_name} did not forward the stream: {ssh.stderr.read1().decode()}")
            source = self.raw.qmp(src)
            source("migrate", uri=f"unix:{out}")
            deadline = time.monotonic() + MIGRATE_SECS
            dirty_rate = 0  # the highest QEMU saw (it is 0 once completed)
            while True:
                m = source("query-migrate")
                ram = m.get("ram", {})
                dirty_rate = max(dirty_rate, ram.get("dirty-pages-rate", 0) * ram.get("page-size", 4096))
                if m.get("status") == "completed":
                    break
                if m.get("status") in ("failed", "cancelled") or time.monotonic() > deadline:
                    raise BenchError(f"the raw migration: {m.get('status')}: {m.get('error-desc', 'too long')}")
                time.sleep(RAW_POLL)
            while target("query-migrate").get("status") != "completed":
                if time.monotonic() > deadline:
                    raise BenchError("the raw migration's target did not complete")
                time.sleep(RAW_POLL)
            target("cont")
            self.raw.host = dst
            try:
                source("quit")
            except ValueError:
                pass  # QEMU went before its answer
            wait_gone(src_pid, 30, "the raw source QEMU")
        finally:
            ssh.stdin.close()
            try:
                ssh.wait(10)
            except subprocess.TimeoutExpired:
                ssh.kill()
                ssh.wait()
            for path in self.sockets:
                if os.path.exists(path):
                    os.remove(path)
        wall = time.monotonic() - t0
        ram = m.get("ram", {})
        return {"total": m["total-time"], "downtime": m["downtime"], "wall": wall * 1000,
                "sent_mb": ram.get("transferred", 0) / 1e6,
                "dirty_mbs": dirty_rate / 1e6}

    def take_turns(self, case):
        samples = {"hpvmmigrate": [], "raw": []}
        turns = [("hpvmmigrate", self.migrate_suite), ("raw", self.migrate_raw)]
        for rep in range(REPEAT):
            for side, migrate in turns if rep % 2 == 0 else reversed(turns):
                print(f"  {case}: {side} {rep + 1}/{REPEAT}", file=sys.stderr, flush=True)
                sample = migrate()
                print("    " + ", ".join(f"{k} {v:.0f}" for k, v in sample.items()), file=sys.stderr, flush=True)
                samples[side].append(sample)
        return {side: {k: statistics.median(s[k] for s in runs) for k in runs[0]} for side, runs in samples.items()}


def ratio(a, b):
    return a / b if b else float("inf")


def main():
    build_dir, image, work = sys.argv[1:4]
    bench = Bench(build_dir, image, work)
    results = {}
    try:
        bench.start()
        bandwidth, downtime_limit = bench.migration_parameters()
        results["idle"] = bench.take_turns("idle")
        bench.start_dirtier()
        results["dirtying"] = bench.take_turns("dirtying")
    finally:
        bench.stop()

    accel = accelerator()
    print(f"bench/migrate: online migration between two hosts on this machine, {MEMORY} guests "
          f"(the test guest), {REPEAT} migrations per figure taking turns (median)")
    if accel == "TCG":
        print("accelerator: TCG (no /dev/kvm): these are TCG figures; the CPUs are shared with "
              "whatever else runs here")
    print(f"QEMU's migration parameters, the same for both (neither changes them): max-bandwidth "
          f"{bandwidth / 2**20:.0f} MiB/s, downtime-limit {downtime_limit} ms")
    print(f"dirtying: fio in the guest, random 4 KiB writes over {mebibytes(MEMORY) // 4} MiB at {DIRTY_MBS} MiB/s")
    print(f"{'case':<10} {'figure':<16} {'hpvmmigrate':>12} {'raw QEMU':>10} {'ratio':>7}  target")
    missed = False
    for case, r in results.items():
        ours, raw = r["hpvmmigrate"], r["raw"]
        rows = [("total (ms)", "total", 1.2), ("downtime (ms)", "downtime", None), ("wall (ms)", "wall", None)]
        for label, key, bound in rows:
            target = ""
            if bound is not None:
                ok = ratio(ours[key], raw[key]) <= bound
                target = f"<= {bound}x {'PASS' if ok else 'MISS'}"
                missed |= not ok
            if key == "downtime" and case == "idle":
                ok = ours[key] <= 300
                target = f"<= 300 ms {'PASS' if ok else 'MISS'}"
                missed |= not ok
            print(f"{case:<10} {label:<16} {ours[key]:>12.0f} {raw[key]:>10.0f} {ratio(ours[key], raw[key]):>7.2f}  {target}")
    for case, r in results.items():
        print(f"raw QEMU, {case}: {r['raw']['sent_mb']:.0f} MB sent, dirty rate up to {r['raw']['dirty_mbs']:.1f} MB/s")
    print("wall: from the command (or the raw target's launch) to the guest running on the target and the "
          "source QEMU gone; QEMU's total time and downtime leave out the hand-over after the stream")
    return 1 if missed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (BenchError, subprocess.SubprocessError, OSError) as e:
        sys.exit(f"bench/migrate: {e}")
