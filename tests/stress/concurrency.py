#!/usr/bin/env python3
"""Concurrent writers (issue 14, campaign item 3).

  concurrency.py BIN_DIR [--writers W] [--ops N] [--seed S]

W writers run N operations each at the same time against one HPVM_ROOT, in a
private network namespace with one guest running firmware-only QEMU (TCG):
hpvmmodify on a stopped guest (a disk added or removed, and a new label),
hpvmmodify on the running guest (hot-add or hot-remove of a disk target),
hpvmclone of a guest with a vNIC (and hpvmremove of the clone), hpvmnet (-c, -b, -u, -d) and
hpvmdevmgmt (-a, -m, -d). Each writer has objects of its own (its guest,
disk files, vswitch, device-database entry; a target on the shared running
guest), so every operation's effect is known and checked right after it:

  lost        the command succeeded, its effect is not in the database;
  duplicated  an object is there more than once (rows of a disk, guests of a
              name, vswitches, device-database entries, vm numbers, MACs,
              vswitch numbers);
  silent      the command failed and changed something anyway, or failed
              with nothing on stderr, or succeeded with an ERROR line;
  no reason   a refusal whose ERROR line does not say why.

At the end the database passes PRAGMA integrity_check, every writer's
objects are as its last successful operation left them, and the running
guest has exactly the disks configured (hpvmstatus -P: "as configured").
Prints the counts; exits 1 unless lost, duplicated, silent and no-reason
are all 0.
"""
import argparse
import os
import random
import re
import sys
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kill_campaign as kc  # noqa: E402
import stress_lib as sl  # noqa: E402

RUNNING = "crun"


class Writer:
    def __init__(self, env, w, ops, rng, stats):
        self.env, self.w, self.ops, self.rng, self.stats = env, w, ops, rng, stats
        s = env.scratch
        self.guest = f"cw{w}"
        self.disk = f"{s}/a{w}.img"
        self.hot = f"{s}/r{w}.img"
        self.gdev = f"{s}/g{w}.img"
        self.vsw = f"cv{w}"
        # What this writer's objects are now (as its successful operations left them).
        self.has_disk = False
        self.label = ""
        self.has_hot = False
        self.clone = None
        self.clones_made = 0
        self.vsw_step = 0  # 0 absent, 1 created, 2 booted, 3 port VLAN set
        self.vlan = None
        self.gdev_step = 0  # 0 absent, 1 SHARE=YES, 2 SHARE=NO

    # ------------------------------------------------------------ the ops

    def op_modify_stopped(self, n):
        label = f"w{self.w}n{n}"
        verb = "-d" if self.has_disk else "-a"
        ok = self.do("hpvmmodify stopped", ["hpvmmodify", "-P", self.guest, "-l", label, verb,
                                            f"disk:avio_stor:0,2,0:file:{self.disk}"])
        if ok:
            self.has_disk, self.label = not self.has_disk, label
        self.check_stopped(ok)

    def op_modify_running(self, n):
        verb = "-d" if self.has_hot else "-a"
        ok = self.do("hpvmmodify running", ["hpvmmodify", "-P", RUNNING, verb,
                                            f"disk:avio_stor:0,1,{self.w + 1}:file:{self.hot}"])
        if ok:
            self.has_hot = not self.has_hot
        rows = self.env.sql("SELECT count(*) FROM storage_devices s JOIN guests g ON g.id = s.guest_id "
                            "WHERE g.name = ? AND s.location = ?", (RUNNING, self.hot))[0][0]
        self.expect("hpvmmodify running", rows, 1 if self.has_hot else 0, ok)

    def op_clone(self, n):
        if self.clone:
            name, label = self.clone, "hpvmremove"
            if self.do(label, ["hpvmremove", "-P", name, "-Q"]):
                self.clone = None
                ok = True
            else:
                ok = False
        else:
            name = f"cw{self.w}c{self.clones_made + 1}"
            # The template's vNIC gets a new MAC: clones made at once must not share one.
            ok = self.do("hpvmclone", ["hpvmclone", "-P", f"ct{self.w}", "-N", name])
            if ok:
                self.clones_made += 1
                self.clone = name
            label = "hpvmclone"
        rows = self.env.sql("SELECT count(*) FROM guests WHERE name = ?", (name,))[0][0]
        self.expect(label, rows, 1 if self.clone == name else 0, ok)

    def op_vswitch(self, n):
        steps = [(["hpvmnet", "-c", "-S", self.vsw], "hpvmnet -c"),
                 (["hpvmnet", "-b", "-S", self.vsw], "hpvmnet -b"),
                 (["hpvmnet", "-S", self.vsw, "-u", f"portid:1:vlanid:{n % 4000 + 2}"], "hpvmnet -u"),
                 (["hpvmnet", "-d", "-S", self.vsw, "-Q", "-F"], "hpvmnet -d")]
        argv, label = steps[self.vsw_step]
        ok = self.do(label, argv)
        if ok:
            self.vsw_step = (self.vsw_step + 1) % 4
            if label == "hpvmnet -u":
                self.vlan = n % 4000 + 2
        rows = self.env.sql("SELECT up FROM vswitches WHERE name = ?", (self.vsw,))
        want = [] if self.vsw_step == 0 else [(0,)] if self.vsw_step == 1 else [(1,)]
        self.expect(label, rows, want, ok)
        if self.vsw_step == 3:
            ports = self.env.sql("SELECT p.untagged_vlan FROM vswitch_ports p JOIN vswitches v "
                                 "ON v.id = p.vswitch_id WHERE v.name = ? AND p.port = 1", (self.vsw,))
            self.expect(label, ports, [(self.vlan,)], ok)

    def op_devmgmt(self, n):
        steps = [(["hpvmdevmgmt", "-a", f"gdev:{self.gdev}:attr:SHARE=YES"], "hpvmdevmgmt -a"),
                 (["hpvmdevmgmt", "-m", f"gdev:{self.gdev}:attr:SHARE=NO"], "hpvmdevmgmt -m"),
                 (["hpvmdevmgmt", "-d", f"gdev:{self.gdev}"], "hpvmdevmgmt -d")]
        argv, label = steps[self.gdev_step]
        ok = self.do(label, argv)
        if ok:
            self.gdev_step = (self.gdev_step + 1) % 3
        rows = self.env.sql("SELECT a.value FROM devdb_entries e LEFT JOIN devdb_attributes a "
                            "ON a.entry_id = e.id AND a.name = 'SHARE' WHERE e.name = ?", (self.gdev,))
        want = [[], [("YES",)], [("NO",)]][self.gdev_step]
        self.expect(label, rows, want, ok)

    # ---------------------------------------------------------- checking

    def check_stopped(self, ok):
        rows = self.env.sql("SELECT count(*) FROM storage_devices s JOIN guests g ON g.id = s.guest_id "
                            "WHERE g.name = ? AND s.location = ?", (self.guest, self.disk))[0][0]
        self.expect("hpvmmodify stopped", rows, 1 if self.has_disk else 0, ok)
        label = self.env.sql("SELECT label FROM guests WHERE name = ?", (self.guest,))
        self.expect("hpvmmodify stopped", label, [(self.label,)], ok)

    def do(self, label, argv):
        """Runs one operation; True when it worked. A failure must be a
        refusal that says why (an ERROR line with a reason)."""
        rc, out, err, _ = self.env.run(*argv)
        st = self.stats
        with st.lock:
            st.ops[label] += 1
            if rc == 0:
                st.ok[label] += 1
                if "ERROR" in err:
                    st.silent += 1
                    st.note(f"{label} succeeded with an ERROR: {err.strip()}")
                return True
            errors = [m.group(1) for m in re.finditer(r": ERROR(?: \([^)]*\))?: (.*)", err)]
            if not errors or not all(len(e.strip()) > 10 for e in errors):
                st.no_reason += 1
                st.note(f"{label} failed (exit {rc}) without saying why: {err.strip()!r}")
            reason = errors[0] if errors else "(none)"
            st.refused[label] += 1
            st.reasons[re.sub(r"'[^']*'|\d+", "_", reason)[:90]] += 1
        return False

    def expect(self, label, got, want, ok):
        if got == want:
            return
        with self.stats.lock:
            if ok is False:
                self.stats.silent += 1
                self.stats.note(f"{label}: refused, yet changed: {got} (expected {want})")
            else:
                kind = "duplicated" if isinstance(got, int) and got > 1 or \
                    isinstance(got, list) and len(got) > 1 else "lost"
                setattr(self.stats, kind, getattr(self.stats, kind) + 1)
                self.stats.note(f"{label}: {kind}: {got} (expected {want})")

    def run(self):
        ops = [self.op_modify_stopped, self.op_modify_running, self.op_clone,
               self.op_vswitch, self.op_devmgmt]
        for n in range(self.ops):
            self.rng.choice(ops)(n)


class Stats:
    def __init__(self, quiet):
        self.lock = threading.Lock()
        self.quiet = quiet
        self.ops, self.ok, self.refused, self.reasons = Counter(), Counter(), Counter(), Counter()
        self.lost = self.duplicated = self.silent = self.no_reason = 0
        self.findings = []

    def note(self, text):
        self.findings.append(text)
        if not self.quiet:
            print("FINDING " + text, flush=True)


def global_checks(env, writers, stats):
    """Uniqueness across the whole database, and the running guest."""
    for what, query in [
            ("vm numbers", "SELECT vm_number, count(*) FROM guests GROUP BY 1 HAVING count(*) > 1"),
            ("guest names", "SELECT name, count(*) FROM guests GROUP BY 1 HAVING count(*) > 1"),
            ("MACs", "SELECT mac, count(*) FROM network_devices GROUP BY 1 HAVING count(*) > 1"),
            ("vswitch numbers", "SELECT number, count(*) FROM vswitches GROUP BY 1 HAVING count(*) > 1"),
            ("device addresses", "SELECT guest_id, bus, slot, target, count(*) FROM storage_devices "
                                 "GROUP BY 1, 2, 3, 4 HAVING count(*) > 1"),
            ("device-database entries", "SELECT type, name, count(*) FROM devdb_entries "
                                        "GROUP BY 1, 2 HAVING count(*) > 1")]:
        rows = env.sql(query)
        if rows:
            stats.duplicated += len(rows)
            stats.note(f"duplicated {what}: {rows}")
    check = env.integrity()
    if check != "ok":
        stats.silent += 1
        stats.note(f"PRAGMA integrity_check: {check}")
    live = sl.live_devices(os.path.join(env.root, "guests", RUNNING, "qmp.sock"))
    for wr in writers:
        present = f"drive hpvm.tgt.b0s1t{wr.w + 1} {wr.hot}" in live
        if present != wr.has_hot:
            stats.lost += 1
            stats.note(f"the running guest {'has' if present else 'lacks'} {wr.hot}, configured: {wr.has_hot}")
    rc, out, err, _ = env.run("hpvmstatus", "-P", RUNNING)
    runtime = out.split("[Runtime State]")[-1]
    if "Devices : as configured" not in runtime:
        stats.lost += 1
        stats.note(f"hpvmstatus -P {RUNNING}: {runtime.strip()}")
    return check


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bin", help="the directory of the built commands")
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--ops", type=int, default=25, help="operations per writer")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    sl.enter_network_namespace("HPVM_STRESS_NETNS")
    sl.require_runtime()
    seed = args.seed if args.seed is not None else int(time.time())
    print(f"concurrency: {args.writers} writers x {args.ops} operations, seed {seed}", flush=True)
    env = sl.Env(args.bin, "concurrency")
    stats = Stats(args.quiet)
    try:
        env.must("hpvmnet", "-c", "-S", "vsw1")
        env.must("hpvmnet", "-b", "-S", "vsw1")
        for name in ["crun0"] + [f"{x}{w}" for w in range(args.writers) for x in "arg"]:
            with open(os.path.join(env.scratch, name + ".img"), "wb") as fh:
                fh.truncate(8 << 20)
        env.must("hpvmcreate", "-P", RUNNING, "-r", "256M",
                 "-a", f"disk:avio_stor:0,1,0:file:{env.scratch}/crun0.img")
        env.start(RUNNING)
        writers = []
        rng = random.Random(seed)
        for w in range(args.writers):
            env.must("hpvmcreate", "-P", f"cw{w}")
            env.must("hpvmcreate", "-P", f"ct{w}", "-a", "network:avio_lan::vswitch:vsw1")
            writers.append(Writer(env, w, args.ops, random.Random(rng.random()), stats))
        threads = [threading.Thread(target=wr.run) for wr in writers]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        secs = time.monotonic() - start
        check = global_checks(env, writers, stats)
    finally:
        env.close()
    total = sum(stats.ops.values())
    print(f"\n=== concurrency: {args.writers} writers x {args.ops} operations in {secs:.0f}s")
    print(f"{'operation':22} {'runs':>6} {'worked':>7} {'refused':>8}")
    for label in sorted(stats.ops):
        print(f"{label:22} {stats.ops[label]:6} {stats.ok[label]:7} {stats.refused[label]:8}")
    print(f"{'total':22} {total:6} {sum(stats.ok.values()):7} {sum(stats.refused.values()):8}")
    for reason, n in stats.reasons.most_common():
        print(f"  refused {n}x: {reason}")
    print(f"integrity_check: {check}")
    print(f"lost: {stats.lost}, duplicated: {stats.duplicated}, silent failures: {stats.silent}, "
          f"refusals without a reason: {stats.no_reason}")
    print(f"findings: {len(stats.findings)}")
    kc.print_findings(stats.findings)
    sys.exit(1 if stats.lost or stats.duplicated or stats.silent or stats.no_reason else 0)


if __name__ == "__main__":
    main()
