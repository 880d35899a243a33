#!/usr/bin/env python3
"""Kill at any instant (issue 14, campaign item 2).

  kill_campaign.py BIN_DIR [--kills N] [--seed S] [--sweep-every K] [--quiet]

Runs the state-changing commands against a scratch HPVM_ROOT, in a private
network namespace, with two guests running firmware-only QEMU (TCG), and
SIGKILLs them at random instants: hpvmcreate and hpvmremove, hpvmmodify on a
stopped guest (multi-statement), on a running one (hot-add and hot-remove of
disks, hot-add of a vNIC), hpvmclone -b, hpvmdevmgmt (-a -m -d -S), hpvmnet
(-c -b -u) and hpvmconvert (-C -U). Each command kind is a cycle of steps
that ends where it began, so the state before and after every step is known:
it is learnt from an un-killed run of the cycle first.

After each kill (a command that ended by SIGKILL; one that finished first
is counted apart and checked as an ordinary run):
  * PRAGMA integrity_check is ok;
  * the configuration (every guest as hpvmstatus -X prints it, the device
    database, the vswitches and their ports) is exactly the state before or
    after the command;
  * what else the kill left (run directories, guests/ links, temporary
    files, scratch files, taps, bridges, processes: leftovers, counted by
    kind) is gone once the next command has run: the commands remove what
    a killed run left (on a running guest, hpvmmodify -R does);
  * on a running guest, a QEMU that differs from the configuration is
    reported by hpvmstatus -P and put right by hpvmmodify -R;
  * the next command of the same kind, run un-killed, works, leftovers or
    not; every --sweep-every kills, the next command of every kind runs too.
Leftovers still there after the next command are removed by the driver
after they are counted, so each is counted once. Prints the counts; exits 1
when a check failed, a leftover outlived the next command or blocked it
(--strict-leftovers: when a kill left anything at all).
"""
import argparse
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stress_lib as sl  # noqa: E402


class Step:
    def __init__(self, label, *argvs, killable=True, action=None):
        self.label = label
        self.argvs = [list(a) for a in argvs]
        self.killable = killable
        self.action = action  # run by the driver after the commands


class Kind:
    def __init__(self, name, steps, guest=None, restart=None):
        self.name = name
        self.steps = steps
        self.guest = guest  # the running guest the kind changes
        self.restart = restart or []
        self.pos = 0
        self.after = {}  # step index -> {key: value or None}

    def step(self):
        return self.steps[self.pos]


def build_kinds(env):
    s = env.scratch
    f = lambda name: os.path.join(s, name)  # noqa: E731

    def remove_scratch(name):
        return lambda: os.path.exists(f(name)) and os.remove(f(name))

    return [
        Kind("create/remove", [
            Step("hpvmcreate", ["hpvmcreate", "-P", "kc", "-O", "linux", "-c", "2", "-r", "512M",
                                "-l", "kc", "-a", f"disk:avio_stor::file:{f('kc1.img')}",
                                "-a", f"disk:scsi::file:{f('kc2.img')}",
                                "-a", "network:avio_lan:,,0x02AABBCC0101:vswitch:vsw1"]),
            Step("hpvmremove", ["hpvmremove", "-P", "kc", "-Q"]),
        ]),
        Kind("modify stopped", [
            Step("hpvmmodify stopped (multi-statement)",
                 ["hpvmmodify", "-P", "ks", "-c", "2", "-r", "512M", "-l", "big",
                  "-a", f"disk:avio_stor:0,2,0:file:{f('ks1.img')}",
                  "-a", "network:lan:0,6,0x02AABBCC0201:vswitch:vsw1",
                  "-d", f"disk:avio_stor:0,1,0:file:{f('ks0.img')}"]),
            Step("hpvmmodify stopped (multi-statement)",
                 ["hpvmmodify", "-P", "ks", "-c", "1", "-r", "256M", "-l", "small",
                  "-a", f"disk:avio_stor:0,1,0:file:{f('ks0.img')}",
                  "-d", f"disk:avio_stor:0,2,0:file:{f('ks1.img')}",
                  "-d", "network:lan:0,6,0x02AABBCC0201:vswitch:vsw1"]),
        ]),
        Kind("hot-plug disks", [
            Step("hpvmmodify running hot-add",
                 ["hpvmmodify", "-P", "kr", "-a", f"disk:avio_stor:0,1,1:file:{f('kr1.img')}",
                  "-a", f"disk:avio_stor:0,1,2:file:{f('kr2.img')}"]),
            Step("hpvmmodify running hot-remove",
                 ["hpvmmodify", "-P", "kr", "-d", f"disk:avio_stor:0,1,1:file:{f('kr1.img')}",
                  "-d", f"disk:avio_stor:0,1,2:file:{f('kr2.img')}"]),
        ], guest="kr", restart=[["hpvmstop", "-F", "-q", "-P", "kr"], ["hpvmstart", "-P", "kr"]]),
        Kind("hot-add vNIC", [
            Step("hpvmmodify running vNIC hot-add",
                 ["hpvmmodify", "-P", "kn", "-a", "network:avio_lan:0,6,0x02AABBCC0401:vswitch:vsw1"]),
            # No guest OS lets go of a PCI device: a stop takes the vNIC away.
            Step("reset", ["hpvmstop", "-F", "-q", "-P", "kn"],
                 ["hpvmmodify", "-P", "kn", "-d", "network:avio_lan:0,6,0x02AABBCC0401:vswitch:vsw1"],
                 ["hpvmstart", "-P", "kn"], killable=False),
        ], guest="kn", restart=[["hpvmstop", "-F", "-q", "-P", "kn"], ["hpvmstart", "-P", "kn"]]),
        Kind("clone -b", [
            Step("hpvmclone -b", ["hpvmclone", "-P", "src", "-N", "kcl",
                                  "-b", f"disk:avio_stor:0,1,0:file:{f('kcl.img')}"]),
            Step("hpvmremove", ["hpvmremove", "-P", "kcl", "-Q"], action=remove_scratch("kcl.img")),
        ]),
        Kind("devmgmt", [
            Step("hpvmdevmgmt -a", ["hpvmdevmgmt", "-a", f"gdev:{f('dv.img')}:attr:SHARE=YES"]),
            Step("hpvmdevmgmt -m", ["hpvmdevmgmt", "-m", f"gdev:{f('dv.img')}:attr:SHARE=NO"]),
            Step("hpvmdevmgmt -d", ["hpvmdevmgmt", "-d", f"gdev:{f('dv.img')}"]),
            Step("hpvmdevmgmt -S", ["hpvmdevmgmt", "-S", "32M", f("dvs.img")]),
            Step("rm", killable=False, action=remove_scratch("dvs.img")),
        ]),
        Kind("vswitch", [
            Step("hpvmnet -c", ["hpvmnet", "-c", "-S", "ksw"]),
            Step("hpvmnet -b", ["hpvmnet", "-b", "-S", "ksw"]),
            Step("hpvmnet -u", ["hpvmnet", "-S", "ksw", "-u", "portid:1:vlanid:10"]),
            Step("hpvmnet -u", ["hpvmnet", "-S", "ksw", "-u", "portid:1:vlanid:none"]),
            Step("hpvmnet -d", ["hpvmnet", "-d", "-S", "ksw", "-Q", "-F"], killable=False),
        ]),
        Kind("convert", [
            Step("hpvmconvert -C", ["hpvmconvert", "-P", "kv", "-C"]),
            Step("hpvmconvert -U", ["hpvmconvert", "-P", "kv", "-U"]),
        ]),
    ]


def setup(env):
    s = env.scratch
    for name in ("kc1", "kc2", "ks0", "ks1", "kr0", "kr1", "kr2", "kn0", "kv1", "dv"):
        with open(os.path.join(s, name + ".img"), "wb") as fh:
            fh.truncate(8 << 20)
    # Data the clone really copies (holes would be skipped).
    with open(os.path.join(s, "src.img"), "wb") as fh:
        fh.write(os.urandom(24 << 20))
    env.must("hpvmnet", "-c", "-S", "vsw1")
    env.must("hpvmnet", "-b", "-S", "vsw1")
    env.must("hpvmcreate", "-P", "src", "-O", "linux", "-a", f"disk:avio_stor:0,1,0:file:{s}/src.img",
             "-a", "network:avio_lan:0,5,0x02AABBCC0501:vswitch:vsw1")
    env.must("hpvmcreate", "-P", "ks", "-O", "linux", "-l", "small",
             "-a", f"disk:avio_stor:0,1,0:file:{s}/ks0.img")
    env.must("hpvmcreate", "-P", "kv", "-O", "linux", "-a", f"disk:scsi:0,1,0:file:{s}/kv1.img",
             "-a", "network:lan:0,5,0x02AABBCC0601:vswitch:vsw1")
    env.must("hpvmcreate", "-P", "kr", "-O", "linux", "-r", "256M",
             "-a", f"disk:avio_stor:0,1,0:file:{s}/kr0.img")
    env.must("hpvmcreate", "-P", "kn", "-O", "linux", "-r", "256M",
             "-a", f"disk:avio_stor:0,1,0:file:{s}/kn0.img",
             "-a", "network:avio_lan:0,5,0x02AABBCC0402:vswitch:vsw1")
    env.start("kr")
    env.start("kn")


class Campaign:
    def __init__(self, env, kinds, rng, quiet):
        self.env = env
        self.kinds = kinds
        self.rng = rng
        self.quiet = quiet
        self.kills = Counter()
        self.finished_first = Counter()
        self.verdicts = Counter()  # before / after / neither
        self.integrity_ok = 0
        self.integrity_bad = 0
        self.leftovers = Counter()  # category -> count, right after the kill
        self.leftover_by_cmd = defaultdict(Counter)
        self.persisting = Counter()  # category -> count, still there after the next command
        self.persisting_by_cmd = defaultdict(Counter)
        self.last_persisting = []  # what run_step's ignored keys still held
        self.divergences = 0
        self.unreported = 0
        self.repairs = 0
        self.repair_failed = 0
        self.restarts = 0
        self.next_ok = 0
        self.next_failed = 0
        self.blocked = Counter()  # label -> next command failed until leftovers were removed
        self.sweeps = 0
        self.findings = []
        self.durations = defaultdict(list)
        self.expected = {}

    def note(self, text):
        self.findings.append(text)
        if not self.quiet:
            print("FINDING " + text, flush=True)

    def dump(self):
        return sl.dump(self.env, mask_macs=("kcl",), running=("kr", "kn"))

    def apply(self, state, kind, pos):
        new = dict(state)
        for key, value in kind.after[pos].items():
            if value is None:
                new.pop(key, None)
            else:
                new[key] = value
        return new

    # An un-killed run of the kind's current step; returns True when it
    # worked. Learns the step's effect the first time (calibration) and
    # checks it every other time.
    def run_step(self, kind, why, ignore=()):
        step = kind.step()
        for argv in step.argvs:
            rc, out, err, secs = self.env.run(*argv)
            self.durations[step.label].append(secs)
            if rc != 0:
                self.note(f"{why}: '{' '.join(argv[:3])} ...' ({step.label}) failed, exit {rc}: "
                          f"{err.strip().splitlines()[0] if err.strip() else '(nothing on stderr)'}")
                return False
        if step.action:
            step.action()
        after = self.dump()
        if kind.pos not in kind.after:
            changed = sl.differences(self.expected, after)
            kind.after[kind.pos] = {k: after.get(k) for k in changed}
        else:
            expect = self.apply(self.expected, kind, kind.pos)
            wrong = [k for k in sl.differences(expect, after) if k not in ignore]
            self.last_persisting = [k for k in ignore if after.get(k) != expect.get(k)]
            if wrong:
                self.note(f"{why}: after '{step.label}' the state is not the expected one: "
                          + describe(expect, after, wrong))
            # Leftovers already counted stay unexpected, so that they are removed.
            for key in ignore:
                if key in expect:
                    after[key] = expect[key]
                else:
                    after.pop(key, None)
        self.expected = after
        kind.pos = (kind.pos + 1) % len(kind.steps)
        return True

    def calibrate(self):
        self.expected = self.dump()
        for kind in self.kinds:
            for _ in kind.steps:
                if not self.run_step(kind, "calibration"):
                    raise SystemExit(f"calibration of '{kind.name}' failed: {self.findings[-1]}")

    def killed_run(self, argv, label):
        times = self.durations[label] or [0.2]
        estimate = sorted(times)[len(times) // 2]
        delay = self.rng.uniform(0.0, estimate * 1.1)
        start = time.monotonic()
        p = subprocess.Popen(self.env.argv(argv), env=self.env.env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        while p.poll() is None and time.monotonic() - start < delay:
            time.sleep(0.002)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)  # our own child, by pid
        try:
            _, err = p.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
        return p.returncode, err, time.monotonic() - start

    def one_kill(self):
        kind = self.rng.choice(self.kinds)
        while not kind.step().killable:
            self.run_step(kind, "unkillable step")
        step = kind.step()
        argv = step.argvs[0]
        before = self.expected
        rc, err, secs = self.killed_run(argv, step.label)
        if rc != -signal.SIGKILL:
            self.finished_first[step.label] += 1
            self.durations[step.label].append(secs)
            if rc != 0:
                self.note(f"'{step.label}' (not killed) failed, exit {rc}: {err.strip()}")
                return
            if step.action:
                step.action()
            after = self.dump()
            expect = self.apply(before, kind, kind.pos)
            wrong = sl.differences(expect, after)
            if wrong:
                self.note(f"'{step.label}' (not killed) left " + describe(expect, after, wrong))
            self.expected = after
            kind.pos = (kind.pos + 1) % len(kind.steps)
            return
        self.kills[step.label] += 1
        check = self.env.integrity()
        if check == "ok":
            self.integrity_ok += 1
        else:
            self.integrity_bad += 1
            self.note(f"'{step.label}' killed: PRAGMA integrity_check says {check}")
        got = self.dump()
        after = self.apply(before, kind, kind.pos)
        config = [k for k in set(got) | set(before) | set(after) if sl.category(k) == "config"]
        if not sl.differences(got, before, config):
            verdict, expect = "before", before
        elif not sl.differences(got, after, config):
            verdict, expect = "after", after
        else:
            verdict, expect = "neither", before
            self.note(f"'{step.label}' killed after {secs:.3f}s: the configuration is neither the "
                      "state before nor after: against before "
                      + describe(before, got, sl.differences(got, before, config))
                      + "; against after " + describe(after, got, sl.differences(got, after, config)))
        self.verdicts[verdict] += 1
        if verdict == "after" and step.action:
            step.action()
            got = self.dump()
        left = [k for k in sl.differences(got, expect)
                if sl.category(k) not in ("config", "live")]
        for key in left:
            self.leftovers[sl.category(key)] += 1
            self.leftover_by_cmd[step.label][sl.category(key)] += 1
        if left and not self.quiet:
            print(f"leftover after killing '{step.label}' ({verdict}, {secs:.3f}s): "
                  + describe(expect, got, left), flush=True)
        if kind.guest:
            self.check_running_guest(kind, step, got, expect)
        self.expected = {k: v for k, v in expect.items()}
        if verdict == "after":
            kind.pos = (kind.pos + 1) % len(kind.steps)
        # The next command of this kind, un-killed, must work with whatever
        # the kill left, and remove it; if it does not work, the leftovers go
        # and it is retried.
        self.last_persisting = []
        blocked = self.next_command(kind, left)
        for key in self.last_persisting if not blocked else left:
            self.persisting[sl.category(key)] += 1
            self.persisting_by_cmd[step.label][sl.category(key)] += 1
        if self.last_persisting and not blocked:
            self.note(f"'{step.label}' killed: the next command left what the kill left: "
                      + describe(self.expected, self.dump(), self.last_persisting))
        if blocked or left:
            self.remove_leftovers()

    def check_running_guest(self, kind, step, got, expect):
        guest = kind.guest
        live = f"live:{guest}"
        rc, out, err, _ = self.env.run("hpvmstatus", "-P", guest)
        runtime = out.split("[Runtime State]")[-1]
        reported = "Difference :" in runtime or "Pending :" in runtime
        diverged = got.get(live) != expect.get(live)
        if not diverged and not reported:
            return
        self.divergences += 1
        if diverged and not reported:
            self.unreported += 1
            self.note(f"'{step.label}' killed: the running guest differs from its configuration "
                      f"and hpvmstatus -P {guest} does not say so: "
                      + describe(expect, got, [live]))
        rc, out, err, _ = self.env.run("hpvmmodify", "-P", guest, "-R")
        self.repairs += 1
        if rc != 0:
            self.note(f"hpvmmodify -P {guest} -R failed, exit {rc}: {err.strip()}")
        now = self.dump()
        if now.get(live) != expect.get(live):
            # A vNIC removal the guest never completes (no guest OS): only a
            # restart takes the device away.
            self.restarts += 1
            for argv in kind.restart:
                r = self.env.run(*argv)
                if r[0] != 0:
                    self.note(f"restart of {guest}: {' '.join(argv)} failed: {r[2].strip()}")
            now = self.dump()
            if now.get(live) != expect.get(live):
                self.repair_failed += 1
                self.note(f"after hpvmmodify -R and a restart, {guest} still differs: "
                          + describe(expect, now, [live]))

    def next_command(self, kind, left):
        pos = kind.pos
        if self.run_step(kind, "next command after a kill", ignore=left):
            self.next_ok += 1
            return False
        self.next_failed += 1
        label = kind.steps[pos].label
        if left:
            self.blocked[label] += 1
            self.remove_leftovers()
            if self.run_step(kind, "retry after removing the leftovers"):
                return True
        raise SystemExit(f"cannot continue: '{label}' fails: {self.findings[-1]}")

    def sweep(self):
        self.sweeps += 1
        for kind in self.kinds:
            if self.run_step(kind, "sweep"):
                self.next_ok += 1
            else:
                self.next_failed += 1

    def remove_leftovers(self):
        """Removes what the state has beyond the expected one: files, run
        directories, taps and bridges; a process is only reported."""
        got = self.dump()
        for key in sl.differences(got, self.expected):
            cat = sl.category(key)
            if key not in got or cat in ("config", "live", "process"):
                continue
            if key.startswith("scratch:"):
                os.remove(os.path.join(self.env.scratch, key[len("scratch:"):]))
            elif key.startswith("file:"):
                path = os.path.join(self.env.root, key[len("file:"):].rstrip("/"))
                if os.path.isdir(path) and not os.path.islink(path):
                    subprocess.run(["rm", "-rf", "--", path], check=False)
                elif os.path.lexists(path):
                    os.remove(path)
            elif key.startswith("host:"):
                name = key.split(":", 1)[1]
                if name.startswith("bridge "):
                    continue  # a vswitch's own bridge
                subprocess.run(["ip", "link", "del", sl.interface_of(self.env, name)], check=False)
        got = self.dump()
        rest = sl.differences(got, self.expected)
        if rest:
            self.note("state differs from the expected one after removing leftovers: "
                      + describe(self.expected, got, rest))
            self.expected = got

    def report(self):
        print("\n=== kill campaign")
        print(f"{'command':42} {'kills':>6} {'finished first':>15}")
        for label in sorted(set(self.kills) | set(self.finished_first)):
            print(f"{label:42} {self.kills[label]:6} {self.finished_first[label]:15}")
        total = sum(self.kills.values())
        print(f"{'total':42} {total:6} {sum(self.finished_first.values()):15}")
        print(f"integrity_check ok: {self.integrity_ok}/{total}")
        print(f"configuration exactly before: {self.verdicts['before']}, after: {self.verdicts['after']}, "
              f"neither: {self.verdicts['neither']}")
        print(f"leftovers found right after a kill: {sum(self.leftovers.values())}"
              + "".join(f"\n  {cat}: {n}" for cat, n in sorted(self.leftovers.items())))
        for label, cats in sorted(self.leftover_by_cmd.items()):
            print(f"  after killing {label}: " + ", ".join(f"{c} {n}" for c, n in sorted(cats.items())))
        print(f"leftovers still there after the next command: {sum(self.persisting.values())}"
              + "".join(f"\n  {cat}: {n}" for cat, n in sorted(self.persisting.items())))
        for label, cats in sorted(self.persisting_by_cmd.items()):
            print(f"  after killing {label}: " + ", ".join(f"{c} {n}" for c, n in sorted(cats.items())))
        print(f"running guest diverged: {self.divergences} (unreported by hpvmstatus -P: {self.unreported}); "
              f"hpvmmodify -R repairs: {self.repairs}, restarts still needed: {self.restarts}, "
              f"unrepaired: {self.repair_failed}")
        print(f"next commands: {self.next_ok} worked, {self.next_failed} failed "
              f"({sum(self.blocked.values())} blocked by a leftover"
              + "".join(f"; {label}: {n}" for label, n in sorted(self.blocked.items())) + f"); sweeps: {self.sweeps}")
        print(f"findings: {len(self.findings)}")
        print_findings(self.findings)
        return total


def print_findings(findings, limit=30):
    """Each finding once, with how often it came (numbers and scratch paths
    left out of the comparison)."""
    counts = Counter(re.sub(r"/tmp/hpvm-[^/ ]+/s/|\d+\.\d+s", "", f) for f in findings)
    for text, n in counts.most_common(limit):
        print(f"  {n}x {text}")


def describe(expect, got, keys, limit=4):
    parts = []
    for k in keys[:limit]:
        e, g = expect.get(k), got.get(k)
        parts.append(f"[{k}] expected {short(e, other=g)}, got {short(g, other=e)}")
    if len(keys) > limit:
        parts.append(f"... {len(keys) - limit} more")
    return "; ".join(parts)


def short(v, n=160, other=None):
    if v is None:
        return "(absent)"
    v = " ".join(str(v).split())
    if other is not None:
        # From just before the first character that differs.
        o = " ".join(str(other).split())
        i = next((i for i, (a, b) in enumerate(zip(v, o)) if a != b), min(len(v), len(o)))
        v = ("..." if i > 40 else "") + v[max(0, i - 40):]
    return v if len(v) <= n else v[:n] + "..."


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bin", help="the directory of the built commands")
    ap.add_argument("--kills", type=int, default=100, help="kills to make (default 100)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--sweep-every", type=int, default=10)
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--strict-leftovers", action="store_true",
                    help="fail the run when a kill leaves anything, even what the next command removes")
    args = ap.parse_args()
    sl.enter_network_namespace("HPVM_STRESS_NETNS")
    sl.require_runtime()
    seed = args.seed if args.seed is not None else int(time.time())
    print(f"kill campaign: {args.kills} kills, seed {seed}", flush=True)
    env = sl.Env(args.bin, "kill")
    campaign = None
    try:
        setup(env)
        kinds = build_kinds(env)
        campaign = Campaign(env, kinds, random.Random(seed), args.quiet)
        campaign.calibrate()
        started = time.monotonic()
        while sum(campaign.kills.values()) < args.kills:
            before = sum(campaign.kills.values())
            campaign.one_kill()
            done = sum(campaign.kills.values())
            if done != before and done % args.sweep_every == 0:
                campaign.sweep()
        print(f"{time.monotonic() - started:.0f}s", flush=True)
    finally:
        if campaign:
            campaign.report()
        env.close()
    # A next command blocked by a leftover counts in persisting too.
    bad = (campaign.integrity_bad or campaign.verdicts["neither"] or campaign.unreported
           or campaign.repair_failed or campaign.next_failed
           or sum(campaign.persisting.values()))
    if args.strict_leftovers and sum(campaign.leftovers.values()):
        bad = True
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
