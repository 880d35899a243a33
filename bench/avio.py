#!/usr/bin/env python3
"""The body of bench/avio (read its header): runs in the network namespace
bench/avio made, as root.   avio.py BUILD_DIR IMAGE"""
import os
import statistics
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "runtime"))
from guest_console import Closed, Console, Timeout  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "4"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
ONLY = os.environ.get("BENCH_ONLY", "")
BOOT_SECS = 300
MEMORY = "256M"
TICKS = os.sysconf("SC_CLK_TCK")
# Data disk size: the guest finds the disk under test by it.
DATA_MIB = 256
DATA_SECTORS = DATA_MIB * 1024 * 1024 // 512

# fio jobs: name, rw, block size, queue depth.
STORAGE_JOBS = [
    ("4k randread QD1", "randread", "4k", 1),
    ("4k randread QD32", "randread", "4k", 32),
    ("4k randwrite QD1", "randwrite", "4k", 1),
    ("4k randwrite QD32", "randwrite", "4k", 32),
    ("1M seqread QD8", "read", "1M", 8),
    ("1M seqwrite QD8", "write", "1M", 8),
]

# Typed into each guest after it booted (one line each).
GUEST_HELPERS = [
    # the disk with DATA_SECTORS sectors
    "datadisk() { for d in /sys/block/sd*; do [ $(cat $d/size) = %d ] && echo ${d##*/}; done; true; }" % DATA_SECTORS,
    # the interface with MAC $1
    'ifof() { grep -l "^$1\\$" /sys/class/net/*/address | cut -d/ -f5; }',
]


def accelerator():
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
        return "kvm"
    except OSError:
        return "tcg"


ACCEL = accelerator()


class BenchError(Exception):
    pass


def run(*argv, check=True):
    result = subprocess.run(argv, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise BenchError(f"{' '.join(argv)}: exit {result.returncode}: {result.stderr.strip()}")
    return result.stdout


def cpu_seconds(pid):
    """User + system CPU time of process pid (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def suite_qemu_pid(name):
    marker = f"guest={name},process=hpvm-{name}".encode()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if marker in f.read().split(b"\0"):
                        return int(entry)
            except OSError:
                pass
    raise BenchError(f"no QEMU process for guest {name}")


class Guest:
    """A booted test guest: its console (a pty) and its QEMU process."""

    def __init__(self, name, argv, log, qemu_pid=None):
        self.name = name
        self.console = Console(argv, log)
        self.qemu_pid = qemu_pid or self.console.pid
        deadline = time.monotonic() + BOOT_SECS
        try:
            self.console.wait_regex("HPVM-GUEST-READY", deadline)
            self.console.sync(deadline)
        except (Timeout, Closed):
            raise BenchError(f"{name} did not boot in {BOOT_SECS} s (see {log})")
        for helper in GUEST_HELPERS:
            self.sh(helper)

    def sh(self, command, secs=60):
        try:
            output, status = self.console.run(command, time.monotonic() + secs)
        except (Timeout, Closed):
            raise BenchError(f"{self.name}: no answer to: {command}")
        if status != "0":
            raise BenchError(f"{self.name}: {command}: exit {status}: {output.strip()}")
        return output.strip()


class Bench:
    def __init__(self, build_dir, image):
        self.bin = os.path.join(build_dir, "cmd")
        self.image = image
        self.work = tempfile.mkdtemp(prefix="hpvm-bench-avio.")
        self.root = os.path.join(self.work, "root")
        os.environ["HPVM_ROOT"] = self.root
        self.suite_guests = []
        self.plain_guests = []
        self.links = []
        self.loops = []
        self.daemons = []
        self.count = 0
        run("ip", "link", "set", "lo", "up")

    # --- launching -------------------------------------------------------

    def hpvm(self, command, *args):
        return run(os.path.join(self.bin, command), *args)

    def root_disk(self):
        self.count += 1
        path = os.path.join(self.work, f"root{self.count}.img")
        run("cp", "--sparse=always", self.image, path)
        return path

    def log(self, name):
        return os.path.join(self.work, f"{name}.console.log")

    def suite_guest(self, name, disk=None, nic=None):
        """disk: (adapter, 'file'|'disk', path); nic: (adapter, mac, vswitch)."""
        root = self.root_disk()
        args = ["-P", name, "-O", "linux", "-r", MEMORY, "-a", f"disk:avio_stor:0,0,0:file:{root}"]
        if disk:
            args += ["-a", f"disk:{disk[0]}:0,1,0:{disk[1]}:{disk[2]}"]
        if nic:
            args += ["-a", f"network:{nic[0]}:0,2,0x{nic[1].replace(':', '')}:vswitch:{nic[2]}"]
        self.hpvm("hpvmcreate", *args)
        self.hpvm("hpvmstart", "-P", name)
        self.suite_guests.append(name)
        guest = Guest(name, [os.path.join(self.bin, "hpvmconsole"), "-P", name], self.log(name), suite_qemu_pid(name))
        guest.root_image = root
        return guest

    def plain_guest(self, name, disk=None, nic=None):
        """The same guest by hand: the way an administrator writes a QEMU
        command line (-drive, -netdev), no suite involved. disk: (adapter,
        path); nic: (adapter, mac, tap)."""
        root = self.root_disk()
        hba = {"avio_stor": "virtio-scsi-pci", "scsi": "megasas"}
        argv = ["qemu-system-x86_64", "-machine", f"pc,accel={ACCEL}", "-smp", "1", "-m", MEMORY,
                "-nodefaults", "-no-user-config", "-display", "none",
                "-chardev", "stdio,id=con,signal=off", "-serial", "chardev:con",
                "-device", "virtio-scsi-pci,id=hba0",
                "-drive", f"if=none,id=root,format=raw,file={root}",
                "-device", "scsi-hd,bus=hba0.0,scsi-id=0,drive=root"]
        if disk:
            argv += ["-device", f"{hba[disk[0]]},id=hba1",
                     "-drive", f"if=none,id=data,format=raw,file={disk[1]}",
                     "-device", "scsi-hd,bus=hba1.0,scsi-id=0,drive=data"]
        if nic:
            model = {"avio_lan": "virtio-net-pci", "lan": "e1000"}[nic[0]]
            argv += ["-netdev", f"tap,id=net0,ifname={nic[2]},script=no,downscript=no",
                     "-device", f"{model},netdev=net0,mac={nic[1]}"]
        guest = Guest(name, argv, self.log(name))
        guest.root_image = root
        self.plain_guests.append(guest)
        return guest

    def stop(self, guest):
        if guest.name in self.suite_guests:
            self.hpvm("hpvmstop", "-P", guest.name, "-F")
            self.hpvm("hpvmremove", "-P", guest.name, "-Q")
            self.suite_guests.remove(guest.name)
        else:
            os.kill(guest.qemu_pid, 15)
            guest.console.detach(time.monotonic() + 30)
            self.plain_guests.remove(guest)
        os.remove(guest.root_image)

    def keep_logs(self):
        """The guests' console logs, kept out of the work dir after a failure."""
        kept = tempfile.mkdtemp(prefix="hpvm-bench-avio-logs.")
        for entry in os.listdir(self.work):
            if entry.endswith(".console.log"):
                shutil.copy(os.path.join(self.work, entry), kept)
        return kept

    def cleanup(self):
        for name in list(self.suite_guests):
            run(os.path.join(self.bin, "hpvmstop"), "-P", name, "-F", check=False)
        for guest in self.plain_guests:
            try:
                os.kill(guest.qemu_pid, 9)
                guest.console.detach(time.monotonic() + 10)
            except (OSError, Timeout, Closed):
                pass
        for pid in self.daemons:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        for link in self.links:
            run("ip", "link", "del", link, check=False)
        for loop in self.loops:
            run("losetup", "-d", loop, check=False)
        shutil.rmtree(self.work, ignore_errors=True)

    # --- storage ---------------------------------------------------------

    def fio(self, guest, rw, bs, depth):
        """IOPS, MB/s and host CPU microseconds per I/O of one fio job."""
        command = (f"fio --name=b --filename=/dev/$(datadisk) --direct=1 --ioengine=libaio --rw={rw} "
                   f"--bs={bs} --iodepth={depth} --runtime={SECONDS} --time_based --minimal | cut -d';' -f6-9,47-50")
        before = cpu_seconds(guest.qemu_pid)
        line = guest.sh(command, SECONDS + 120).splitlines()[-1]
        cpu = cpu_seconds(guest.qemu_pid) - before
        r_kb, _, r_iops, r_ms, w_kb, _, w_iops, w_ms = (float(x) for x in line.split(";"))
        kib = r_kb + w_kb
        ios = kib / (1024 if bs == "1M" else 4)
        seconds = max(r_ms, w_ms) / 1000
        return {"iops": r_iops + w_iops, "MB/s": kib * 1024 / 1e6 / seconds, "cpu_us": cpu * 1e6 / max(ios, 1)}

    def start_guest(self, launcher, disk=None, nic=None):
        """disk: (adapter, 'file'|'disk', path); nic: (adapter, mac, vswitch
        for the suite or tap for plain QEMU)."""
        name = f"g{self.count + 1}"
        if launcher == "suite":
            return self.suite_guest(name, disk=disk, nic=nic)
        return self.plain_guest(name, disk=disk and (disk[0], disk[2]), nic=nic)

    def storage(self, kind, label):
        """For one backing kind, four guests at once (avio_stor and scsi, suite
        and plain), each on a twin backing store of its own (QEMU locks an
        image against a second writer), the jobs taking turns across them."""
        seed = os.path.join(self.work, "seed.img")
        if not os.path.exists(seed):
            with open(seed, "wb") as f:
                for _ in range(DATA_MIB):
                    f.write(os.urandom(1 << 20))
        cases = [(a, l) for a in ("avio_stor", "scsi") for l in ("suite", "plain")]
        results = {}
        guests = {}
        try:
            for adapter, launcher in cases:
                path = os.path.join(self.work, f"data-{kind}-{adapter}-{launcher}.img")
                run("cp", seed, path)
                if kind == "disk":
                    path = run("losetup", "--find", "--show", path).strip()
                    self.loops.append(path)
                print(f"  booting: {label}, {adapter}, {launcher}", file=sys.stderr, flush=True)
                guests[(adapter, launcher)] = self.start_guest(launcher, disk=(adapter, kind, path))
            for guest in guests.values():
                if not guest.sh("datadisk"):
                    raise BenchError(f"{guest.name}: the data disk is not in the guest")
            for job, rw, bs, depth in STORAGE_JOBS:
                print(f"  {label}: {job}", file=sys.stderr, flush=True)
                runs = self.take_turns(guests, lambda g: self.fio(g, rw, bs, depth))
                for case, figures in runs.items():
                    results[case + (job,)] = figures
        finally:
            for guest in guests.values():
                self.stop(guest)
        return results

    def take_turns(self, guests, measure):
        """measure(guest) REPEAT times per guest, in rotating order; per guest
        the median of each figure."""
        samples = {case: [] for case in guests}
        order = list(guests)
        for rep in range(REPEAT):
            for case in order[rep % len(order):] + order[: rep % len(order)]:
                samples[case].append(measure(guests[case]))
        return {case: {key: statistics.median(s[key] for s in runs) for key in runs[0]}
                for case, runs in samples.items()}

    # --- network ---------------------------------------------------------

    def bridge_with_uplink(self, bridge, veth, host_address):
        """A veth pair: veth (the uplink side) and veth+'h' with host_address."""
        run("ip", "link", "add", veth, "type", "veth", "peer", "name", veth + "h")
        self.links.append(veth)
        run("ip", "addr", "add", host_address + "/24", "dev", veth + "h")
        run("ip", "link", "set", veth + "h", "up")
        run("ip", "link", "set", veth, "up")
        if bridge:
            run("ip", "link", "add", bridge, "type", "bridge")
            self.links.append(bridge)
            run("ip", "link", "set", veth, "master", bridge)
            run("ip", "link", "set", bridge, "up")

    def plain_tap(self, tap, bridge):
        run("ip", "tuntap", "add", tap, "mode", "tap")
        self.links.append(tap)
        run("ip", "link", "set", tap, "master", bridge)
        run("ip", "link", "set", tap, "up")

    def iperf(self, client, server_address, servers):
        """Mbit/s from client to server_address, and QEMU CPU seconds per GB
        (the processes in servers plus the client's)."""
        pids = [g.qemu_pid for g in servers] + [client.qemu_pid]
        before = sum(cpu_seconds(p) for p in pids)
        out = client.sh(f"iperf3 -c {server_address} -t {SECONDS} -f m | grep receiver", SECONDS + 60)
        cpu = sum(cpu_seconds(p) for p in pids) - before
        # "... 1.05 GBytes  3.01 Gbits/sec ... receiver": iperf3 scales both.
        fields = out.split()
        mbytes = mbits = None
        for value, unit in zip(fields, fields[1:]):
            scale = {"K": 1 / 1024, "M": 1, "G": 1024}.get(unit[:1])
            if scale and unit.endswith("Bytes"):
                mbytes = float(value) * scale
            elif scale and unit.endswith("bits/sec"):
                mbits = float(value) * {"K": 1 / 1000, "M": 1, "G": 1000}[unit[:1]]
        if mbytes is None or mbits is None:
            raise BenchError(f"{client.name}: no transfer and rate in iperf3's output: {out!r}")
        return {"Mbit/s": mbits, "cpu_s_per_GB": cpu / (mbytes * 1.048576 / 1000)}

    def network(self):
        """Per adapter, four guests at once: a suite pair on one vswitch
        uplinked to a veth, a plain pair on a hand-made bridge with the same
        kind of uplink; transfers take turns across the pairs."""
        server = subprocess.Popen(["iperf3", "-s"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.daemons.append(server.pid)
        self.bridge_with_uplink(None, "bup0", "192.0.2.1")
        self.hpvm("hpvmnet", "-c", "-S", "benchsw", "-n", "bup0")
        self.hpvm("hpvmnet", "-b", "-S", "benchsw")
        self.bridge_with_uplink("bplain", "bup1", "198.51.100.1")
        networks = {"suite": ("192.0.2", "benchsw"), "plain": ("198.51.100", "bplain")}
        results = {}
        for adapter in ("avio_lan", "lan"):
            pairs = {}
            taps = []
            try:
                for launcher, (prefix, switch) in networks.items():
                    pair = []
                    for i in (1, 2):
                        mac = f"02:be:00:{len(results):02x}:{len(pairs):02x}:{i:02x}"
                        link = switch
                        if launcher == "plain":
                            link = f"bt{len(results)}{i}"
                            self.plain_tap(link, switch)
                            taps.append(link)
                        print(f"  booting: {adapter}, {launcher}, guest {i}", file=sys.stderr, flush=True)
                        guest = self.start_guest(launcher, nic=(adapter, mac, link))
                        guest.sh(f"ip addr add {prefix}.{10 + i}/24 dev $(ifof {mac})")
                        pair.append(guest)
                    pair[0].sh("iperf3 -s -D >/dev/null 2>&1; sleep 1")
                    pairs[(adapter, launcher)] = pair
                for path in ("guest to guest", "guest to host"):
                    print(f"  {adapter}: {path}", file=sys.stderr, flush=True)

                    def transfer(pair, path=path):
                        prefix = networks["suite" if pair is pairs[(adapter, "suite")] else "plain"][0]
                        if path == "guest to guest":
                            return self.iperf(pair[1], f"{prefix}.11", [pair[0]])
                        return self.iperf(pair[1], f"{prefix}.1", [])

                    for case, figures in self.take_turns(pairs, transfer).items():
                        results.setdefault(case, {})[path] = figures
            finally:
                for pair in pairs.values():
                    for guest in pair:
                        self.stop(guest)
                for tap in taps:
                    run("ip", "link", "del", tap)
                    self.links.remove(tap)
        self.hpvm("hpvmnet", "-h", "-S", "benchsw", "-Q")
        return results


# --- report ---------------------------------------------------------------

misses = []


def ratio(a, b):
    return a / b if b else float("nan")


def verdict(ok, label, checked=True):
    if not checked:
        return ""
    if not ok:
        misses.append(label)
    return "PASS" if ok else "MISS"


def print_storage_header():
    print(f"\nStorage: fio in the guest, {SECONDS} s per job, direct I/O on the data disk ({DATA_MIB} MiB); "
          f"{ACCEL.upper()}; suite = hpvmstart, plain = hand-written QEMU command line")


def print_storage(label, results):
    """One backing store's table and targets; results[(adapter, launcher, job)]."""
    print(f"\n  backing store: {label}")
    print(f"  {'job':<18} {'metric':<7} {'avio suite':>10} {'avio plain':>10} {'scsi suite':>10} {'scsi plain':>10}"
          f" {'avio/scsi':>9} {'(plain)':>8} {'suite/plain avio':>16} {'scsi':>6}")
    for job, _, bs, _ in STORAGE_JOBS:
        metric = "MB/s" if bs == "1M" else "iops"
        for key, unit in ((metric, metric), ("cpu_us", "µs CPU/IO")):
            v = {(a, l): results[(a, l, job)][key] for a in ("avio_stor", "scsi") for l in ("suite", "plain")}
            avio_scsi = ratio(v[("avio_stor", "suite")], v[("scsi", "suite")])
            plain_ratio = ratio(v[("avio_stor", "plain")], v[("scsi", "plain")])
            sp_avio = ratio(v[("avio_stor", "suite")], v[("avio_stor", "plain")])
            sp_scsi = ratio(v[("scsi", "suite")], v[("scsi", "plain")])
            print(f"  {job if key == metric else '':<18} {unit:<7} {v[('avio_stor', 'suite')]:>10.1f} "
                  f"{v[('avio_stor', 'plain')]:>10.1f} {v[('scsi', 'suite')]:>10.1f} {v[('scsi', 'plain')]:>10.1f} "
                  f"{avio_scsi:>9.2f} {plain_ratio:>8.2f} {sp_avio:>16.2f} {sp_scsi:>6.2f}")
    print(f"\n  targets ({label}):")
    for job, _, bs, _ in STORAGE_JOBS:
        metric = "MB/s" if bs == "1M" else "iops"
        for adapter in ("avio_stor", "scsi"):
            for key in (metric, "cpu_us"):
                sp = ratio(results[(adapter, "suite", job)][key], results[(adapter, "plain", job)][key])
                if abs(sp - 1) > 0.05:
                    print(f"  {label}, {job}, {adapter}, {key}: suite/plain {sp:.2f}, not within 5%: "
                          f"{verdict(False, f'{label} {job} {adapter} {key} suite/plain')}")
    for job in ("4k randread QD32", "4k randwrite QD32"):
        iops = ratio(results[("avio_stor", "suite", job)]["iops"], results[("scsi", "suite", job)]["iops"])
        cpu = ratio(results[("avio_stor", "suite", job)]["cpu_us"], results[("scsi", "suite", job)]["cpu_us"])
        kvm = ACCEL == "kvm"
        print(f"  {label}, {job}: avio_stor/scsi IOPS {iops:.2f} (KVM target >= 2) "
              f"{verdict(iops >= 2, f'{label} {job} IOPS', kvm)}; CPU per I/O {cpu:.2f} (KVM target <= 0.5) "
              f"{verdict(cpu <= 0.5, f'{label} {job} CPU', kvm)}{'' if kvm else '  [TCG: KVM targets not checked]'}")
    sys.stdout.flush()


def print_network(results):
    print(f"\nNetwork: iperf3, {SECONDS} s per transfer, one vswitch (suite) or one hand-made bridge (plain); {ACCEL.upper()}")
    print(f"  {'path':<15} {'metric':<9} {'avio_lan suite':>14} {'plain':>8} {'lan suite':>10} {'plain':>8}"
          f" {'avio_lan/lan':>12} {'(plain)':>8} {'suite/plain avio_lan':>20} {'lan':>6}")
    for path in ("guest to guest", "guest to host"):
        for key in ("Mbit/s", "cpu_s_per_GB"):
            v = {(a, l): results[(a, l)][path][key] for a in ("avio_lan", "lan") for l in ("suite", "plain")}
            print(f"  {path if key == 'Mbit/s' else '':<15} {'CPU s/GB' if key != 'Mbit/s' else key:<9} "
                  f"{v[('avio_lan', 'suite')]:>14.1f} {v[('avio_lan', 'plain')]:>8.1f} {v[('lan', 'suite')]:>10.1f} "
                  f"{v[('lan', 'plain')]:>8.1f} {ratio(v[('avio_lan', 'suite')], v[('lan', 'suite')]):>12.2f} "
                  f"{ratio(v[('avio_lan', 'plain')], v[('lan', 'plain')]):>8.2f} "
                  f"{ratio(v[('avio_lan', 'suite')], v[('avio_lan', 'plain')]):>20.2f} "
                  f"{ratio(v[('lan', 'suite')], v[('lan', 'plain')]):>6.2f}")
    print("\n  targets:")
    for path in ("guest to guest", "guest to host"):
        for adapter in ("avio_lan", "lan"):
            for key in ("Mbit/s", "cpu_s_per_GB"):
                sp = ratio(results[(adapter, "suite")][path][key], results[(adapter, "plain")][path][key])
                if abs(sp - 1) > 0.05:
                    print(f"  {path}, {adapter}, {key}: suite/plain {sp:.2f}, not within 5%: "
                          f"{verdict(False, f'{path} {adapter} {key} suite/plain')}")
        r = ratio(results[("avio_lan", "suite")][path]["Mbit/s"], results[("lan", "suite")][path]["Mbit/s"])
        kvm = ACCEL == "kvm"
        print(f"  {path}: avio_lan/lan {r:.2f} (KVM target >= 2) {verdict(r >= 2, f'{path} avio_lan/lan', kvm)}"
              f"{'' if kvm else '  [TCG: KVM target not checked]'}")


def main():
    build_dir, image = sys.argv[1:3]
    bench = Bench(build_dir, image)
    started = time.monotonic()
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
        print(f"bench/avio: {ACCEL.upper()}, {os.cpu_count()} CPUs ({model}), guests with 1 vCPU and {MEMORY}")
        # Each part's table as soon as it is measured: a failure later does
        # not lose it.
        if ONLY in ("", "storage"):
            print_storage_header()
            for kind, label in (("file", "raw file"), ("disk", "loop device")):
                print_storage(label, bench.storage(kind, label))
        if ONLY in ("", "network"):
            print_network(bench.network())
    except BenchError as e:
        print(f"bench/avio: {e} (guest console logs kept in {bench.keep_logs()})", file=sys.stderr)
        return 2
    finally:
        bench.cleanup()
    print(f"\n{len(misses)} target(s) missed; {time.monotonic() - started:.0f} s")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
